"""Shipment confirmation: Scend shipments in, their units shipped on the BC orders exactly once.

The handler of the `scend-shipments` queue, which the Functions host delivers in batches (up to 100
messages): BC's budget of 6,000 requests per 5 minutes is what limits a busy warehouse, so a batch
of shipments costs a few `$batch` requests, not a few requests each (bench/README.md has the
figures). The order is found by our own references, never by a field someone can edit: the Scend
order id through the cross-reference (`scend|<id>` → `bc|<order id>`), and the shipment's
`client_reference`, which this integration made, for the wait below.

- **One answer per shipment.** A batch is split into waves holding at most one shipment per order
  (the second despatch of an order waits for the first); every step runs for the whole wave, and a
  shipment that fails a step drops out with its own error, never its neighbours'. The trigger shell
  settles each message by its answer (`Settler.run_batch`).
- **Waits, then orphan.** A despatch can overtake the order's own cross-reference (Scend accepted
  the order, our worker has not saved the answer yet). If the reference is one of ours the message
  waits (retries) until `dependency_wait` has passed, then it is `ORPHANED_FULFILMENT` for
  warehouse ops, parked with its payload. A reference we never made is an orphan at once.
- **Exact quantities.** Units are summed per order line over the parcels; a line the order does
  not have, or more units than the line still has open, is `QUANTITY_MISMATCH` and nothing posts.
- **Write-back.** The wave's orders are read in one `$batch`. `standard`: every order's Qty. to
  Ship/Invoice in one `$batch`, then `shipAndInvoice` of each in another (it invoices too: the API
  has no ship-only action). `extension`: the companion API's shipment confirmations with agent,
  service and tracking number, created in one `$batch` and posted in another, ship only.
- **Exactly once per shipment id.** The order's cross-reference lists applied shipments. Standard
  posting is a once-only write behind a posting marker per order (`posting_marker`: after a lost
  answer the next attempt reads Quantity Shipped before posting again); the marker, saved under
  the cross-reference's ETag, also keeps two workers from posting one order at once. The extension
  is idempotent on the shipment id by contract.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from uuid import UUID

from pydantic import ValidationError

from shared.bc.client import BcClient
from shared.bc.errors import BcFailure, BcRecordNotFound
from shared.bc.models import (
    SalesOrder,
    SalesOrderLine,
    ShipmentConfirmationDraft,
    ShipmentConfirmationLineDraft,
)
from shared.bc.models.warehouse import POSTED
from shared.bc.posting import Posting
from shared.errors import IntegrationError, InvalidMessage, PermanentError
from shared.flows.order_links import linked_order
from shared.flows.order_release import DESPATCHED_IN_FULL as COMPLETE
from shared.flows.posting_marker import PostingMarker, cleared
from shared.mapping.despatch import Tracking, despatched_units, tracking_of
from shared.mapping.lookups import Lookups
from shared.messaging.envelope import Envelope
from shared.scend.calls import field_places
from shared.scend.models import Shipment
from shared.settings import WriteBackMode
from shared.store.crossrefs import CrossReference, CrossReferenceStore
from shared.store.exceptions import ExceptionStore
from shared.store.processed import RETENTION, ProcessedEventStore
from shared.store.timeline import OrderTimelineStore, Stage

log = logging.getLogger(__name__)

SHIPMENT_KIND = "shipment"
ORPHANED_FULFILMENT, QUANTITY_MISMATCH = "ORPHANED_FULFILMENT", "QUANTITY_MISMATCH"
PARTIAL = "partial"


class DespatchOutcome(StrEnum):
    POSTED = "posted"
    ALREADY_POSTED = "already_posted"  # a duplicate, or an in-doubt posting that had committed


type Answer = DespatchOutcome | Exception  # what became of one shipment of a batch


def shipment_of(envelope: Envelope) -> Shipment:
    try:
        return Shipment.model_validate(envelope.payload)
    except ValidationError as error:
        raise InvalidMessage(f"not a Scend shipment: {field_places(error)}") from None


@dataclass(slots=True)
class _Despatch:
    """One shipment on its way into BC, and what the steps have learnt about it."""

    index: int  # its place in the batch
    envelope: Envelope
    shipment: Shipment
    units: dict[int, int]  # BC Line No. → units
    tracking: Tracking
    ref: CrossReference = field(init=False)
    order: SalesOrder | Exception | None = None
    lines: dict[int, SalesOrderLine] = field(default_factory=dict)
    outcome: DespatchOutcome = DespatchOutcome.POSTED
    bc_document: str | None = None

    @property
    def read_order(self) -> SalesOrder:
        if not isinstance(self.order, SalesOrder):
            raise RuntimeError("the order was not read")  # a defect: the steps run in order
        return self.order


type Step = Callable[[_Despatch], Awaitable[DespatchOutcome | None]]


@dataclass
class Despatches:
    """The collaborators of the shipment confirmation flow."""

    bc: BcClient
    cross_references: CrossReferenceStore
    exceptions: ExceptionStore
    timeline: OrderTimelineStore
    lookups: Lookups
    mode: WriteBackMode
    clock: Callable[[], datetime]
    dependency_wait: timedelta
    processed: ProcessedEventStore
    retention: timedelta = RETENTION

    async def confirm(self, envelope: Envelope) -> DespatchOutcome:
        """Apply one Scend shipment to its BC order (a batch of one); raises what it failed with."""
        (answer,) = await self.confirm_many([envelope])
        if isinstance(answer, Exception):
            raise answer
        return answer

    async def confirm_many(self, envelopes: Sequence[Envelope]) -> list[Answer]:
        """Apply a batch of Scend shipments; one answer per envelope, in order (module docstring)."""
        answers: dict[int, Answer] = {}
        despatches = []
        for index, envelope in enumerate(envelopes):
            try:
                despatches.append(self._despatch_of(index, envelope))
            except Exception as error:  # each shipment gets its own answer
                answers[index] = error
        for wave in _waves(despatches):
            await self._confirm_wave(wave, answers)
        return [answers[index] for index in range(len(envelopes))]

    async def _confirm_wave(self, wave: list[_Despatch], answers: dict[int, Answer]) -> None:
        wave = await _each(wave, self._link, answers)
        if self.mode is WriteBackMode.EXTENSION:
            done = await self._post_with_extension(wave, answers)
        else:
            done = await self._post_standard(wave, answers)
        done = await _each(done, self._record, answers)
        answers.update((d.index, d.outcome) for d in done)
        if self.mode is WriteBackMode.STANDARD:
            await self._invoices([d for d in done if d.outcome is DespatchOutcome.POSTED])

    def _despatch_of(self, index: int, envelope: Envelope) -> _Despatch:
        shipment = shipment_of(envelope)
        units = despatched_units(shipment)
        return _Despatch(index, envelope, shipment, units, tracking_of(shipment, self.lookups))

    # --- which order --------------------------------------------------------------------------------

    async def _link(self, d: _Despatch) -> DespatchOutcome | None:
        d.ref = await linked_order(
            self.cross_references,
            scend_order_id=d.shipment.order_id,
            reference=d.shipment.client_reference,
            what=f"shipment {d.shipment.id}",
            exception_type=ORPHANED_FULFILMENT,
            business_key=d.shipment.id,
            wait_until=d.envelope.occurred_at + self.dependency_wait,
        )
        if d.shipment.id in d.ref.tracked_dict("shipments"):
            return DespatchOutcome.ALREADY_POSTED  # a duplicate delivery: nothing left to do
        return None

    async def _read_orders(self, wave: list[_Despatch], answers: dict[int, Answer]) -> list[_Despatch]:
        """Every order of the wave in one `$batch`; a failed batch is every shipment's answer."""
        try:
            orders = await self.bc.sales.get_orders([UUID(d.ref.bc_id) for d in wave])
        except Exception as error:  # each shipment gets its own answer
            answers.update((d.index, error) for d in wave)
            return []
        for d, order in zip(wave, orders, strict=True):
            d.order = order
        return wave

    def _orphaned(self, d: _Despatch) -> PermanentError:
        return PermanentError(
            ORPHANED_FULFILMENT,
            f"shipment {d.shipment.id}: order {d.ref.bc_number} no longer exists in Business Central",
            business_key=d.shipment.id,
        )

    # --- standard: line quantities + shipAndInvoice, guarded by the posting marker ---------------------

    async def _post_standard(self, wave: list[_Despatch], answers: dict[int, Answer]) -> list[_Despatch]:
        """The shipments posted now or found posted; the others have their answers."""
        wave = await self._read_orders(wave, answers) if wave else []
        wave = await _each(wave, self._settle_marker, answers)
        settled = [d for d in wave if d.outcome is DespatchOutcome.ALREADY_POSTED]
        to_post = await _each([d for d in wave if d.outcome is DespatchOutcome.POSTED], self._mark, answers)
        if not to_post:
            return settled
        postings = [
            Posting(
                order_id=d.read_order.id,
                order_number=d.read_order.number,
                lines=d.read_order.sales_order_lines,
                pending={line.id: line.ship_quantity for line in d.read_order.sales_order_lines or ()},
                quantities={line.id: Decimal(d.units[seq]) for seq, line in d.lines.items()},
            )
            for d in to_post
        ]
        try:
            failures: Sequence[Exception | None] = await self.bc.sales.post_shipments_and_invoices(postings)
        except Exception as error:  # each shipment gets its own answer
            failures = [error] * len(to_post)
        refused = [d for d, failure in zip(to_post, failures, strict=True) if isinstance(failure, BcFailure)]
        # BC refused those: nothing was posted, the marker goes (if that fails, the next attempt reads)
        await asyncio.gather(
            *(self.cross_references.save(cleared(d.ref)) for d in refused), return_exceptions=True
        )
        for d, failure in zip(to_post, failures, strict=True):
            if failure is not None:
                answers[d.index] = failure
        return settled + [d for d, failure in zip(to_post, failures, strict=True) if failure is None]

    async def _settle_marker(self, d: _Despatch) -> None:
        """A posting marker left by an attempt that lost BC's answer: did that posting commit?"""
        gone = isinstance(d.order, BcRecordNotFound)  # BC removes a fully invoiced order
        if isinstance(d.order, Exception) and not gone:
            raise d.order
        marker = PostingMarker.of(d.ref)
        if marker is not None:
            marker.wait_if_running(d.shipment.id, self.clock(), f"order {d.ref.bc_number}")
            shipped = None if gone else _shipped(d.read_order)
            committed = marker.committed(shipped)
            settled = {marker.document: marker.as_applied(self.clock())} if committed else {}
            d.ref = await self.cross_references.save(
                cleared(d.ref).with_tracking(shipments=d.ref.tracked_dict("shipments") | settled)
            )
            if committed and marker.document == d.shipment.id:
                d.outcome = DespatchOutcome.ALREADY_POSTED
                return
        if gone:
            raise self._orphaned(d)

    async def _mark(self, d: _Despatch) -> None:
        """Check the units fit the order, then save the posting marker (its ETag: one poster per order)."""
        d.lines = _lines_for(d.read_order, d.shipment, d.units)
        d.ref = await self.cross_references.save(
            PostingMarker(
                document=d.shipment.id,
                before={str(seq): str(line.shipped_quantity) for seq, line in d.lines.items()},
                units={str(seq): str(qty) for seq, qty in d.units.items()},
                since=self.clock(),
            ).on(d.ref)
        )

    # --- extension: the companion API's shipment confirmations ------------------------------------------

    async def _post_with_extension(
        self, wave: list[_Despatch], answers: dict[int, Answer]
    ) -> list[_Despatch]:
        wave = await self._read_orders(wave, answers) if wave else []
        wave = await _each(wave, self._check_or_find, answers)
        found = [d for d in wave if d.outcome is DespatchOutcome.ALREADY_POSTED]
        to_post = [d for d in wave if d.outcome is DespatchOutcome.POSTED]
        if not to_post:
            return found
        drafts = [self._draft(d) for d in to_post]
        try:
            confirmations: Sequence[object] = await self.bc.warehouse.post_shipments(drafts)
        except Exception as error:  # each shipment gets its own answer
            confirmations = [error] * len(to_post)
        posted = []
        for d, confirmation in zip(to_post, confirmations, strict=True):
            if isinstance(confirmation, Exception):
                answers[d.index] = confirmation
            else:
                d.bc_document = getattr(confirmation, "sales_shipment_number", None)
                posted.append(d)
        return found + posted

    async def _check_or_find(self, d: _Despatch) -> None:
        """The units must fit the order; when they do not (or the order is gone), an earlier attempt
        may have posted this very shipment: the extension knows it by the shipment id."""
        try:
            if isinstance(d.order, Exception):
                raise self._orphaned(d) if isinstance(d.order, BcRecordNotFound) else d.order
            d.lines = _lines_for(d.read_order, d.shipment, d.units)
        except PermanentError:
            existing = await self.bc.warehouse.find_shipment(d.shipment.id)
            if existing is None or existing.status != POSTED:
                raise
            d.outcome, d.bc_document = DespatchOutcome.ALREADY_POSTED, existing.sales_shipment_number

    def _draft(self, d: _Despatch) -> ShipmentConfirmationDraft:
        return ShipmentConfirmationDraft(
            scend_shipment_id=d.shipment.id,
            sales_order_id=d.read_order.id,
            shipment_date=d.shipment.despatched_at.date(),
            package_tracking_number=d.tracking.first_tracking_number,
            shipping_agent_code=d.tracking.shipping_agent,
            shipping_agent_service_code=d.tracking.shipping_agent_service,
            shipment_confirmation_lines=[
                ShipmentConfirmationLineDraft(sales_order_line_id=line.id, quantity=Decimal(d.units[seq]))
                for seq, line in sorted(d.lines.items())
            ],
        )

    # --- afterwards: the cross-reference, the timeline, the exceptions ---------------------------------

    async def _record(self, d: _Despatch) -> None:
        entry = {"units": _keyed(d.units), "at": self.clock().isoformat(), "bc_shipment": d.bc_document}
        despatch = COMPLETE if d.shipment.is_final_for_order else PARTIAL
        d.ref = await self.cross_references.save(
            cleared(d.ref).with_tracking(
                shipments=d.ref.tracked_dict("shipments") | {d.shipment.id: entry}, despatch=despatch
            )
        )
        await self._tell(d)
        await self.processed.record(SHIPMENT_KIND, d.shipment.id, d.outcome.value, self.retention)

    async def _tell(self, d: _Despatch) -> None:
        shipment, tracking, ref = d.shipment, d.tracking, d.ref
        detail = {
            "occurred_at": shipment.despatched_at.isoformat(),
            "scend_order_id": shipment.order_id,
            "client_reference": shipment.client_reference,
            "carrier": tracking.carrier,
            "service": tracking.service,
            "shipping_agent": tracking.shipping_agent,
            "parcels": list(tracking.parcels),
            "units": _keyed(d.units),
            "final": shipment.is_final_for_order,
            "write_back": self.mode.value,
            "bc_shipment": d.bc_document,
        }
        await self.timeline.record(
            ref.bc_number, Stage.DESPATCHED, shipment.id, bc_order_id=ref.bc_id, detail=detail
        )
        await self.exceptions.resolve_document(SHIPMENT_KIND, shipment.id, f"posted to order {ref.bc_number}")
        if not tracking.has_tracking:
            await self.exceptions.record(
                SHIPMENT_KIND,
                "TRACKING_MISSING",
                shipment.id,
                detail=f"order {ref.bc_number}: Scend shipment {shipment.id} ({tracking.carrier}) has no "
                "tracking number on any parcel",
            )

    async def _invoices(self, posted: list[_Despatch]) -> None:
        """Standard mode invoices as it ships: each posted invoice on its order's timeline, read for
        the whole wave at once. Only the timeline waits on it, so a failed read is logged, not retried."""
        if not posted:
            return
        refs = {d.ref.bc_number: d.ref for d in posted}
        try:
            invoices = await self.bc.sales.find_invoices_of(list(refs))
        except IntegrationError as error:
            log.warning("invoices of %d posted order(s) not read for the timeline: %s", len(refs), error)
            return
        for invoice in invoices:
            ref = refs.get(invoice.order_number or "")
            if ref is not None:
                await self.timeline.record(
                    ref.bc_number, Stage.INVOICED, invoice.number, bc_order_id=ref.bc_id,
                    detail={"posting_date": str(invoice.posting_date or ""), "status": invoice.status},
                )  # fmt: skip


async def _each(wave: list[_Despatch], step: Step, answers: dict[int, Answer]) -> list[_Despatch]:
    """Run `step` for every shipment of the wave at once. One that fails drops out with its error as
    its answer, one the step finishes (it returns an outcome) drops out with that outcome."""

    async def run(d: _Despatch) -> None:
        try:
            outcome = await step(d)
        except Exception as error:  # each shipment gets its own answer
            answers[d.index] = error
        else:
            if outcome is not None:
                answers[d.index] = outcome

    await asyncio.gather(*(run(d) for d in wave))
    return [d for d in wave if d.index not in answers]


def _waves(despatches: list[_Despatch]) -> list[list[_Despatch]]:
    """At most one shipment per Scend order in a wave, in delivery order: an order's second despatch
    goes in the second wave, after its first has been applied."""
    waves: list[list[_Despatch]] = []
    seen: defaultdict[str, int] = defaultdict(int)
    for d in despatches:
        wave = seen[d.shipment.order_id]
        seen[d.shipment.order_id] += 1
        if wave == len(waves):
            waves.append([])
        waves[wave].append(d)
    return waves


def _shipped(order: SalesOrder) -> dict[str, Decimal]:
    """Each line's Quantity Shipped, by BC Line No."""
    return {str(line.sequence): line.shipped_quantity for line in order.sales_order_lines or ()}


def _lines_for(
    order: SalesOrder, shipment: Shipment, units: dict[int, int], *, check_open: bool = True
) -> dict[int, SalesOrderLine]:
    """The order lines the units go to; refused whole when one does not fit (nothing is posted)."""
    by_number = {line.sequence: line for line in order.sales_order_lines or ()}
    problems = []
    for seq, quantity in sorted(units.items()):
        line = by_number.get(seq)
        if line is None:
            problems.append(f"line {seq} is not on the order ({quantity} despatched)")
        elif check_open and Decimal(quantity) > line.quantity - line.shipped_quantity:
            open_units = line.quantity - line.shipped_quantity
            problems.append(
                f"line {seq} ({line.line_object_number}): {quantity} despatched, {open_units} open"
            )
    if problems:
        raise PermanentError(
            QUANTITY_MISMATCH,
            f"order {order.number}, Scend shipment {shipment.id}: "
            + "; ".join(problems)
            + "; nothing was posted",
            business_key=shipment.id,
        )
    return {seq: by_number[seq] for seq in units}


def _keyed(units: dict[int, int]) -> dict[str, int]:
    return {str(seq): qty for seq, qty in sorted(units.items())}
