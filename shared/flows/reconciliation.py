"""Stock reconciliation: Scend's on-hand against BC's inventory, SKU by SKU, every difference classified.

`reconcile_stock` (timer `reconcile_stock`, daily; and on demand) streams both sides in SKU order,
Scend's stock snapshot a page at a time and BC's items by number, and merges them: memory holds a
page, the documents in flight and the differences waiting to be written, never the catalogue. A
SKU seen on one side only waits in a bounded window for a partner out of step (BC and Scend may
order a few SKUs differently), so an ordering quirk is not reported as a difference.

For each SKU, variance = Scend on hand − BC inventory, and it is explained, in this order, by:

1. **in flight**: Scend records the integration has not handled yet (no processed-event row and
   no open exception: still queued, not polled yet, or on their way by webhook), read from the
   reconciliation's own position in each feed: despatches (−units), receipts (+units arrived),
   adjustments (+on-hand change);
2. **open exceptions**: documents parked or proposed, never posted in BC: a despatch
   (`ORPHANED_FULFILMENT`, `QUANTITY_MISMATCH`, …: −units), an adjustment awaiting review
   (+change), a receipt awaiting posting or its unposted over/unexpected units (+units);
3. otherwise **unexplained**: `STOCK_VARIANCE` for finance, one per SKU, resolved by the first run
   that finds the SKU matching or explained again.

Only differing SKUs are stored (`Reconciliations`, partition = run id) with the run's summary;
`write_reports` renders them as CSV and HTML for finance. BC's standard API gives an item's
inventory over all locations, so the comparison assumes BC keeps the Scend-held stock only at the
locations of `stock_locations` and nothing elsewhere (docs/flows/stock-and-inbound.md).
"""

from __future__ import annotations

import asyncio
import csv
import json
import logging
import secrets
from collections import Counter, OrderedDict, defaultdict
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from pydantic import ValidationError

from shared.bc.client import BcClient
from shared.messaging.envelope import Envelope
from shared.scend.models import FeedPage, Receipt, Shipment, StockAdjustment
from shared.scend.port import ScendPort
from shared.store.exceptions import ExceptionStatus, ExceptionStore
from shared.store.processed import ProcessedEventStore
from shared.store.reconciliations import (
    Classification,
    ReconciliationStore,
    RunSummary,
    SkuVariance,
    run_id_for,
)
from shared.store.watermarks import Watermark, WatermarkStore

log = logging.getLogger(__name__)

STOCK_KIND, STOCK_VARIANCE = "stock", "STOCK_VARIANCE"
WRITE_BATCH = 100
CARRY_OVER = 1_000  # one-sided SKUs held back per side, waiting for a partner out of step
READ_AHEAD_ITEMS = 1_000  # BC items fetched ahead (one page at the default BC_PAGE_SIZE)


@dataclass
class Contributions:
    """Signed units per SKU (Scend − BC) that a source accounts for."""

    units: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))

    def add(self, sku: str, quantity: float) -> None:
        if quantity:
            self.units[sku] += quantity


# --- what is in flight: Scend records not handled yet -------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Feed:
    name: str  # as in scend_feeds.FEEDS
    kind: str  # the envelope kind its records travel as
    read: Callable[[ScendPort, str | None], AsyncIterator[FeedPage[Any]]]
    effect: Callable[[Contributions, Any], None]


_FEEDS = (
    _Feed("shipments", "shipment", lambda s, c: s.iter_shipments(c), lambda f, r: _shipment(f, r, -1)),
    _Feed("receipts", "receipt", lambda s, c: s.iter_receipts(c), lambda f, r: _receipt(f, r)),
    _Feed("adjustments", "stock-adjustment", lambda s, c: s.iter_adjustments(c),
          lambda f, r: f.add(r.sku, r.quantity_delta)),
)  # fmt: skip
RECONCILED_UP_TO = "reconcile_stock"  # Watermarks flow of the reconciliation's own feed positions


async def in_flight(
    scend: ScendPort,
    watermarks: WatermarkStore,
    processed: ProcessedEventStore,
    exceptions: ExceptionStore,
    clock: Callable[[], datetime],
) -> Contributions:
    """Despatches, receipts and adjustments Scend has recorded that are in neither BC nor an open
    exception yet: read by the poll but still queued, not read yet, or on their way by webhook.

    Each feed is read from the reconciliation's own position (`Watermarks` flow
    `reconcile_stock`, source = the feed; the first run reads the feed once from its beginning), and a record
    counts unless a processed-event row (handled) or an open exception (parked, proposed) covers it.
    The position then moves past every page whose records, and all before them, are covered, so
    each run reads only what happened since the last fully handled record: never the history."""
    found = Contributions()
    for feed in _FEEDS:
        mark = await watermarks.get(RECONCILED_UP_TO, feed.name)
        start = mark.value or None if mark is not None else None
        settled_to, all_settled = start, True
        async for page in feed.read(scend, start):
            for record in page.records:
                if await processed.get(feed.kind, record.id) is None and not await exceptions.open_for(
                    feed.kind, record.id
                ):
                    feed.effect(found, record)
                    all_settled = False
            if all_settled:
                settled_to = page.next_cursor
        if settled_to != start or mark is None:
            await watermarks.save(
                Watermark(
                    flow=RECONCILED_UP_TO, source=feed.name, value=settled_to or "", last_success=clock(),
                    etag=mark.etag if mark is not None else None,
                )
            )  # fmt: skip
    return found


# --- what open exceptions explain ---------------------------------------------------------------------


async def explained_by_exceptions(exceptions: ExceptionStore) -> Contributions:
    """The stock effect of every open exception that holds a document BC has not posted."""
    found = Contributions()
    for kind in ("shipment", "stock-adjustment", "receipt"):
        continuation: str | None = None
        while True:
            page = await exceptions.list_page(
                status=ExceptionStatus.OPEN, kind=kind, page_size=500, continuation=continuation
            )
            for row in page.items:
                _exception(found, row.payload)
            continuation = page.continuation
            if continuation is None:
                break
    return found


def stock_payload(units: dict[str, float], **about: str) -> str:
    """The payload a proposal or variance carries so the reconciliation can count it (Scend − BC),
    with what it is about (`purchase_order`, `sku`) so the operations API can link to it."""
    return json.dumps({"stock": units, **about})


def _exception(found: Contributions, payload: str | None) -> None:
    if not payload:
        return
    try:
        body = json.loads(payload)
    except ValueError:
        return
    if isinstance(body, dict) and isinstance(body.get("stock"), dict):
        for sku, units in body["stock"].items():
            found.add(str(sku), float(units))
        return
    try:
        envelope = Envelope.model_validate(body)
        match envelope.kind:
            case "shipment":
                _shipment(found, Shipment.model_validate(envelope.payload), -1)
            case "stock-adjustment":
                adjustment = StockAdjustment.model_validate(envelope.payload)
                found.add(adjustment.sku, adjustment.quantity_delta)
            case "receipt":
                _receipt(found, Receipt.model_validate(envelope.payload))
    except ValidationError:
        return


def _shipment(found: Contributions, shipment: Shipment, sign: int) -> None:
    for parcel in shipment.parcels:
        for line in parcel.lines:
            found.add(line.sku, sign * line.quantity)


def _receipt(found: Contributions, receipt: Receipt) -> None:
    for line in [*receipt.lines, *receipt.unexpected_lines]:
        found.add(line.sku, line.qty_received + line.qty_damaged)


# --- the merge ------------------------------------------------------------------------------------------


async def _scend_levels(scend: ScendPort) -> AsyncIterator[tuple[str, float]]:
    async for page in read_ahead(scend.iter_stock_levels(), 1):
        for level in page:
            yield level.sku, float(level.on_hand)


async def _bc_levels(bc: BcClient) -> AsyncIterator[tuple[str, float]]:
    async for item in read_ahead(bc.master.iter_items_by_number(), READ_AHEAD_ITEMS):
        if item.type in (None, "Inventory"):  # services and non-inventory items hold no stock
            yield item.number, float(item.inventory or 0)


async def read_ahead[T](source: AsyncIterator[T], depth: int) -> AsyncIterator[T]:
    """`source`, with up to `depth` values fetched ahead by a task of its own: the next page of
    one side is on its way while the merge works through the other, so the two sides' round trips
    overlap instead of adding up. Memory holds `depth` more values, never the whole stream."""
    ahead: asyncio.Queue[tuple[T | None, BaseException | None, bool]] = asyncio.Queue(maxsize=depth)

    async def fetch() -> None:
        try:
            async for value in source:
                await ahead.put((value, None, False))
        except Exception as error:  # handed to the reader, who raises it
            await ahead.put((None, error, True))
            return
        await ahead.put((None, None, True))

    task = asyncio.create_task(fetch())
    try:
        while True:
            value, error, done = await ahead.get()
            if error is not None:
                raise error
            if done:
                return
            yield value  # type: ignore[misc]
    finally:
        task.cancel()


async def _pairs(
    scend: AsyncIterator[tuple[str, float]], bc: AsyncIterator[tuple[str, float]]
) -> AsyncIterator[tuple[str, float | None, float | None]]:
    """(sku, scend, bc) for every SKU on either side; None where a side does not have it.

    A merge of two streams in SKU order. A SKU seen on one side only is held back in a bounded
    window (`CARRY_OVER`) before it is called one-sided, so a partner that comes a little later
    (BC and Scend ordering a few SKUs differently) still pairs with it; memory stays flat."""
    held: dict[str, OrderedDict[str, float]] = {"scend": OrderedDict(), "bc": OrderedDict()}

    def hold(side: str, sku: str, quantity: float) -> tuple[str, float | None, float | None] | None:
        other = "bc" if side == "scend" else "scend"
        if sku in held[other]:
            partner = held[other].pop(sku)
            return (sku, quantity, partner) if side == "scend" else (sku, partner, quantity)
        held[side][sku] = quantity
        if len(held[side]) > CARRY_OVER:
            old, value = held[side].popitem(last=False)
            return (old, value, None) if side == "scend" else (old, None, value)
        return None

    s_next, b_next = await anext(scend, None), await anext(bc, None)
    while s_next is not None or b_next is not None:
        if s_next is not None and b_next is not None and s_next[0] == b_next[0]:
            yield s_next[0], s_next[1], b_next[1]
            s_next, b_next = await anext(scend, None), await anext(bc, None)
            continue
        if s_next is not None and (b_next is None or s_next[0] < b_next[0]):
            done = hold("scend", *s_next)
            s_next = await anext(scend, None)
        else:
            assert b_next is not None
            done = hold("bc", *b_next)
            b_next = await anext(bc, None)
        if done is not None:
            yield done
    for sku, quantity in held["scend"].items():
        yield sku, quantity, None
    for sku, quantity in held["bc"].items():
        yield sku, None, quantity


# --- the run --------------------------------------------------------------------------------------------


def classify(variance: float, flight: float, explained: float) -> Classification:
    if abs(variance - flight) < 1e-9:
        return Classification.IN_FLIGHT
    if abs(variance - flight - explained) < 1e-9:
        return Classification.EXPLAINED
    return Classification.UNEXPLAINED


async def reconcile_stock(
    *,
    scend: ScendPort,
    bc: BcClient,
    watermarks: WatermarkStore,
    processed: ProcessedEventStore,
    exceptions: ExceptionStore,
    reconciliations: ReconciliationStore,
    clock: Callable[[], datetime],
) -> RunSummary:
    """Compare every SKU and store the run; see the module docstring."""
    started = clock()
    run_id = run_id_for(started, secrets.token_hex(2))
    flight = await in_flight(scend, watermarks, processed, exceptions, clock)
    explained = await explained_by_exceptions(exceptions)
    flagged = await _open_variances(exceptions)
    counts: Counter[str] = Counter()
    batch: list[SkuVariance] = []
    async for sku, on_hand, inventory in _pairs(_scend_levels(scend), _bc_levels(bc)):
        counts["compared"] += 1
        counts["only_in_bc"] += on_hand is None
        counts["only_in_scend"] += inventory is None
        scend_qty, bc_qty = on_hand or 0.0, inventory or 0.0
        if scend_qty == bc_qty:
            counts["matched"] += 1
            if sku in flagged:
                await exceptions.resolve(STOCK_KIND, STOCK_VARIANCE, sku, f"matched in run {run_id}")
            continue
        row = SkuVariance(
            sku=sku, bc_quantity=bc_qty, scend_quantity=scend_qty, in_flight=flight.units[sku],
            explained=explained.units[sku],
            classification=classify(scend_qty - bc_qty, flight.units[sku], explained.units[sku]),
        )  # fmt: skip
        counts[row.classification.value] += 1
        await _raise_or_resolve(exceptions, row, run_id, sku in flagged)
        batch.append(row)
        if len(batch) >= WRITE_BATCH:
            await reconciliations.save_variances(run_id, batch)
            batch = []
    if batch:
        await reconciliations.save_variances(run_id, batch)
    summary = RunSummary(
        run_id=run_id, started_at=started, finished_at=clock(), skus_compared=counts["compared"],
        matched=counts["matched"], in_flight=counts[Classification.IN_FLIGHT.value],
        explained=counts[Classification.EXPLAINED.value],
        unexplained=counts[Classification.UNEXPLAINED.value],
        only_in_bc=counts["only_in_bc"], only_in_scend=counts["only_in_scend"],
    )  # fmt: skip
    await reconciliations.save_summary(summary)
    log.info("reconcile_stock %s: %s", run_id, summary.model_dump(exclude={"run_id"}))
    return summary


async def _open_variances(exceptions: ExceptionStore) -> set[str]:
    flagged: set[str] = set()
    continuation: str | None = None
    while True:
        page = await exceptions.list_page(
            status=ExceptionStatus.OPEN, kind=STOCK_KIND, type=STOCK_VARIANCE, page_size=500,
            continuation=continuation,
        )  # fmt: skip
        flagged.update(row.business_key for row in page.items)
        continuation = page.continuation
        if continuation is None:
            return flagged


async def _raise_or_resolve(exceptions: ExceptionStore, row: SkuVariance, run_id: str, flagged: bool) -> None:
    if row.classification is not Classification.UNEXPLAINED:
        if flagged:
            await exceptions.resolve(
                STOCK_KIND, STOCK_VARIANCE, row.sku, f"{row.classification} in run {run_id}"
            )
        return
    if flagged:
        return  # still open from an earlier run: one row per SKU, not one per night
    await exceptions.record(
        STOCK_KIND,
        STOCK_VARIANCE,
        row.sku,
        detail=f"SKU {row.sku}: Scend has {row.scend_quantity:g} on hand, Business Central"
        f" {row.bc_quantity:g}; {row.unexplained:+g} unexplained after {row.in_flight:+g} in flight"
        f" and {row.explained:+g} in open exceptions (run {run_id})",
    )


# --- the reports ----------------------------------------------------------------------------------------

COLUMNS = ("sku", "classification", "scend_quantity", "bc_quantity", "variance", "in_flight", "explained",
           "unexplained")  # fmt: skip
_TEMPLATES = Environment(loader=PackageLoader("shared", "templates"), autoescape=select_autoescape(["html"]))


async def write_reports(
    reconciliations: ReconciliationStore, summary: RunSummary, folder: Path
) -> tuple[Path, Path]:
    """`stock-<run id>.csv` (every differing SKU) and `.html` (the summary and what needs a person)
    in `folder`. The stored run holds only differences, so this holds no catalogue either."""
    rows = [
        row.model_dump() | {"variance": row.variance, "unexplained": row.unexplained}
        async for row in reconciliations.variances(summary.run_id)
    ]
    return await asyncio.to_thread(_write_files, summary, rows, folder)


def _write_files(summary: RunSummary, rows: list[dict[str, Any]], folder: Path) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    csv_path, html_path = folder / f"stock-{summary.run_id}.csv", folder / f"stock-{summary.run_id}.html"
    with csv_path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(COLUMNS)
        writer.writerows([row[c] for c in COLUMNS] for row in rows)
    unexplained = [row for row in rows if row["classification"] == Classification.UNEXPLAINED]
    html = _TEMPLATES.get_template("stock_reconciliation.html")
    html_path.write_text(
        html.render(summary=summary, unexplained=unexplained, csv_name=csv_path.name), "utf-8"
    )
    return csv_path, html_path
