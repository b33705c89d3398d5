"""Stock: the snapshot per SKU, the change feed's records and the adjustments with their reasons."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from local.scend_sim.models.common import Resource

StockState = Literal["available", "quarantine", "damaged", "disposed"]
MovementState = Literal["available", "allocated", "quarantine", "damaged", "disposed"]
MovementType = Literal["receipt", "despatch", "adjustment", "return", "transfer", "allocation"]
RefType = Literal["order", "shipment", "receipt", "adjustment", "return", "transfer"]
ReasonCode = Literal[
    "DAMAGED_IN_WAREHOUSE",
    "DAMAGED_INBOUND",
    "WRITE_OFF",
    "EXPIRED",
    "CYCLE_COUNT_GAIN",
    "CYCLE_COUNT_LOSS",
    "FOUND",
    "LOST",
    "QC_HOLD",
    "QC_RELEASE",
    "OTHER",
]


class StockLevel(Resource):
    """One SKU: on_hand = available + allocated + quarantined + damaged."""

    sku: str
    on_hand: int
    allocated: int
    available: int
    quarantined: int
    damaged: int
    as_of: datetime
    last_seq: int = Field(description="seq of the last stock change applied to this SKU (0: none)")


class StockChange(Resource):
    """`quantity` units of one SKU moved from one state to another; null is outside the warehouse.

    `delta` is the change to on_hand (0 for a move between states inside the warehouse).
    """

    seq: int
    sku: str
    delta: int
    quantity: int
    from_state: MovementState | None
    to_state: MovementState | None
    on_hand_after: int
    allocated_after: int
    available_after: int
    quarantined_after: int
    damaged_after: int
    movement_type: MovementType
    ref: str
    ref_type: RefType
    occurred_at: datetime


class Adjustment(Resource):
    """A stock adjustment: `quantity` units from `from_state` to `to_state` (null: outside)."""

    id: str
    sku: str
    quantity: int
    quantity_delta: int = Field(description="the change to on_hand: negative for losses, 0 for moves")
    from_state: StockState | None
    to_state: StockState | None
    reason_code: ReasonCode
    reason_text: str | None
    count_ref: str | None
    source_ref: str | None
    batch: str | None
    occurred_at: datetime
    user: str | None
