"""WatermarkStore against Azurite: insert once, replace If-Match, exact state after each write."""

from __future__ import annotations

import pytest

from shared.errors import ConcurrencyConflict
from shared.store.watermarks import Watermark, WatermarkStore
from tests.contract.store.support import T0


def mark(value: str, **fields: object) -> Watermark:
    return Watermark.model_validate({"flow": "sales_orders", "source": "bc/CRONUS", "value": value} | fields)


async def test_a_new_watermark_is_created_once(watermarks: WatermarkStore) -> None:
    # GIVEN no watermark for sales orders
    assert await watermarks.get("sales_orders", "bc/CRONUS") is None
    # WHEN the first poll saves one
    etag = await watermarks.save(mark("2025-03-01T09:00:00Z", last_success=T0, records_in_last_window=4))
    # THEN it reads back exactly, with that ETag
    assert await watermarks.get("sales_orders", "bc/CRONUS") == mark(
        "2025-03-01T09:00:00Z", last_success=T0, records_in_last_window=4, etag=etag
    )
    # AND a second first-poll that also found none cannot create it again
    with pytest.raises(ConcurrencyConflict):
        await watermarks.save(mark("2025-03-01T08:00:00Z"))
    stored = await watermarks.get("sales_orders", "bc/CRONUS")
    assert stored is not None
    assert stored.value == "2025-03-01T09:00:00Z"


async def test_saving_with_the_current_etag_advances_the_mark(watermarks: WatermarkStore) -> None:
    # GIVEN a watermark at 09:00
    first = await watermarks.save(mark("09:00"))
    current = await watermarks.get("sales_orders", "bc/CRONUS")
    assert current is not None
    # WHEN a poll advances it to 09:05 with the signpost it read
    second = await watermarks.save(current.model_copy(update={"value": "09:05", "signpost": "page-7"}))
    # THEN the stored mark is exactly 09:05 with the new ETag
    assert second != first
    assert await watermarks.get("sales_orders", "bc/CRONUS") == mark("09:05", signpost="page-7", etag=second)


async def test_a_slower_run_cannot_move_the_mark_back(watermarks: WatermarkStore) -> None:
    # GIVEN runs A and B both read the mark at 10:00
    await watermarks.save(mark("10:00"))
    read = await watermarks.get("sales_orders", "bc/CRONUS")
    assert read is not None
    # WHEN A saves 10:05, then B saves 10:03 with the ETag it read
    etag_a = await watermarks.save(read.model_copy(update={"value": "10:05"}))
    with pytest.raises(ConcurrencyConflict):
        await watermarks.save(read.model_copy(update={"value": "10:03"}))
    # THEN A's mark stands
    assert await watermarks.get("sales_orders", "bc/CRONUS") == mark("10:05", etag=etag_a)


async def test_list_all_returns_every_flow_and_source(watermarks: WatermarkStore) -> None:
    # GIVEN marks for two flows, one with two sources
    await watermarks.save(mark("a"))
    await watermarks.save(mark("b", source="scend/shipments"))
    await watermarks.save(mark("c", flow="items"))
    # WHEN the health page lists them / THEN all three are there with their keys unescaped
    listed = {(w.flow, w.source, w.value) for w in await watermarks.list_all()}
    assert listed == {
        ("sales_orders", "bc/CRONUS", "a"),
        ("sales_orders", "scend/shipments", "b"),
        ("items", "bc/CRONUS", "c"),
    }
