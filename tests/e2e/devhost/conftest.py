"""A running dev host over the fixture app, on a free loopback port, with a LocalTransport."""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from local.devhost import DevHost
from shared.messaging.local import LocalTransport
from shared.messaging.transport import QueueSpec
from tests.e2e.devhost import fixture_app

FUNCTION_KEY = "fixture-function-key"
MASTER_KEY = "fixture-master-key"
PLAIN_QUEUE = "devhost-plain"
SESSION_QUEUE = "devhost-sessions"
BATCH_QUEUE = "devhost-batches"
MAX_DELIVERY_COUNT = 3

SETTINGS = {
    "DEVHOST_FUNCTION_KEY": FUNCTION_KEY,
    "DEVHOST_MASTER_KEY": MASTER_KEY,
    "FIXTURE_TICK_SCHEDULE": "* * * * * *",
    "FIXTURE_PLAIN_QUEUE": PLAIN_QUEUE,
    "FIXTURE_SESSION_QUEUE": SESSION_QUEUE,
    "FIXTURE_BATCH_QUEUE": BATCH_QUEUE,
}
# Every setting shared.settings requires, for the app's own settings hook and transport factory.
APP_SETTINGS = {
    "BC_TENANT_ID": "tenant",
    "BC_ENVIRONMENT": "sandbox",
    "BC_COMPANY_ID": "company",
    "BC_CLIENT_ID": "client",
    "BC_CLIENT_SECRET": "secret",
    "BC_WEBHOOK_CLIENT_STATE": "client-state-of-16-chars",
    "BC_NOTIFICATION_URL": "http://127.0.0.1:7071/api/bc/notifications",
    "SCEND_BASE_URL": "http://127.0.0.1:7102",
    "SCEND_API_KEY": "key",
    "SCEND_WEBHOOK_SECRETS": "webhook-secret",
    "TABLES_CONNECTION_STRING": "UseDevelopmentStorage=true",
    "MESSAGING_TRANSPORT": "local",
}
HOST_JSON = {
    "version": "2.0",
    "extensions": {
        "http": {"routePrefix": "api"},
        "serviceBus": {
            "autoCompleteMessages": True,
            "maxConcurrentCalls": 4,
            "maxConcurrentSessions": 4,
            "sessionIdleTimeout": "00:00:01",
        },
    },
}


def write_settings(path: Path, values: dict[str, str]) -> Path:
    path.write_text(json.dumps({"IsEncrypted": False, "Values": values}))
    return path


@contextmanager
def restored_environ() -> Iterator[None]:
    """The dev host copies local settings into os.environ; put it back as it was."""
    saved = dict(os.environ)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


@pytest.fixture(scope="module")
def app_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """local.settings.json and host.json for the fixture app; the environment is restored after."""
    root = tmp_path_factory.mktemp("devhost")
    write_settings(root / "local.settings.json", SETTINGS)
    (root / "host.json").write_text(json.dumps(HOST_JSON))
    with restored_environ():
        yield root


@pytest.fixture(scope="module")
async def transport() -> AsyncIterator[LocalTransport]:
    specs = [
        QueueSpec(PLAIN_QUEUE, max_delivery_count=MAX_DELIVERY_COUNT),
        QueueSpec(SESSION_QUEUE, requires_session=True),
        QueueSpec(BATCH_QUEUE, max_delivery_count=MAX_DELIVERY_COUNT),
    ]
    local = LocalTransport(":memory:", specs)
    yield local
    await local.close()


@pytest.fixture(scope="module")
async def host(app_dir: Path, transport: LocalTransport) -> AsyncIterator[DevHost]:
    fixture_app.reset()
    devhost = DevHost(
        "tests.e2e.devhost.fixture_app",
        port=0,
        settings_file=app_dir / "local.settings.json",
        host_json=app_dir / "host.json",
        settings_hook=None,
        transport=transport,
        receive_wait=0.1,
        drain_timeout=2.0,
    )
    async with devhost:
        yield devhost


@pytest.fixture
async def client(host: DevHost) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=host.base_url, timeout=5.0) as http:
        yield http
