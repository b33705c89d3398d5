"""`$batch`: chunks of at most 100, per-operation results through the outcome table, atomic on request."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from uuid import UUID

import httpx
import pytest

from shared.bc.batch import BatchOperation, chunked
from shared.errors import ConcurrencyConflict, InDoubt, RateLimited
from tests.unit.bc.support import (
    COMPANY,
    LINE_ID,
    ORDER_ID,
    ROOT,
    Script,
    a_client,
    ok,
    order_line,
    sales_order,
)


def echo(
    statuses: dict[str, int] | None = None, body: dict[str, object] | None = None
) -> Callable[[httpx.Request], httpx.Response]:
    """A $batch answer with one response per request id (200 unless `statuses` says otherwise)."""

    def respond(request: httpx.Request) -> httpx.Response:
        requests = json.loads(request.content)["requests"]
        responses = []
        for item in requests:
            status = (statuses or {}).get(item["id"], 200)
            answer: dict[str, object] = {"id": item["id"], "status": status, "headers": {}}
            if status >= 400:
                code = {409: "Request_EntityChanged", 429: "Application_TooManyRequests"}.get(status, "X")
                answer["body"] = {"error": {"code": code, "message": "m"}}
            else:
                answer["body"] = body or {"ok": item["id"]}
            responses.append(answer)
        return httpx.Response(200, json={"responses": responses})

    return respond


def reads(count: int) -> list[BatchOperation]:
    return [BatchOperation("GET", f"companies({COMPANY})/items?$top=1&n={i}") for i in range(count)]


def test_chunks_hold_at_most_100_operations() -> None:
    assert [len(c) for c in chunked(list(range(250)))] == [100, 100, 50]
    assert list(chunked([])) == []
    with pytest.raises(ValueError, match="1 to 100"):
        list(chunked([1], 101))


async def test_250_operations_go_in_three_batches_and_come_back_in_order() -> None:
    script = Script([echo(), echo(), echo()])
    async with a_client(script) as bc:
        results = await bc.api.batch(reads(250))
    sizes = [len(json.loads(r.content)["requests"]) for r in script.requests]
    assert sizes == [100, 100, 50]
    assert {str(r.url) for r in script.requests} == {f"{ROOT}/$batch"}
    assert [r.body for r in results][:2] == [{"ok": "0"}, {"ok": "1"}]
    assert len(results) == 250
    assert all(r.ok for r in results)


async def test_each_operations_failure_is_mapped_like_a_single_request() -> None:
    script = Script([echo({"1": 409, "2": 429})])
    async with a_client(script) as bc:
        results = await bc.api.batch(
            [
                BatchOperation("GET", "companies(x)/items"),
                BatchOperation("PATCH", "companies(x)/items(y)", body={"gtin": "1"}, if_match='W/"1"'),
                BatchOperation("GET", "companies(x)/customers"),
            ]
        )
    assert [r.status for r in results] == [200, 409, 429]
    assert results[0].ok
    assert isinstance(results[1].error, ConcurrencyConflict)
    assert isinstance(results[2].error, RateLimited)
    sent = json.loads(script.requests[0].content)["requests"][1]
    assert sent == {
        "id": "1",
        "method": "PATCH",
        "url": "companies(x)/items(y)",
        "headers": {"Content-Type": "application/json", "If-Match": 'W/"1"'},
        "body": {"gtin": "1"},
    }


async def test_an_atomic_batch_asks_for_snapshot_isolation() -> None:
    script = Script([echo()])
    async with a_client(script) as bc:
        await bc.api.batch(reads(2), atomic=True)
    assert script.requests[0].headers["Isolation"] == "snapshot"


async def test_in_a_failed_atomic_batch_the_operations_that_ran_are_reported_rolled_back() -> None:
    # GIVEN BC answers 200, 409, 200 to an atomic batch (and so rolled all three back)
    script = Script([echo({"1": 409})])
    async with a_client(script) as bc:
        results = await bc.api.batch(reads(3), atomic=True)
    # THEN none is ok: one failed, the others did not stay
    assert [(r.status, r.ok, r.rolled_back) for r in results] == [
        (200, False, True),
        (409, False, False),
        (200, False, True),
    ]
    assert isinstance(results[1].error, ConcurrencyConflict)


async def test_a_batch_of_reads_that_times_out_is_sent_again() -> None:
    script = Script([httpx.ReadTimeout("slow"), echo()])
    async with a_client(script) as bc:
        results = await bc.api.batch(reads(3))
    assert len(script.requests) == 2
    assert all(r.ok for r in results)


async def test_a_batch_with_a_write_that_times_out_is_in_doubt_and_not_sent_again() -> None:
    script = Script([httpx.ReadTimeout("slow")])
    async with a_client(script) as bc:
        with pytest.raises(InDoubt):
            await bc.api.batch([BatchOperation("POST", "companies(x)/items", body={"number": "1"})])
    assert len(script.requests) == 1


async def test_standard_shipment_posting_sets_every_item_line_in_one_atomic_batch_then_posts() -> None:
    # GIVEN an order with two item lines, one holding a quantity to ship left over by someone
    other = UUID("6a1b2c3d-0000-4000-8000-0000000000a2")
    lines = [order_line(), order_line(other, 20000, shipQuantity=3, invoiceQuantity=3)]
    script = Script([ok(sales_order(salesOrderLines=lines)), echo(), ok()])
    async with a_client(script) as bc:
        order = await bc.sales.get_order(ORDER_ID)
        # WHEN 2 of the first line are shipped
        await bc.sales.post_shipment_and_invoice(order, {LINE_ID: Decimal(2)})
    # THEN both lines are set (ours to 2, the other back to 0) in one atomic batch, then posted
    batch, post = script.requests[1], script.requests[2]
    assert batch.headers["Isolation"] == "snapshot"
    operations = json.loads(batch.content)["requests"]
    assert [(o["method"], o["body"], o["headers"]["If-Match"]) for o in operations] == [
        ("PATCH", {"shipQuantity": 2, "invoiceQuantity": 2}, 'W/"line-10000"'),
        ("PATCH", {"shipQuantity": 0, "invoiceQuantity": 0}, 'W/"line-20000"'),
    ]
    assert operations[0]["url"] == f"companies({COMPANY})/salesOrders({ORDER_ID})/salesOrderLines({LINE_ID})"
    assert (post.method, post.url.path.rsplit("/", 1)[-1]) == ("POST", "Microsoft.NAV.shipAndInvoice")


async def test_a_conflict_on_a_line_stops_the_posting() -> None:
    script = Script([ok(sales_order(salesOrderLines=[order_line()])), echo({"0": 409})])
    async with a_client(script) as bc:
        order = await bc.sales.get_order(ORDER_ID)
        with pytest.raises(ConcurrencyConflict):
            await bc.sales.post_shipment_and_invoice(order, {LINE_ID: Decimal(1)})
    assert len(script.requests) == 2  # no posting action
