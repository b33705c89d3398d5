"""The transport the app's settings choose, built by the app's own factory, as `make up` runs it."""

from __future__ import annotations

import json
from pathlib import Path

from local.devhost import DevHost
from shared.messaging.local import LocalTransport
from shared.messaging.queues import queue_specs
from shared.messaging.transport import OutboundMessage
from shared.settings import load_settings
from tests.e2e.devhost import fixture_app
from tests.e2e.devhost.conftest import APP_SETTINGS, HOST_JSON, SETTINGS, restored_environ, write_settings
from tests.e2e.devhost.helpers import eventually


async def test_queue_triggers_run_on_the_local_transport_file_the_settings_name(tmp_path: Path) -> None:
    # GIVEN settings choosing the local transport on a file, and the fixture app on two app queues
    transport_file = tmp_path / "transport.sqlite3"
    values = {
        **APP_SETTINGS,
        **SETTINGS,
        "LOCAL_TRANSPORT_PATH": str(transport_file),
        "FIXTURE_PLAIN_QUEUE": "scend-stock",
        "FIXTURE_SESSION_QUEUE": "orders-to-scend",
        "FIXTURE_BATCH_QUEUE": "scend-shipments",
    }
    settings_file = write_settings(tmp_path / "local.settings.json", values)
    (tmp_path / "host.json").write_text(json.dumps(HOST_JSON))
    fixture_app.reset()
    with restored_environ():
        host = DevHost(
            "tests.e2e.devhost.fixture_app",
            port=0,
            settings_file=settings_file,
            host_json=tmp_path / "host.json",
            timers=False,
            receive_wait=0.1,
            drain_timeout=2.0,
        )
        async with host:
            # WHEN another process's transport (here: another connection to the file) sends
            sender = LocalTransport(str(transport_file), queue_specs(load_settings()))
            await sender.send("scend-stock", [OutboundMessage(body=b"{}", message_id="stock-1")])

            # THEN the dev host's own transport delivers it and completes it
            async def completed() -> bool:
                return bool(fixture_app.calls["plain"]) and (await sender.counts("scend-stock")).active == 0

            await eventually(completed)
            await sender.close()
    assert [m.message_id for m in fixture_app.calls["plain"]] == ["stock-1"]
