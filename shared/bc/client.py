"""The Business Central client the flows use: one company, every typed operation, built from settings.

    async with client_from_settings(get_settings()) as bc:
        async for order in bc.sales.iter_released_orders(changed_since=watermark):
            ...

Areas: `master` (items, customers, locations, shipment methods, ledger), `sales`, `purchasing`,
`subscriptions` (webhooks), `warehouse` (the companion extension's actions), and `api` for
anything else (typed get/iterate/create/update/delete/action/batch).
"""

from __future__ import annotations

import asyncio
import random
import ssl
from collections.abc import Awaitable, Callable
from types import TracebackType
from uuid import UUID

import httpx
from azure.core.credentials_async import AsyncTokenCredential

from shared.bc.api import EXTENSION_ROUTE, STANDARD_ROUTE, BcApi, service_root
from shared.bc.auth import TokenSource, credential_factory
from shared.bc.extension import WarehouseExtension
from shared.bc.http import BcHttp
from shared.bc.limits import WINDOW_SECONDS, Limiter
from shared.bc.master import MasterData
from shared.bc.purchasing import Purchasing
from shared.bc.sales import Sales
from shared.bc.webhooks import Subscriptions
from shared.ratelimit import RequestBudget, SlidingWindowBudget
from shared.retry import Backoff
from shared.settings import Settings

CONNECT_TIMEOUT_SECONDS = 10.0


class BcClient:
    """One company of one BC environment; close it (or use `async with`) to release the connections."""

    def __init__(self, http: BcHttp, api: BcApi, extension_api: BcApi) -> None:
        self.http = http
        self.api = api
        self.master = MasterData(api)
        self.sales = Sales(api)
        self.purchasing = Purchasing(api)
        self.subscriptions = Subscriptions(api)
        self.warehouse = WarehouseExtension(extension_api)

    async def close(self) -> None:
        await self.http.close()

    async def __aenter__(self) -> BcClient:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        await self.close()


def build_client(
    *,
    base_url: str,
    tenant: str,
    environment: str,
    company_id: UUID | str,
    tokens: TokenSource,
    ca_file: str | None = None,
    timeout_seconds: float = 120.0,
    max_concurrent: int = 5,
    requests_per_5_minutes: int = 6000,
    page_size: int = 1000,
    budget: RequestBudget | None = None,
    backoff: Backoff | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    rng: random.Random | None = None,
) -> BcClient:
    """A client over explicit parts; tests inject the transport, budget, backoff, sleep and rng."""
    verify: ssl.SSLContext | bool = ssl.create_default_context(cafile=ca_file) if ca_file else True
    client = httpx.AsyncClient(
        verify=verify,
        timeout=httpx.Timeout(timeout_seconds, connect=min(CONNECT_TIMEOUT_SECONDS, timeout_seconds)),
        limits=httpx.Limits(max_connections=max_concurrent, max_keepalive_connections=max_concurrent),
        transport=transport,
    )
    budget = budget or SlidingWindowBudget(requests_per_5_minutes, WINDOW_SECONDS, name="BC request budget")
    limiter = Limiter(max_concurrent, budget)
    http = BcHttp(client, tokens, limiter, backoff=backoff, sleep=sleep, rng=rng)
    api = BcApi(
        http, service_root(base_url, tenant, environment, STANDARD_ROUTE), company_id, page_size=page_size
    )
    extension = api.on(service_root(base_url, tenant, environment, EXTENSION_ROUTE))
    return BcClient(http, api, extension)


def client_from_settings(
    settings: Settings,
    *,
    credential: AsyncTokenCredential | None = None,
    budget: RequestBudget | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    backoff: Backoff | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> BcClient:
    """The client the app uses: app registration credential (or `credential`), limits from settings."""
    tokens = (
        TokenSource.of(credential) if credential is not None else TokenSource(credential_factory(settings))
    )
    return build_client(
        base_url=str(settings.bc_api_base_url),
        tenant=settings.bc_tenant_id,
        environment=settings.bc_environment,
        company_id=settings.bc_company_id,
        tokens=tokens,
        ca_file=settings.bc_ca_file,
        timeout_seconds=settings.bc_request_timeout_seconds,
        max_concurrent=settings.bc_max_concurrent_requests,
        requests_per_5_minutes=settings.bc_requests_per_5_minutes,
        page_size=settings.bc_page_size,
        budget=budget,
        transport=transport,
        backoff=backoff,
        sleep=sleep,
    )
