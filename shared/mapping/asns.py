"""Inbound: a released BC `PurchaseOrder` becomes the Scend `AsnRequest` sent with `POST /asns`.

- `client_reference`: the PO number for the first ASN (the contract's convention), `<PO>-R<n>`
  for the n-th after a change cancelled the one before (a reference is unique at Scend for ever).
- Lines: item lines with units still to come (`quantity - receivedQuantity`), `line_ref` = the BC
  Line No. (how a receipt finds its line again), whole units only.
- `expected_at`: the earliest expected receipt date of those lines, else the order's requested
  receipt date, else its order date; 09:00 UTC that day (Scend books dock slots by day).
- `supplier`: the vendor's name, else its number.

`asn_fingerprint` covers only what the warehouse sees, so a BC change it would not see (a price, a
posting date, a receipt posted) does not cancel and re-send an ASN.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, time
from decimal import Decimal
from typing import NoReturn

from shared.bc.enums import DocumentLineType
from shared.bc.models import PurchaseOrder, PurchaseOrderLine
from shared.errors import PermanentError
from shared.mapping.contract import MAX_QUANTITY, sku_problem
from shared.mapping.hashing import DIGEST_LENGTH
from shared.mapping.skips import Skipped
from shared.scend.models import AsnLineRequest, AsnRequest

REJECTED = "ASN_REJECTED_BY_WMS"
DOCK_TIME = time(9, 0, tzinfo=UTC)


def asn_reference(number: str, release: int = 1) -> str:
    return number if release <= 1 else f"{number}-R{release}"


def map_asn(order: PurchaseOrder, *, release: int = 1) -> AsnRequest | Skipped:
    """The ASN for release `release` of a purchase order, or `Skipped` when nothing is to come."""
    lines = expected_lines(order)
    if not lines:
        return Skipped(f"purchase order {order.number} has no item units still to receive")
    dates = [line.expected_receipt_date for line in lines if line.expected_receipt_date is not None]
    day = min(dates, default=None) or order.requested_receipt_date or order.order_date
    if day is None:
        _reject(order, "no expected receipt date, requested receipt date or order date")
    return AsnRequest(
        client_reference=asn_reference(order.number, release),
        supplier=order.vendor_name or order.vendor_number or "unknown supplier",
        expected_at=datetime.combine(day, DOCK_TIME),
        lines=[_line(order, line) for line in lines],
    )


def expected_lines(order: PurchaseOrder) -> list[PurchaseOrderLine]:
    if order.purchase_order_lines is None:
        raise ValueError("read the purchase order with its lines first")
    return [
        line
        for line in order.purchase_order_lines
        if line.line_type == DocumentLineType.ITEM and line.quantity - line.received_quantity > 0
    ]


def asn_fingerprint(order: PurchaseOrder, request: AsnRequest) -> str:
    """What the warehouse sees of the PO: supplier, day, and each item line's SKU and *ordered*
    units (not outstanding: a partial receipt posted in BC is not a change to its ASN)."""
    lines = sorted(
        (line.sequence, line.line_object_number, str(line.quantity)) for line in expected_lines(order)
    )
    text = repr((request.supplier, request.expected_at.isoformat(), lines))
    return hashlib.sha256(text.encode()).hexdigest()[:DIGEST_LENGTH]


def _line(order: PurchaseOrder, line: PurchaseOrderLine) -> AsnLineRequest:
    sku = line.line_object_number or ""
    problem = sku_problem(sku)
    if problem:
        _reject(order, f"line {line.sequence}: item number {problem}")
    outstanding = line.quantity - line.received_quantity
    if outstanding != outstanding.to_integral_value() or outstanding > MAX_QUANTITY:
        _reject(order, f"line {line.sequence}: {outstanding} units to receive; Scend takes whole units")
    return AsnLineRequest(line_ref=str(line.sequence), sku=sku, qty_expected=int(Decimal(outstanding)))


def _reject(order: PurchaseOrder, detail: str) -> NoReturn:
    raise PermanentError(REJECTED, f"purchase order {order.number}: {detail}", business_key=str(order.id))
