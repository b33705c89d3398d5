"""Fixtures of the Scend simulator's tests: a simulator on loopback per test, clients for its API
and its control surface, with real time under the test's control."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from local.scend_sim import ScendSim, ScendSimConfig, WarehousePolicy, serve_scend_sim
from tests.contract.scend_sim.support import FakeTime, Receiver, Receivers, ok

START_AT = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
Start = Callable[..., Awaitable[ScendSim]]


@pytest.fixture
def time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def base_config(time: FakeTime) -> ScendSimConfig:
    """Deterministic: fixed start and seed, no rate limit, webhooks only when flushed."""
    return ScendSimConfig(
        seed=11,
        start_at=START_AT,
        rate_limit_per_minute=None,
        webhook_auto_deliver=False,
        time=time.real_time(),
    )


@pytest.fixture(scope="session")
async def served() -> AsyncIterator[ScendSim]:
    """One simulator on loopback for the whole session; each test resets it to its own settings."""
    async with serve_scend_sim(ScendSimConfig(rate_limit_per_minute=None, webhook_auto_deliver=False)) as sim:
        yield sim


@pytest.fixture
def start_sim(served: ScendSim, base_config: ScendSimConfig) -> Start:
    """A fresh tenant with some settings changed (`policy=` takes WarehousePolicy fields)."""

    async def start(policy: dict[str, Any] | None = None, **changes: Any) -> ScendSim:
        config = replace(base_config, **changes)
        if policy:
            config = replace(config, policy=replace(WarehousePolicy(), **policy))
        served.reset(config=config)
        return served

    return start


@pytest.fixture
async def sim(start_sim: Start) -> ScendSim:
    return await start_sim()


@pytest.fixture
async def api(sim: ScendSim) -> AsyncIterator[httpx.AsyncClient]:
    headers = {"Authorization": f"Bearer {sim.api_key}"}
    async with httpx.AsyncClient(
        base_url=sim.base_url, headers=headers, timeout=5, trust_env=False
    ) as client:
        yield client


@pytest.fixture
async def control(sim: ScendSim) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=sim.control_url, timeout=5, trust_env=False) as client:
        yield client


@pytest.fixture
async def stocked(control: httpx.AsyncClient) -> None:
    """The demo catalogue, 100 of each: TEE-BLK-S/M/L, HOODIE-GRY-M, CAP-NVY, MUG-WHT."""
    await ok(await control.post("/seed", json={"demo": True}))


@pytest.fixture(scope="session")
async def receivers() -> AsyncIterator[Receivers]:
    async with Receivers.serve() as found:
        yield found


@pytest.fixture
def receiver(receivers: Receivers) -> Receiver:
    """A webhook endpoint of this test's own: records deliveries, answers `statuses` then 204."""
    return receivers.new()
