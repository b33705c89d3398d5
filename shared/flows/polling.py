"""The one watermark poll every Business Central poll uses: signpost, read with overlap, enqueue, save.

Design §2, "watermarks never lose a change". The steps, and the bad interleaving each one prevents:

1. **Signpost before reading.** `signpost = clock()` is taken before the first read. A record
   changed *while* the poll runs: (1) the poll reads up to record 40 of 100; (2) a user saves
   record 7 at 10:04:30; (3) the poll finishes at 10:05 and, had it saved "now" (10:05), the next
   poll would start after record 7's change and never see it. Saving the signpost taken at 10:04
   instead makes the next poll read from 10:04 (less the lookback), so record 7 is read again.
2. **Inclusive lower bound with a lookback overlap.** The next poll reads from `watermark -
   lookback`, so a change committed with a timestamp a little before the signpost (BC stamps
   `lastModifiedDateTime` at the start of a long transaction, and clocks differ) is still read.
3. **Save only after everything is enqueued.** A crash between send and save: (1) batches 1 and 2
   are sent; (2) the process dies; (3) nothing was saved, so the next poll reads the same window
   again and re-sends batches 1 and 2. Saving first would have lost whatever batch 3 held.
4. **ETag concurrency.** Two polls at once (the timer and a webhook-woken poll): both read the
   watermark with its ETag; the one that saves second gets `ConcurrencyConflict` and simply ends
   (this function raises it; the timer shell logs it). Nothing is lost: the winner saved a
   signpost taken before *its own* read, and the loser's messages are already enqueued.

Re-reads inside the overlap (and after a crash) produce the same message id (`kind:id:version`),
so the broker's duplicate detection drops them; beyond its window the handler's version check
against the cross-reference skips them. So the overlap costs reads, never double effects.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.messaging.transport import OutboundMessage, Transport
from shared.store.watermarks import Watermark, WatermarkStore

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PollResult:
    """What one poll did: records read, messages handed to the broker, the window it covered."""

    flow: str
    source: str
    read: int
    enqueued: int
    since: datetime | None
    signpost: datetime


def read_from(watermark: Watermark | None, lookback: timedelta) -> datetime | None:
    """The inclusive lower bound of the next read: the saved mark less the lookback (None: everything)."""
    if watermark is None:
        return None
    return datetime.fromisoformat(watermark.value) - lookback


async def poll_changes[T](
    *,
    flow: str,
    source: str,
    watermarks: WatermarkStore,
    transport: Transport,
    queue: str,
    read: Callable[[datetime | None], AsyncIterator[T]],
    to_message: Callable[[T], OutboundMessage | None],
    lookback: timedelta,
    clock: Callable[[], datetime],
    batch_size: int = 100,
) -> PollResult:
    """Read every record of `source` changed since the watermark and enqueue one message each.

    `read(since)` yields records changed at or after `since` (None: all), oldest change first;
    `to_message` turns one into its message (None: nothing to send for it). The watermark moves to
    the signpost only after every batch was sent; `ConcurrencyConflict` if another poll saved first.
    """
    signpost = clock()
    current = await watermarks.get(flow, source)
    since = read_from(current, lookback)
    count, enqueued = 0, 0
    batch: list[OutboundMessage] = []
    async for record in read(since):
        count += 1
        message = to_message(record)
        if message is not None:
            batch.append(message)
        if len(batch) >= batch_size:
            await transport.send(queue, batch)
            enqueued += len(batch)
            batch = []
    if batch:
        await transport.send(queue, batch)
        enqueued += len(batch)
    await watermarks.save(
        Watermark(
            flow=flow,
            source=source,
            value=signpost.isoformat(),
            last_success=clock(),
            records_in_last_window=count,
            etag=current.etag if current is not None else None,
        )
    )
    log.info("%s: read %d from %s since %s, enqueued %d", flow, count, source, since, enqueued)
    return PollResult(flow=flow, source=source, read=count, enqueued=enqueued, since=since, signpost=signpost)
