"""create_transport: the setting MESSAGING_TRANSPORT picks the adapter, and its settings configure it."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import azure.identity.aio
import pytest

from shared.messaging.factory import create_transport
from shared.messaging.local import LocalTransport
from shared.messaging.servicebus import ServiceBusTransport
from shared.messaging.transport import OutboundMessage, QueueCounts
from shared.settings import Settings, load_settings

CONNECTION_STRING = (
    "Endpoint=sb://bc-scend-test.servicebus.windows.net/;"
    "SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=bm90LWEtcmVhbC1rZXk="
)


def settings(**messaging: Any) -> Settings:
    return load_settings(
        bc_tenant_id="t",
        bc_environment="sandbox",
        bc_company_id="c",
        bc_client_id="client",
        bc_client_secret="secret",
        bc_webhook_client_state="a-client-state-of-16+",
        bc_notification_url="http://127.0.0.1:7071/api/bc/notifications",
        scend_base_url="http://127.0.0.1:7102",
        scend_api_key="key",
        scend_webhook_secrets="secret",
        tables_connection_string="UseDevelopmentStorage=true",
        **messaging,
    )


async def test_local_messaging_gets_a_sqlite_transport_in_a_folder_it_creates(tmp_path: Path) -> None:
    # GIVEN local messaging on a file in a folder that does not exist yet
    path = tmp_path / "not" / "yet" / "transport.sqlite3"
    # WHEN the transport is created
    transport = create_transport(settings(messaging_transport="local", local_transport_path=str(path)))
    # THEN it is a LocalTransport on that file that knows the app's queues
    assert isinstance(transport, LocalTransport)
    await transport.send("orders-to-scend", [OutboundMessage(b"{}", "order:1:v1", session_id="1")])
    assert await transport.counts("orders-to-scend") == QueueCounts(active=1, scheduled=0, dead_letter=0)
    assert path.is_file()
    await transport.close()


async def test_a_connection_string_gets_a_service_bus_transport() -> None:
    # GIVEN Service Bus messaging with a connection string WHEN the transport is created
    transport = create_transport(
        settings(messaging_transport="servicebus", servicebus_connection=CONNECTION_STRING)
    )
    # THEN it is the Service Bus adapter, which connects nothing until used
    assert isinstance(transport, ServiceBusTransport)
    await transport.close()


class RecordingCredential:
    """Stands in for DefaultAzureCredential (whose aio flavour needs aiohttp to be constructed)."""

    made: ClassVar[list[RecordingCredential]] = []

    def __init__(self) -> None:
        self.closed = False
        RecordingCredential.made.append(self)

    async def close(self) -> None:
        self.closed = True


async def test_a_namespace_gets_a_service_bus_transport_on_a_managed_identity(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # GIVEN Service Bus messaging by namespace only (the identity-based Functions connection)
    monkeypatch.setattr(azure.identity.aio, "DefaultAzureCredential", RecordingCredential)
    RecordingCredential.made.clear()
    # WHEN the transport is created
    transport = create_transport(
        settings(
            messaging_transport="servicebus", servicebus_namespace="bc-scend-test.servicebus.windows.net"
        )
    )
    # THEN it uses one DefaultAzureCredential, which it closes with itself
    assert isinstance(transport, ServiceBusTransport)
    [credential] = RecordingCredential.made
    await transport.close()
    assert credential.closed
