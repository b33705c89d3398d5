"""The client's limiter against BC's per-principal limits: BC never queues or throttles it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from local.bc_sim import BcSim, BcSimConfig, FaultPlan, FaultRule, serve_bc_sim
from shared.errors import RateLimited
from tests.contract.bc.conftest import ClientFactory
from tests.contract.bc.support import client_for, requests_to, seed

LOCATIONS = "GET /api/v2.0/companies({id})/locations"


def load(sim: BcSim) -> dict[str, int]:
    return sim.statistics()["principals"][sim.config.client_id]["load"]  # type: ignore[no-any-return]


async def test_twenty_slow_reads_at_once_never_have_more_than_five_in_flight_at_bc(
    sim: BcSim, make_client: ClientFactory
) -> None:
    seed(sim, locations=1)
    sim.faults.set(FaultPlan(rules=[FaultRule(method="GET", path="*/locations", latency_ms=100)]))
    bc = await make_client()
    await bc.master.locations()  # the token first, so the twenty start together
    await asyncio.gather(*(bc.master.locations() for _ in range(20)))
    assert requests_to(sim, LOCATIONS)["statuses"] == {"200": 21}
    assert load(sim)["peak_active"] == 5
    assert load(sim)["peak_queued"] == 0
    assert bc.http.limiter.peak_in_flight == 5


@pytest.fixture(scope="module")
async def small_budget_sim(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[BcSim]:
    """BC with a budget of 10 requests per 5 minutes (instead of 6,000)."""
    config = BcSimConfig(tls_dir=tmp_path_factory.mktemp("bc-budget"), requests_per_window=10)
    async with serve_bc_sim(config) as sim:
        yield sim


async def test_the_client_spends_its_budget_and_stops_before_bc_throttles(small_budget_sim: BcSim) -> None:
    sim = small_budget_sim
    sim.reset()
    seed(sim, locations=1)
    async with client_for(sim, bc_requests_per_5_minutes=10) as bc:
        for _ in range(10):
            await bc.master.locations()
        with pytest.raises(RateLimited) as raised:
            await bc.master.locations()
    assert raised.value.retry_after is not None
    assert 290 < raised.value.retry_after <= 300
    assert requests_to(sim, LOCATIONS)["statuses"] == {"200": 10}
    assert sim.statistics()["principals"][sim.config.client_id]["throttled"] == 0


async def test_bcs_own_budget_429_becomes_rate_limited_with_its_retry_after(small_budget_sim: BcSim) -> None:
    sim = small_budget_sim
    sim.reset()
    seed(sim, locations=1)
    async with client_for(sim, bc_requests_per_5_minutes=20) as bc:  # more than BC allows
        for _ in range(10):
            await bc.master.locations()
        with pytest.raises(RateLimited) as raised:
            await bc.master.locations()
    assert raised.value.retry_after is not None
    assert raised.value.retry_after > 30  # longer than the client waits inline: one send only
    assert requests_to(sim, LOCATIONS)["statuses"] == {"200": 10, "429": 1}
