"""Outbound orders: create (references, service codes, addresses, SKUs), allocate, cancel.

Statuses: accepted → picking → packed → despatched, or partially_despatched when a shipment left
and units remain (the next wave goes picking → packed again); cancelled when nothing was
despatched and every unit was cancelled. A cancel is allowed while the order is accepted or
partially_despatched (no wave being picked), and refused with 409 ORDER_NOT_CANCELLABLE once
picking has started.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping

from local.scend_sim.catalogue import require_active
from local.scend_sim.config import Service
from local.scend_sim.models.orders import CancelIn, Order, OrderIn, OrderLine, OrderStatus
from local.scend_sim.models.stock import StockChange
from local.scend_sim.problems import FieldError, Problem, field_error
from local.scend_sim.state import OrderWork, SimState
from local.scend_sim.stock import Move

CANCELLABLE: frozenset[OrderStatus] = frozenset({"accepted", "partially_despatched"})
_UK_POSTCODE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}$", re.IGNORECASE)


def open_quantity(line: OrderLine) -> int:
    """Units still to despatch: never negative, even after an over-despatch."""
    return max(0, line.qty_ordered - line.qty_despatched - line.qty_cancelled)


def touch(state: SimState, order: Order) -> None:
    order.updated_at = state.now()
    order.version += 1


def set_status(state: SimState, order: Order, status: OrderStatus) -> None:
    if order.status == status:
        return
    order.status = status
    touch(state, order)
    if state.events.wants("order.status_changed"):
        state.events.publish("order.status_changed", order, f"/v1/orders/{order.id}")


def create_order(
    state: SimState, body: OrderIn, services: Mapping[str, Service], countries: Collection[str]
) -> tuple[Order, list[StockChange]]:
    """Checks in this order: duplicate reference (409), lines, service code, address, SKUs (422);
    then the order is accepted with whatever free stock it can reserve."""
    existing = state.order_refs.get(body.client_reference)
    if existing is not None:
        raise Problem(
            409,
            "DUPLICATE_REFERENCE",
            f"an order with client_reference {body.client_reference!r} exists",
            existing_id=existing,
        )
    _require_unique_line_refs([line.line_ref for line in body.lines])
    service = services.get(body.service_code)
    if service is None:
        raise Problem(
            422,
            "UNKNOWN_SERVICE_CODE",
            f"service code {body.service_code!r} is not configured",
            errors=[field_error("service_code", "UNKNOWN_SERVICE_CODE", f"one of {sorted(services)}")],
        )
    _require_deliverable(body, countries)
    require_active(state, ((f"lines[{i}].sku", line.sku) for i, line in enumerate(body.lines)))
    now = state.now()
    order = Order(
        id=state.ids.new("ord"),
        client_reference=body.client_reference,
        status="accepted",
        order_date=body.order_date,
        requested_despatch_date=body.requested_despatch_date,
        service_code=body.service_code,
        carrier=service.carrier,
        service=service.service,
        ship_to=body.ship_to,
        lines=[
            OrderLine(
                line_ref=line.line_ref,
                sku=line.sku,
                qty_ordered=line.quantity,
                qty_allocated=0,
                qty_despatched=0,
                qty_cancelled=0,
                unit_price=line.unit_price,
                currency=line.currency,
            )
            for line in body.lines
        ],
        delivery_notes=body.delivery_notes,
        gift_message=body.gift_message,
        channel=body.channel,
        shipment_ids=[],
        created_at=now,
        updated_at=now,
        cancelled_at=None,
        version=1,
    )
    state.orders[order.id] = order
    state.order_refs[order.client_reference] = order.id
    state.order_work[order.id] = OrderWork()
    changes = allocate(state, order, touch_order=False)
    if state.events.wants("order.status_changed"):
        state.events.publish("order.status_changed", order, f"/v1/orders/{order.id}")
    return order, changes


def allocate(state: SimState, order: Order, *, touch_order: bool = True) -> list[StockChange]:
    """Reserve free stock for every open unit not yet reserved; short lines wait for stock."""
    moves: list[Move] = []
    planned: dict[str, int] = {}
    for line in order.lines:
        wanted = open_quantity(line) - line.qty_allocated
        if wanted <= 0:
            state.waiting.get(line.sku, {}).pop(order.id, None)
            continue
        free = state.ledger.level(line.sku).available - planned.get(line.sku, 0)
        take = min(wanted, max(free, 0))
        if take > 0:
            moves.append(Move(line.sku, take, "available", "allocated"))
            planned[line.sku] = planned.get(line.sku, 0) + take
            line.qty_allocated += take
        if take < wanted:
            state.waiting.setdefault(line.sku, {})[order.id] = None
        else:
            state.waiting.get(line.sku, {}).pop(order.id, None)
    if not moves:
        return []
    if touch_order:
        touch(state, order)
    return state.ledger.apply(moves, "allocation", order.id, "order", state.now())


def release(state: SimState, order: Order) -> list[StockChange]:
    """Give back reservations above what each line still needs (after a cancel or a despatch)."""
    moves = []
    for line in order.lines:
        excess = line.qty_allocated - open_quantity(line)
        if excess > 0:
            moves.append(Move(line.sku, excess, "allocated", "available"))
            line.qty_allocated -= excess
        if open_quantity(line) == 0:
            state.waiting.get(line.sku, {}).pop(order.id, None)
    if not moves:
        return []
    return state.ledger.apply(moves, "allocation", order.id, "order", state.now())


def cancel_order(state: SimState, order: Order, body: CancelIn) -> list[StockChange]:
    """Cancel the whole order or some units of some lines; an already cancelled order is left as is."""
    if order.status == "cancelled":
        return []
    if order.status not in CANCELLABLE:
        raise Problem(
            409,
            "ORDER_NOT_CANCELLABLE",
            f"order {order.id} is {order.status}: picking has started",
            current_status=order.status,
        )
    by_ref = {line.line_ref: line for line in order.lines}
    if body.lines:
        _require_unique_line_refs([c.line_ref for c in body.lines])
        errors: list[FieldError] = []
        for i, cancel in enumerate(body.lines):
            line = by_ref.get(cancel.line_ref)
            if line is None:
                errors.append(field_error(f"lines[{i}].line_ref", "UNKNOWN_LINE", "no such line"))
            elif (cancel.quantity or 0) > open_quantity(line):
                errors.append(
                    field_error(f"lines[{i}].quantity", "TOO_MANY", f"{open_quantity(line)} units are open")
                )
        if errors:
            raise Problem(422, "VALIDATION_FAILED", "the lines cannot be cancelled", errors=errors)
        for cancel in body.lines:
            line = by_ref[cancel.line_ref]
            line.qty_cancelled += cancel.quantity or open_quantity(line)
    else:
        for line in order.lines:
            line.qty_cancelled += open_quantity(line)
    touch(state, order)
    changes = release(state, order)
    if all(open_quantity(line) == 0 for line in order.lines):
        state.order_work[order.id].token += 1
        if any(line.qty_despatched for line in order.lines):
            set_status(state, order, "despatched")
        else:
            order.cancelled_at = state.now()
            set_status(state, order, "cancelled")
            if state.events.wants("order.cancelled"):
                state.events.publish("order.cancelled", order, f"/v1/orders/{order.id}")
    return changes


def _require_unique_line_refs(refs: list[str]) -> None:
    seen: set[str] = set()
    errors = []
    for i, ref in enumerate(refs):
        if ref in seen:
            errors.append(field_error(f"lines[{i}].line_ref", "DUPLICATE_LINE_REF", f"{ref!r} repeats"))
        seen.add(ref)
    if errors:
        raise Problem(422, "VALIDATION_FAILED", "line_ref must be unique within the order", errors=errors)


def _require_deliverable(body: OrderIn, countries: Collection[str]) -> None:
    address = body.ship_to
    errors = []
    if address.country_code not in countries:
        errors.append(field_error("ship_to.country_code", "NOT_SERVED", "the warehouse does not ship there"))
    if address.country_code == "GB" and not _UK_POSTCODE.match(address.postcode.strip()):
        errors.append(field_error("ship_to.postcode", "INVALID_POSTCODE", "not a UK postcode"))
    if not address.name.strip() or not address.line1.strip() or not address.city.strip():
        errors.append(field_error("ship_to", "INCOMPLETE", "name, line1 and city must not be blank"))
    if errors:
        raise Problem(422, "INVALID_ADDRESS", "the delivery address cannot be used", errors=errors)
