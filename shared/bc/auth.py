"""Tokens for Business Central: client credentials (secret or certificate) through azure-identity.

azure-identity caches each token and renews it before it expires. A 401 from BC with a token that
has not expired (revoked, or permissions changed) needs a token the cache will not hand out, so
`refresh` replaces the credential, and with it the cache.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from azure.core.credentials_async import AsyncTokenCredential
from azure.core.exceptions import ClientAuthenticationError, ServiceRequestError, ServiceResponseError
from azure.identity.aio import CertificateCredential, ClientSecretCredential

from shared.bc.errors import BcAccessDenied
from shared.errors import TransientError
from shared.settings import Settings

CredentialFactory = Callable[[], AsyncTokenCredential]


BC_SCOPE = "https://api.businesscentral.dynamics.com/.default"
"""The scope of every BC token, online and on-premises alike: an on-premises server with Entra S2S
lists `https://api.businesscentral.dynamics.com` in `ValidAudiences` (reference §1.3), so the
audience does not follow the API's host."""


def credential_factory(settings: Settings) -> CredentialFactory:
    """Makes the app registration's credential: the certificate when one is configured, else the secret.

    azure-identity accepts only an https authority; `BC_CA_FILE` lets it trust a private CA (an
    on-premises identity provider, the local simulator) through the transport's `connection_verify`.
    """
    options: dict[str, object] = {"authority": str(settings.bc_authority_host).rstrip("/")}
    if settings.bc_ca_file:
        options["connection_verify"] = settings.bc_ca_file
    tenant, client_id = settings.bc_tenant_id, settings.bc_client_id
    certificate = settings.bc_client_certificate_path
    password = settings.bc_client_certificate_password
    secret = settings.bc_client_secret

    def make() -> AsyncTokenCredential:
        if certificate:
            return CertificateCredential(
                tenant,
                client_id,
                certificate_path=certificate,
                password=password.get_secret_value() if password else None,
                **options,
            )
        assert secret is not None  # Settings requires a secret or a certificate
        return ClientSecretCredential(tenant, client_id, secret.get_secret_value(), **options)

    return make


class TokenSource:
    """The bearer token for every request of one client; one credential at a time."""

    def __init__(
        self, make_credential: CredentialFactory, scope: str = BC_SCOPE, *, owns_credentials: bool = True
    ) -> None:
        self._make = make_credential
        self._scope = scope
        self._owns = owns_credentials
        self._credential = make_credential()
        self._retired: list[AsyncTokenCredential] = []
        self._lock = asyncio.Lock()
        self.refreshes = 0

    @classmethod
    def of(cls, credential: AsyncTokenCredential, scope: str = BC_SCOPE) -> TokenSource:
        """A source over a credential the caller owns (tests, a shared credential): never closed here."""
        return cls(lambda: credential, scope, owns_credentials=False)

    async def token(self) -> str:
        # One caller at a time: five first requests would otherwise make five token requests.
        async with self._lock:
            return await self._get()

    async def refresh(self, rejected: str) -> str:
        """A token other than `rejected`, unless another request already replaced it.

        Race it prevents: five requests get 401 with the same token; each would replace the
        credential and fetch a token, five token requests where one does. The first replaces it;
        the others see the token has changed and use the new one.
        """
        async with self._lock:
            current = await self._get()
            if current != rejected:
                return current
            self._retired.append(self._credential)  # closed at the end: a request may be using it
            self._credential = self._make()
            self.refreshes += 1
            return await self._get()

    async def close(self) -> None:
        if self._owns:
            for credential in [*self._retired, self._credential]:
                await credential.close()

    async def _get(self) -> str:
        try:
            return (await self._credential.get_token(self._scope)).token
        except ClientAuthenticationError as error:
            status = error.status_code
            if status is not None and (status == 429 or status >= 500):
                raise TransientError(f"token request → HTTP {status}") from None
            raise BcAccessDenied("token request", status, None) from None
        except (ServiceRequestError, ServiceResponseError) as error:
            raise TransientError(f"token request failed: {type(error).__name__}") from None
