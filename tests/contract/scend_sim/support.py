"""Helpers of the Scend simulator's tests: a movable real-time clock, request bodies, a webhook
receiver on loopback, and an independent check of webhook signatures."""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from local.scend_sim import RealTime, ScendSim
from local.serving import LoopbackServer

START = "2026-01-05T08:00:00Z"
_keys = itertools.count(1)


class FakeTime:
    """Real time that only moves when a test (or an injected sleep) moves it."""

    def __init__(self) -> None:
        self.now = 1_000.0
        self.wall_now = 1_767_600_000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def wall(self) -> float:
        return self.wall_now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.advance(seconds)

    def advance(self, seconds: float) -> None:
        self.now += seconds
        self.wall_now += seconds

    def real_time(self) -> RealTime:
        return RealTime(monotonic=self.monotonic, wall=self.wall, sleep=self.sleep)


def key() -> dict[str, str]:
    """A fresh Idempotency-Key header."""
    return {"Idempotency-Key": f"test-{next(_keys)}"}


def order_body(
    reference: str, *lines: tuple[str, str, int], service: str = "RM_TRACKED_48"
) -> dict[str, Any]:
    return {
        "client_reference": reference,
        "order_date": "2026-01-05",
        "service_code": service,
        "ship_to": {
            "name": "Ada Lovelace",
            "line1": "1 Market Street",
            "city": "Leeds",
            "postcode": "LS1 6AA",
            "country_code": "GB",
        },
        "lines": [{"line_ref": ref, "sku": sku, "quantity": qty} for ref, sku, qty in lines],
    }


def asn_body(
    reference: str, *lines: tuple[str, str, int], expected_at: str = "2026-01-05T10:00:00Z"
) -> dict[str, Any]:
    return {
        "client_reference": reference,
        "supplier": "Northern Knitwear Ltd",
        "expected_at": expected_at,
        "lines": [{"line_ref": ref, "sku": sku, "qty_expected": qty} for ref, sku, qty in lines],
    }


def expected_signature(secret: str, webhook_id: str, timestamp: str, body: bytes) -> str:
    """Standard Webhooks, computed here from scratch: the key is the base64 after `whsec_`."""
    key_bytes = base64.b64decode(secret.split("_", 1)[1])
    digest = hmac.new(key_bytes, f"{webhook_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes

    @property
    def id(self) -> str:
        return self.headers["scend-webhook-id"]

    @property
    def type(self) -> str:
        return self.headers["scend-event-type"]


@dataclass
class Receiver:
    """A webhook endpoint that records every delivery and answers `statuses` in turn (then 204)."""

    url: str = ""
    received: list[Received] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)

    def types(self) -> list[str]:
        return [r.type for r in self.received]


class Receivers:
    """One loopback server for every test's webhook endpoint (`/hook/<n>`)."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.by_name: dict[str, Receiver] = {}

    def new(self) -> Receiver:
        name = str(len(self.by_name) + 1)
        receiver = self.by_name[name] = Receiver(url=f"{self.base_url}/hook/{name}")
        return receiver

    @classmethod
    @asynccontextmanager
    async def serve(cls) -> AsyncIterator[Receivers]:
        server = LoopbackServer()
        server.bind()
        receivers = cls(server.base_url)

        async def hook(request: Request) -> Response:
            receiver = receivers.by_name[request.path_params["name"]]
            receiver.received.append(Received(dict(request.headers), await request.body()))
            return Response(status_code=receiver.statuses.pop(0) if receiver.statuses else 204)

        await server.start(Starlette(routes=[Route("/hook/{name}", hook, methods=["POST"])]))
        try:
            yield receivers
        finally:
            await server.stop()


@asynccontextmanager
async def clients(sim: ScendSim) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    """(API client with the bearer key, control-surface client) for a simulator of a test's own."""
    headers = {"Authorization": f"Bearer {sim.api_key}"}
    async with (
        httpx.AsyncClient(base_url=sim.base_url, headers=headers, trust_env=False) as api,
        httpx.AsyncClient(base_url=sim.control_url, trust_env=False) as control,
    ):
        yield api, control


async def ok(response: httpx.Response, status: int = 200) -> Any:
    """The JSON body, after checking the status (the body is in the message when it differs)."""
    assert response.status_code == status, response.text
    return response.json() if response.content else None
