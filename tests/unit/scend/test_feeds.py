"""Change feeds and the stock snapshot: pages from a cursor to the head, nothing skipped."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator
from typing import Any

import pytest
from pydantic import BaseModel

from shared.scend.models import FeedPage
from shared.scend.outcomes import UnexpectedResponse
from shared.scend.port import ScendPort
from shared.scend.rest import ContractRestAdapter
from tests.unit.scend.support import NOW, Script, make_adapter, ok, problem

T = NOW.isoformat()


def shipment(n: int) -> dict[str, Any]:
    return {
        "id": f"shp_{n}",
        "order_id": f"ord_{n}",
        "client_reference": f"SO-{n}-R1",
        "despatched_at": T,
        "carrier": "royal_mail",
        "service": "RM48",
        "is_final_for_order": True,
        "parcels": [
            {
                "parcel_id": f"p{n}",
                "tracking_number": f"TRK{n}",
                "lines": [{"line_ref": "10000", "sku": "1000-BLU", "quantity": 1}],
            }
        ],
    }


def page(records: list[dict[str, Any]], next_cursor: str, has_more: bool) -> dict[str, Any]:
    return {"data": records, "next_cursor": next_cursor, "has_more": has_more}


async def collect[T: BaseModel](pages: AsyncIterator[FeedPage[T]]) -> list[FeedPage[T]]:
    return [p async for p in pages]


async def test_a_feed_is_read_from_the_beginning_to_the_head_page_by_page() -> None:
    # GIVEN three shipments over two pages
    script = Script([ok(page([shipment(1), shipment(2)], "c2", True)), ok(page([shipment(3)], "c3", False))])
    async with make_adapter(script, page_size=2) as scend:
        pages = await collect(scend.iter_shipments())
    # THEN both pages arrive in order, each with the cursor to save after it
    assert [[s.id for s in p.records] for p in pages] == [["shp_1", "shp_2"], ["shp_3"]]
    assert [(p.next_cursor, p.has_more) for p in pages] == [("c2", True), ("c3", False)]
    assert script.sent == ["GET /shipments?limit=2", "GET /shipments?limit=2&since_cursor=c2"]
    assert pages[0].records[0].parcels[0].lines[0].quantity == 1


async def test_a_feed_with_nothing_new_gives_one_empty_page_that_keeps_the_cursor() -> None:
    script = Script([ok(page([], "c9", False))])
    async with make_adapter(script) as scend:
        pages = await collect(scend.iter_shipments("c9"))
    assert pages == [FeedPage(records=[], next_cursor="c9", has_more=False)]
    assert script.sent == ["GET /shipments?limit=100&since_cursor=c9"]


async def test_a_feed_that_claims_more_but_does_not_move_stops_instead_of_spinning() -> None:
    script = Script([ok(page([], "c9", True))])
    async with make_adapter(script) as scend:
        pages = await collect(scend.iter_shipments("c9"))
    assert len(pages) == 1
    assert len(script.requests) == 1


async def test_a_caller_that_stops_after_a_page_reads_no_further() -> None:
    # GIVEN a poller that checkpoints after the first page and stops (e.g. its time is up)
    script = Script([ok(page([shipment(1)], "c1", True))])
    async with make_adapter(script) as scend:
        first = None
        async for each in scend.iter_shipments():
            first = each
            break
    # THEN only that page was requested; it resumes from c1 next time
    assert first is not None
    assert first.next_cursor == "c1"
    assert len(script.requests) == 1


async def test_a_page_without_a_cursor_is_a_defect() -> None:
    script = Script([ok({"data": [], "next_cursor": None, "has_more": False})])
    async with make_adapter(script) as scend:
        with pytest.raises(UnexpectedResponse):
            await collect(scend.iter_shipments())


async def test_a_feed_page_is_retried_after_a_5xx() -> None:
    script = Script([problem(502), ok(page([shipment(1)], "c1", False))])
    async with make_adapter(script) as scend:
        pages = await collect(scend.iter_shipments())
    assert [p.next_cursor for p in pages] == ["c1"]


ADJUSTMENT = {
    "id": "adj_1",
    "sku": "1000-BLU",
    "quantity_delta": -2,
    "from_state": "available",
    "to_state": "damaged",
    "reason_code": "DAMAGED_IN_WAREHOUSE",
    "occurred_at": T,
}
CHANGE = {"seq": 7, "sku": "1000-BLU", "delta": -1, "on_hand_after": 41, "movement_type": "despatch"}
RECEIPT = {
    "id": "rcp_1",
    "asn_id": "asn_1",
    "asn_reference": "PO-2001",
    "received_at": T,
    "is_final": False,
    "lines": [{"line_ref": "10000", "sku": "1000-BLU", "qty_received": 40, "qty_damaged": 1}],
    "unexpected_lines": [{"sku": "2000-RED", "qty_received": 2}],
}
RETURN = {
    "id": "ret_1",
    "rma": "RMA-1",
    "order_reference": "SO-1042-R1",
    "status": "inspected",
    "lines": [{"sku": "1000-BLU", "quantity": 1, "condition": "DAMAGED", "disposition": "QUARANTINED"}],
}


@pytest.mark.parametrize(
    ("method", "route", "record", "field", "value"),
    [
        ("iter_stock_changes", "/stock/changes", CHANGE, "on_hand_after", 41),
        ("iter_adjustments", "/stock-adjustments", ADJUSTMENT, "to_state", "damaged"),
        ("iter_receipts", "/receipts", RECEIPT, "is_final", False),
        ("iter_returns", "/returns", RETURN, "status", "inspected"),
    ],
)
async def test_every_feed_reads_its_own_route_into_its_own_record(
    method: str, route: str, record: dict[str, Any], field: str, value: object
) -> None:
    script = Script([ok(page([record], "c1", False))])
    async with make_adapter(script) as scend:
        pages = await collect(getattr(scend, method)("c0"))
    assert script.sent == [f"GET {route}?limit=100&since_cursor=c0"]
    assert getattr(pages[0].records[0], field) == value


async def test_a_receipt_keeps_its_unexpected_lines() -> None:
    script = Script([ok(page([RECEIPT], "c1", False))])
    async with make_adapter(script) as scend:
        (only,) = await collect(scend.iter_receipts())
    assert [line.sku for line in only.records[0].unexpected_lines] == ["2000-RED"]


async def test_the_stock_snapshot_reads_every_page_until_the_cursor_is_null() -> None:
    level = {"sku": "1000-BLU", "on_hand": 42, "allocated": 2, "available": 40, "as_of": T}
    script = Script(
        [
            ok({"data": [level], "next_cursor": "s1"}),
            ok({"data": [level | {"sku": "2000-RED"}], "next_cursor": None}),
        ]
    )
    async with make_adapter(script) as scend:
        levels = await scend.get_stock_snapshot()
    assert [(s.sku, s.on_hand) for s in levels] == [("1000-BLU", 42), ("2000-RED", 42)]
    assert script.sent == ["GET /stock?limit=500", "GET /stock?limit=500&cursor=s1"]


def test_the_adapter_implements_every_port_method_with_the_ports_parameters() -> None:
    port_methods = {
        name: inspect.signature(member)
        for name, member in vars(ScendPort).items()
        if inspect.isfunction(member) and not name.startswith("_")
    }
    assert len(port_methods) == 16
    for name, signature in port_methods.items():
        implemented = inspect.signature(getattr(ContractRestAdapter, name))
        assert list(implemented.parameters) == list(signature.parameters), name
