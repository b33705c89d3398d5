"""The real function_app through the dev host over loopback HTTP: the chain host → HTTP → function."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from local.devhost import DevHost
from shared import __version__
from shared.messaging.local import LocalTransport
from shared.messaging.queues import queue_specs
from shared.runtime import reset_runtime
from shared.settings import Settings, get_settings
from tests.e2e.devhost.conftest import restored_environ, write_settings

ROOT = Path(__file__).resolve().parents[3]
# The local stack's settings: every app setting, and every %SETTING% the bindings name.
APP_SETTINGS: dict[str, str] = json.loads((ROOT / "local.settings.example.json").read_text())["Values"]


async def _serve(settings_file: Path, *, check_settings: bool = True) -> AsyncIterator[httpx.AsyncClient]:
    """The app on the dev host. Without the settings check (to see how the app itself reports a bad
    setting) the queue triggers get a local transport over the default queue names."""
    get_settings.cache_clear()
    await reset_runtime()
    specs = queue_specs(Settings.model_construct())  # the default queue names, unvalidated
    transport = (
        None if check_settings else LocalTransport(str(settings_file.parent / "queues.sqlite3"), specs)
    )
    host = DevHost(
        "function_app",
        port=0,
        settings_file=settings_file,
        timers=False,
        transport=transport,
        **({} if check_settings else {"settings_hook": None}),
    )
    async with host, httpx.AsyncClient(base_url=host.base_url, timeout=5.0) as http:
        yield http
    if transport is not None:
        await transport.close()
    await reset_runtime()
    get_settings.cache_clear()


@pytest.fixture
async def healthy(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    with restored_environ():
        for name in APP_SETTINGS:
            os.environ.pop(name, None)
        values = {**APP_SETTINGS, "LOCAL_TRANSPORT_PATH": str(tmp_path / "transport.sqlite3")}
        async for http in _serve(write_settings(tmp_path / "local.settings.json", values)):
            yield http


@pytest.fixture
async def misconfigured(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """GIVEN an app whose BC tenant setting is missing, started without the settings check."""
    with restored_environ():
        for name in APP_SETTINGS:
            os.environ.pop(name, None)
        values = {k: v for k, v in APP_SETTINGS.items() if k != "BC_TENANT_ID"}
        values["LOCAL_TRANSPORT_PATH"] = str(tmp_path / "transport.sqlite3")
        async for http in _serve(
            write_settings(tmp_path / "local.settings.json", values), check_settings=False
        ):
            yield http


async def test_health_answers_anonymously_with_the_version_and_loaded_settings(
    healthy: httpx.AsyncClient,
) -> None:
    reply = await healthy.get("/api/health")
    assert reply.status_code == 200
    assert reply.json() == {"status": "ok", "version": __version__, "settings_loaded": True}


async def test_health_names_a_missing_setting_without_any_value(misconfigured: httpx.AsyncClient) -> None:
    reply = await misconfigured.get("/api/health")
    assert reply.status_code == 503
    body = reply.json()
    assert body["settings_loaded"] is False
    assert body["settings_error"] == "Invalid settings: BC_TENANT_ID is missing"
    assert APP_SETTINGS["BC_CLIENT_SECRET"] not in json.dumps(body)


async def test_health_only_answers_get(healthy: httpx.AsyncClient) -> None:
    assert (await healthy.post("/api/health")).status_code == 405


async def test_bc_notifications_need_the_function_key_and_answer_the_handshake(
    healthy: httpx.AsyncClient,
) -> None:
    key = {"code": APP_SETTINGS["DEVHOST_FUNCTION_KEY"]}
    assert (await healthy.post("/api/bc/notifications", params={"validationToken": "t-1"})).status_code == 401
    handshake = await healthy.post("/api/bc/notifications", params={"validationToken": "t-1", **key})
    assert handshake.status_code == 200
    assert handshake.text == "t-1"
    forged = {"value": [{"clientState": "not-ours", "resource": "salesOrders", "changeType": "updated"}]}
    assert (await healthy.post("/api/bc/notifications", params=key, json=forged)).status_code == 401


@pytest.mark.azurite
def test_the_demo_runs_the_whole_stack_to_the_end_and_stops_it() -> None:
    """`make demo` without the bootstrap: Azurite and the dev host as processes, the demo, a clean stop."""
    done = subprocess.run(
        [sys.executable, "-m", "local.stack", "demo"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "COLUMNS": "200"},
        check=False,
    )
    dashboard = ROOT / ".local" / "dashboard.png"  # the seeded problems, as Chromium rendered them
    if dashboard.exists():
        (ROOT / "test-artifacts").mkdir(exist_ok=True)
        shutil.copy(dashboard, ROOT / "test-artifacts" / "demo-dashboard.png")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Demo passed." in done.stdout
    assert "Problems reach their owners" in done.stdout  # passed: each problem once, owner, link, retry
    if shutil.which("chromium"):  # `make test` installs it: the dashboard was checked as Chromium renders it
        assert dashboard.exists()
    assert "GET /api/health → 200" in done.stdout
    assert "Stack stopped." in done.stdout
