"""Despatch confirmations: a shipment holds parcels, each parcel its tracking number and lines."""

from __future__ import annotations

from datetime import date, datetime

from local.scend_sim.models.common import Resource


class ShipmentLine(Resource):
    line_ref: str
    sku: str
    quantity: int
    batch: str | None
    expiry: date | None


class Parcel(Resource):
    parcel_id: str
    tracking_number: str
    tracking_url: str
    weight_kg: float
    lines: list[ShipmentLine]


class Shipment(Resource):
    id: str
    order_id: str
    client_reference: str
    despatched_at: datetime
    carrier: str
    service: str
    is_final_for_order: bool
    parcels: list[Parcel]
