"""A scripted Scend for unit tests: each request takes the next step of a script, and is recorded."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from shared.retry import Backoff
from shared.scend.http import ApiKeySource
from shared.scend.models import Address, OrderLineRequest, OrderRequest
from shared.scend.rest import ContractRestAdapter
from tests import scripted

BASE_URL = "https://tenant.api.scend.example/v1"
API_KEY = "unit-test-key"
NOW = datetime(2026, 11, 27, 9, 30, tzinfo=UTC)


def ok(body: Any, status: int = 200, **headers: str) -> httpx.Response:
    return httpx.Response(status, json=body, headers=headers)


def problem(status: int, code: str | None = None, **fields: Any) -> httpx.Response:
    body = {"type": "https://scend.example/errors/x", "title": "x", "status": status, "request_id": "req-1"}
    if code:
        body["code"] = code
    headers = {k: str(v) for k, v in fields.pop("headers", {}).items()}
    return httpx.Response(
        status, json=body | fields, headers={"content-type": "application/problem+json", **headers}
    )


def timeout() -> httpx.ReadTimeout:
    return httpx.ReadTimeout("timed out")


@dataclass
class Script(scripted.Script):
    """The scripted peer, with views of what reached Scend."""

    @property
    def sent(self) -> list[str]:
        """Each request as `METHOD /path?query`, relative to the base URL."""
        prefix = httpx.URL(BASE_URL).path
        out = []
        for r in self.requests:
            path = r.url.path.removeprefix(prefix)
            out.append(f"{r.method} {path}" + (f"?{r.url.query.decode()}" if r.url.query else ""))
        return out

    def keys(self, method: str = "POST") -> list[str | None]:
        return [r.headers.get("Idempotency-Key") for r in self.requests if r.method == method]

    def body(self, index: int) -> Any:
        return json.loads(self.requests[index].content)


@dataclass
class Sleeps:
    """An injected sleep and monotonic clock: sleeping records the wait and moves the clock on."""

    calls: list[float] = field(default_factory=list)
    now: float = 1000.0

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        self.now += seconds

    def monotonic(self) -> float:
        return self.now


def make_adapter(
    script: Script,
    *,
    sleeps: Sleeps | None = None,
    api_key: str | ApiKeySource = API_KEY,
    secrets: list[str] | None = None,
    backoff: Backoff | None = None,
    page_size: int = 100,
) -> ContractRestAdapter:
    sleeps = sleeps or Sleeps()
    return ContractRestAdapter(
        BASE_URL,
        api_key,
        secrets or ["whsec_" + "dGVzdC1zZWNyZXQtb25l"],
        requests_per_minute=10_000,
        page_size=page_size,
        backoff=backoff,
        transport=httpx.MockTransport(script),
        sleep=sleeps,
        monotonic=sleeps.monotonic,
        clock=lambda: NOW,
        rng=random.Random(7),
    )


def order_request(ref: str = "SO-1042-R1") -> OrderRequest:
    return OrderRequest(
        client_reference=ref,
        order_date=NOW.date(),
        service_code="RM48",
        ship_to=Address(
            name="Ada Lovelace",
            line1="1 Analytical Row",
            city="London",
            postcode="SW1A 1AA",
            country_code="GB",
            email="ada@example.com",
            phone="+44 20 7946 0000",
        ),
        lines=[OrderLineRequest(line_ref="10000", sku="1000-BLU", quantity=2)],
    )


def order_json(ref: str = "SO-1042-R1", order_id: str = "ord_1", status: str = "received") -> dict[str, Any]:
    return {
        "id": order_id,
        "client_reference": ref,
        "status": status,
        "lines": [{"line_ref": "10000", "sku": "1000-BLU", "qty_ordered": 2}],
    }


def listing(*records: dict[str, Any]) -> dict[str, Any]:
    return {"data": list(records), "next_cursor": None}
