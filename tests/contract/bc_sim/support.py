"""Helpers for the BC simulator's contract tests: a small named catalogue, error checks, and a
webhook receiver on loopback that answers with a scripted status."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from local.bc_sim import BcSim, BcSimConfig, SeedRequest, SimClock
from local.serving import LoopbackServer

T0 = dt.datetime(2026, 8, 3, 9, 0, tzinfo=dt.UTC)


def sim_config(**overrides: Any) -> BcSimConfig:
    """BC's limits and timings, a frozen clock, short network timeouts."""
    values: dict[str, Any] = {
        "clock": SimClock(frozen_at=T0),
        "handshake_timeout_seconds": 2.0,
        "delivery_timeout_seconds": 2.0,
        "dispatcher_interval_seconds": 0.01,
    }
    return BcSimConfig(**(values | overrides))


@dataclass(frozen=True)
class Catalogue:
    """The "small shop": two items, one customer, one vendor, location SCEND, method NEXTDAY."""

    item_a: dict[str, Any]
    item_b: dict[str, Any]
    customer: dict[str, Any]
    vendor: dict[str, Any]
    location: dict[str, Any]
    method: dict[str, Any]


def small_shop(sim: BcSim) -> Catalogue:
    sim.seed(
        SeedRequest(
            items=0,
            customers=0,
            vendors=0,
            locations=0,
            shipment_methods=0,
            released_sales_orders=0,
            draft_sales_orders=0,
            released_purchase_orders=0,
            opening_stock=0,
            entities={
                "locations": [{"code": "SCEND", "displayName": "Scend fulfilment centre"}],
                "shipmentMethods": [{"code": "NEXTDAY", "displayName": "Next day"}],
                "items": [
                    {
                        "number": "1000-BLU",
                        "displayName": "Blue T-Shirt",
                        "unitPrice": 10,
                        "unitCost": 4,
                        "stock": {"SCEND": 50},
                    },
                    {"number": "2000-RED", "displayName": "Red Cap", "unitPrice": 5, "unitCost": 2},
                ],
                "customers": [{"number": "C100", "displayName": "Adatum Ltd", "city": "Leeds"}],
                "vendors": [{"number": "V100", "displayName": "Fabrikam Supplies"}],
            },
        )
    )
    state = sim.state
    return Catalogue(
        item_a=state.find("items", "number", "1000-BLU") or {},
        item_b=state.find("items", "number", "2000-RED") or {},
        customer=state.find("customers", "number", "C100") or {},
        vendor=state.find("vendors", "number", "V100") or {},
        location=state.find("locations", "code", "SCEND") or {},
        method=state.find("shipmentMethods", "code", "NEXTDAY") or {},
    )


def sales_order(shop: Catalogue, *quantities: tuple[dict[str, Any], float], **header: Any) -> dict[str, Any]:
    lines = [
        {"itemId": item["id"], "quantity": qty, "locationId": shop.location["id"]} for item, qty in quantities
    ]
    return {"customerId": shop.customer["id"], "salesOrderLines": lines, **header}


def purchase_order(shop: Catalogue, *quantities: tuple[dict[str, Any], float]) -> dict[str, Any]:
    lines = [
        {"itemId": item["id"], "quantity": qty, "locationId": shop.location["id"]} for item, qty in quantities
    ]
    return {"vendorId": shop.vendor["id"], "purchaseOrderLines": lines}


def assert_error(reply: httpx.Response, status: int, code: str) -> str:
    """BC's error body: exactly {"error": {"code", "message"}}, the message ending in a CorrelationId."""
    body = reply.json()
    assert (reply.status_code, set(body), set(body["error"]), body["error"]["code"]) == (
        status,
        {"error"},
        {"code", "message"},
        code,
    )
    assert "  CorrelationId:  " in body["error"]["message"]
    message: str = body["error"]["message"]
    return message


@dataclass
class Receiver:
    """A notification URL: echoes validation tokens, answers notifications with `replies` in turn
    (then 200), and keeps what it received."""

    url: str = ""
    handshake_status: int = 200
    echo_token: bool = True
    replies: list[int] = field(default_factory=list)
    handshakes: list[str] = field(default_factory=list)
    notifications: list[dict[str, Any]] = field(default_factory=list)

    async def handle(self, request: Request) -> Response:
        token = request.query_params.get("validationToken")
        if token is not None:
            self.handshakes.append(token)
            return PlainTextResponse(token if self.echo_token else "nope", self.handshake_status)
        self.notifications.append(json.loads(await request.body()))
        return Response(status_code=self.replies.pop(0) if self.replies else 200)


@asynccontextmanager
async def receiver() -> AsyncIterator[Receiver]:
    target = Receiver()
    server = LoopbackServer()
    await server.start(Starlette(routes=[Route("/hook", target.handle, methods=["POST"])]))
    target.url = f"{server.base_url}/hook"
    try:
        yield target
    finally:
        await server.stop()
