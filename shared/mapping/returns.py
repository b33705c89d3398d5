"""An inspected Scend return as a draft BC Sales Credit Memo (never posted here).

- One item line per SKU with the units Scend received and graded; a line graded `MISSING` (the
  customer said it was in the parcel, it was not) is not credited.
- Unit price and location come from the original order line (kept in the order's cross-reference
  when it was sent), so the credit is at the price the customer paid, into the Scend location.
  Without them BC applies its own defaults.
- The header's Return Reason is the lookup table's code for the first credited line's condition
  and disposition; each line's grading is written on a comment line, so finance sees all of them.
- External Document No. is the Scend return id (how an in-doubt create is found again); the first
  line is a comment naming the return, its RMA and the original order.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from uuid import UUID

from shared.bc.models import CreditMemoDraft, CreditMemoLineDraft
from shared.mapping.lookups import Lookups
from shared.scend.models import Return, ReturnLine

NOT_CREDITED = {"MISSING"}
DESCRIPTION_MAX = 100
INSPECTED_STATUSES = {"inspected", "completed"}


@dataclass(frozen=True, slots=True)
class OriginalLine:
    """What the original order said about a SKU: the price paid and where it shipped from."""

    unit_price: Decimal | None = None
    location_id: UUID | None = None


@dataclass(frozen=True, slots=True)
class OriginalOrder:
    number: str
    customer_number: str
    lines: dict[str, OriginalLine]
    invoice_id: UUID | None = None


def credited_lines(ret: Return) -> list[ReturnLine]:
    return [
        line for line in ret.lines if (line.condition or "").upper() not in NOT_CREDITED and line.quantity > 0
    ]


def return_reason_code(ret: Return, lookups: Lookups) -> str | None:
    for line in credited_lines(ret):
        code = lookups.return_reason(line.condition, line.disposition)
        if code:
            return code
    return None


def credit_memo_draft(
    ret: Return,
    original: OriginalOrder,
    *,
    reason_id: UUID | None,
    memo_date: date | None,
) -> CreditMemoDraft | None:
    """The draft for `ret`, or None when nothing in it is to be credited."""
    units: dict[str, int] = defaultdict(int)
    for line in credited_lines(ret):
        units[line.sku] += line.quantity
    if not units:
        return None
    rma = f" (RMA {ret.rma})" if ret.rma else ""
    lines = [_comment(f"Scend return {ret.id}{rma} of order {original.number}")]
    for sku, quantity in units.items():
        known = original.lines.get(sku, OriginalLine())
        lines.append(
            CreditMemoLineDraft(
                line_type="Item",
                line_object_number=sku,
                quantity=Decimal(quantity),
                unit_price=known.unit_price,
                location_id=known.location_id,
            )
        )
    for line in ret.lines:
        grading = ", ".join(p for p in (line.condition, line.disposition, line.customer_reason) if p)
        if grading:
            lines.append(_comment(f"{line.sku} x{line.quantity}: {grading}"))
    return CreditMemoDraft(
        customer_number=original.customer_number,
        external_document_number=ret.id,
        credit_memo_date=memo_date,
        invoice_id=original.invoice_id,
        customer_return_reason_id=reason_id,
        sales_credit_memo_lines=lines,
    )


def _comment(text: str) -> CreditMemoLineDraft:
    return CreditMemoLineDraft(line_type="Comment", description=text[:DESCRIPTION_MAX], quantity=Decimal(0))
