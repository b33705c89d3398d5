"""Fixtures of the transport contract: a movable clock, a broker, and each adapter on that broker."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from shared.messaging.local import LocalTransport
from shared.messaging.servicebus import ServiceBusTransport
from shared.messaging.transport import Transport
from tests.contract.messaging.support import SPECS, Clock
from tests.fakes.servicebus_sdk import FakeServiceBus


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2025, 1, 6, 9, 0, tzinfo=UTC))


@pytest.fixture
async def broker(clock: Clock) -> AsyncIterator[LocalTransport]:
    local = LocalTransport(":memory:", SPECS, clock=clock)
    yield local
    await local.close()


@pytest.fixture(params=["local", "servicebus"])
async def transport(request: pytest.FixtureRequest, broker: LocalTransport) -> AsyncIterator[Transport]:
    """Each adapter in turn: the LocalTransport itself, or ServiceBusTransport over the SDK fakes."""
    if request.param == "local":
        yield broker
        return
    namespace = FakeServiceBus(broker)
    adapter = ServiceBusTransport(namespace.client, SPECS, admin=lambda: namespace.admin)
    yield adapter
    await adapter.close()
