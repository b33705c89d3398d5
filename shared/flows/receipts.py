"""Receipt confirmation: a Scend receipt becomes a BC purchase receipt exactly once, and every
difference from the order is shown to purchasing.

The handler of the `scend-receipts` queue. The purchase order is found through its ASN
(`scend|<ASN id>` → `bc|<PO id>`); a receipt that overtakes the ASN's cross-reference waits up to
`DEPENDENCY_WAIT_HOURS`, then is `RECEIPT_VARIANCE`.

Per line (`line_ref` = BC Line No.) the units that arrived are `qty_received + qty_damaged`:
damaged units arrived and are the buyer's (the supplier claim is purchasing's). What is posted is
at most what the line still expects; the rest is a variance:

| difference                                   | posted                | raised                     |
|----------------------------------------------|-----------------------|----------------------------|
| over: more than the line still expects       | what it expects       | `RECEIPT_VARIANCE`         |
| damaged units                                | all that arrived      | `RECEIPT_VARIANCE`         |
| unexpected: a SKU or line not on the order   | nothing               | `RECEIPT_VARIANCE`         |
| short: the final receipt leaves units open   | what arrived          | `RECEIPT_VARIANCE`         |

Write-back: `extension` posts a receipt confirmation (receive only, idempotent on the Scend receipt
id); `standard` posts `receiveAndInvoice` when `BC_INVOICE_ON_RECEIPT` allows invoicing on receipt
(a `posting` marker settles an in-doubt posting, as for shipments), else it proposes the receipt to
purchasing (`RECEIPT_NEEDS_POSTING`, one per receipt id, with the quantities to post).
"""

from __future__ import annotations

from collections import Counter
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
    PurchaseOrder,
    PurchaseOrderLine,
    ReceiptConfirmationDraft,
    ReceiptConfirmationLineDraft,
)
from shared.bc.models.warehouse import POSTED
from shared.errors import InvalidMessage, PermanentError, WaitingForDependency
from shared.flows.asn_export import PO_KIND
from shared.flows.posting_marker import PostingMarker, cleared
from shared.flows.reconciliation import stock_payload
from shared.messaging.envelope import Envelope
from shared.scend.calls import field_places
from shared.scend.models import Receipt
from shared.settings import WriteBackMode
from shared.store.crossrefs import CrossReference, CrossReferenceStore
from shared.store.exceptions import ExceptionStore
from shared.store.processed import RETENTION, ProcessedEventStore

RECEIPT_KIND = "receipt"
RECEIPT_VARIANCE, RECEIPT_NEEDS_POSTING = "RECEIPT_VARIANCE", "RECEIPT_NEEDS_POSTING"


class ReceiptOutcome(StrEnum):
    POSTED = "posted"
    PROPOSED = "proposed"
    ALREADY_DONE = "already_done"
    NOTHING_TO_POST = "nothing_to_post"  # every line unexpected or over


def receipt_of(envelope: Envelope) -> Receipt:
    try:
        return Receipt.model_validate(envelope.payload)
    except ValidationError as error:
        raise InvalidMessage(f"not a Scend receipt: {field_places(error)}") from None


@dataclass(frozen=True, slots=True)
class Plan:
    """What to post per order line (line id → units), and every difference found."""

    post: dict[UUID, Decimal]
    by_line_no: dict[str, int]
    variances: list[str]
    arrived: dict[str, float]  # every unit that came in, per SKU
    unposted: dict[str, float]  # what came in and is not posted: over, unexpected; per SKU


def plan_receipt(order: PurchaseOrder, receipt: Receipt) -> Plan:
    """Compare a receipt with the order's lines; see the module docstring's table."""
    lines = {str(line.sequence): line for line in order.purchase_order_lines or ()}
    arrived: Counter[str] = Counter()
    damaged: Counter[str] = Counter()
    by_sku: Counter[str] = Counter()
    unposted: Counter[str] = Counter()
    variances = []
    for got in [*receipt.lines, *receipt.unexpected_lines]:
        by_sku[got.sku] += got.qty_received + got.qty_damaged
    for got in receipt.lines:
        line = lines.get(got.line_ref or "")
        if line is None or line.line_object_number != got.sku:
            variances.append(
                f"unexpected: {got.qty_received + got.qty_damaged} x {got.sku} (line {got.line_ref})"
            )
            unposted[got.sku] += got.qty_received + got.qty_damaged
            continue
        arrived[got.line_ref or ""] += got.qty_received + got.qty_damaged
        damaged[got.line_ref or ""] += got.qty_damaged
    for extra in receipt.unexpected_lines:
        variances.append(
            f"unexpected: {extra.qty_received + extra.qty_damaged} x {extra.sku} (not on the ASN)"
        )
        unposted[extra.sku] += extra.qty_received + extra.qty_damaged
    post: dict[UUID, Decimal] = {}
    by_line_no: dict[str, int] = {}
    for line_no, units in sorted(arrived.items()):
        line = lines[line_no]
        expected = line.quantity - line.received_quantity
        posted = min(Decimal(units), max(expected, Decimal(0)))
        if posted > 0:
            post[line.id] = posted
            by_line_no[line_no] = int(posted)
        if units > expected:
            unposted[line.line_object_number or ""] += int(units - posted)
            variances.append(
                f"over: line {line_no} ({line.line_object_number}) {units} arrived, {expected} expected"
            )
        if damaged[line_no]:
            variances.append(
                f"damaged: line {line_no} ({line.line_object_number}) {damaged[line_no]} arrived damaged"
            )
    if receipt.is_final:
        for line_no, line in sorted(lines.items()):
            short = line.quantity - line.received_quantity - post.get(line.id, Decimal(0))
            if _is_item(line) and short > 0:
                variances.append(f"short: line {line_no} ({line.line_object_number}) {short} never arrived")
    return Plan(post, by_line_no, variances, dict(by_sku), dict(unposted))


@dataclass
class Receipts:
    """The collaborators of the receipt confirmation flow."""

    bc: BcClient
    cross_references: CrossReferenceStore
    exceptions: ExceptionStore
    mode: WriteBackMode
    invoice_on_receipt: bool
    clock: Callable[[], datetime]
    dependency_wait: timedelta
    processed: ProcessedEventStore
    retention: timedelta = RETENTION

    async def confirm(self, envelope: Envelope) -> ReceiptOutcome:
        receipt = receipt_of(envelope)
        outcome = await self._confirm(receipt, envelope)
        await self.processed.record(RECEIPT_KIND, receipt.id, outcome.value, self.retention)
        return outcome

    async def _confirm(self, receipt: Receipt, envelope: Envelope) -> ReceiptOutcome:
        ref = await self._purchase_order_of(receipt, envelope)
        if receipt.id in ref.tracked_dict("receipts"):
            return ReceiptOutcome.ALREADY_DONE
        if self.mode is WriteBackMode.EXTENSION:
            existing = await self.bc.warehouse.find_receipt(receipt.id)
            if existing is not None and existing.status == POSTED:
                await self._applied(ref, receipt, {}, existing.purchase_receipt_number)
                return ReceiptOutcome.ALREADY_DONE
        try:
            order = await self._order(ref, receipt)
        except PermanentError:
            if not self._posted_before_order_went(ref, receipt):
                raise
            marker = PostingMarker.of(ref)
            assert marker is not None
            await self._applied(ref, receipt, {k: int(Decimal(v)) for k, v in marker.units.items()}, None)
            return ReceiptOutcome.ALREADY_DONE
        plan = plan_receipt(order, receipt)
        if self._proposing:
            outcome = await self._propose(order, receipt, plan)
            document = None
        elif not plan.post:
            outcome, document = ReceiptOutcome.NOTHING_TO_POST, None
        elif self.mode is WriteBackMode.EXTENSION:
            outcome, document = await self._post_with_extension(order, receipt, plan), None
        else:
            ref, outcome, plan = await self._post_standard(ref, order, receipt, plan)
            document = None
        posted = outcome in (ReceiptOutcome.POSTED, ReceiptOutcome.ALREADY_DONE) and not self._proposing
        await self._variances(order, receipt, plan, posted)  # first: the receipt is done once applied
        await self._applied(ref, receipt, plan.by_line_no, document)
        return outcome

    def _posted_before_order_went(self, ref: CrossReference, receipt: Receipt) -> bool:
        """BC deletes a purchase order once it is all received and invoiced: gone, with our marker
        for this receipt still on it, means our receiveAndInvoice committed and completed it (its
        answer was lost). Its variances were recorded before it was posted."""
        marker = PostingMarker.of(ref)
        return (
            self.mode is WriteBackMode.STANDARD
            and not self._proposing
            and marker is not None
            and marker.document == receipt.id
        )

    @property
    def _proposing(self) -> bool:
        return self.mode is WriteBackMode.STANDARD and not self.invoice_on_receipt

    async def _purchase_order_of(self, receipt: Receipt, envelope: Envelope) -> CrossReference:
        ref = await self.cross_references.get_by_scend(PO_KIND, receipt.asn_id)
        if ref is not None:
            return ref
        raise WaitingForDependency(
            f"Scend receipt {receipt.id} for ASN {receipt.asn_reference}: no BC purchase order is linked",
            exception_type=RECEIPT_VARIANCE,
            give_up_at=envelope.occurred_at + self.dependency_wait,
        )

    async def _order(self, ref: CrossReference, receipt: Receipt) -> PurchaseOrder:
        try:
            return await self.bc.purchasing.get_order(UUID(ref.bc_id))
        except BcRecordNotFound:
            raise PermanentError(
                RECEIPT_VARIANCE,
                f"Scend receipt {receipt.id}: purchase order {ref.bc_number} is gone from Business Central",
                business_key=receipt.id,
            ) from None

    async def _post_with_extension(
        self, order: PurchaseOrder, receipt: Receipt, plan: Plan
    ) -> ReceiptOutcome:
        draft = ReceiptConfirmationDraft(
            scend_receipt_id=receipt.id,
            purchase_order_id=order.id,
            receipt_date=receipt.received_at.date(),
            vendor_shipment_number=receipt.asn_reference[:35],
            receipt_confirmation_lines=[
                ReceiptConfirmationLineDraft(purchase_order_line_id=line_id, quantity=units)
                for line_id, units in plan.post.items()
            ],
        )
        await self.bc.warehouse.post_receipt(draft)
        return ReceiptOutcome.POSTED

    async def _post_standard(
        self, ref: CrossReference, order: PurchaseOrder, receipt: Receipt, plan: Plan
    ) -> tuple[CrossReference, ReceiptOutcome, Plan]:
        """receiveAndInvoice behind a posting marker (`posting_marker`). The plan returned is the
        one posted: when an earlier attempt's posting of this receipt turns out committed, the plan
        as it was before it (the order read now has those units received already, and planning
        against it would call every unit an over-receipt)."""
        marker = PostingMarker.of(ref)
        if marker is not None:
            marker.wait_if_running(receipt.id, self.clock(), f"purchase order {order.number}")
            committed = marker.committed(_received(order))
            settled = {marker.document: marker.as_applied(self.clock())} if committed else {}
            ref = await self.cross_references.save(
                cleared(ref).with_tracking(receipts=ref.tracked_dict("receipts") | settled)
            )
            if committed and marker.document == receipt.id:
                return ref, ReceiptOutcome.ALREADY_DONE, plan_receipt(_as_before(order, marker), receipt)
            if committed:
                order = await self._order(ref, receipt)
                plan = plan_receipt(order, receipt)
        lines = {line.id: line for line in order.purchase_order_lines or ()}
        ref = await self.cross_references.save(
            PostingMarker(
                document=receipt.id,
                before={str(lines[i].sequence): str(lines[i].received_quantity) for i in plan.post},
                units={str(lines[i].sequence): str(q) for i, q in plan.post.items()},
                since=self.clock(),
            ).on(ref)
        )
        # The variances first: should the answer be lost and BC delete the order it completed, the
        # next attempt has no order to compare the receipt with.
        await self._variances(order, receipt, plan, posted=True)
        try:
            await self.bc.purchasing.post_receipt_and_invoice(order, plan.post)
        except BcFailure:
            await self.cross_references.save(cleared(ref))  # BC refused: nothing was posted
            raise
        return ref, ReceiptOutcome.POSTED, plan

    async def _propose(self, order: PurchaseOrder, receipt: Receipt, plan: Plan) -> ReceiptOutcome:
        if await self.exceptions.get(RECEIPT_KIND, RECEIPT_NEEDS_POSTING, receipt.id) is not None:
            return ReceiptOutcome.ALREADY_DONE
        if not plan.by_line_no:
            return ReceiptOutcome.NOTHING_TO_POST
        lines = {str(line.sequence): line for line in order.purchase_order_lines or ()}
        what = "; ".join(
            f"line {n} ({lines[n].line_object_number}): receive {units}"
            for n, units in plan.by_line_no.items()
        )
        await self.exceptions.record(
            RECEIPT_KIND,
            RECEIPT_NEEDS_POSTING,
            receipt.id,
            detail=f"purchase order {order.number}, Scend receipt {receipt.id} of"
            f" {receipt.received_at:%Y-%m-%d} (ASN {receipt.asn_reference}): {what}",
            payload=stock_payload(plan.arrived, purchase_order=order.number),  # none of it is in BC yet
        )
        return ReceiptOutcome.PROPOSED

    async def _applied(
        self, ref: CrossReference, receipt: Receipt, by_line_no: dict[str, int], document: str | None
    ) -> None:
        """Record the receipt as applied, If-Match the copy this attempt saved or read last."""
        entry = {"units": by_line_no, "at": self.clock().isoformat(), "bc_receipt": document}
        marker = PostingMarker.of(ref)
        ours = cleared(ref) if marker is not None and marker.document == receipt.id else ref
        await self.cross_references.save(
            ours.with_tracking(receipts=ref.tracked_dict("receipts") | {receipt.id: entry})
        )

    async def _variances(self, order: PurchaseOrder, receipt: Receipt, plan: Plan, posted: bool) -> None:
        """One RECEIPT_VARIANCE per receipt. Its payload counts, for the reconciliation, the units
        that came in and were not posted (when the receipt itself is only proposed, the proposal
        counts them all)."""
        if not plan.variances:
            await self.exceptions.resolve(RECEIPT_KIND, RECEIPT_VARIANCE, receipt.id, "received as expected")
            return
        if await self.exceptions.get(RECEIPT_KIND, RECEIPT_VARIANCE, receipt.id) is not None:
            return
        await self.exceptions.record(
            RECEIPT_KIND,
            RECEIPT_VARIANCE,
            receipt.id,
            detail=f"purchase order {order.number}, Scend receipt {receipt.id}: " + "; ".join(plan.variances),
            payload=stock_payload(plan.unposted if posted else {}, purchase_order=order.number),
        )


def _is_item(line: PurchaseOrderLine) -> bool:
    return line.line_type == "Item"


def _received(order: PurchaseOrder) -> dict[str, Decimal]:
    return {str(line.sequence): line.received_quantity for line in order.purchase_order_lines or ()}


def _as_before(order: PurchaseOrder, marker: PostingMarker) -> PurchaseOrder:
    """The order as it was when `marker` was written: each marked line's received quantity then."""
    lines = [
        line.model_copy(update={"received_quantity": Decimal(marker.before[str(line.sequence)])})
        if str(line.sequence) in marker.before
        else line
        for line in order.purchase_order_lines or ()
    ]
    return order.model_copy(update={"purchase_order_lines": lines})
