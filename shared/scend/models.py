"""The Scend records the integration reads and writes, in its own words (contract §3.2 and §3.3).

A `Record` (what Scend keeps) ignores fields it does not know, so an additive change on Scend's
side cannot stop a feed; a `Request` (what we send to create something) forbids them, so a typo
fails in tests.
Quantities are whole units; weights kg; dimensions cm; timestamps UTC.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

Money = Annotated[Decimal, PlainSerializer(float, return_type=float, when_used="json")]


def wire_body(model: BaseModel) -> dict[str, Any]:
    """The JSON body the adapter sends for a request model (content hashes are taken over it too)."""
    return model.model_dump(mode="json", exclude_none=True)


class Record(BaseModel):
    """A record as Scend keeps it: unknown fields are ignored, nothing changes after reading."""

    model_config = ConfigDict(extra="ignore", frozen=True)


class Request(BaseModel):
    """A record we send to Scend: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)


# Items


class Barcode(Record):
    type: Literal["EAN13", "UPC", "GTIN14", "OTHER"]
    value: str = Field(min_length=1)


class Dimensions(Record):
    l: float = Field(ge=0)  # noqa: E741 - the contract's own name
    w: float = Field(ge=0)
    h: float = Field(ge=0)


class Product(Record):
    """An item as Scend keeps it; sent with PUT, so the same model goes both ways."""

    sku: str = Field(min_length=1)
    description: str
    barcodes: list[Barcode] = Field(default_factory=list)
    uom: str = "EA"
    weight_kg: float | None = Field(default=None, ge=0)
    dims_cm: Dimensions | None = None
    hs_code: str | None = None
    country_of_origin: str | None = None
    batch_tracked: bool = False
    expiry_tracked: bool = False
    active: bool = True


# Orders


class Address(Request):
    """A delivery address: personal data, never logged, never put on a span or in an error."""

    name: str
    company: str | None = None
    line1: str
    line2: str | None = None
    city: str
    county: str | None = None
    postcode: str
    country_code: str = Field(min_length=2, max_length=2)
    email: str | None = None
    phone: str | None = None


class OrderLineRequest(Request):
    line_ref: str = Field(min_length=1)
    sku: str = Field(min_length=1)
    quantity: int = Field(gt=0)
    unit_price: Money | None = None
    currency: str | None = None


class OrderRequest(Request):
    """A released sales order; `client_reference` is unique per order at Scend (e.g. SO-1042-R1)."""

    client_reference: str = Field(min_length=1)
    order_date: date
    requested_despatch_date: date | None = None
    service_code: str
    ship_to: Address
    lines: list[OrderLineRequest] = Field(min_length=1)
    delivery_notes: str | None = None
    gift_message: str | None = None
    channel: str | None = None


class OrderLine(Record):
    line_ref: str
    sku: str
    qty_ordered: int
    qty_allocated: int = 0
    qty_despatched: int = 0
    qty_cancelled: int = 0


class Order(Record):
    id: str
    client_reference: str
    status: str  # accepted, picking, packed, partially_despatched, despatched, cancelled
    lines: list[OrderLine] = Field(default_factory=list)
    shipment_ids: list[str] = Field(default_factory=list)
    updated_at: datetime | None = None


class CancelLine(Request):
    """Cancel `quantity` more units of one line (a partial cancel); None: every unit still open."""

    line_ref: str = Field(min_length=1)
    quantity: int | None = Field(default=None, gt=0)


class Cancellation(Record):
    """What Scend said to a cancel: the order's status afterwards."""

    order_id: str
    status: str


# Shipments


class ShipmentLine(Record):
    line_ref: str
    sku: str
    quantity: int
    batch: str | None = None
    expiry: date | None = None


class Parcel(Record):
    parcel_id: str
    tracking_number: str | None = None
    tracking_url: str | None = None
    weight_kg: float | None = None
    lines: list[ShipmentLine] = Field(default_factory=list)


class Shipment(Record):
    id: str
    order_id: str
    client_reference: str
    despatched_at: datetime
    carrier: str
    service: str | None = None
    is_final_for_order: bool
    parcels: list[Parcel] = Field(default_factory=list)


# Stock

StockState = Literal["available", "quarantine", "damaged", "disposed"]
MovementState = Literal["available", "allocated", "quarantine", "damaged", "disposed"]


class StockLevel(Record):
    sku: str
    on_hand: int
    allocated: int = 0
    available: int = 0
    quarantined: int = 0
    damaged: int = 0
    as_of: datetime
    last_seq: int | None = None  # the last stock change applied: where the change feed meets it


class StockChange(Record):
    """`quantity` units moved `from_state` → `to_state` (None: outside); `delta` changes on_hand."""

    seq: int
    sku: str
    delta: int
    on_hand_after: int
    movement_type: str  # receipt, despatch, adjustment, return, transfer, allocation
    ref: str | None = None
    quantity: int | None = None
    from_state: MovementState | None = None
    to_state: MovementState | None = None
    occurred_at: datetime | None = None


class StockAdjustment(Record):
    """Scend's `user` (who booked it, a person) is left out on purpose: nothing here needs it, and a
    field not read cannot reach a message, a log line or an exception row (issue 11)."""

    id: str
    sku: str
    quantity_delta: int  # the change to on_hand: negative for losses, 0 for a move between states
    quantity: int | None = None
    from_state: StockState | None = None
    to_state: StockState | None = None
    reason_code: str
    reason_text: str | None = None
    count_ref: str | None = None
    source_ref: str | None = None
    batch: str | None = None
    occurred_at: datetime


# Inbound


class Packaging(Request):
    type: Literal["pallet", "carton", "container"]
    count: int = Field(gt=0)


class AsnLineRequest(Request):
    line_ref: str = Field(min_length=1)
    sku: str = Field(min_length=1)
    qty_expected: int = Field(gt=0)
    batch: str | None = None
    expiry: date | None = None


class AsnRequest(Request):
    """An advance shipping notice for a BC purchase order; `client_reference` is the PO no."""

    client_reference: str = Field(min_length=1)
    supplier: str
    expected_at: datetime
    packaging: Packaging | None = None
    lines: list[AsnLineRequest] = Field(min_length=1)


class AsnLine(Record):
    line_ref: str
    sku: str
    qty_expected: int
    qty_received: int = 0
    qty_damaged: int = 0


class Asn(Record):
    id: str
    client_reference: str
    status: str  # created, awaiting_delivery, arrived, receiving, completed, cancelled
    lines: list[AsnLine] = Field(default_factory=list)
    receipt_ids: list[str] = Field(default_factory=list)


class ReceiptLine(Record):
    line_ref: str | None = None
    sku: str
    qty_received: int
    qty_damaged: int = 0
    batch: str | None = None
    expiry: date | None = None


class Receipt(Record):
    id: str
    asn_id: str
    asn_reference: str
    received_at: datetime
    is_final: bool
    lines: list[ReceiptLine] = Field(default_factory=list)
    unexpected_lines: list[ReceiptLine] = Field(default_factory=list)


# Returns


class ReturnLine(Record):
    line_no: int | None = None
    sku: str
    quantity: int
    condition: str | None = None  # A_RESELLABLE, B_REFURB, DAMAGED, FAULTY, WRONG_ITEM, MISSING
    disposition: str | None = None  # RESTOCKED, QUARANTINED, DISPOSED, RETURN_TO_SUPPLIER
    customer_reason: str | None = None
    notes: str | None = None
    photo_urls: list[str] = Field(default_factory=list)


class Return(Record):
    id: str
    rma: str | None = None
    order_reference: str | None = None
    order_id: str | None = None
    status: str  # expected, received, inspected, completed, unidentified
    received_at: datetime | None = None
    inspected_at: datetime | None = None
    completed_at: datetime | None = None
    lines: list[ReturnLine] = Field(default_factory=list)


# Webhooks and feeds


class WebhookEvent(Record):
    """A verified webhook: only a doorbell; the feeds stay the source of truth."""

    id: str
    type: str
    created_at: datetime
    api_version: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)
    resource_url: str | None = None


class FeedPage[T: BaseModel](BaseModel):
    """One page of a change feed.

    Save `next_cursor` only after every record of the page is safely enqueued; it is never empty
    (with nothing new it is the cursor that was sent), so a poller always has a place to resume.
    """

    model_config = ConfigDict(frozen=True)

    records: list[T]
    next_cursor: str
    has_more: bool
