"""Tokens: the app registration's credential from settings, one refresh for many 401s, errors classified."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from azure.core.exceptions import ClientAuthenticationError, ServiceRequestError
from azure.identity.aio import CertificateCredential, ClientSecretCredential

from shared.bc.auth import BC_SCOPE, TokenSource, credential_factory
from shared.bc.errors import BcAccessDenied
from shared.errors import TransientError
from shared.settings import Settings
from tests.unit.bc.support import Credentials

EXAMPLE = Path(__file__).resolve().parents[3] / "local.settings.example.json"


def settings(**overrides: Any) -> Settings:
    values = {k.lower(): v for k, v in json.loads(EXAMPLE.read_text())["Values"].items() if v != ""}
    values.update(
        bc_api_base_url="https://api.businesscentral.dynamics.com",
        bc_authority_host="https://login.microsoftonline.com",
    )
    values.update(overrides)
    return Settings.model_validate(values)


async def test_without_a_certificate_the_secret_is_used() -> None:
    # (that the CA is really trusted is shown against the simulator in tests/contract/bc)
    credential = credential_factory(settings(bc_ca_file="/etc/bc/ca.pem"))()
    try:
        assert isinstance(credential, ClientSecretCredential)
    finally:
        await credential.close()


async def test_a_certificate_is_preferred_to_a_secret(tmp_path: Path) -> None:
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bc-client")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    pem = tmp_path / "bc.pem"  # key and certificate, as azure-identity reads them
    pem.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        + cert.public_bytes(serialization.Encoding.PEM)
    )
    credential = credential_factory(settings(bc_client_certificate_path=str(pem)))()
    try:
        assert isinstance(credential, CertificateCredential)
    finally:
        await credential.close()


async def test_many_401s_with_one_token_make_one_refresh() -> None:
    credentials = Credentials()
    tokens = TokenSource(credentials)
    rejected = await tokens.token()
    fresh = await asyncio.gather(*(tokens.refresh(rejected) for _ in range(5)))
    assert fresh == ["token-2"] * 5
    assert tokens.refreshes == 1
    assert credentials.made[0].scopes == (BC_SCOPE,)
    await tokens.close()
    assert all(c.closed for c in credentials.made)


class Refusing:
    def __init__(self, error: Exception) -> None:
        self.error = error

    async def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        raise self.error

    async def close(self) -> None:
        return None


class _Response:
    def __init__(self, status: int) -> None:
        self.status_code = status
        self.reason = "x"
        self.headers: dict[str, str] = {}

    def text(self) -> str:
        return ""


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (
            ClientAuthenticationError("AADSTS7000215: Invalid client secret", response=_Response(401)),
            BcAccessDenied,
        ),
        (ClientAuthenticationError("server", response=_Response(503)), TransientError),
        (ServiceRequestError("no route"), TransientError),
    ],
)
async def test_token_failures_are_classified_without_quoting_the_identity_providers_message(
    error: Exception, expected: type[Exception]
) -> None:
    tokens = TokenSource.of(Refusing(error))  # type: ignore[arg-type]
    with pytest.raises(expected) as raised:
        await tokens.token()
    assert "AADSTS" not in str(raised.value)


def test_an_http_authority_is_refused_by_azure_identity() -> None:
    """Why the simulator serves TLS and BC_CA_FILE exists: azure-identity insists on https."""
    with pytest.raises(ValueError, match="https"):
        credential_factory(settings(bc_authority_host="http://127.0.0.1:7101"))()
