"""Despatch and return fixtures: the order world's simulators and stores, the timeline, all queues."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from azure.data.tables.aio import TableServiceClient

from local.bc_sim import BcSim
from shared.bc.client import BcClient
from shared.messaging.local import LocalTransport
from shared.settings import WriteBackMode
from shared.store.crossrefs import CrossReferenceStore
from shared.store.exceptions import ExceptionStore
from shared.store.processed import ProcessedEventStore
from shared.store.tables import TableNames
from shared.store.timeline import OrderTimelineStore
from shared.store.watermarks import WatermarkStore
from tests.contract.bc.support import client_for
from tests.contract.messaging.support import Clock
from tests.contract.scend.conftest import BACKOFF, TIMEOUT_SECONDS
from tests.flows.conftest import ScendTenant
from tests.flows.orders.support import START, Readiness, World
from tests.flows.warehouse.intake import OUR_SECRET, Intake
from tests.flows.warehouse.support import Warehouse, warehouse_specs


@pytest.fixture(params=[WriteBackMode.STANDARD, WriteBackMode.EXTENSION], ids=["standard", "extension"])
def mode(request: pytest.FixtureRequest) -> WriteBackMode:
    return WriteBackMode(request.param)


@pytest.fixture
async def warehouse(
    served_bc: BcSim,
    scend_tenant: ScendTenant,
    table_service: TableServiceClient,
    table_names: TableNames,
    mode: WriteBackMode,
) -> AsyncIterator[Warehouse]:
    """GIVEN an empty BC company and Scend tenant, empty tables and queues, write-back `mode`."""
    served_bc.reset()
    clock = Clock(START)
    bc: BcClient = client_for(served_bc)
    table = table_service.get_table_client
    world = World(
        bc_sim=served_bc,
        scend_sim=scend_tenant.sim,
        bc=bc,
        scend=scend_tenant.adapter(backoff=BACKOFF, timeout_seconds=TIMEOUT_SECONDS),
        transport=LocalTransport(":memory:", warehouse_specs(), clock=clock),
        cross_references=CrossReferenceStore(table(table_names.cross_references)),
        exceptions=ExceptionStore(table(table_names.sync_exceptions)),
        watermarks=WatermarkStore(table(table_names.watermarks)),
        clock=clock,
        ready=Readiness(),
    )
    world.timeline = OrderTimelineStore(table(table_names.order_timeline))
    yield Warehouse(
        world,
        world.timeline,
        ProcessedEventStore(table(table_names.processed_events)),
        mode,
    )
    await world.transport.close()
    await bc.close()


@pytest.fixture
def intake(warehouse: Warehouse, scend_tenant: ScendTenant) -> Intake:
    """GIVEN the Scend event intake, trusting one secret of our own."""
    adapter = scend_tenant.adapter(
        backoff=BACKOFF, timeout_seconds=TIMEOUT_SECONDS, webhook_secrets=[OUR_SECRET]
    )
    return Intake(warehouse, scend_tenant, adapter)
