"""`python -m local.bc_sim`: prints its base URL first, serves (HTTPS with --tls-dir), stops on SIGTERM."""

from __future__ import annotations

import signal
import ssl
import subprocess
import sys
from pathlib import Path

import httpx

from local.azurite import REPO_ROOT


def test_the_simulator_runs_as_its_own_process_and_stops_on_sigterm(tmp_path: Path) -> None:
    # GIVEN the simulator started as a process with TLS and a seeded catalogue
    command = [sys.executable, "-m", "local.bc_sim", "--port", "0", "--tls-dir", str(tmp_path), "--seed", "3"]
    process = subprocess.Popen(  # noqa: S603 - our own module, fixed arguments
        command, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        base_url = process.stdout.readline().strip()
        details = dict(process.stdout.readline().strip().split("=", 1) for _ in range(8))
        # WHEN a client trusting its CA reads the configuration and, with a token, the items
        with httpx.Client(verify=ssl.create_default_context(cafile=details["ca_file"]), timeout=10) as client:
            config = client.get(f"{base_url}/_sim/config").json()
            token = client.post(
                details["token_url"],
                data={
                    "grant_type": "client_credentials",
                    "client_id": details["client_id"],
                    "client_secret": details["client_secret"],
                    "scope": config["scope"],
                },
            ).json()["access_token"]
            items = client.get(
                f"{details['api_url']}/companies({details['company_id']})/items",
                headers={"Authorization": f"Bearer {token}"},
            ).json()["value"]
        # THEN it answers on https://127.0.0.1 with the seeded catalogue
        assert base_url.startswith("https://127.0.0.1:")
        assert (config["baseUrl"], len(items)) == (base_url, 20)
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=10)
    # AND SIGTERM stops it cleanly
    assert code == 0, process.stderr.read() if process.stderr else ""
