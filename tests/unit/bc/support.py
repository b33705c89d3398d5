"""A scripted Business Central for unit tests: each request takes the next step, and is recorded."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any
from uuid import UUID

import httpx
from azure.core.credentials import AccessToken

from shared.bc.auth import TokenSource
from shared.bc.client import BcClient, build_client
from shared.ratelimit import RequestBudget
from shared.retry import Backoff
from tests.scripted import Script

BASE_URL = "https://bc.test"
TENANT = "tenant-1"
ENVIRONMENT = "sandbox"
COMPANY = "1f2e3d4c-5b6a-4789-9abc-def012345678"
ROOT = f"{BASE_URL}/v2.0/{TENANT}/{ENVIRONMENT}/api/v2.0"
COMPANY_ROOT = f"{ROOT}/companies({COMPANY})"
ORDER_ID = UUID("6a1b2c3d-0000-4000-8000-000000000001")
LINE_ID = UUID("6a1b2c3d-0000-4000-8000-0000000000a1")


def ok(body: Any = None, status: int = 200, **headers: str) -> httpx.Response:
    if body is None:
        return httpx.Response(204 if status == 200 else status, headers=headers)
    return httpx.Response(status, json=body, headers=headers)


def bc_error(
    status: int, code: str, message: str = "Customer Ada Lovelace is blocked.", **headers: str
) -> httpx.Response:
    return httpx.Response(status, json={"error": {"code": code, "message": message}}, headers=headers)


class FakeCredential:
    """An AsyncTokenCredential that always hands out one token."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.calls = 0
        self.closed = False

    async def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        self.calls += 1
        self.scopes = scopes
        return AccessToken(self.token, 9_999_999_999)

    async def close(self) -> None:
        self.closed = True

    async def __aenter__(self) -> FakeCredential:
        return self

    async def __aexit__(self, *args: object) -> None:
        await self.close()


class Credentials:
    """A credential factory: each credential it makes hands out the next token (token-1, token-2, …)."""

    def __init__(self) -> None:
        self.made: list[FakeCredential] = []

    def __call__(self) -> FakeCredential:
        self.made.append(FakeCredential(f"token-{len(self.made) + 1}"))
        return self.made[-1]


class Sleeps:
    """An injected sleep: records each pause instead of waiting."""

    def __init__(self) -> None:
        self.pauses: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.pauses.append(seconds)


class Unlimited:
    async def take(self) -> None:
        return None


def a_client(
    script: Script | Callable[[httpx.Request], Any],
    *,
    sleeps: Sleeps | None = None,
    tokens: TokenSource | None = None,
    budget: RequestBudget | None = None,
    backoff: Backoff | None = None,
    page_size: int = 1000,
) -> BcClient:
    return build_client(
        base_url=BASE_URL,
        tenant=TENANT,
        environment=ENVIRONMENT,
        company_id=COMPANY,
        tokens=tokens or TokenSource(Credentials()),
        transport=httpx.MockTransport(script),
        budget=budget or Unlimited(),
        backoff=backoff or Backoff(attempts=4, base_seconds=1.0, max_seconds=8.0, max_wait_seconds=30.0),
        sleep=sleeps or Sleeps(),
        rng=random.Random(1),
        page_size=page_size,
    )


def sales_order(**fields: Any) -> dict[str, Any]:
    return {
        "@odata.etag": 'W/"JzE7Jw=="',
        "id": str(ORDER_ID),
        "number": "SO1001",
        "status": "Open",
        "customerName": "Ada Lovelace",
        "lastModifiedDateTime": "2026-11-27T09:00:00.000Z",
        **fields,
    }


def order_line(line_id: UUID = LINE_ID, sequence: int = 10000, **fields: Any) -> dict[str, Any]:
    return {
        "@odata.etag": f'W/"line-{sequence}"',
        "id": str(line_id),
        "documentId": str(ORDER_ID),
        "sequence": sequence,
        "lineType": "Item",
        "lineObjectNumber": "1000-BLU",
        "quantity": 3,
        "shipQuantity": 0,
        "invoiceQuantity": 0,
        **fields,
    }
