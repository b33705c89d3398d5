"""Customer returns: the RMA pre-advice, and the return as received and inspected."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import ConfigDict, Field

from local.scend_sim.models.common import Quantity, Reference, RequestModel, Resource, ShortText, Sku

ReturnStatus = Literal["expected", "received", "inspected", "completed", "unidentified"]
Condition = Literal["A_RESELLABLE", "B_REFURB", "DAMAGED", "FAULTY", "WRONG_ITEM", "MISSING"]
Disposition = Literal["RESTOCKED", "QUARANTINED", "DISPOSED", "RETURN_TO_SUPPLIER"]


class ReturnLineIn(RequestModel):
    sku: Sku
    quantity: Quantity
    customer_reason: ShortText | None = None


class ReturnIn(RequestModel):
    """An RMA pre-advice: `client_reference` is the RMA number."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "client_reference": "RMA-7001",
                    "order_reference": "SO-1042-R1",
                    "lines": [{"sku": "TEE-BLK-M", "quantity": 1, "customer_reason": "too small"}],
                }
            ]
        }
    )

    client_reference: Reference
    order_reference: Reference
    lines: list[ReturnLineIn] = Field(min_length=1, max_length=100)


class ReturnLine(Resource):
    line_no: int
    sku: str
    quantity: int
    customer_reason: str | None
    condition: Condition | None
    disposition: Disposition | None
    notes: str | None
    photo_urls: list[str]


class Return(Resource):
    """`rma` and `client_reference` carry the same RMA (null for a return that came unannounced)."""

    id: str
    client_reference: str | None
    rma: str | None
    order_reference: str | None
    order_id: str | None
    status: ReturnStatus
    lines: list[ReturnLine]
    created_at: datetime
    received_at: datetime | None
    inspected_at: datetime | None
    completed_at: datetime | None
    updated_at: datetime
    version: int
