"""Return to credit memo: a Scend return, once inspected, becomes exactly one draft BC credit memo.

The handler of the `scend-returns` queue. Scend reports a return at every status change
(`received`, `inspected`, `completed`; `unidentified` when it matched nothing); each snapshot is a
message keyed by return id and status.

- `received`: the order's timeline says so; nothing is credited before inspection, because only
  then is it known what came back and in what condition.
- `inspected` / `completed`: one draft Sales Credit Memo (`mapping.returns`) for the original
  customer, External Document No. = the return id. Never posted: finance reviews and posts it.
  Exactly once: before creating, the flow looks for a memo with that External Document No.; the
  create is a once-only write, so a timeout (`InDoubt`) is retried, and the retry finds the memo
  if BC had committed it (the race: created, answer lost, a blind resend makes a second credit).
- The original order is found by our references (the Scend order id through the cross-reference,
  or the `order_reference` we made). One of ours not linked yet waits up to `dependency_wait`;
  after that, or at once for a return Scend could not identify or a reference we never made, it is
  `RETURN_UNMATCHED` for finance, parked with its payload.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any
from uuid import UUID

from pydantic import ValidationError

from shared.bc.client import BcClient
from shared.bc.errors import BcRecordNotFound
from shared.bc.models import SalesCreditMemo
from shared.errors import InvalidMessage, PermanentError
from shared.flows.order_links import linked_order
from shared.mapping.lookups import Lookups
from shared.mapping.returns import (
    INSPECTED_STATUSES,
    OriginalLine,
    OriginalOrder,
    credit_memo_draft,
    return_reason_code,
)
from shared.messaging.envelope import Envelope
from shared.scend.calls import field_places
from shared.scend.models import Return
from shared.store.crossrefs import CrossReference, CrossReferenceStore
from shared.store.exceptions import ExceptionStore
from shared.store.timeline import OrderTimelineStore, Stage

RETURN_KIND = "return"
RETURN_UNMATCHED = "RETURN_UNMATCHED"
RECEIVED, UNIDENTIFIED = "received", "unidentified"


class ReturnOutcome(StrEnum):
    DRAFTED = "drafted"
    ALREADY_DRAFTED = "already_drafted"
    RECEIVED = "received"  # on the timeline; credited after inspection
    NOTHING_TO_CREDIT = "nothing_to_credit"  # every line graded MISSING
    IGNORED = "ignored"  # a status with nothing to do (`expected`)


def return_of(envelope: Envelope) -> Return:
    try:
        return Return.model_validate(envelope.payload)
    except ValidationError as error:
        raise InvalidMessage(f"not a Scend return: {field_places(error)}") from None


@dataclass
class Returns:
    """The collaborators of the return-to-credit-memo flow."""

    bc: BcClient
    cross_references: CrossReferenceStore
    exceptions: ExceptionStore
    timeline: OrderTimelineStore
    lookups: Lookups
    clock: Callable[[], datetime]
    dependency_wait: timedelta

    async def handle(self, envelope: Envelope) -> ReturnOutcome:
        ret = return_of(envelope)
        if ret.status == UNIDENTIFIED:
            raise PermanentError(
                RETURN_UNMATCHED,
                f"Scend return {ret.id} could not be matched to an RMA or an order by the warehouse",
                business_key=ret.id,
            )
        if ret.status != RECEIVED and ret.status not in INSPECTED_STATUSES:
            return ReturnOutcome.IGNORED
        ref = await self._order_of(ret, envelope)
        if ret.status == RECEIVED:
            await self.timeline.record(
                ref.bc_number, Stage.RETURN_RECEIVED, ret.id, bc_order_id=ref.bc_id,
                detail={"occurred_at": str(ret.received_at or ""), "rma": ret.rma,
                        "units": sum(line.quantity for line in ret.lines)},
            )  # fmt: skip
            return ReturnOutcome.RECEIVED
        outcome, memo = await self._draft(ret, ref)
        detail: dict[str, Any] = {
            "occurred_at": str(ret.inspected_at or ""),
            "rma": ret.rma,
            "lines": [_line(line) for line in ret.lines],
        }
        if memo is not None:
            detail |= {"credit_memo": memo.number, "credit_memo_id": str(memo.id), "status": memo.status}
        await self.timeline.record(
            ref.bc_number, Stage.CREDIT_MEMO_DRAFTED, ret.id, bc_order_id=ref.bc_id,
            detail=detail,
        )  # fmt: skip
        await self.exceptions.resolve_document(RETURN_KIND, ret.id, f"credited on order {ref.bc_number}")
        return outcome

    async def _order_of(self, ret: Return, envelope: Envelope) -> CrossReference:
        return await linked_order(
            self.cross_references,
            scend_order_id=ret.order_id,
            reference=ret.order_reference,
            what=f"Scend return {ret.id}",
            exception_type=RETURN_UNMATCHED,
            business_key=ret.id,
            wait_until=envelope.occurred_at + self.dependency_wait,
        )

    async def _draft(self, ret: Return, ref: CrossReference) -> tuple[ReturnOutcome, SalesCreditMemo | None]:
        existing = await self.bc.sales.find_credit_memos(external_document_number=ret.id)
        if existing:
            return ReturnOutcome.ALREADY_DRAFTED, existing[0]
        original = await self._original(ret, ref)
        code = return_reason_code(ret, self.lookups)
        reason = await self.bc.master.find_return_reason(code) if code else None
        when = ret.inspected_at or ret.completed_at or self.clock()
        draft = credit_memo_draft(
            ret, original, reason_id=reason.id if reason else None, memo_date=when.date()
        )
        if draft is None:
            return ReturnOutcome.NOTHING_TO_CREDIT, None
        return ReturnOutcome.DRAFTED, await self.bc.sales.create_draft_credit_memo(draft)

    async def _original(self, ret: Return, ref: CrossReference) -> OriginalOrder:
        """Customer, prices and locations of the original order: kept when it was sent; else from
        the order in BC; else (invoiced and gone) the customer from its invoices."""
        track = dict(ref.tracking) if isinstance(ref.tracking, dict) else {}
        invoices = await self.bc.sales.find_invoices(order_number=ref.bc_number)
        invoice_id = invoices[-1].id if invoices else None
        customer = track.get("customer")
        lines = _original_lines(track.get("lines"))
        if not customer:
            try:
                order = await self.bc.sales.get_order(UUID(ref.bc_id))
                customer = order.customer_number
                lines = lines or {
                    str(line.line_object_number): OriginalLine(line.unit_price, line.location_id)
                    for line in order.sales_order_lines or ()
                    if line.line_object_number
                }
            except BcRecordNotFound:
                customer = next((i.customer_number for i in invoices if i.customer_number), None)
        if not customer:
            raise PermanentError(
                RETURN_UNMATCHED,
                f"Scend return {ret.id}: order {ref.bc_number} and its invoices are gone from"
                " Business Central, so its customer is unknown",
                business_key=ret.id,
            )
        return OriginalOrder(ref.bc_number, str(customer), lines, invoice_id)


def _original_lines(value: object) -> dict[str, OriginalLine]:
    if not isinstance(value, dict):
        return {}
    lines = {}
    for sku, known in value.items():
        if isinstance(known, dict):
            price = known.get("price")
            location = known.get("location_id")
            lines[str(sku)] = OriginalLine(
                Decimal(str(price)) if price not in (None, "") else None,
                UUID(str(location)) if location else None,
            )
    return lines


def _line(line: Any) -> dict[str, Any]:
    return {
        "sku": line.sku,
        "quantity": line.quantity,
        "condition": line.condition,
        "disposition": line.disposition,
    }
