"""Inbound: advance shipping notices (ASNs) and the receipts that confirm them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import AwareDatetime, ConfigDict, Field

from local.scend_sim.models.common import Name, Quantity, Reference, RequestModel, Resource, ShortText, Sku

AsnStatus = Literal["created", "awaiting_delivery", "arrived", "receiving", "completed", "cancelled"]


class Packaging(RequestModel):
    type: Literal["pallet", "carton", "container"]
    count: Quantity


class AsnLineIn(RequestModel):
    line_ref: Reference
    sku: Sku
    qty_expected: Quantity
    batch: ShortText | None = None
    expiry: date | None = None


class AsnIn(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "client_reference": "PO-2001",
                    "supplier": "Northern Knitwear Ltd",
                    "expected_at": "2026-01-06T09:00:00Z",
                    "packaging": {"type": "carton", "count": 2},
                    "lines": [{"line_ref": "10000", "sku": "TEE-BLK-M", "qty_expected": 24}],
                }
            ]
        }
    )

    client_reference: Reference
    supplier: Name
    expected_at: AwareDatetime
    packaging: Packaging | None = None
    lines: list[AsnLineIn] = Field(min_length=1, max_length=500)


class AsnCancelIn(RequestModel):
    reason: ShortText | None = None


class ReceiptLine(Resource):
    """`qty_received` counts every unit that arrived; `qty_damaged` of them arrived damaged."""

    line_ref: str | None
    sku: str
    qty_received: int
    qty_damaged: int
    batch: str | None
    expiry: date | None


class AsnLine(Resource):
    line_ref: str
    sku: str
    qty_expected: int
    qty_received: int
    qty_damaged: int
    batch: str | None
    expiry: date | None


class Asn(Resource):
    id: str
    client_reference: str
    supplier: str
    expected_at: datetime
    packaging: Packaging | None
    status: AsnStatus
    lines: list[AsnLine]
    unexpected_lines: list[ReceiptLine]
    receipt_ids: list[str]
    created_at: datetime
    updated_at: datetime
    arrived_at: datetime | None
    completed_at: datetime | None
    cancelled_at: datetime | None
    version: int


class Receipt(Resource):
    id: str
    asn_id: str
    asn_reference: str
    received_at: datetime
    is_final: bool
    lines: list[ReceiptLine]
    unexpected_lines: list[ReceiptLine]
