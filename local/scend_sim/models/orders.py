"""Outbound orders: the create and cancel bodies, and the order as the warehouse reports it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, StringConstraints

from local.scend_sim.models.common import (
    CountryCode,
    Currency,
    Name,
    Quantity,
    Reference,
    RequestModel,
    Resource,
    ShortText,
    Sku,
    Text,
)

OrderStatus = Literal["accepted", "picking", "packed", "partially_despatched", "despatched", "cancelled"]
Money = Annotated[float, Field(ge=0, le=1_000_000_000)]


class ShipTo(RequestModel):
    name: Name
    company: ShortText | None = None
    line1: Name
    line2: ShortText | None = None
    city: Name
    county: ShortText | None = None
    postcode: Annotated[str, StringConstraints(min_length=1, max_length=12)]
    country_code: CountryCode
    email: Annotated[str, StringConstraints(max_length=254)] | None = None
    phone: Annotated[str, StringConstraints(max_length=30)] | None = None


class OrderLineIn(RequestModel):
    line_ref: Reference
    sku: Sku
    quantity: Quantity
    unit_price: Money | None = None
    currency: Currency | None = None


class OrderIn(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "client_reference": "SO-1042-R1",
                    "order_date": "2026-01-05",
                    "service_code": "RM_TRACKED_48",
                    "ship_to": {
                        "name": "Ada Lovelace",
                        "line1": "1 Market Street",
                        "city": "Leeds",
                        "postcode": "LS1 6AA",
                        "country_code": "GB",
                    },
                    "lines": [{"line_ref": "10000", "sku": "TEE-BLK-M", "quantity": 2}],
                }
            ]
        }
    )

    client_reference: Reference
    order_date: date
    requested_despatch_date: date | None = None
    service_code: Annotated[str, StringConstraints(min_length=1, max_length=50)]
    ship_to: ShipTo
    lines: list[OrderLineIn] = Field(min_length=1, max_length=500)
    delivery_notes: Text | None = None
    gift_message: Text | None = None
    channel: ShortText | None = None


class CancelLineIn(RequestModel):
    """Cancel `quantity` units of a line (default: every unit still open)."""

    line_ref: Reference
    quantity: Quantity | None = None


class CancelIn(RequestModel):
    """No `lines` (or an empty body): cancel the whole order."""

    lines: list[CancelLineIn] | None = Field(default=None, max_length=500)
    reason: ShortText | None = None


class OrderLine(Resource):
    line_ref: str
    sku: str
    qty_ordered: int
    qty_allocated: int = Field(description="units reserved for this line and not yet despatched")
    qty_despatched: int
    qty_cancelled: int
    unit_price: float | None
    currency: str | None


class Order(Resource):
    id: str
    client_reference: str
    status: OrderStatus
    order_date: date
    requested_despatch_date: date | None
    service_code: str
    carrier: str
    service: str
    ship_to: ShipTo
    lines: list[OrderLine]
    delivery_notes: str | None
    gift_message: str | None
    channel: str | None
    shipment_ids: list[str]
    created_at: datetime
    updated_at: datetime
    cancelled_at: datetime | None
    version: int
