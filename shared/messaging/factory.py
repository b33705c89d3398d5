"""Which Transport the app runs on: the local SQLite one or Service Bus, chosen by settings."""

from __future__ import annotations

from pathlib import Path

from shared.messaging.local import LocalTransport
from shared.messaging.queues import queue_specs
from shared.messaging.servicebus import ServiceBusTransport
from shared.messaging.transport import Transport
from shared.settings import Settings, SettingsError, TransportKind, setting_name


def create_transport(settings: Settings) -> Transport:
    """`MESSAGING_TRANSPORT=local` → `LocalTransport` on `LOCAL_TRANSPORT_PATH` (its folder created);
    otherwise Service Bus, by connection string or, with a managed identity, by namespace."""
    specs = queue_specs(settings)
    if settings.messaging_transport is TransportKind.LOCAL:
        path = settings.local_transport_path
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        return LocalTransport(path, specs)
    connection_string = settings.servicebus_connection and settings.servicebus_connection.get_secret_value()
    if connection_string:
        return ServiceBusTransport.from_connection_string(connection_string, specs)
    if settings.servicebus_namespace:
        return ServiceBusTransport.from_namespace(settings.servicebus_namespace, specs)
    raise SettingsError(
        f"Set {setting_name('servicebus_connection')} or {setting_name('servicebus_namespace')},"
        f" or {setting_name('messaging_transport')}=local"
    )
