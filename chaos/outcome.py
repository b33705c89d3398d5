"""The exact outcome of a chaos run, read from the simulators' state and the integration's tables.

Per document: done exactly once (with its quantities), doubled, parked (not done, and an open
exception holds what is needed to replay it), or lost (not done and nobody told). A run passes
when nothing is doubled, nothing lost, every quantity matches and the floor carried out its plan.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from uuid import UUID

from local.bc_sim import BcSim
from local.scend_sim import ScendSim
from shared.mapping.asns import asn_reference
from shared.mapping.references import fingerprint, parse_client_reference
from shared.messaging.envelope import Envelope
from shared.messaging.local import LocalTransport
from shared.messaging.queues import queue_specs
from shared.settings import Settings, WriteBackMode
from shared.store.exceptions import ExceptionStatus, ExceptionStore, SyncException
from shared.store.tables import TableNames, connect

ADJUSTMENT_NEEDS_REVIEW = "ADJUSTMENT_NEEDS_REVIEW"
RETRYABLE = ("RETRIES_EXHAUSTED",)  # failures of the run's own making: IT's Retry is the fix
PROPOSALS = (ADJUSTMENT_NEEDS_REVIEW, "RECEIPT_NEEDS_POSTING")  # work for people by design, not failures
type _Rows = Callable[[str], Sequence[Mapping[str, Any]]]  # the BC simulator's rows of an entity set


@dataclass
class Tally:
    """One flow's documents by how they ended."""

    flow: str
    documents: int = 0
    once: int = 0
    doubled: int = 0
    wrong_quantities: int = 0
    parked: int = 0
    lost: int = 0
    examples: list[str] = field(default_factory=list)

    def note(self, problem: str) -> None:
        if len(self.examples) < 5:
            self.examples.append(problem)

    @property
    def ok(self) -> bool:
        return self.doubled == 0 and self.lost == 0 and self.wrong_quantities == 0


@dataclass
class Outcome:
    tallies: list[Tally]
    open_exceptions: Counter[str]
    dead_letters: Counter[str]
    unaccounted_dead_letters: int
    extra_scend_orders: int
    problems: list[str] = field(default_factory=list)  # open exceptions that are not proposals
    retryable: list[tuple[str, str, str]] = field(default_factory=list)  # (kind, type, key) to Retry

    @property
    def passed(self) -> bool:
        return (
            all(t.ok for t in self.tallies)
            and self.unaccounted_dead_letters == 0
            and self.extra_scend_orders == 0
        )


@dataclass(frozen=True, slots=True)
class Seeded:
    """The BC documents the run made (BC deletes an order once it is all shipped and invoiced, so
    the outcome cannot be read from BC's open orders at the end)."""

    sales_orders: dict[str, str]  # id -> number
    purchase_orders: dict[str, str]  # id -> number


async def read_outcome(
    seeded: Seeded, bc: BcSim, scend: ScendSim, settings: Settings, transport: LocalTransport
) -> Outcome:
    exceptions = await _open_exceptions(settings)
    parked = _parked_keys(exceptions)
    rows = bc.docs.state.rows
    tallies = [
        _orders(seeded, scend, parked),
        _despatches(seeded, rows, scend, parked),
        _returns(rows, scend, parked),
        await _adjustments(bc, scend, settings, parked),
        _receipts(seeded, rows, scend, parked),
    ]
    dead, unaccounted = await _dead_letters(transport, settings, parked)
    extra = sum(parse_client_reference(o.client_reference) is None for o in scend.state.orders.values())
    problems = [
        f"{e.type} {e.kind} {e.business_key}: {e.detail[:300]}" for e in exceptions if e.type not in PROPOSALS
    ]
    opened = Counter(f"{e.type} ({e.owner})" for e in exceptions)
    retryable = [
        (e.kind, e.type, e.business_key) for e in exceptions if e.type in RETRYABLE and e.payload and e.queue
    ]
    return Outcome(tallies, opened, dead, unaccounted, extra, problems, retryable)


# Orders: every released BC order is one Scend order


def _orders(seeded: Seeded, scend: ScendSim, parked: set[str]) -> Tally:
    tally = Tally("orders to Scend")
    at_scend = Counter(
        parsed.fingerprint
        for order in scend.state.orders.values()
        if (parsed := parse_client_reference(order.client_reference)) is not None
    )
    for order_id, number in sorted(seeded.sales_orders.items(), key=lambda item: item[1]):
        tally.documents += 1
        copies = at_scend[fingerprint(UUID(order_id))]
        _count(tally, copies, number, parked_under={order_id, number} & parked)
    return tally


# Despatches: every Scend shipment is one posted BC shipment, with its quantities


def _despatches(seeded: Seeded, rows: _Rows, scend: ScendSim, parked: set[str]) -> Tally:
    tally = Tally("despatches posted")
    numbers = {fingerprint(UUID(order_id)): number for order_id, number in seeded.sales_orders.items()}
    shipment_order = {row["id"]: row["orderNumber"] for row in rows("salesShipments")}
    posted = Counter(shipment_order.values())
    posted_units: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for posted_line in rows("salesShipmentLines"):
        number = shipment_order.get(posted_line["documentId"])
        if number is not None and posted_line["lineObjectNumber"]:
            units = int(Decimal(str(posted_line["quantity"])))
            posted_units[number][posted_line["lineObjectNumber"]] += units
    shipments_by_order: defaultdict[str, list[str]] = defaultdict(list)
    despatched_units: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for shipment in scend.state.shipments.values():
        parsed = parse_client_reference(shipment.client_reference)
        number = numbers.get(parsed.fingerprint) if parsed else None
        if number is None:
            tally.note(f"shipment {shipment.id} for an order BC does not have")
            continue
        shipments_by_order[number].append(shipment.id)
        for parcel in shipment.parcels:
            for line in parcel.lines:
                despatched_units[number][line.sku] += line.quantity
    for number, shipment_ids in sorted(shipments_by_order.items()):
        tally.documents += len(shipment_ids)
        done = posted[number]
        missing = len(shipment_ids) - done
        if done > len(shipment_ids):
            tally.doubled += done - len(shipment_ids)
            tally.note(f"{number}: {done} posted shipments for {len(shipment_ids)} despatches")
        tally.once += min(done, len(shipment_ids))
        if missing > 0:
            waiting = [s for s in shipment_ids if s in parked]
            tally.parked += min(missing, len(waiting))
            if missing > len(waiting):
                tally.lost += missing - len(waiting)
                tally.note(f"{number}: {missing} despatch(es) not posted and no open exception")
        elif posted_units[number] != despatched_units[number]:
            tally.wrong_quantities += 1
            tally.note(
                f"{number}: posted {dict(posted_units[number])}, despatched {dict(despatched_units[number])}"
            )
    return tally


# Returns: every inspected return is one draft credit memo


def _returns(rows: _Rows, scend: ScendSim, parked: set[str]) -> Tally:
    tally = Tally("returns credited")
    memos = Counter(m["externalDocumentNumber"] for m in rows("salesCreditMemos"))
    drafts = Counter(m["externalDocumentNumber"] for m in rows("salesCreditMemos") if m["status"] == "Draft")
    for ret in scend.state.returns.values():
        if ret.status not in ("inspected", "completed"):
            continue
        tally.documents += 1
        _count(tally, memos[ret.id], ret.id, parked_under={ret.id} & parked)
        if memos[ret.id] and drafts[ret.id] != memos[ret.id]:
            tally.wrong_quantities += 1
            tally.note(f"{ret.id}: a credit memo that is not a draft")
    return tally


# Adjustments: one proposal (standard) or one posting (extension) each


async def _adjustments(bc: BcSim, scend: ScendSim, settings: Settings, parked: set[str]) -> Tally:
    tally = Tally("adjustments")
    if settings.bc_writeback_mode is WriteBackMode.EXTENSION:
        done = Counter(str(d.get("scendAdjustmentId", "")) for d in bc.docs.state.rows("stockAdjustments"))
    else:
        rows = await _all_exceptions(settings, type=ADJUSTMENT_NEEDS_REVIEW)
        done = Counter(row.business_key for row in rows)
    for adjustment in scend.state.adjustments.values():
        tally.documents += 1
        _count(tally, done[adjustment.id], adjustment.id, parked_under={adjustment.id} & parked)
    return tally


# Receipts: every Scend receipt is one posted BC receipt; every PO one ASN


def _receipts(seeded: Seeded, rows: _Rows, scend: ScendSim, parked: set[str]) -> Tally:
    tally = Tally("receipts posted")
    asns: defaultdict[str, list[str]] = defaultdict(list)  # reference -> ASN ids
    for asn in scend.state.asns.values():
        asns[asn.client_reference].append(asn.id)
    received: defaultdict[str, list[str]] = defaultdict(list)  # ASN id -> receipt ids
    received_units: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for receipt in scend.state.receipts.values():
        received[receipt.asn_id].append(receipt.id)
        for line in receipt.lines:
            received_units[receipt.asn_id][line.sku] += line.qty_received
    posted = Counter(str(r["orderNumber"]) for r in rows("purchaseReceipts"))
    receipt_po = {r["id"]: str(r["orderNumber"]) for r in rows("purchaseReceipts")}
    posted_units: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for row in rows("purchaseReceiptLines"):
        if (number := receipt_po.get(row["documentId"])) is not None and row["lineObjectNumber"]:
            posted_units[number][row["lineObjectNumber"]] += int(Decimal(str(row["quantity"])))
    for po_id, number in sorted(seeded.purchase_orders.items(), key=lambda item: item[1]):
        ids = asns[asn_reference(number)]
        if len(ids) != 1:  # every PO is one ASN (none yet: parked or lost, counted as its receipt)
            if len(ids) > 1:
                tally.doubled += len(ids) - 1
                tally.note(f"{number}: {len(ids)} ASNs")
            else:
                tally.documents += 1
                _count(tally, 0, number, parked_under={po_id, number} & parked)
                continue
        receipt_ids = received[ids[0]]
        tally.documents += len(receipt_ids)
        done = posted[number]
        tally.once += min(done, len(receipt_ids))
        if done > len(receipt_ids):
            tally.doubled += done - len(receipt_ids)
            tally.note(f"{number}: {done} posted receipts for {len(receipt_ids)} Scend receipts")
        waiting = [r for r in receipt_ids[done:] if r in parked]
        tally.parked += len(waiting)
        if (lost := len(receipt_ids) - done - len(waiting)) > 0:
            tally.lost += lost
            tally.note(f"{number}: {lost} receipt(s) not posted and no open exception")
        elif done == len(receipt_ids) and posted_units[number] != received_units[ids[0]]:
            tally.wrong_quantities += 1
            tally.note(
                f"{number}: posted {dict(posted_units[number])}, received {dict(received_units[ids[0]])}"
            )
    return tally


# Shared


def _count(tally: Tally, copies: int, key: str, *, parked_under: set[str]) -> None:
    if copies == 1:
        tally.once += 1
    elif copies > 1:
        tally.once += 1
        tally.doubled += copies - 1
        tally.note(f"{key}: {copies} copies")
    elif parked_under:
        tally.parked += 1
    else:
        tally.lost += 1
        tally.note(f"{key}: not done and no open exception holding it")


def _parked_keys(exceptions: list[SyncException]) -> set[str]:
    """Business keys of open exceptions that hold what is needed to replay the document."""
    return {e.business_key for e in exceptions if e.payload}


async def _open_exceptions(settings: Settings) -> list[SyncException]:
    return await _all_exceptions(settings, status=ExceptionStatus.OPEN)


async def _all_exceptions(settings: Settings, **filters: object) -> list[SyncException]:
    found: list[SyncException] = []
    async with connect(connection_string=_connection(settings)) as service:
        store = ExceptionStore(service.get_table_client(TableNames().sync_exceptions))
        continuation: str | None = None
        while True:
            page = await store.list_page(page_size=500, continuation=continuation, **filters)  # type: ignore[arg-type]
            found.extend(page.items)
            continuation = page.continuation
            if not continuation:
                return found


async def _dead_letters(
    transport: LocalTransport, settings: Settings, parked: set[str]
) -> tuple[Counter[str], int]:
    counts: Counter[str] = Counter()
    unaccounted = 0
    for spec in queue_specs(settings):
        for message in await transport.peek_dead_letters(spec.name, max_messages=10_000):
            counts[spec.name] += 1
            try:
                key = Envelope.from_bytes(message.body).key
            except ValueError:
                key = ""
            if key not in parked:
                unaccounted += 1
    return counts, unaccounted


def _connection(settings: Settings) -> str:
    if settings.tables_connection_string is None:
        raise RuntimeError("the chaos run keeps its tables on Azurite: TABLES_CONNECTION_STRING")
    return settings.tables_connection_string.get_secret_value()
