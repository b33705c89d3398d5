"""ExceptionStore against Azurite: counting, reopening, resolving, racing workers, payload chunks."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from azure.data.tables.aio import TableClient

from shared.ops.catalogue import Owner, Severity, lookup
from shared.store.exceptions import PAYLOAD_CHUNKS, PROPERTY_UNITS, ExceptionStatus, ExceptionStore
from tests.contract.store.support import T0, Clock, all_pages, raw_rows


async def record_sku(exceptions: ExceptionStore, detail: str = "line 1: 1000-BLU", **fields: Any) -> Any:
    return await exceptions.record("sales_order", "SKU_NOT_IN_WMS", "SO1001", detail=detail, **fields)


async def test_a_first_failure_opens_an_exception_described_by_the_catalogue(
    exceptions: ExceptionStore,
) -> None:
    # GIVEN no exceptions
    # WHEN the release flow parks SO1001 for an unknown SKU
    row = await record_sku(exceptions, queue="orders-to-scend", correlation_id="c-1", payload='{"no": 1}')
    # THEN exactly this row is open, owned and described as the catalogue says
    entry = lookup("SKU_NOT_IN_WMS")
    assert row.model_dump(exclude={"etag"}) == {
        "kind": "sales_order", "type": "SKU_NOT_IN_WMS", "business_key": "SO1001",
        "owner": str(Owner.ECOMMERCE_MASTER_DATA), "severity": "high", "fix_hint": entry.fix_hint,
        "first_seen": T0, "last_seen": T0, "count": 1, "detail": "line 1: 1000-BLU", "bc_link": None,
        "status": ExceptionStatus.OPEN, "resolved_at": None, "resolution": None,
        "queue": "orders-to-scend", "correlation_id": "c-1",
        "payload": '{"no": 1}', "payload_truncated": False,
    }  # fmt: skip
    assert await exceptions.get("sales_order", "SKU_NOT_IN_WMS", "SO1001") == row


async def test_a_repeat_counts_and_keeps_the_latest_detail(exceptions: ExceptionStore, clock: Clock) -> None:
    # GIVEN an open exception seen at 09:00
    await record_sku(exceptions, payload='{"v": 1}', queue="orders-to-scend")
    # WHEN the same order fails again at 09:05 with a new detail and payload
    later = clock.advance(minutes=5)
    row = await record_sku(exceptions, detail="line 1: 1000-RED", payload='{"v": 2}')
    # THEN one row counts two, first seen 09:00, last seen 09:05, latest detail and payload, same queue
    assert (row.count, row.first_seen, row.last_seen) == (2, T0, later)
    assert (row.detail, row.payload, row.queue) == ("line 1: 1000-RED", '{"v": 2}', "orders-to-scend")
    assert await exceptions.get("sales_order", "SKU_NOT_IN_WMS", "SO1001") == row


async def test_a_resolved_exception_is_reopened_and_keeps_counting(
    exceptions: ExceptionStore, clock: Clock
) -> None:
    # GIVEN an exception seen twice, then resolved at 10:00
    await record_sku(exceptions)
    await record_sku(exceptions)
    resolved_at = clock.advance(hours=1)
    resolved = await exceptions.resolve("sales_order", "SKU_NOT_IN_WMS", "SO1001", "item created in Scend")
    assert resolved is not None
    assert (resolved.status, resolved.resolved_at, resolved.resolution) == (
        ExceptionStatus.RESOLVED, resolved_at, "item created in Scend"
    )  # fmt: skip
    # WHEN it fails again at 11:00
    clock.advance(hours=1)
    row = await record_sku(exceptions)
    # THEN it is open again, counting 3, with the resolution cleared
    assert (row.status, row.count, row.resolved_at, row.resolution) == (ExceptionStatus.OPEN, 3, None, None)


async def test_resolving_twice_keeps_the_first_resolution(exceptions: ExceptionStore, clock: Clock) -> None:
    # GIVEN an exception resolved at 09:00
    await record_sku(exceptions)
    first = await exceptions.resolve("sales_order", "SKU_NOT_IN_WMS", "SO1001", "fixed")
    # WHEN someone resolves it again at 09:30 / THEN the first resolution stands, unchanged
    clock.advance(minutes=30)
    assert await exceptions.resolve("sales_order", "SKU_NOT_IN_WMS", "SO1001", "again") == first
    # AND resolving an exception that never existed gives None
    assert await exceptions.resolve("sales_order", "SKU_NOT_IN_WMS", "SO404", "x") is None


async def test_a_later_success_resolves_every_open_exception_of_the_document(
    exceptions: ExceptionStore, clock: Clock
) -> None:
    # GIVEN SO1001 has two open exceptions and one resolved; SO1002 has one open
    await record_sku(exceptions)
    await exceptions.record("sales_order", "MAPPING_MISSING", "SO1001", detail="agent DHL2")
    await exceptions.record("sales_order", "ORDER_NOT_IN_WMS", "SO1001", detail="late")
    old = await exceptions.resolve("sales_order", "ORDER_NOT_IN_WMS", "SO1001", "earlier")
    await exceptions.record("sales_order", "SKU_NOT_IN_WMS", "SO1002", detail="line 2")
    # WHEN SO1001 finally goes through
    clock.advance(minutes=10)
    resolved = await exceptions.resolve_document("sales_order", "SO1001", "released to Scend")
    # THEN exactly its two open exceptions are resolved; the old resolution and SO1002 are untouched
    assert sorted(row.type for row in resolved) == ["MAPPING_MISSING", "SKU_NOT_IN_WMS"]
    assert {(r.status, r.resolution) for r in resolved} == {(ExceptionStatus.RESOLVED, "released to Scend")}
    assert await exceptions.get("sales_order", "ORDER_NOT_IN_WMS", "SO1001") == old
    other = await exceptions.get("sales_order", "SKU_NOT_IN_WMS", "SO1002")
    assert other is not None
    assert other.status is ExceptionStatus.OPEN


def both_read_before_either_writes(table: TableClient, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Force the bad interleaving: the first two reads wait for each other; returns a log of writes."""
    barrier, reads, writes = asyncio.Barrier(2), 0, []
    get_entity, create_entity, update_entity = table.get_entity, table.create_entity, table.update_entity

    async def get(*args: Any, **kwargs: Any) -> Any:
        nonlocal reads
        reads += 1
        try:
            return await get_entity(*args, **kwargs)
        finally:
            if reads <= 2:
                await barrier.wait()

    async def create(*args: Any, **kwargs: Any) -> Any:
        writes.append("create")
        return await create_entity(*args, **kwargs)

    async def update(*args: Any, **kwargs: Any) -> Any:
        writes.append("update")
        return await update_entity(*args, **kwargs)

    monkeypatch.setattr(table, "get_entity", get)
    monkeypatch.setattr(table, "create_entity", create)
    monkeypatch.setattr(table, "update_entity", update)
    return writes


async def test_two_workers_opening_one_exception_at_once_both_count(
    exceptions: ExceptionStore, exceptions_table: TableClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN two workers that both read "no exception yet" before either writes
    writes = both_read_before_either_writes(exceptions_table, monkeypatch)
    # WHEN both record SKU_NOT_IN_WMS for SO1001
    await asyncio.gather(record_sku(exceptions), record_sku(exceptions))
    # THEN both inserts were tried, the loser re-read and updated, and the row counts exactly 2
    assert writes == ["create", "create", "update"]
    row = await exceptions.get("sales_order", "SKU_NOT_IN_WMS", "SO1001")
    assert row is not None
    assert row.count == 2


async def test_two_workers_counting_one_open_exception_at_once_both_count(
    exceptions: ExceptionStore, exceptions_table: TableClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN an open exception counting 1, and two workers that both read it before either writes
    await record_sku(exceptions)
    writes = both_read_before_either_writes(exceptions_table, monkeypatch)
    # WHEN both record it again
    await asyncio.gather(record_sku(exceptions), record_sku(exceptions))
    # THEN one update lost the ETag race and was redone: the row counts exactly 3
    assert writes == ["update", "update", "update"]
    row = await exceptions.get("sales_order", "SKU_NOT_IN_WMS", "SO1001")
    assert row is not None
    assert row.count == 3


async def test_many_workers_recording_at_once_all_count(exceptions: ExceptionStore) -> None:
    # GIVEN six workers failing on one document at the same moment
    # WHEN they all record it concurrently
    await asyncio.gather(*(record_sku(exceptions) for _ in range(6)))
    # THEN no occurrence is lost
    row = await exceptions.get("sales_order", "SKU_NOT_IN_WMS", "SO1001")
    assert row is not None
    assert row.count == 6


async def test_a_large_payload_is_chunked_and_read_back_exactly(
    exceptions: ExceptionStore, exceptions_table: TableClient
) -> None:
    # GIVEN a 150,000-character payload with an emoji (two UTF-16 units) in every 24 characters:
    # 156,250 units, so five chunks of at most 32,000
    payload = '{"line": "1000-BLU 😀 é"}' * 6250
    # WHEN it is parked
    await record_sku(exceptions, payload=payload)
    # THEN it reads back identical, stored as chunks that each fit a string property
    row = await exceptions.get("sales_order", "SKU_NOT_IN_WMS", "SO1001")
    assert row is not None
    assert row.payload == payload
    assert not row.payload_truncated
    (entity,) = (await raw_rows(exceptions_table)).values()
    chunks = [entity[f"payload_{i}"] for i in range(entity["payload_chunks"])]
    assert len(payload) == 150_000
    assert len(chunks) == 5
    assert "".join(chunks) == payload
    assert all(len(chunk.encode("utf-16-le")) // 2 <= PROPERTY_UNITS for chunk in chunks)


async def test_an_oversized_payload_is_truncated_with_a_marker_and_old_chunks_go(
    exceptions: ExceptionStore, exceptions_table: TableClient
) -> None:
    # GIVEN a payload far beyond the 1 MiB entity limit
    payload = "x" * 2_000_000
    # WHEN it is parked
    row = await record_sku(exceptions, payload=payload)
    # THEN the stored snapshot is its head plus an explicit marker, in at most PAYLOAD_CHUNKS chunks
    assert row.payload_truncated
    assert row.payload is not None
    head, marker = row.payload.split("\n…[payload truncated", 1)
    assert head == "x" * len(head)
    assert len(head) > 300_000
    assert "2000000 characters" in marker
    stored = await exceptions.get("sales_order", "SKU_NOT_IN_WMS", "SO1001")
    assert stored == row
    (entity,) = (await raw_rows(exceptions_table)).values()
    assert entity["payload_chunks"] == PAYLOAD_CHUNKS
    # AND a later small payload replaces it entirely: no stale chunk properties remain
    await record_sku(exceptions, payload="{}")
    (entity,) = (await raw_rows(exceptions_table)).values()
    assert sorted(name for name in entity if name.startswith("payload")) == [
        "payload_0", "payload_chunks", "payload_truncated",
    ]  # fmt: skip
    assert (entity["payload_0"], entity["payload_truncated"]) == ("{}", False)


async def test_an_uncatalogued_type_needs_its_description(exceptions: ExceptionStore) -> None:
    # GIVEN a type the catalogue does not know
    # WHEN it is recorded without owner, severity and fix hint / THEN that is refused
    with pytest.raises(ValueError, match="not in the catalogue"):
        await exceptions.record("item", "NEW_TYPE", "1000-BLU", detail="?")
    # AND with them it is recorded as given
    row = await exceptions.record(
        "item", "NEW_TYPE", "1000-BLU", detail="?", owner="buyers", severity=Severity.LOW, fix_hint="Call Bo."
    )
    assert (row.owner, row.severity, row.fix_hint) == ("buyers", "low", "Call Bo.")


async def test_listing_filters_and_pages(exceptions: ExceptionStore) -> None:
    # GIVEN five open SKU exceptions, one resolved, one for another owner, one for another kind
    for n in range(5):
        await exceptions.record("sales_order", "SKU_NOT_IN_WMS", f"SO10{n}", detail="sku")
    await exceptions.record("sales_order", "SKU_NOT_IN_WMS", "SO200", detail="sku")
    await exceptions.resolve("sales_order", "SKU_NOT_IN_WMS", "SO200", "done")
    await exceptions.record("sales_order", "ORDER_NOT_CANCELLABLE", "SO300", detail="picked")
    await exceptions.record("item", "SKU_NOT_IN_WMS", "1000-BLU", detail="sku")
    # WHEN the e-commerce team lists its open sales-order exceptions two at a time
    pages = await all_pages(
        lambda token: exceptions.list_page(
            status="open",
            owner=Owner.ECOMMERCE_MASTER_DATA,
            kind="sales_order",
            page_size=2,
            continuation=token,
        )
    )
    # THEN exactly the five open ones come back, over three pages
    assert [[row.business_key for row in page] for page in pages] == [
        ["SO100", "SO101"],
        ["SO102", "SO103"],
        ["SO104"],
    ]
    # AND paging over every kind returns each of the eight rows once
    every = await all_pages(lambda token: exceptions.list_page(page_size=3, continuation=token))
    assert sorted(row.business_key for page in every for row in page) == [
        "1000-BLU", "SO100", "SO101", "SO102", "SO103", "SO104", "SO200", "SO300",
    ]  # fmt: skip
    # AND other filters select what they name
    resolved = await exceptions.list_page(status=ExceptionStatus.RESOLVED)
    assert [row.business_key for row in resolved.items] == ["SO200"]
    by_type = await exceptions.list_page(type="ORDER_NOT_CANCELLABLE")
    assert [row.business_key for row in by_type.items] == ["SO300"]


async def test_opening_an_exception_logs_what_the_alerts_count_and_a_repeat_does_not(
    exceptions: ExceptionStore, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("WARNING", logger="shared.store.exceptions")
    await exceptions.record("queue", "DEAD_LETTERS", "scend-returns", detail="2 dead letters")
    await exceptions.record("queue", "DEAD_LETTERS", "scend-returns", detail="3 dead letters")
    (opened,) = [r for r in caplog.records if r.getMessage() == "sync exception opened"]
    assert (opened.exception_type, opened.owner, opened.severity) == ("DEAD_LETTERS", "IT", "high")  # type: ignore[attr-defined]
    assert opened.business_key == "scend-returns"  # type: ignore[attr-defined]
