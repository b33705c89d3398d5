"""Start-up failures, graceful stop, and the command line (`python -m local.devhost`) as a process."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import sys
from pathlib import Path

import httpx
import pytest

from local.devhost import DevHost, StartupError
from shared.messaging.local import LocalTransport
from shared.messaging.transport import QueueSpec
from tests.e2e.devhost import fixture_app
from tests.e2e.devhost.conftest import APP_SETTINGS, PLAIN_QUEUE, SESSION_QUEUE, SETTINGS, write_settings

ROOT = Path(__file__).resolve().parents[3]


def _settings_file(directory: Path, values: dict[str, str]) -> Path:
    return write_settings(directory / "local.settings.json", values)


async def _devhost(*args: str) -> asyncio.subprocess.Process:
    """`python -m local.devhost` in a clean environment: only what the test gives it."""
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "local.devhost",
        *args,
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def test_a_missing_setting_stops_start_up_with_one_clear_line(tmp_path: Path) -> None:
    # GIVEN local settings without BC_TENANT_ID, checked by the default hook (shared.settings)
    settings = _settings_file(tmp_path, {k: v for k, v in APP_SETTINGS.items() if k != "BC_TENANT_ID"})
    # WHEN the dev host starts
    process = await _devhost("--app", "function_app", "--port", "0", "--settings", str(settings))
    _, stderr = await asyncio.wait_for(process.communicate(), timeout=20)
    # THEN it exits 2 with one line naming the setting, and no traceback
    errors = [line for line in stderr.decode().splitlines() if line.startswith("devhost:")]
    assert process.returncode == 2
    assert len(errors) == 1
    assert errors[0].startswith("devhost: Invalid settings: ")
    assert "BC_TENANT_ID is missing" in errors[0]
    assert "Traceback" not in stderr.decode()


async def test_an_unresolved_binding_expression_stops_start_up(tmp_path: Path) -> None:
    # GIVEN the fixture app, whose timer schedule is %FIXTURE_TICK_SCHEDULE%, and no such setting
    values = {k: v for k, v in SETTINGS.items() if k != "FIXTURE_TICK_SCHEDULE"}
    settings = _settings_file(tmp_path, values)
    process = await _devhost(
        "--app",
        "tests.e2e.devhost.fixture_app",
        "--port",
        "0",
        "--settings",
        str(settings),
        "--settings-hook",
        "",
    )
    _, stderr = await asyncio.wait_for(process.communicate(), timeout=20)
    # THEN start-up fails naming the function and the setting
    assert process.returncode == 2
    expected = "function tick: app setting FIXTURE_TICK_SCHEDULE (used as %FIXTURE_TICK_SCHEDULE%) is not set"
    assert stderr.decode().strip().splitlines()[-1] == f"devhost: {expected}"


async def test_sigterm_stops_the_command_line_host_gracefully(tmp_path: Path) -> None:
    # GIVEN the dev host running an app from the command line
    settings = _settings_file(tmp_path, {})
    process = await _devhost(
        "--app",
        "tests.e2e.devhost.minimal_app",
        "--port",
        "0",
        "--settings",
        str(settings),
        "--settings-hook",
        "",
    )
    assert process.stderr is not None
    output: list[str] = []
    while not any("Dev host running" in line for line in output):
        line = await asyncio.wait_for(process.stderr.readline(), timeout=20)
        assert line, "the dev host exited before it was running: " + "".join(output)
        output.append(line.decode())
    port = re.search(r"http://127\.0\.0\.1:(\d+)", "".join(output))
    assert port is not None
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port.group(1)}") as client:
        assert (await client.get("/api/ping")).text == "pong"
        assert (await client.get("/admin/host/status")).json()["state"] == "Running"
    # WHEN it gets SIGTERM
    process.send_signal(signal.SIGTERM)
    _, rest = await asyncio.wait_for(process.communicate(), timeout=10)
    # THEN it stops cleanly, saying so
    assert process.returncode == 0
    assert "Dev host stopped" in rest.decode()


async def test_stop_lets_a_request_in_progress_finish(app_dir: Path, transport: LocalTransport) -> None:
    # GIVEN a running host and a request whose function takes 0.3 s
    fixture_app.reset()
    host = DevHost(
        "tests.e2e.devhost.fixture_app",
        port=0,
        settings_file=app_dir / "local.settings.json",
        host_json=app_dir / "host.json",
        settings_hook=None,
        transport=transport,
        timers=False,
        receive_wait=0.1,
        drain_timeout=2.0,
    )
    await host.start()
    async with httpx.AsyncClient(base_url=host.base_url) as client:
        request = asyncio.create_task(client.get("/api/slow", params={"seconds": "0.3"}))
        await asyncio.sleep(0.1)
        # WHEN the host is stopped while it runs
        await host.stop()
        # THEN the request still gets its reply, and the host took no new work after
        reply = await request
        assert (reply.status_code, reply.text) == (200, "slow")
        assert fixture_app.calls["slow"] == ["done"]
        with pytest.raises(httpx.ConnectError):
            await client.get("/api/hello")
    assert host.state == "Stopped"
    assert (await transport.counts(PLAIN_QUEUE)).active == (await transport.counts(SESSION_QUEUE)).active == 0


async def test_a_port_in_use_stops_start_up_before_anything_runs(app_dir: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        fixture_app.reset()
        host = DevHost(
            "tests.e2e.devhost.fixture_app",
            port=port,
            settings_file=app_dir / "local.settings.json",
            host_json=app_dir / "host.json",
            settings_hook=None,
        )
        with pytest.raises(StartupError, match=rf"^cannot listen on 127\.0\.0\.1:{port}: "):
            await host.start()
    assert host.state == "Stopped"
    assert not fixture_app.calls


async def test_a_queue_the_transport_does_not_know_stops_start_up(app_dir: Path) -> None:
    # GIVEN a transport without the plain queue the app's `plain` function listens on
    transport = LocalTransport(":memory:", [QueueSpec(SESSION_QUEUE, requires_session=True)])
    host = DevHost(
        "tests.e2e.devhost.fixture_app",
        port=0,
        settings_file=app_dir / "local.settings.json",
        host_json=app_dir / "host.json",
        settings_hook=None,
        transport=transport,
    )
    # WHEN the host starts  THEN it fails naming the function and the queue
    with pytest.raises(StartupError, match=rf"^function plain: Queue '{PLAIN_QUEUE}' is not configured"):
        await host.start()
    assert host.state == "Stopped"
    await transport.close()
