"""The watermark poll from named starting states: no watermark, a watermark, a stale ETag.

Real components: the watermark store on Azurite and the local broker; the source is a list.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest

from shared.errors import ConcurrencyConflict
from shared.flows.polling import PollResult, poll_changes
from shared.messaging.local import LocalTransport
from shared.messaging.transport import OutboundMessage, TransportError
from shared.store.watermarks import Watermark, WatermarkStore
from tests.contract.messaging.support import Clock
from tests.flows.polling.conftest import QUEUE, START

FLOW, SOURCE = "poll_test", "bc:things"
LOOKBACK = timedelta(minutes=2)


@dataclass(frozen=True)
class Change:
    id: str
    at: datetime


@dataclass
class Source:
    """Records with their change times; remembers every `since` it was read from."""

    changes: list[Change]
    reads: list[datetime | None]

    def read(self, since: datetime | None) -> AsyncIterator[Change]:
        self.reads.append(since)

        async def rows() -> AsyncIterator[Change]:
            for change in sorted(self.changes, key=lambda c: c.at):
                if since is None or change.at >= since:
                    yield change

        return rows()


def message(change: Change) -> OutboundMessage | None:
    if change.id.startswith("skip"):
        return None
    return OutboundMessage(body=change.id.encode(), message_id=f"thing:{change.id}:{change.at.isoformat()}")


async def poll(
    source: Source, watermarks: WatermarkStore, transport: LocalTransport, clock: Clock, batch_size: int = 100
) -> PollResult:
    return await poll_changes(
        flow=FLOW, source=SOURCE, watermarks=watermarks, transport=transport, queue=QUEUE,
        read=source.read, to_message=message, lookback=LOOKBACK, clock=clock, batch_size=batch_size,
    )  # fmt: skip


async def queued(transport: LocalTransport) -> list[str]:
    async with transport.receiver(QUEUE) as receiver:
        assert receiver is not None
        return [m.message_id for m in await receiver.peek(max_messages=1000)]


def at(minutes: float) -> datetime:
    return START + timedelta(minutes=minutes)


async def test_no_watermark_reads_everything_and_saves_the_signpost(
    watermarks: WatermarkStore, transport: LocalTransport, clock: Clock
) -> None:
    # GIVEN no watermark and three changes, one of which has nothing to send
    source = Source([Change("a", at(-30)), Change("b", at(-10)), Change("skip-c", at(-5))], [])
    # WHEN the poll runs
    result = await poll(source, watermarks, transport, clock)
    # THEN it read from the beginning, sent two, and saved exactly the signpost and the count
    assert source.reads == [None]
    assert result == PollResult(FLOW, SOURCE, read=3, enqueued=2, since=None, signpost=START)
    assert await queued(transport) == [f"thing:a:{at(-30).isoformat()}", f"thing:b:{at(-10).isoformat()}"]
    saved = await watermarks.get(FLOW, SOURCE)
    assert saved is not None
    assert (saved.value, saved.records_in_last_window, saved.last_success) == (START.isoformat(), 3, START)


async def test_a_watermark_reads_from_the_mark_less_the_lookback(
    watermarks: WatermarkStore, transport: LocalTransport, clock: Clock
) -> None:
    # GIVEN a watermark at 09:00 and changes before, inside and after the lookback
    await watermarks.save(Watermark(flow=FLOW, source=SOURCE, value=START.isoformat()))
    source = Source([Change("old", at(-10)), Change("edge", at(-2)), Change("new", at(3))], [])
    clock.advance(timedelta(minutes=5))
    # WHEN the poll runs at 09:05
    result = await poll(source, watermarks, transport, clock)
    # THEN it read from 08:58 inclusive, and the mark moved to 09:05
    assert source.reads == [at(-2)]
    assert (result.read, result.enqueued, result.since, result.signpost) == (2, 2, at(-2), at(5))
    saved = await watermarks.get(FLOW, SOURCE)
    assert saved is not None
    assert (saved.value, saved.records_in_last_window) == (at(5).isoformat(), 2)


async def test_a_stale_etag_conflicts_and_keeps_the_winners_mark(
    watermarks: WatermarkStore, transport: LocalTransport, clock: Clock
) -> None:
    # GIVEN a watermark that another poll moves to 09:04 while this one reads
    await watermarks.save(Watermark(flow=FLOW, source=SOURCE, value=START.isoformat()))
    clock.advance(timedelta(minutes=3))

    class Racing(Source):
        def read(self, since: datetime | None) -> AsyncIterator[Change]:
            async def rows() -> AsyncIterator[Change]:
                current = await watermarks.get(FLOW, SOURCE)
                assert current is not None
                await watermarks.save(current.model_copy(update={"value": at(4).isoformat()}))
                async for change in Source.read(self, since):
                    yield change

            return rows()

    source = Racing([Change("a", at(1))], [])
    # WHEN this poll tries to save its signpost (09:03)
    with pytest.raises(ConcurrencyConflict):
        await poll(source, watermarks, transport, clock)
    # THEN its messages are enqueued and the winner's mark stands
    assert await queued(transport) == [f"thing:a:{at(1).isoformat()}"]
    saved = await watermarks.get(FLOW, SOURCE)
    assert saved is not None
    assert saved.value == at(4).isoformat()


async def test_a_record_changed_during_the_read_is_read_again_next_time(
    watermarks: WatermarkStore, transport: LocalTransport, clock: Clock
) -> None:
    # GIVEN a change stamped while the poll runs (after its signpost)
    source = Source([Change("a", at(-1))], [])
    result = await poll(source, watermarks, transport, clock)
    source.changes.append(Change("late", at(0.5)))
    clock.advance(timedelta(minutes=5))
    # WHEN the next poll runs
    second = await poll(source, watermarks, transport, clock)
    # THEN it reads from before the first signpost and sends the late change
    assert second.since == result.signpost - LOOKBACK
    assert f"thing:late:{at(0.5).isoformat()}" in await queued(transport)


async def test_sends_in_batches_and_saves_nothing_when_a_batch_fails(
    watermarks: WatermarkStore, transport: LocalTransport, clock: Clock
) -> None:
    # GIVEN five changes, batches of two, and a broker that fails on the third batch
    source = Source([Change(f"c{i}", at(-i)) for i in range(5)], [])
    sizes: list[int] = []
    send = transport.send

    async def failing(queue: str, messages: list[OutboundMessage]) -> None:  # type: ignore[override]
        sizes.append(len(messages))
        if len(sizes) == 3:
            raise TransportError("broker unavailable")
        await send(queue, messages)

    transport.send = failing  # type: ignore[method-assign,assignment]
    # WHEN the poll runs
    with pytest.raises(TransportError):
        await poll(source, watermarks, transport, clock, batch_size=2)
    # THEN two batches went, the watermark was not saved, so the next poll reads them all again
    assert sizes == [2, 2, 1]
    assert await watermarks.get(FLOW, SOURCE) is None
