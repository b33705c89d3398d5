"""Bodies of the control surface (`/_sim/...`): what tests and the demo tell the warehouse to do."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import AwareDatetime, Field

from local.scend_sim.models.common import (
    Count,
    Kilograms,
    Quantity,
    Reference,
    RequestModel,
    ShortText,
    Sku,
    Text,
)
from local.scend_sim.models.products import ProductIn
from local.scend_sim.models.returns import Condition, Disposition, ReturnLineIn
from local.scend_sim.models.stock import ReasonCode, StockState

Minutes = Annotated[float, Field(gt=0, le=60 * 24 * 366)]


class ResetIn(RequestModel):
    seed: int | None = None
    start_at: AwareDatetime | None = None


class ProductSeed(ProductIn):
    sku: Sku


class ShelfIn(RequestModel):
    sku: Sku
    available: Count = 0
    quarantined: Count = 0
    damaged: Count = 0


class SeedIn(RequestModel):
    """`demo: true` adds the demo catalogue (six SKUs, 100 each) before `products` and `stock`."""

    demo: bool = False
    products: list[ProductSeed] = Field(default_factory=list)
    stock: list[ShelfIn] = Field(default_factory=list)


class AdvanceIn(RequestModel):
    minutes: Minutes


class RealtimeIn(RequestModel):
    enabled: bool
    speed: Annotated[float, Field(gt=0, le=100_000)] | None = None


class ParcelLineIn(RequestModel):
    line_ref: Reference
    quantity: Quantity


class ParcelIn(RequestModel):
    lines: list[ParcelLineIn] = Field(min_length=1)
    weight_kg: Kilograms | None = None
    tracking_number: Annotated[str, Field(min_length=1, max_length=50)] | None = None


class DespatchIn(RequestModel):
    """No `parcels`: one parcel with every open unit of every line."""

    parcels: list[ParcelIn] | None = Field(default=None, min_length=1)
    carrier: ShortText | None = None
    service: ShortText | None = None


class AdjustmentIn(RequestModel):
    """Leave out both states for the reason's usual ones; give one or both to choose (null: outside)."""

    sku: Sku
    reason_code: ReasonCode
    quantity: Quantity
    from_state: StockState | None = None
    to_state: StockState | None = None
    reason_text: Text | None = None
    count_ref: ShortText | None = None
    source_ref: Text | None = None
    batch: ShortText | None = None
    user: ShortText | None = None


class CountIn(RequestModel):
    counted: Count
    count_ref: ShortText | None = None
    user: ShortText | None = None


class SetStockIn(RequestModel):
    available: Count
    quarantined: Count = 0
    damaged: Count = 0


class ReceiptLineIn(RequestModel):
    line_ref: Reference
    qty_received: Count
    qty_damaged: Count = 0
    batch: ShortText | None = None
    expiry: date | None = None


class UnexpectedLineIn(RequestModel):
    sku: Sku
    qty_received: Quantity
    qty_damaged: Count = 0
    batch: ShortText | None = None
    expiry: date | None = None


class ReceiptIn(RequestModel):
    """No `lines`: every line's outstanding quantity, as advised."""

    lines: list[ReceiptLineIn] | None = None
    unexpected_lines: list[UnexpectedLineIn] = Field(default_factory=list)
    is_final: bool = True


class ReturnArrivalIn(RequestModel):
    """A parcel comes back: with a known RMA it is that return; else a new one, `unidentified`
    unless `order_reference` names a known order."""

    rma: Reference | None = None
    order_reference: Reference | None = None
    lines: list[ReturnLineIn] = Field(min_length=1)


class ReturnReceiveIn(RequestModel):
    lines: list[ReturnLineIn] | None = None


class InspectionLineIn(RequestModel):
    line_no: Annotated[int, Field(ge=1)]
    condition: Condition
    disposition: Disposition
    notes: Text | None = None
    photo_urls: list[Annotated[str, Field(max_length=2000)]] = Field(default_factory=list)


class InspectIn(RequestModel):
    """Lines not listed are graded A_RESELLABLE and RESTOCKED."""

    lines: list[InspectionLineIn] = Field(default_factory=list)


class FlushIn(RequestModel):
    release_delayed: bool = False


class SecretsIn(RequestModel):
    secrets: list[str] = Field(min_length=1)


class RotateIn(RequestModel):
    retire_old: bool = False
