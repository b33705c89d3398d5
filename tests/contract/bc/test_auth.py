"""Tokens from the simulator's Entra endpoint through azure-identity (secret and certificate, private CA)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from local.bc_sim import BcSim, BcSimConfig, FaultPlan, FaultRule, serve_bc_sim
from local.certs import ensure_client_certificate
from shared.bc.errors import BcAccessDenied
from tests.contract.bc.conftest import ClientFactory
from tests.contract.bc.support import client_for, requests_to, seed

TOKEN = "POST /{tenant}/oauth2/v2.0/token"
COMPANIES = "GET /api/v2.0/companies"


def anonymous(sim: BcSim, route: str) -> dict[str, int]:
    """Statuses of requests BC could not attribute to a principal (token requests, refused tokens)."""
    principal = sim.statistics()["principals"].get("anonymous", {"routes": {}})
    return principal["routes"].get(route, {"statuses": {}})["statuses"]  # type: ignore[no-any-return]


def token_requests(sim: BcSim) -> dict[str, int]:
    return anonymous(sim, TOKEN)


async def test_a_client_secret_token_is_fetched_once_and_reused(
    sim: BcSim, make_client: ClientFactory
) -> None:
    bc = await make_client()
    for _ in range(3):
        assert [c.name for c in await bc.master.companies()] == [sim.config.company_name]
    assert token_requests(sim) == {"200": 1}
    assert requests_to(sim, COMPANIES)["statuses"] == {"200": 3}


async def test_an_expired_token_is_refused_then_refreshed_once(
    sim: BcSim, make_client: ClientFactory
) -> None:
    # GIVEN a token in the credential's cache that BC's clock says has expired
    bc = await make_client()
    await bc.master.companies()
    sim.clock.advance(sim.config.token_lifetime_seconds + 60)
    # WHEN the client calls again
    await bc.master.companies()
    # THEN BC refused the old token once, and one new token made the call succeed
    assert anonymous(sim, COMPANIES) == {"401": 1}
    assert requests_to(sim, COMPANIES)["statuses"] == {"200": 2}
    assert token_requests(sim) == {"200": 2}
    assert bc.http.tokens.refreshes == 1


async def test_a_wrong_secret_is_access_denied_without_the_identity_providers_message(
    sim: BcSim, make_client: ClientFactory
) -> None:
    bc = await make_client(bc_client_secret="not-the-secret")
    with pytest.raises(BcAccessDenied) as raised:
        await bc.master.companies()
    assert raised.value.exception_type == "BC_ACCESS_DENIED"
    assert "AADSTS" not in str(raised.value)
    assert requests_to(sim, COMPANIES)["requests"] == 0


async def test_a_token_endpoint_hiccup_is_retried_by_azure_identity(
    sim: BcSim, make_client: ClientFactory
) -> None:
    sim.faults.set(
        FaultPlan(
            rules=[
                FaultRule(method="POST", path="*/oauth2/v2.0/token", error_rate=1, error_status=500, times=1)
            ]
        )
    )
    bc = await make_client()
    assert len(await bc.master.companies()) == 1
    assert token_requests(sim) == {"500": 1, "200": 1}


@pytest.fixture(scope="module")
async def certificate_sim(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[tuple[BcSim, Path]]:
    folder = tmp_path_factory.mktemp("bc-cert")
    certificate = ensure_client_certificate(folder)
    config = BcSimConfig(tls_dir=folder / "tls", client_certificate_file=certificate.cert_file)
    async with serve_bc_sim(config) as sim:
        yield sim, certificate.pem_file


async def test_a_certificate_credential_gets_a_token_without_any_secret(
    certificate_sim: tuple[BcSim, Path],
) -> None:
    sim, pem = certificate_sim
    seed(sim, items=1)
    async with client_for(sim, bc_client_secret=None, bc_client_certificate_path=str(pem)) as bc:
        assert len([i async for i in bc.master.iter_items()]) == 1
    assert token_requests(sim) == {"200": 1}
