"""Inbound: ASNs (created → awaiting_delivery → arrived → receiving → completed, or cancelled) and
the receipts that confirm them, short, over or with lines nobody advised.

A cancel is allowed while the ASN is created or awaiting_delivery; after that it is refused with
409 ASN_NOT_CANCELLABLE. Every receipt moves stock in (good units to available, damaged units to
damaged) and is a record of the receipts feed; `is_final` completes the ASN.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from local.scend_sim.catalogue import require_active
from local.scend_sim.models.inbound import Asn, AsnIn, AsnLine, AsnStatus, Receipt, ReceiptLine
from local.scend_sim.models.stock import StockChange
from local.scend_sim.problems import Problem, field_error
from local.scend_sim.state import SimState
from local.scend_sim.stock import Move

CANCELLABLE: frozenset[AsnStatus] = frozenset({"created", "awaiting_delivery"})
CLOSED: frozenset[AsnStatus] = frozenset({"completed", "cancelled"})


@dataclass(frozen=True, slots=True, kw_only=True)
class Received:
    """Units of one ASN line (`ref`; its SKU is the line's) or of an unadvised `sku` that came in."""

    qty_received: int
    qty_damaged: int = 0
    ref: str | None = None
    sku: str = ""
    batch: str | None = None
    expiry: date | None = None


@dataclass(slots=True)
class ReceiptPlan:
    lines: Sequence[Received] = ()
    unexpected: Sequence[Received] = ()
    is_final: bool = True


@dataclass(slots=True)
class Booked:
    receipt: Receipt
    changes: list[StockChange] = field(default_factory=list)


def create_asn(state: SimState, body: AsnIn) -> Asn:
    existing = state.asn_refs.get(body.client_reference)
    if existing is not None:
        raise Problem(
            409,
            "DUPLICATE_REFERENCE",
            f"an ASN with client_reference {body.client_reference!r} exists",
            existing_id=existing,
        )
    seen: set[str] = set()
    for i, line in enumerate(body.lines):
        if line.line_ref in seen:
            raise Problem(
                422,
                "VALIDATION_FAILED",
                "line_ref must be unique within the ASN",
                errors=[
                    field_error(f"lines[{i}].line_ref", "DUPLICATE_LINE_REF", f"{line.line_ref!r} repeats")
                ],
            )
        seen.add(line.line_ref)
    require_active(state, ((f"lines[{i}].sku", line.sku) for i, line in enumerate(body.lines)))
    now = state.now()
    asn = Asn(
        id=state.ids.new("asn"),
        client_reference=body.client_reference,
        supplier=body.supplier,
        expected_at=body.expected_at,
        packaging=body.packaging,
        status="created",
        lines=[
            AsnLine(
                line_ref=line.line_ref,
                sku=line.sku,
                qty_expected=line.qty_expected,
                qty_received=0,
                qty_damaged=0,
                batch=line.batch,
                expiry=line.expiry,
            )
            for line in body.lines
        ],
        unexpected_lines=[],
        receipt_ids=[],
        created_at=now,
        updated_at=now,
        arrived_at=None,
        completed_at=None,
        cancelled_at=None,
        version=1,
    )
    state.asns[asn.id] = asn
    state.asn_refs[asn.client_reference] = asn.id
    _announce(state, asn)
    return asn


def set_status(state: SimState, asn: Asn, status: AsnStatus) -> None:
    if asn.status == status:
        return
    asn.status = status
    asn.updated_at = state.now()
    asn.version += 1
    if status == "arrived" and asn.arrived_at is None:
        asn.arrived_at = state.now()
    _announce(state, asn)


def cancel_asn(state: SimState, asn: Asn) -> None:
    if asn.status == "cancelled":
        return
    if asn.status not in CANCELLABLE:
        raise Problem(409, "ASN_NOT_CANCELLABLE", f"ASN {asn.id} is {asn.status}", current_status=asn.status)
    asn.cancelled_at = state.now()
    set_status(state, asn, "cancelled")


def arrive(state: SimState, asn: Asn) -> None:
    """The delivery is at the dock; an ASN already arrived or receiving stays as it is."""
    if asn.status in CLOSED:
        raise Problem(409, "INVALID_STATE", f"ASN {asn.id} is {asn.status}", current_status=asn.status)
    if asn.status in CANCELLABLE:
        set_status(state, asn, "arrived")


def receive(state: SimState, asn: Asn, plan: ReceiptPlan) -> Booked:
    if asn.status in CLOSED:
        raise Problem(409, "INVALID_STATE", f"ASN {asn.id} is {asn.status}", current_status=asn.status)
    by_ref = {line.line_ref: line for line in asn.lines}
    errors = []
    for i, got in enumerate(plan.lines):
        if got.ref not in by_ref:
            errors.append(
                field_error(f"lines[{i}].line_ref", "UNKNOWN_LINE", f"{got.ref!r} is not on the ASN")
            )
    for where, group in (("lines", plan.lines), ("unexpected_lines", plan.unexpected)):
        for i, got in enumerate(group):
            if got.qty_damaged > got.qty_received:
                errors.append(field_error(f"{where}[{i}].qty_damaged", "TOO_MANY", "more than received"))
    if not plan.lines and not plan.unexpected and not plan.is_final:
        errors.append(field_error("lines", "EMPTY_RECEIPT", "a receipt that is not final receives something"))
    if errors:
        raise Problem(422, "VALIDATION_FAILED", "the receipt does not fit the ASN", errors=errors)
    unknown = [(f"unexpected_lines[{i}].sku", got.sku) for i, got in enumerate(plan.unexpected)]
    unknown = [(place, sku) for place, sku in unknown if sku not in state.products]
    require_active(state, unknown)

    receipt_id = state.ids.new("rcp")
    arrived = [(by_ref[got.ref or ""].sku, got) for got in plan.lines]
    arrived += [(got.sku, got) for got in plan.unexpected]
    moves = []
    for sku, got in arrived:
        if got.qty_received > got.qty_damaged:
            moves.append(Move(sku, got.qty_received - got.qty_damaged, None, "available"))
        if got.qty_damaged:
            moves.append(Move(sku, got.qty_damaged, None, "damaged"))
    now = state.now()
    changes = state.ledger.apply(moves, "receipt", receipt_id, "receipt", now) if moves else []
    lines = [_receipt_line(got, sku) for sku, got in arrived[: len(plan.lines)]]
    unexpected = [_receipt_line(got, sku) for sku, got in arrived[len(plan.lines) :]]
    for got in plan.lines:
        line = by_ref[got.ref or ""]
        line.qty_received += got.qty_received
        line.qty_damaged += got.qty_damaged
    asn.unexpected_lines.extend(unexpected)
    receipt = Receipt(
        id=receipt_id,
        asn_id=asn.id,
        asn_reference=asn.client_reference,
        received_at=now,
        is_final=plan.is_final,
        lines=lines,
        unexpected_lines=unexpected,
    )
    state.receipts[receipt.id] = receipt
    state.feeds.receipts.append(receipt)
    asn.receipt_ids.append(receipt.id)
    if asn.arrived_at is None:
        asn.arrived_at = now
    set_status(state, asn, "receiving")
    if plan.is_final:
        asn.completed_at = now
        set_status(state, asn, "completed")
    if state.events.wants("receipt.created"):
        state.events.publish("receipt.created", receipt, f"/v1/receipts/{receipt.id}")
    return Booked(receipt, changes)


def _receipt_line(got: Received, sku: str) -> ReceiptLine:
    return ReceiptLine(
        line_ref=got.ref,
        sku=sku,
        qty_received=got.qty_received,
        qty_damaged=got.qty_damaged,
        batch=got.batch,
        expiry=got.expiry,
    )


def _announce(state: SimState, asn: Asn) -> None:
    if state.events.wants("asn.status_changed"):
        state.events.publish("asn.status_changed", asn, f"/v1/asns/{asn.id}")
