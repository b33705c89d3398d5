"""ProcessedEventStore against Azurite: once-only recording, lookups, purging what expired."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from shared.store.processed import ProcessedEvent, ProcessedEventStore
from tests.contract.store.support import T0, Clock

WEEK = timedelta(days=7)


async def test_an_event_is_recorded_once_and_keeps_its_first_outcome(processed: ProcessedEventStore) -> None:
    # GIVEN shipment event E1 not seen before
    assert await processed.get("scend.shipment", "E1") is None
    # WHEN it is recorded, then recorded again by a redelivery with another outcome
    first, second = (
        await processed.record("scend.shipment", "E1", "posted", WEEK),
        await processed.record("scend.shipment", "E1", "skipped", WEEK),
    )
    # THEN only the first call recorded it, and the first outcome stands
    assert (first, second) == (True, False)
    assert await processed.get("scend.shipment", "E1") == ProcessedEvent(
        kind="scend.shipment", event_id="E1", outcome="posted", recorded_at=T0, expires_at=T0 + WEEK
    )


async def test_concurrent_deliveries_get_exactly_one_true(processed: ProcessedEventStore) -> None:
    # GIVEN eight deliveries of one event arriving at once
    # WHEN each records it
    results = await asyncio.gather(
        *(processed.record("scend.shipment", "E/7#?", f"worker {n}", WEEK) for n in range(8))
    )
    # THEN exactly one delivery may act on it, and its outcome is the one stored
    assert sorted(results) == [False] * 7 + [True]
    event = await processed.get("scend.shipment", "E/7#?")
    assert event is not None
    assert event.outcome == f"worker {results.index(True)}"


async def test_purge_deletes_exactly_the_expired_events(processed: ProcessedEventStore, clock: Clock) -> None:
    # GIVEN 130 shipment events and 3 return events kept a day, then 2 events kept a week
    await asyncio.gather(
        *(processed.record("scend.shipment", f"S{n:03}", "posted", timedelta(days=1)) for n in range(130)),
        *(processed.record("scend.return", f"R{n}", "credited", timedelta(days=1)) for n in range(3)),
    )
    clock.advance(hours=1)
    await processed.record("scend.shipment", "late", "posted", WEEK)
    await processed.record("scend.return", "late", "credited", WEEK)
    # WHEN the purge runs two days later (130 rows in one partition: two transactions)
    deleted = await processed.purge_expired(T0 + timedelta(days=2))
    # THEN the 133 expired events are gone, the two recent ones stay, and a second purge finds nothing
    assert deleted == 133
    assert await processed.get("scend.shipment", "S000") is None
    assert await processed.get("scend.return", "R2") is None
    assert await processed.get("scend.shipment", "late") is not None
    assert await processed.get("scend.return", "late") is not None
    assert await processed.purge_expired(T0 + timedelta(days=2)) == 0


async def test_purge_before_anything_expires_deletes_nothing(processed: ProcessedEventStore) -> None:
    # GIVEN an event kept a week
    await processed.record("scend.shipment", "E1", "posted", WEEK)
    # WHEN the purge runs six days later / THEN nothing is deleted
    assert await processed.purge_expired(T0 + timedelta(days=6)) == 0
    assert await processed.get("scend.shipment", "E1") is not None


async def test_two_purges_at_once_delete_each_event_once(processed: ProcessedEventStore) -> None:
    # GIVEN 150 expired events in one partition
    await asyncio.gather(*(processed.record("bc.item", f"I{n:03}", "sent", WEEK) for n in range(150)))
    # WHEN two purges run at the same moment
    counts = await asyncio.gather(*(processed.purge_expired(T0 + 2 * WEEK) for _ in range(2)))
    # THEN between them every event was deleted exactly once, and none is left
    assert sum(counts) == 150
    assert await processed.purge_expired(T0 + 2 * WEEK) == 0
