"""Fixtures: a simulator served on loopback per test (frozen clock, BC's limits), and a client
already holding a bearer token, rooted at the company URL."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from typing import Any

import httpx
import pytest

from local.bc_sim import BcSim, serve_bc_sim
from tests.contract.bc_sim.support import Catalogue, sim_config, small_shop

type SimFactory = Callable[..., Awaitable[BcSim]]


@pytest.fixture
async def make_sim() -> AsyncIterator[SimFactory]:
    async with AsyncExitStack() as stack:

        async def make(**overrides: Any) -> BcSim:
            return await stack.enter_async_context(serve_bc_sim(sim_config(**overrides)))

        yield make


@pytest.fixture
async def sim(make_sim: SimFactory) -> BcSim:
    return await make_sim()


def api_client(sim: BcSim, base: str | None = None, **kwargs: Any) -> httpx.AsyncClient:
    headers = {"Authorization": f"Bearer {sim.access_token()}"}
    return httpx.AsyncClient(base_url=(base or sim.company_url) + "/", headers=headers, **kwargs)


@pytest.fixture
async def bc(sim: BcSim) -> AsyncIterator[httpx.AsyncClient]:
    """Standard API v2.0, relative to companies({id})/."""
    async with api_client(sim) as client:
        yield client


@pytest.fixture
async def ext(sim: BcSim) -> AsyncIterator[httpx.AsyncClient]:
    """The custom API scendIntegration/warehouse/v1.0, relative to companies({id})/."""
    async with api_client(sim, sim.custom_company_url) as client:
        yield client


@pytest.fixture
async def control(sim: BcSim) -> AsyncIterator[httpx.AsyncClient]:
    """The `/_sim/` control surface (no auth)."""
    async with httpx.AsyncClient(base_url=f"{sim.base_url}/_sim/") as client:
        yield client


@pytest.fixture
def shop(sim: BcSim) -> Catalogue:
    return small_shop(sim)
