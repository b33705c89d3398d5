"""Change feeds: from the beginning without a cursor, in order, resumable, never a null cursor."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.contract.scend_sim.support import key, ok, order_body

FEEDS = ["/shipments", "/stock/changes", "/stock-adjustments", "/receipts", "/returns"]


async def _adjust(control: httpx.AsyncClient, n: int) -> None:
    for _ in range(n):
        await ok(
            await control.post("/adjustments", json={"sku": "CAP-NVY", "reason_code": "FOUND", "quantity": 1})
        )


@pytest.mark.parametrize("path", FEEDS)
async def test_an_empty_feed_gives_a_cursor_to_resume_from(api: httpx.AsyncClient, path: str) -> None:
    page = await ok(await api.get(path))
    assert page["data"] == []
    assert page["has_more"] is False
    assert isinstance(page["next_cursor"], str)
    assert page["next_cursor"]
    again = await ok(await api.get(path, params={"since_cursor": page["next_cursor"]}))
    assert again == page


@pytest.mark.usefixtures("stocked")
async def test_nothing_new_answers_the_cursor_sent(
    api: httpx.AsyncClient, control: httpx.AsyncClient
) -> None:
    await _adjust(control, 2)
    head = (await ok(await api.get("/stock-adjustments")))["next_cursor"]
    page = await ok(await api.get("/stock-adjustments", params={"since_cursor": head}))
    assert page == {"data": [], "next_cursor": head, "has_more": False}


@pytest.mark.usefixtures("stocked")
async def test_a_feed_read_in_small_pages_is_the_whole_feed_in_order(
    api: httpx.AsyncClient, control: httpx.AsyncClient
) -> None:
    # GIVEN seven adjustments
    await _adjust(control, 7)
    whole = await ok(await api.get("/stock-adjustments"))
    # WHEN it is read three at a time, resuming from each page's next_cursor
    pages: list[dict[str, Any]] = []
    cursor = None
    while True:
        params = {"limit": 3} | ({"since_cursor": cursor} if cursor else {})
        page = await ok(await api.get("/stock-adjustments", params=params))
        pages.append(page)
        cursor = page["next_cursor"]
        if not page["has_more"]:
            break
    # THEN the pages hold the feed, in order, each record once
    assert [len(p["data"]) for p in pages] == [3, 3, 1]
    assert [p["has_more"] for p in pages] == [True, True, False]
    assert [r for p in pages for r in p["data"]] == whole["data"]
    assert pages[-1]["next_cursor"] == whole["next_cursor"]
    # AND the last cursor later yields only what came after it
    await _adjust(control, 2)
    later = await ok(await api.get("/stock-adjustments", params={"since_cursor": cursor}))
    assert len(later["data"]) == 2
    assert {r["id"] for r in later["data"]}.isdisjoint(r["id"] for r in whole["data"])


@pytest.mark.usefixtures("stocked")
async def test_stock_change_seq_is_monotonic_across_pages(
    api: httpx.AsyncClient, control: httpx.AsyncClient
) -> None:
    await _adjust(control, 3)
    for n in range(3):
        await ok(
            await api.post("/orders", json=order_body(f"SO-{n}", ("1", "CAP-NVY", 2)), headers=key()), 201
        )
    seqs, cursor, has_more = [], None, True
    while has_more:
        page = await ok(
            await api.get(
                "/stock/changes", params={"limit": 4} | ({"since_cursor": cursor} if cursor else {})
            )
        )
        seqs += [change["seq"] for change in page["data"]]
        cursor, has_more = page["next_cursor"], page["has_more"]
    assert seqs == list(range(1, len(seqs) + 1))
    assert len(seqs) == 6 + 3 + 3  # the demo stock, the finds, the reservations


@pytest.mark.parametrize(
    "cursor", ["", "junk", "shipments-0-1", "stock-adjustments-0-99", "stock-adjustments-x-0"]
)
async def test_a_cursor_the_feed_did_not_give_is_400(api: httpx.AsyncClient, cursor: str) -> None:
    problem = await ok(await api.get("/stock-adjustments", params={"since_cursor": cursor}), 400)
    assert problem["code"] == "VALIDATION_FAILED"
    assert problem["errors"][0]["code"] == "INVALID_CURSOR"


@pytest.mark.usefixtures("stocked")
async def test_a_cursor_from_before_a_reset_is_refused(
    api: httpx.AsyncClient, control: httpx.AsyncClient
) -> None:
    await _adjust(control, 1)
    old = (await ok(await api.get("/stock-adjustments")))["next_cursor"]
    await ok(await control.post("/reset", json={}))
    assert (await api.get("/stock-adjustments", params={"since_cursor": old})).status_code == 400
    fresh = await ok(await api.get("/stock-adjustments"))
    assert fresh["data"] == []
    assert fresh["next_cursor"] != old


async def test_a_misspelt_parameter_is_400_not_a_read_from_the_start(api: httpx.AsyncClient) -> None:
    problem = await ok(await api.get("/shipments", params={"cursor": "shipments-0-0"}), 400)
    assert problem["errors"][0] == {
        "field": "cursor",
        "code": "UNKNOWN_PARAMETER",
        "message": "not a parameter here",
    }
