"""The BC client against the simulator over real loopback HTTPS: one simulator per session, reset per test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from local.bc_sim import BcSim, BcSimConfig, serve_bc_sim
from shared.bc.client import BcClient
from tests.contract.bc.support import client_for


@pytest.fixture(scope="session")
def tls_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("bc-sim-tls")


@pytest.fixture(scope="session")
async def served_sim(tls_dir: Path) -> AsyncIterator[BcSim]:
    async with serve_bc_sim(BcSimConfig(tls_dir=tls_dir)) as sim:
        yield sim


@pytest.fixture
def sim(served_sim: BcSim) -> BcSim:
    """GIVEN an empty company: no documents, subscriptions, faults or statistics."""
    served_sim.reset()
    return served_sim


ClientFactory = Callable[..., Awaitable[BcClient]]


@pytest.fixture
async def make_client(sim: BcSim) -> AsyncIterator[ClientFactory]:
    """Clients built from settings (token from the simulator's Entra endpoint, its CA trusted)."""
    made: list[BcClient] = []

    async def make(**options: object) -> BcClient:
        client = client_for(sim, **options)  # type: ignore[arg-type]
        made.append(client)
        return client

    yield make
    for client in made:
        await client.close()


@pytest.fixture
async def bc(make_client: ClientFactory) -> BcClient:
    return await make_client()
