"""Fixtures every flow scenario shares: one Scend simulator per session, an empty tenant per test."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from azure.data.tables.aio import TableServiceClient

from local.bc_sim import BcSim, BcSimConfig, serve_bc_sim
from local.scend_sim import ScendSim, ScendSimConfig, serve_scend_sim
from shared.retry import Backoff
from shared.scend.rest import ContractRestAdapter
from shared.store.tables import TableNames
from tests.contract.scend.support import SharedTime
from tests.flows.leaks import Leaks


@dataclass
class ScendTenant:
    """An empty Scend tenant on its own clock, and the adapters made for it (closed after the test)."""

    sim: ScendSim
    time: SharedTime
    _adapters: list[ContractRestAdapter] = field(default_factory=list)

    def adapter(
        self, *, backoff: Backoff, timeout_seconds: float, webhook_secrets: list[str] | None = None
    ) -> ContractRestAdapter:
        """The contract adapter against this tenant, sleeping and timing on the tenant's clock."""
        adapter = ContractRestAdapter(
            base_url=self.sim.base_url,
            api_key=self.sim.api_key,
            webhook_secrets=webhook_secrets or [],
            requests_per_minute=100_000,
            timeout_seconds=timeout_seconds,
            backoff=backoff,
            sleep=self.time.sleep,
            monotonic=self.time.monotonic,
            clock=self.time.now,
            rng=random.Random(3),
        )
        self._adapters.append(adapter)
        return adapter


@pytest.fixture(scope="session")
async def served_bc(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[BcSim]:
    """One BC simulator over HTTPS for every flow scenario (each test resets it)."""
    async with serve_bc_sim(BcSimConfig(tls_dir=Path(tmp_path_factory.mktemp("flows-tls")))) as sim:
        yield sim


@pytest.fixture(scope="session")
async def served_scend() -> AsyncIterator[ScendSim]:
    async with serve_scend_sim(ScendSimConfig(rate_limit_per_minute=None, webhook_auto_deliver=False)) as sim:
        yield sim


@pytest.fixture
async def scend_tenant(served_scend: ScendSim) -> AsyncIterator[ScendTenant]:
    """GIVEN an empty Scend tenant (seeded, no rate limit, webhooks delivered only when flushed)."""
    time = SharedTime()
    served_scend.reset(
        config=ScendSimConfig(
            seed=7, rate_limit_per_minute=None, webhook_auto_deliver=False, time=time.for_simulator()
        )
    )
    tenant = ScendTenant(served_scend, time)
    yield tenant
    for adapter in tenant._adapters:
        await adapter.aclose()


@pytest.fixture
def leaks(
    caplog: pytest.LogCaptureFixture, table_service: TableServiceClient, table_names: TableNames
) -> Leaks:
    """Where personal data and secrets could leak to: logs, spans and this test's tables (issue 11)."""
    return Leaks(caplog, table_service, table_names)
