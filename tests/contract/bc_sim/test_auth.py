"""The Entra stand-in: client-credentials tokens (secret or certificate assertion), Entra-shaped
errors, 401 on API routes for missing, forged or expired tokens, and azure-identity over HTTPS."""

from __future__ import annotations

import asyncio
import base64
import json
import ssl
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from azure.core.exceptions import ClientAuthenticationError
from azure.identity import CertificateCredential, ClientSecretCredential
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from local.bc_sim import BcSim
from local.certs import ClientCertificate, ensure_client_certificate
from tests.contract.bc_sim.conftest import SimFactory
from tests.contract.bc_sim.support import assert_error


def _form(sim: BcSim, **overrides: str) -> dict[str, str]:
    return {
        "grant_type": "client_credentials",
        "client_id": sim.config.client_id,
        "client_secret": sim.config.client_secret,
        "scope": sim.config.scope,
    } | overrides


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _assertion(key: rsa.RSAPrivateKey, claims: dict[str, Any]) -> str:
    signing_input = (
        _b64(json.dumps({"alg": "RS256", "typ": "JWT"}).encode()) + "." + _b64(json.dumps(claims).encode())
    )
    return signing_input + "." + _b64(key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256()))


async def test_a_client_secret_buys_an_expiring_token_that_opens_the_api(sim: BcSim) -> None:
    async with httpx.AsyncClient() as client:
        reply = await client.post(sim.token_url, data=_form(sim))
        token = reply.json()
        items = await client.get(
            f"{sim.company_url}/items", headers={"Authorization": f"Bearer {token['access_token']}"}
        )
    assert (reply.status_code, token["token_type"], token["expires_in"]) == (200, "Bearer", 3599)
    assert items.status_code == 200


@pytest.mark.parametrize(
    ("overrides", "status", "error", "code"),
    [
        ({"client_secret": "wrong"}, 401, "invalid_client", 7000215),
        ({"client_id": "11111111-2222-3333-4444-555555555555"}, 400, "unauthorized_client", 700016),
        ({"scope": "https://graph.microsoft.com/.default"}, 400, "invalid_scope", 1002012),
        ({"scope": ""}, 400, "invalid_request", 90014),
        ({"grant_type": "password"}, 400, "unsupported_grant_type", 70003),
    ],
    ids=["bad-secret", "unknown-client", "wrong-scope", "no-scope", "wrong-grant"],
)
async def test_bad_token_requests_get_entra_shaped_errors(
    sim: BcSim, overrides: dict[str, str], status: int, error: str, code: int
) -> None:
    async with httpx.AsyncClient() as client:
        reply = await client.post(sim.token_url, data=_form(sim, **overrides))
    body = reply.json()
    assert (reply.status_code, body["error"], body["error_codes"]) == (status, error, [code])
    assert body["error_description"].startswith(f"AADSTS{code}: ")
    assert {"timestamp", "trace_id", "correlation_id"} <= set(body)


async def test_api_routes_refuse_missing_forged_and_expired_tokens(sim: BcSim) -> None:
    async with httpx.AsyncClient() as client:
        token = (await client.post(sim.token_url, data=_form(sim))).json()["access_token"]
        forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
        url = f"{sim.company_url}/items"
        missing = await client.get(url)
        bad = await client.get(url, headers={"Authorization": f"Bearer {forged}"})
        sim.clock.advance(3598)
        still_valid = await client.get(url, headers={"Authorization": f"Bearer {token}"})
        sim.clock.advance(2)
        expired = await client.get(url, headers={"Authorization": f"Bearer {token}"})
    for reply in (missing, bad, expired):
        assert_error(reply, 401, "Authentication_InvalidCredentials")
        assert reply.headers["WWW-Authenticate"].startswith('Bearer authorization_uri="')
    assert "expired" in expired.json()["error"]["message"]
    assert still_valid.status_code == 200
    assert sim.statistics()["principals"]["anonymous"]["routes"]["GET /api/v2.0/companies({id})/items"][
        "statuses"
    ] == {"401": 3}


@pytest.fixture
def certificate(tmp_path: Path) -> ClientCertificate:
    return ensure_client_certificate(tmp_path)


async def test_a_certificate_assertion_is_checked_against_the_configured_certificate(
    make_sim: SimFactory, certificate: ClientCertificate
) -> None:
    # GIVEN a simulator that knows the client's certificate
    sim = await make_sim(client_certificate_file=certificate.cert_file)
    own_key = serialization.load_pem_private_key(certificate.pem_file.read_bytes(), password=None)
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert isinstance(own_key, rsa.RSAPrivateKey)
    now = int(sim.clock.timestamp())
    claims = {
        "aud": sim.token_url,
        "iss": sim.config.client_id,
        "sub": sim.config.client_id,
        "jti": "1",
        "nbf": now,
        "exp": now + 600,
    }

    async def ask(assertion: str) -> httpx.Response:
        form = {
            "grant_type": "client_credentials",
            "scope": sim.config.scope,
            "client_assertion": assertion,
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        }
        async with httpx.AsyncClient() as client:
            return await client.post(sim.token_url, data=form)

    # WHEN assertions signed by its key, by another key, and expired ones arrive
    good = await ask(_assertion(own_key, claims))
    foreign = await ask(_assertion(other_key, claims))
    stale = await ask(_assertion(own_key, claims | {"exp": now - 3600}))
    elsewhere = await ask(_assertion(own_key, claims | {"aud": "https://login.example/token"}))
    # THEN only the first gets a token
    assert (good.status_code, good.json()["token_type"]) == (200, "Bearer")
    assert [(r.status_code, r.json()["error_codes"]) for r in (foreign, stale, elsewhere)] == [
        (401, [700027]),
        (401, [700024]),
        (401, [700212]),
    ]


async def test_azure_identity_gets_tokens_over_https_with_secret_and_certificate(
    make_sim: SimFactory, tmp_path: Path, certificate: ClientCertificate
) -> None:
    # GIVEN the simulator on HTTPS (azure-identity refuses an http authority), its CA trusted
    sim = await make_sim(tls_dir=tmp_path / "tls", client_certificate_file=certificate.cert_file)
    assert sim.base_url.startswith("https://127.0.0.1:")
    assert sim.ca_file is not None
    common: dict[str, Any] = {
        "authority": sim.base_url,
        "disable_instance_discovery": True,
        "connection_verify": str(sim.ca_file),
    }
    config = sim.config

    def tokens() -> tuple[str, str, str]:
        secret = ClientSecretCredential(config.tenant, config.client_id, config.client_secret, **common)
        cert = CertificateCredential(config.tenant, config.client_id, str(certificate.pem_file), **common)
        wrong = ClientSecretCredential(config.tenant, config.client_id, "wrong", **common)
        try:
            wrong.get_token(config.scope)
            refused = ""
        except ClientAuthenticationError as error:
            refused = str(error)
        return secret.get_token(config.scope).token, cert.get_token(config.scope).token, refused

    # WHEN azure-identity's credentials ask for BC's scope (sync credentials, so off the event loop)
    by_secret, by_certificate, refused = await asyncio.to_thread(tokens)
    # THEN both tokens open the API over TLS, and a bad secret surfaces Entra's AADSTS code
    async with httpx.AsyncClient(verify=ssl.create_default_context(cafile=str(sim.ca_file))) as client:
        for token in (by_secret, by_certificate):
            reply = await client.get(f"{sim.company_url}/items", headers={"Authorization": f"Bearer {token}"})
            assert reply.status_code == 200
    assert "AADSTS7000215" in refused


async def test_each_service_principal_is_its_own_principal(make_sim: SimFactory) -> None:
    sim = await make_sim(extra_clients={"22222222-0000-4000-8000-000000000002": "second-secret"})
    async with httpx.AsyncClient() as client:
        second = (
            await client.post(
                sim.token_url,
                data=_form(
                    sim, client_id="22222222-0000-4000-8000-000000000002", client_secret="second-secret"
                ),
            )
        ).json()
        await client.get(
            f"{sim.company_url}/items", headers={"Authorization": f"Bearer {second['access_token']}"}
        )
        await client.get(
            f"{sim.company_url}/items", headers={"Authorization": f"Bearer {sim.access_token()}"}
        )
    principals = sim.statistics()["principals"]
    assert {p: principals[p]["requests"] for p in principals if p != "anonymous"} == {
        "22222222-0000-4000-8000-000000000002": 1,
        sim.config.client_id: 1,
    }


def test_tokens_are_jwts_naming_the_app_and_tenant(tmp_path: Path) -> None:
    sim = BcSim()
    payload = sim.access_token().split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert (claims["appid"], claims["tid"], claims["aud"]) == (
        sim.config.client_id,
        sim.config.tenant,
        "https://api.businesscentral.dynamics.com",
    )
    assert abs(claims["exp"] - time.time() - 3599) < 5
