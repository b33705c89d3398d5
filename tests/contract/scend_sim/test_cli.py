"""`python -m local.scend_sim`: prints its base URL, serves, and stops cleanly on SIGTERM."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[3]


def test_the_simulator_runs_as_its_own_process_and_stops_on_sigterm() -> None:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "local.scend_sim",
            "--port",
            "0",
            "--seed",
            "4",
            "--demo",
            "--log-level",
            "WARNING",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("Scend simulator listening on http://127.0.0.1:"), line
        base_url = line.split()[4]
        assert base_url.endswith("/v1")
        root = base_url.removesuffix("/v1")
        assert httpx.get(root + "/_sim/health", timeout=5).json()["seed"] == 4
        products = httpx.get(
            base_url + "/products", headers={"Authorization": "Bearer sk_sim_scend_local"}, timeout=5
        )
        assert len(products.json()["data"]) == 6
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
