"""Despatch: a shipment of parcels leaves for an order; stock, lines and the order's status follow.

Units come out of the line's reservation first and then out of free stock, so an over-despatch
(more than ordered, for tests) works while there is stock; without stock the whole despatch is
refused with 409 INSUFFICIENT_STOCK and nothing moves.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from local.scend_sim.models.orders import Order
from local.scend_sim.models.shipments import Parcel, Shipment, ShipmentLine
from local.scend_sim.models.stock import StockChange
from local.scend_sim.orders import open_quantity, release, set_status, touch
from local.scend_sim.problems import Problem, field_error
from local.scend_sim.state import SimState
from local.scend_sim.stock import Move
from local.scend_sim.tracking import TrackingNumbers

DEFAULT_UNIT_KG = 0.5


@dataclass(frozen=True, slots=True)
class ParcelPlan:
    """What goes in one parcel: (line_ref, units) pairs; tracking and weight made up when None."""

    lines: Sequence[tuple[str, int]]
    weight_kg: float | None = None
    tracking_number: str | None = None


@dataclass(slots=True)
class Despatched:
    shipment: Shipment
    changes: list[StockChange] = field(default_factory=list)


def despatch(
    state: SimState,
    order: Order,
    parcels: Sequence[ParcelPlan],
    tracking: TrackingNumbers,
    *,
    carrier: str | None = None,
    service: str | None = None,
) -> Despatched:
    by_ref = {line.line_ref: line for line in order.lines}
    units: dict[str, int] = {}
    errors = []
    for p, parcel in enumerate(parcels):
        if not parcel.lines:
            errors.append(field_error(f"parcels[{p}].lines", "EMPTY_PARCEL", "a parcel holds something"))
        for i, (ref, quantity) in enumerate(parcel.lines):
            if ref not in by_ref:
                errors.append(field_error(f"parcels[{p}].lines[{i}].line_ref", "UNKNOWN_LINE", ref))
            units[ref] = units.get(ref, 0) + quantity
    if not parcels:
        errors.append(field_error("parcels", "NO_PARCELS", "a shipment has at least one parcel"))
    if errors:
        raise Problem(422, "VALIDATION_FAILED", "the parcels do not fit the order", errors=errors)

    shipment_id = state.ids.new("shp")
    moves = []
    taken: dict[str, int] = {}
    for ref, quantity in units.items():
        line = by_ref[ref]
        reserved = min(quantity, line.qty_allocated)
        taken[ref] = reserved
        if reserved:
            moves.append(Move(line.sku, reserved, "allocated", None))
        if quantity > reserved:
            moves.append(Move(line.sku, quantity - reserved, "available", None))
    now = state.now()
    changes = state.ledger.apply(moves, "despatch", shipment_id, "shipment", now)
    for ref, quantity in units.items():
        line = by_ref[ref]
        line.qty_allocated -= taken[ref]
        line.qty_despatched += quantity
    changes += release(state, order)

    carrier = carrier or order.carrier
    final = all(open_quantity(line) == 0 for line in order.lines)
    shipment = Shipment(
        id=shipment_id,
        order_id=order.id,
        client_reference=order.client_reference,
        despatched_at=now,
        carrier=carrier,
        service=service or order.service,
        is_final_for_order=final,
        parcels=[_parcel(state, order, plan, carrier, tracking) for plan in parcels],
    )
    state.shipments[shipment.id] = shipment
    state.feeds.shipments.append(shipment)
    order.shipment_ids.append(shipment.id)
    state.order_work[order.id].wave = None
    touch(state, order)
    set_status(state, order, "despatched" if final else "partially_despatched")
    if state.events.wants("shipment.despatched"):
        state.events.publish("shipment.despatched", shipment, f"/v1/shipments/{shipment.id}")
    return Despatched(shipment, changes)


def _parcel(
    state: SimState, order: Order, plan: ParcelPlan, carrier: str, tracking: TrackingNumbers
) -> Parcel:
    by_ref = {line.line_ref: line for line in order.lines}
    lines = []
    weight = 0.0
    for ref, quantity in plan.lines:
        product = state.products.get(by_ref[ref].sku)
        weight += quantity * (product.weight_kg if product and product.weight_kg else DEFAULT_UNIT_KG)
        batch = f"LOT-{state.now():%y%m}" if product and product.batch_tracked else None
        expiry = (state.now() + timedelta(days=365)).date() if product and product.expiry_tracked else None
        lines.append(
            ShipmentLine(line_ref=ref, sku=by_ref[ref].sku, quantity=quantity, batch=batch, expiry=expiry)
        )
    if plan.tracking_number:
        number, url = plan.tracking_number, TrackingNumbers.url(carrier, plan.tracking_number)
    else:
        number, url = tracking.new(carrier)
    return Parcel(
        parcel_id=state.ids.new("prc"),
        tracking_number=number,
        tracking_url=url,
        weight_kg=plan.weight_kg if plan.weight_kg is not None else round(max(weight, 0.1), 3),
        lines=lines,
    )
