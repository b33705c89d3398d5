"""Order flow fixtures: Azurite stores, the BC simulator over HTTPS, the Scend simulator, a local broker."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from azure.data.tables.aio import TableServiceClient

from local.bc_sim import BcSim
from shared.bc.client import BcClient
from shared.messaging.local import LocalTransport
from shared.messaging.transport import QueueSpec
from shared.store.crossrefs import CrossReferenceStore
from shared.store.exceptions import ExceptionStore
from shared.store.tables import TableNames
from shared.store.watermarks import WatermarkStore
from tests.contract.bc.support import client_for
from tests.contract.messaging.support import Clock
from tests.contract.scend.conftest import BACKOFF, TIMEOUT_SECONDS
from tests.flows.conftest import ScendTenant
from tests.flows.orders.support import START, Readiness, World, orders_spec


@asynccontextmanager
async def opened_world(
    bc_sim: BcSim,
    tenant: ScendTenant,
    table_service: TableServiceClient,
    table_names: TableNames,
    queues: list[QueueSpec],
) -> AsyncIterator[World]:
    """An empty BC company, an empty Scend tenant, empty tables and these empty queues; closed after."""
    bc_sim.reset()
    clock = Clock(START)
    bc: BcClient = client_for(bc_sim)
    table = table_service.get_table_client
    world = World(
        bc_sim=bc_sim,
        scend_sim=tenant.sim,
        bc=bc,
        scend=tenant.adapter(backoff=BACKOFF, timeout_seconds=TIMEOUT_SECONDS),
        transport=LocalTransport(":memory:", queues, clock=clock),
        cross_references=CrossReferenceStore(table(table_names.cross_references)),
        exceptions=ExceptionStore(table(table_names.sync_exceptions)),
        watermarks=WatermarkStore(table(table_names.watermarks)),
        clock=clock,
        ready=Readiness(),
    )
    try:
        yield world
    finally:
        await world.transport.close()
        await bc.close()


@pytest.fixture
async def world(
    served_bc: BcSim, scend_tenant: ScendTenant, table_service: TableServiceClient, table_names: TableNames
) -> AsyncIterator[World]:
    """GIVEN an empty BC company, an empty Scend tenant, empty tables and an empty orders queue."""
    async with opened_world(served_bc, scend_tenant, table_service, table_names, [orders_spec()]) as world:
        yield world
