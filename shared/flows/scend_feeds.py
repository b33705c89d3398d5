"""Scend's change feeds: the source of truth for what happened in the warehouse (design §2).

Every Scend record that needs work becomes one message on its flow's queue, whether it came by
webhook (`scend_events`) or by the feed poll here; both build the message with the same function,
so its `message_id` (kind, record id, status) is the same and the broker keeps one of the two.
The flows themselves are exactly-once on the record id, so a copy outside the broker's duplicate
window costs one read and changes nothing.

`poll_scend_feed` reads one feed from its cursor (a Watermarks row, `flow = poll_scend_<feed>`,
`source = scend`) to the head, a page at a time, and saves the page's `next_cursor` only after the
page is enqueued: a crash in between re-sends a page, never skips one. A feed that cannot be read
(Scend down, auth refused, a cursor Scend no longer accepts) for longer than `stale_after` is
`FEED_STALLED` for IT; the next successful read resolves it.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel

from shared.errors import IntegrationError, PermanentError
from shared.messaging.envelope import Envelope
from shared.messaging.transport import OutboundMessage, Transport
from shared.scend.models import FeedPage, Receipt, Return, Shipment, StockAdjustment
from shared.scend.port import ScendPort
from shared.store.exceptions import ExceptionStore
from shared.store.watermarks import Watermark, WatermarkStore

log = logging.getLogger(__name__)

SOURCE = "scend"
FEED_KIND = "feed"
FEED_STALLED = "FEED_STALLED"


def _message(envelope: Envelope) -> OutboundMessage:
    return OutboundMessage(
        body=envelope.to_bytes(),
        message_id=envelope.idempotency_key,
        correlation_id=envelope.correlation_id,
        subject=envelope.kind,
    )


def _envelope(kind: str, key: str, record: BaseModel, version: str = "") -> Envelope:
    return Envelope(kind=kind, key=key, version=version, payload=record.model_dump(mode="json"))


def shipment_message(shipment: Shipment) -> OutboundMessage:
    """One message per shipment; the worker reads them in batches across orders (`despatch`)."""
    return _message(_envelope("shipment", shipment.id, shipment))


def return_message(ret: Return) -> OutboundMessage:
    """One message per return and status: `received` and `inspected` are different work."""
    return _message(_envelope("return", ret.id, ret, ret.status))


def adjustment_message(adjustment: StockAdjustment) -> OutboundMessage:
    return _message(_envelope("stock-adjustment", adjustment.id, adjustment))


def receipt_message(receipt: Receipt) -> OutboundMessage:
    return _message(_envelope("receipt", receipt.id, receipt))


@dataclass(frozen=True, slots=True)
class ScendFeed:
    """One feed: how to read it, which queue its records go to, how each becomes a message."""

    name: str
    queue_setting: str  # the Settings field naming the queue
    read: Callable[[ScendPort, str | None], AsyncIterator[FeedPage[Any]]]
    to_message: Callable[[Any], OutboundMessage]

    @property
    def flow(self) -> str:
        return f"poll_scend_{self.name}"


FEEDS = {
    feed.name: feed
    for feed in (
        ScendFeed("shipments", "shipments_queue", lambda s, c: s.iter_shipments(c), shipment_message),
        ScendFeed("returns", "returns_queue", lambda s, c: s.iter_returns(c), return_message),
        ScendFeed("adjustments", "stock_queue", lambda s, c: s.iter_adjustments(c), adjustment_message),
        ScendFeed("receipts", "receipts_queue", lambda s, c: s.iter_receipts(c), receipt_message),
    )
}


@dataclass(frozen=True, slots=True)
class FeedResult:
    feed: str
    read: int
    pages: int
    cursor: str | None
    error: str | None = None  # the error type when the feed could not be read this time


async def poll_scend_feed(
    feed: ScendFeed,
    *,
    scend: ScendPort,
    watermarks: WatermarkStore,
    transport: Transport,
    queue: str,
    exceptions: ExceptionStore,
    clock: Callable[[], datetime],
    stale_after: timedelta,
) -> FeedResult:
    """Enqueue every record since the feed's cursor; see the module docstring."""
    current = await watermarks.get(feed.flow, SOURCE)
    cursor = current.value if current is not None and current.value else None
    read = pages = 0
    moved = False
    try:
        async for page in feed.read(scend, cursor):
            if page.records:
                await transport.send(queue, [feed.to_message(record) for record in page.records])
            read += len(page.records)
            pages += 1
            if page.next_cursor != cursor or current is None:
                current = await _save(watermarks, feed, current, page.next_cursor, len(page.records), clock)
                cursor, moved = page.next_cursor, True
    except IntegrationError as error:
        await _stalled(feed, current, error, exceptions, clock, stale_after)
        log.warning("%s: the feed could not be read: %s", feed.flow, type(error).__name__)
        return FeedResult(feed.name, read, pages, cursor, type(error).__name__)
    if current is not None and not moved:  # a quiet feed is a healthy one: say when it was read
        current = await _save(watermarks, feed, current, current.value, read, clock)
    await exceptions.resolve(FEED_KIND, FEED_STALLED, feed.name, "the feed was read again")
    log.info("%s: %d record(s) in %d page(s)", feed.flow, read, pages)
    return FeedResult(feed.name, read, pages, cursor)


async def _save(
    watermarks: WatermarkStore,
    feed: ScendFeed,
    current: Watermark | None,
    cursor: str,
    records: int,
    clock: Callable[[], datetime],
) -> Watermark:
    saved = Watermark(
        flow=feed.flow,
        source=SOURCE,
        value=cursor,
        signpost=cursor,
        last_success=clock(),
        records_in_last_window=records,
        etag=current.etag if current is not None else None,
    )
    etag = await watermarks.save(saved)
    return saved.model_copy(update={"etag": etag})


async def _stalled(
    feed: ScendFeed,
    current: Watermark | None,
    error: IntegrationError,
    exceptions: ExceptionStore,
    clock: Callable[[], datetime],
    stale_after: timedelta,
) -> None:
    """A permanent refusal stalls the feed at once; a transient one once it lasted `stale_after`."""
    last = current.last_success if current is not None else None
    if not isinstance(error, PermanentError) and (last is None or clock() - last < stale_after):
        return
    since = f"since {last:%Y-%m-%d %H:%M} UTC" if last is not None else "since it was first polled"
    await exceptions.record(
        FEED_KIND,
        FEED_STALLED,
        feed.name,
        detail=f"the Scend {feed.name} feed has not been read {since}: {type(error).__name__}",
    )
