"""Polling fixtures: the watermark store on Azurite, the local broker on a pinned clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from azure.data.tables.aio import TableServiceClient

from shared.messaging.local import LocalTransport
from shared.messaging.transport import QueueSpec
from shared.store.exceptions import ExceptionStore
from shared.store.tables import TableNames
from shared.store.watermarks import WatermarkStore
from tests.contract.messaging.support import Clock

START = datetime(2026, 11, 27, 9, 0, 0, tzinfo=UTC)
QUEUE = "changes"
POLL_REQUESTS = "poll-requests"


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


@pytest.fixture
async def transport(clock: Clock) -> AsyncIterator[LocalTransport]:
    broker = LocalTransport(":memory:", [QueueSpec(QUEUE), QueueSpec(POLL_REQUESTS)], clock=clock)
    yield broker
    await broker.close()


@pytest.fixture
def watermarks(table_service: TableServiceClient, table_names: TableNames) -> WatermarkStore:
    return WatermarkStore(table_service.get_table_client(table_names.watermarks))


@pytest.fixture
def exceptions(table_service: TableServiceClient, table_names: TableNames) -> ExceptionStore:
    return ExceptionStore(table_service.get_table_client(table_names.sync_exceptions))
