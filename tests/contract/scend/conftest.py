"""The Scend simulator on loopback, and the contract adapter pointed at it, sharing one clock."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from typing import Any

import pytest

from local.scend_sim import ScendSim, ScendSimConfig, serve_scend_sim
from shared.retry import Backoff
from shared.scend.rest import ContractRestAdapter
from tests.contract.scend.support import SharedTime, product

# Short enough that a hung answer costs little; long enough for a loaded machine to answer.
TIMEOUT_SECONDS = 0.5
BACKOFF = Backoff(attempts=4, base_seconds=0.05, max_seconds=0.5, max_wait_seconds=30.0)

StartSim = Callable[..., Awaitable[ScendSim]]
MakeAdapter = Callable[..., ContractRestAdapter]


@pytest.fixture
def shared_time() -> SharedTime:
    return SharedTime()


@pytest.fixture(scope="session")
async def served() -> AsyncIterator[ScendSim]:
    """One simulator on loopback for the session (starting uvicorn costs ~0.2 s); reset per test."""
    async with serve_scend_sim(ScendSimConfig(rate_limit_per_minute=None, webhook_auto_deliver=False)) as sim:
        yield sim


@pytest.fixture
def start_sim(served: ScendSim, shared_time: SharedTime) -> StartSim:
    """A fresh, empty tenant under this test's settings (any ScendSimConfig field may be changed)."""

    async def start(**changes: Any) -> ScendSim:
        config = ScendSimConfig(
            seed=7,
            rate_limit_per_minute=None,
            webhook_auto_deliver=False,
            time=shared_time.for_simulator(),
        )
        served.reset(config=replace(config, **changes))
        return served

    return start


@pytest.fixture
async def sim(start_sim: StartSim) -> ScendSim:
    return await start_sim()


@pytest.fixture
async def make_adapter(sim: ScendSim, shared_time: SharedTime) -> AsyncIterator[MakeAdapter]:
    """Adapters on the simulator (any constructor option may be changed); closed after the test."""
    adapters: list[ContractRestAdapter] = []

    def make(**changes: Any) -> ContractRestAdapter:
        options: dict[str, Any] = {
            "base_url": sim.base_url,
            "api_key": sim.api_key,
            "webhook_secrets": [],
            "requests_per_minute": 10_000,
            "timeout_seconds": TIMEOUT_SECONDS,
            "backoff": BACKOFF,
            "sleep": shared_time.sleep,
            "monotonic": shared_time.monotonic,
            "clock": shared_time.now,
            "rng": random.Random(3),
        } | changes
        adapter = ContractRestAdapter(**options)
        adapters.append(adapter)
        return adapter

    yield make
    for adapter in adapters:
        await adapter.aclose()


@pytest.fixture
def scend(make_adapter: MakeAdapter) -> ContractRestAdapter:
    return make_adapter()


@pytest.fixture
async def stocked(sim: ScendSim, scend: ContractRestAdapter) -> list[str]:
    """Three products the warehouse knows, sent through the adapter, 1,000 of each on the shelf."""
    skus = ["MUG-1", "MUG-2", "MUG-3"]
    for sku in skus:
        await scend.upsert_product(product(sku))
        sim.warehouse.set_stock(sku, 1000)
    return skus
