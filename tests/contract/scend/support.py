"""Helpers for the adapter's contract tests: one movable clock for both sides, request builders,
and a webhook receiver on loopback."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from pydantic import BaseModel
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from local.scend_sim import RealTime, ScendSim
from local.serving import LoopbackServer
from shared.scend.models import (
    Address,
    AsnLineRequest,
    AsnRequest,
    Barcode,
    Dimensions,
    FeedPage,
    OrderLineRequest,
    OrderRequest,
    Product,
)

SERVICE = "RM_TRACKED_48"


class SharedTime:
    """The clock both sides read: the simulator's limiter and webhook timestamps, the adapter's
    waits and signature checks. A wait (Retry-After, backoff) moves it at once; nothing sleeps.

    Latency faults still sleep for real (the simulator's `sleep` is asyncio's), so a slow answer
    really is slower than the adapter's timeout.
    """

    def __init__(self) -> None:
        self.offset = 0.0
        self._wall = datetime.now(UTC).timestamp()
        self.waits: list[float] = []

    def monotonic(self) -> float:
        return 1_000.0 + self.offset

    def wall(self) -> float:
        return self._wall + self.offset

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.wall(), UTC)

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.offset += seconds
        await asyncio.sleep(0)

    def for_simulator(self) -> RealTime:
        return RealTime(monotonic=self.monotonic, wall=self.wall, sleep=asyncio.sleep)


def product(sku: str) -> Product:
    return Product(
        sku=sku,
        description=f"Mug {sku}",
        barcodes=[Barcode(type="EAN13", value="5012345678900")],
        weight_kg=0.4,
        dims_cm=Dimensions(l=10, w=10, h=12),
    )


def order(
    reference: str, *lines: tuple[str, int], service: str = SERVICE, postcode: str = "SW1A 1AA"
) -> OrderRequest:
    return OrderRequest(
        client_reference=reference,
        order_date=date(2026, 11, 27),
        service_code=service,
        ship_to=Address(
            name="Ada Lovelace",
            line1="1 Analytical Row",
            city="London",
            postcode=postcode,
            country_code="GB",
            email="ada@example.com",
        ),
        lines=[
            OrderLineRequest(line_ref=str(10000 * (i + 1)), sku=sku, quantity=qty)
            for i, (sku, qty) in enumerate(lines or (("MUG-1", 1),))
        ],
    )


def asn(reference: str, sku: str = "MUG-1", qty: int = 10, *, expected_at: datetime) -> AsnRequest:
    return AsnRequest(
        client_reference=reference,
        supplier="Mugs Ltd",
        expected_at=expected_at,
        lines=[AsnLineRequest(line_ref="10000", sku=sku, qty_expected=qty)],
    )


def later(sim: ScendSim, minutes: int) -> datetime:
    return sim.state.now() + timedelta(minutes=minutes)


def route(sim: ScendSim, key: str) -> dict[str, int]:
    """Requests, statuses and faults the simulator saw on one route (`POST /v1/orders`)."""
    stats = sim.stats.routes.get(key)
    if stats is None:
        return {"requests": 0}
    return {"requests": stats.requests, **{f"status {k}": v for k, v in stats.statuses.items()},
            **{f"fault {k}": v for k, v in stats.faults.items()}, "replays": stats.replays}  # fmt: skip


def held(sim: ScendSim, resource: str = "orders") -> dict[str, int]:
    """How many records the simulator holds per client_reference."""
    report = sim.stats.report(sim.state)["resources"][resource]
    return dict(report["by_client_reference"])


async def read_feed[T: BaseModel](pages: AsyncIterator[FeedPage[T]]) -> tuple[list[T], str | None]:
    """Every record to the head, and the cursor a poller would save."""
    records: list[T] = []
    cursor = None
    async for page in pages:
        records.extend(page.records)
        cursor = page.next_cursor
    return records, cursor


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """A webhook endpoint on loopback that keeps every request as it arrived (raw bytes)."""

    url: str = ""
    requests: list[Received] = field(default_factory=list)


@asynccontextmanager
async def webhook_receiver() -> AsyncIterator[Receiver]:
    receiver = Receiver()

    async def intake(request: Request) -> Response:
        receiver.requests.append(Received(dict(request.headers), await request.body()))
        return Response(status_code=204)

    server = LoopbackServer()
    await server.start(Starlette(routes=[Route("/hook", intake, methods=["POST"])]))
    receiver.url = server.base_url + "/hook"
    try:
        yield receiver
    finally:
        await server.stop()
