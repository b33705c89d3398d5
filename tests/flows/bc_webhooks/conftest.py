"""BC webhook fixtures: the local broker on a pinned clock, the exception store on Azurite, the BC
simulator over loopback HTTPS, and the real doorbell served on loopback for BC to call."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from azure.data.tables.aio import TableServiceClient

from local.bc_sim import BcSim, BcSimConfig, serve_bc_sim
from local.serving import LoopbackServer
from shared.bc.client import BcClient
from shared.messaging.local import LocalTransport
from shared.store.exceptions import ExceptionStore
from shared.store.tables import TableNames
from tests.contract.bc.support import client_for
from tests.contract.messaging.support import Clock
from tests.flows.bc_webhooks.support import Doorbell, poll_requests_spec

START = datetime(2026, 11, 27, 9, 0, 0, tzinfo=UTC)
COLLECTION_THRESHOLD = 5  # BC's is 1,000; a handful of changes is enough to see a `collection` notice


@pytest.fixture
def clock() -> Clock:
    """Our side's time (the doorbell's buckets, the broker's schedule), moved by the test."""
    return Clock(START)


@pytest.fixture
async def transport(clock: Clock) -> AsyncIterator[LocalTransport]:
    broker = LocalTransport(":memory:", [poll_requests_spec()], clock=clock)
    yield broker
    await broker.close()


@pytest.fixture
def exceptions(table_service: TableServiceClient, table_names: TableNames) -> ExceptionStore:
    return ExceptionStore(table_service.get_table_client(table_names.sync_exceptions))


@pytest.fixture(scope="session")
async def served_sim(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[BcSim]:
    config = BcSimConfig(
        tls_dir=Path(tmp_path_factory.mktemp("bc-webhooks-tls")), collection_threshold=COLLECTION_THRESHOLD
    )
    async with serve_bc_sim(config) as sim:
        yield sim


@pytest.fixture
def sim(served_sim: BcSim) -> BcSim:
    """GIVEN an empty company: no documents, subscriptions, faults or statistics."""
    served_sim.reset()
    return served_sim


@pytest.fixture
async def bc(sim: BcSim) -> AsyncIterator[BcClient]:
    client = client_for(sim)
    yield client
    await client.close()


@pytest.fixture
async def doorbell(transport: LocalTransport, clock: Clock) -> AsyncIterator[Doorbell]:
    """Our `/api/bc/notifications` on loopback, with the function key in its URL."""
    bell = Doorbell(transport, clock)
    server = LoopbackServer()
    await server.start(bell.app())
    bell.base_url = server.base_url
    yield bell
    await server.stop()
