"""Shipment confirmation: one Scend shipment in, its units shipped on the BC order exactly once.

The handler of the `scend-shipments` queue (sessions keyed by the Scend order id, so two shipments
of one order never post at once). The order is found by our own references, never by a field
someone can edit: the Scend order id through the cross-reference (`scend|<id>` → `bc|<order id>`),
and the shipment's `client_reference`, which this integration made, for the wait below.

- **Waits, then orphan.** A despatch can overtake the order's own cross-reference (Scend accepted
  the order, our worker has not saved the answer yet). If the reference is one of ours the message
  waits (retries) until `dependency_wait` has passed, then it is `ORPHANED_FULFILMENT` for
  warehouse ops, parked with its payload. A reference we never made is an orphan at once.
- **Exact quantities.** Units are summed per order line over the parcels; a line the order does
  not have, or more units than the line still has open, is `QUANTITY_MISMATCH` and nothing posts.
- **Write-back.** `standard`: the lines' Qty. to Ship/Invoice in one `$batch`, then
  `shipAndInvoice` (it invoices too: the API has no ship-only action). `extension`: the companion
  API's shipment confirmation with agent, service and tracking number, ship only.
- **Exactly once per shipment id.** The order's cross-reference lists applied shipments. Standard
  posting is a once-only write behind a posting marker (`posting_marker`: after a lost answer the
  next attempt reads Quantity Shipped before posting again). The extension is idempotent on the
  shipment id by contract.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
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
from shared.errors import InvalidMessage, PermanentError
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

SHIPMENT_KIND = "shipment"
ORPHANED_FULFILMENT, QUANTITY_MISMATCH = "ORPHANED_FULFILMENT", "QUANTITY_MISMATCH"
PARTIAL = "partial"


class DespatchOutcome(StrEnum):
    POSTED = "posted"
    ALREADY_POSTED = "already_posted"  # a duplicate, or an in-doubt posting that had committed


def shipment_of(envelope: Envelope) -> Shipment:
    try:
        return Shipment.model_validate(envelope.payload)
    except ValidationError as error:
        raise InvalidMessage(f"not a Scend shipment: {field_places(error)}") from None


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
        """Apply one Scend shipment to its BC order; see the module docstring."""
        shipment = shipment_of(envelope)
        ref = await self._order_of(shipment, envelope)
        if shipment.id in ref.tracked_dict("shipments"):
            return DespatchOutcome.ALREADY_POSTED
        units = despatched_units(shipment)
        tracking = tracking_of(shipment, self.lookups)
        if self.mode is WriteBackMode.EXTENSION:
            outcome, bc_document = await self._post_with_extension(ref, shipment, units, tracking)
        else:
            ref, outcome = await self._post_standard(ref, shipment, units)
            bc_document = None
        ref = await self._applied(ref, shipment, units, bc_document)
        await self._tell(ref, shipment, units, tracking, bc_document)
        await self.processed.record(SHIPMENT_KIND, shipment.id, outcome.value, self.retention)
        return outcome

    # --- which order --------------------------------------------------------------------------------

    async def _order_of(self, shipment: Shipment, envelope: Envelope) -> CrossReference:
        return await linked_order(
            self.cross_references,
            scend_order_id=shipment.order_id,
            reference=shipment.client_reference,
            what=f"shipment {shipment.id}",
            exception_type=ORPHANED_FULFILMENT,
            business_key=shipment.id,
            wait_until=envelope.occurred_at + self.dependency_wait,
        )

    async def _bc_order(self, ref: CrossReference, shipment: Shipment) -> SalesOrder:
        try:
            return await self.bc.sales.get_order(UUID(ref.bc_id))
        except BcRecordNotFound:
            raise PermanentError(
                ORPHANED_FULFILMENT,
                f"shipment {shipment.id}: order {ref.bc_number} no longer exists in Business Central",
                business_key=shipment.id,
            ) from None

    # --- standard: line quantities + shipAndInvoice, guarded by the posting marker ---------------------

    async def _post_standard(
        self, ref: CrossReference, shipment: Shipment, units: dict[int, int]
    ) -> tuple[CrossReference, DespatchOutcome]:
        """Returns the cross-reference as saved last (its ETag guards the next write)."""
        marker = PostingMarker.of(ref)
        if marker is not None:
            marker.wait_if_running(shipment.id, self.clock(), f"order {ref.bc_number}")
            committed = marker.committed(await self._shipped_now(ref))
            settled = {marker.document: marker.as_applied(self.clock())} if committed else {}
            ref = await self.cross_references.save(
                cleared(ref).with_tracking(shipments=ref.tracked_dict("shipments") | settled)
            )
            if committed and marker.document == shipment.id:
                return ref, DespatchOutcome.ALREADY_POSTED
        order = await self._bc_order(ref, shipment)
        lines = _lines_for(order, shipment, units)
        ref = await self.cross_references.save(
            PostingMarker(
                document=shipment.id,
                before={str(seq): str(line.shipped_quantity) for seq, line in lines.items()},
                units={str(seq): str(qty) for seq, qty in units.items()},
                since=self.clock(),
            ).on(ref)
        )
        try:
            await self.bc.sales.post_shipment_and_invoice(
                order, {line.id: Decimal(units[seq]) for seq, line in lines.items()}
            )
        except BcFailure:
            await self.cross_references.save(cleared(ref))  # BC refused: nothing was posted
            raise
        return ref, DespatchOutcome.POSTED

    async def _shipped_now(self, ref: CrossReference) -> dict[str, Decimal] | None:
        """Each line's Quantity Shipped now; None when BC has removed the (fully invoiced) order."""
        try:
            order = await self.bc.sales.get_order(UUID(ref.bc_id))
        except BcRecordNotFound:
            return None
        return {str(line.sequence): line.shipped_quantity for line in order.sales_order_lines or ()}

    # --- extension: the companion API's shipment confirmation ------------------------------------------

    async def _post_with_extension(
        self, ref: CrossReference, shipment: Shipment, units: dict[int, int], tracking: Tracking
    ) -> tuple[DespatchOutcome, str | None]:
        existing = await self.bc.warehouse.find_shipment(shipment.id)
        if existing is not None and existing.status == POSTED:
            return DespatchOutcome.ALREADY_POSTED, existing.sales_shipment_number
        order = await self._bc_order(ref, shipment)
        lines = _lines_for(order, shipment, units, check_open=existing is None)
        draft = ShipmentConfirmationDraft(
            scend_shipment_id=shipment.id,
            sales_order_id=order.id,
            shipment_date=shipment.despatched_at.date(),
            package_tracking_number=tracking.first_tracking_number,
            shipping_agent_code=tracking.shipping_agent,
            shipping_agent_service_code=tracking.shipping_agent_service,
            shipment_confirmation_lines=[
                ShipmentConfirmationLineDraft(sales_order_line_id=line.id, quantity=Decimal(units[seq]))
                for seq, line in sorted(lines.items())
            ],
        )
        posted = await self.bc.warehouse.post_shipment(draft)
        return DespatchOutcome.POSTED, posted.sales_shipment_number

    # --- afterwards: the cross-reference, the timeline, the exceptions ---------------------------------

    async def _applied(
        self, ref: CrossReference, shipment: Shipment, units: dict[int, int], bc_document: str | None
    ) -> CrossReference:
        entry = {"units": _keyed(units), "at": self._now(), "bc_shipment": bc_document}
        shipments = ref.tracked_dict("shipments") | {shipment.id: entry}
        despatch = COMPLETE if shipment.is_final_for_order else PARTIAL
        return await self.cross_references.save(
            cleared(ref).with_tracking(shipments=shipments, despatch=despatch)
        )

    async def _tell(
        self,
        ref: CrossReference,
        shipment: Shipment,
        units: dict[int, int],
        tracking: Tracking,
        bc_document: str | None,
    ) -> None:
        detail = {
            "occurred_at": shipment.despatched_at.isoformat(),
            "scend_order_id": shipment.order_id,
            "client_reference": shipment.client_reference,
            "carrier": tracking.carrier,
            "service": tracking.service,
            "shipping_agent": tracking.shipping_agent,
            "parcels": list(tracking.parcels),
            "units": _keyed(units),
            "final": shipment.is_final_for_order,
            "write_back": self.mode.value,
            "bc_shipment": bc_document,
        }
        await self.timeline.record(
            ref.bc_number, Stage.DESPATCHED, shipment.id, bc_order_id=ref.bc_id,
            detail=detail,
        )  # fmt: skip
        if self.mode is WriteBackMode.STANDARD:
            await self._invoices(ref)
        await self.exceptions.resolve_document(SHIPMENT_KIND, shipment.id, f"posted to order {ref.bc_number}")
        if not tracking.has_tracking:
            await self.exceptions.record(
                SHIPMENT_KIND,
                "TRACKING_MISSING",
                shipment.id,
                detail=f"order {ref.bc_number}: Scend shipment {shipment.id} ({tracking.carrier}) has no "
                "tracking number on any parcel",
            )

    async def _invoices(self, ref: CrossReference) -> None:
        """Standard mode invoices as it ships: put each posted invoice of the order on its timeline."""
        for invoice in await self.bc.sales.find_invoices(order_number=ref.bc_number):
            await self.timeline.record(
                ref.bc_number, Stage.INVOICED, invoice.number, bc_order_id=ref.bc_id,
                detail={"posting_date": str(invoice.posting_date or ""), "status": invoice.status},
            )  # fmt: skip

    def _now(self) -> str:
        return self.clock().isoformat()


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
