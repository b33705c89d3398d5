"""Item export fixtures: the BC simulator over loopback HTTPS on a pinned clock, the Scend simulator
on loopback, the stores on Azurite, the local broker, and the Settler the Service Bus shell uses."""

from __future__ import annotations

import math
import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from azure.data.tables.aio import TableServiceClient

from local.bc_sim import BcSim, BcSimConfig, serve_bc_sim
from local.bc_sim.clock import SimClock
from shared.bc.client import BcClient
from shared.mapping.lookups import default_lookups
from shared.messaging.local import LocalTransport
from shared.messaging.settlement import Settler
from shared.messaging.transport import QueueSpec
from shared.retry import Backoff
from shared.store.crossrefs import CrossReferenceStore
from shared.store.exceptions import ExceptionStore
from shared.store.tables import TableNames
from shared.store.watermarks import WatermarkStore
from tests.contract.bc.support import client_for
from tests.flows.conftest import ScendTenant
from tests.flows.items.support import ITEMS, ItemWorld, ReadyCalls

START = datetime(2026, 11, 27, 9, 0, 0, tzinfo=UTC)
FAST = Backoff(attempts=3, base_seconds=0.01, max_seconds=0.05, max_wait_seconds=30.0)
SHELL = Backoff(attempts=3, base_seconds=10.0, max_seconds=60.0, max_wait_seconds=math.inf)


@pytest.fixture(scope="session")
async def served_bc(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[BcSim]:
    config = BcSimConfig(tls_dir=Path(tmp_path_factory.mktemp("items-tls")), clock=SimClock(frozen_at=START))
    async with serve_bc_sim(config) as sim:
        yield sim


@pytest.fixture
async def world(
    served_bc: BcSim, scend_tenant: ScendTenant, table_service: TableServiceClient, table_names: TableNames
) -> AsyncIterator[ItemWorld]:
    """GIVEN an empty BC company, an empty Scend tenant, empty tables and an empty items queue."""
    served_bc.reset()
    table = table_service.get_table_client
    bc: BcClient = client_for(served_bc)
    scend = scend_tenant.adapter(backoff=FAST, timeout_seconds=2.0)
    transport = LocalTransport(":memory:", [QueueSpec(ITEMS)], clock=served_bc.clock.now)
    exceptions = ExceptionStore(table(table_names.sync_exceptions))
    world = ItemWorld(
        bc_sim=served_bc,
        scend_sim=scend_tenant.sim,
        bc=bc,
        scend=scend,
        transport=transport,
        watermarks=WatermarkStore(table(table_names.watermarks)),
        cross_references=CrossReferenceStore(table(table_names.cross_references)),
        exceptions=exceptions,
        settler=Settler(transport, exceptions, SHELL, clock=served_bc.clock.now, rng=random.Random(7)),
        lookups=default_lookups(),
        lookback=timedelta(seconds=120),
        ready=ReadyCalls(),
    )
    yield world
    await bc.close()
    await transport.close()
