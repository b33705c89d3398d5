"""Despatch and return fixtures: the order world's simulators and stores, the timeline, all queues."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from azure.data.tables.aio import TableServiceClient

from local.bc_sim import BcSim
from shared.ops.api import OpsApi
from shared.settings import WriteBackMode
from shared.store.processed import ProcessedEventStore
from shared.store.reconciliations import ReconciliationStore
from shared.store.tables import TableNames
from shared.store.timeline import OrderTimelineStore
from tests.contract.scend.conftest import BACKOFF, TIMEOUT_SECONDS
from tests.flows.conftest import ScendTenant
from tests.flows.orders.conftest import opened_world
from tests.flows.warehouse.intake import OUR_SECRET, Intake
from tests.flows.warehouse.support import SETTINGS, Warehouse, warehouse_specs


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
    async with opened_world(served_bc, scend_tenant, table_service, table_names, warehouse_specs()) as world:
        world.timeline = OrderTimelineStore(table_service.get_table_client(table_names.order_timeline))
        processed = ProcessedEventStore(table_service.get_table_client(table_names.processed_events))
        yield Warehouse(world, world.timeline, processed, mode)


@pytest.fixture
def intake(warehouse: Warehouse, scend_tenant: ScendTenant) -> Intake:
    """GIVEN the Scend event intake, trusting one secret of our own."""
    adapter = scend_tenant.adapter(
        backoff=BACKOFF, timeout_seconds=TIMEOUT_SECONDS, webhook_secrets=[OUR_SECRET]
    )
    return Intake(warehouse, scend_tenant, adapter)


@pytest.fixture
def ops(warehouse: Warehouse, table_service: TableServiceClient, table_names: TableNames) -> OpsApi:
    """GIVEN the operations API over the warehouse world's stores and simulators."""
    world = warehouse.world
    assert world.timeline is not None
    return OpsApi(
        settings=SETTINGS, exceptions=world.exceptions, cross_references=world.cross_references,
        timeline_store=world.timeline,
        reconciliations=ReconciliationStore(table_service.get_table_client(table_names.reconciliations)),
        watermarks=world.watermarks, transport=world.transport, queues=warehouse_specs(), bc=world.bc,
        scend=world.scend, clock=lambda: datetime.now(UTC),  # the stores' own clock: real time
    )  # fmt: skip
