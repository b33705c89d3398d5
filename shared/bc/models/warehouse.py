"""The companion extension's documents: shipment confirmations, stock adjustments, receipt confirmations.

Each is keyed by the Scend id it confirms (docs/bc-extension-api.md).
"""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID

from pydantic import Field

from shared.bc.models.base import BcDate, BcDateTime, BcEntity, BcEnum, BcGuid, BcModel, Number

POSTED = "Posted"


class ShipmentConfirmationLine(BcEntity):
    document_id: UUID
    sequence: int
    sales_order_line_id: UUID
    item_number: str | None = None
    quantity: Number = Decimal(0)


class ShipmentConfirmation(BcEntity):
    scend_shipment_id: str
    sales_order_id: UUID
    sales_order_number: str | None = None
    shipment_date: BcDate = None
    package_tracking_number: str | None = None
    shipping_agent_code: str | None = None
    shipping_agent_service_code: str | None = None
    status: BcEnum
    sales_shipment_id: BcGuid = None
    sales_shipment_number: str | None = None
    last_modified_date_time: BcDateTime = None
    shipment_confirmation_lines: list[ShipmentConfirmationLine] | None = None


class ShipmentConfirmationLineDraft(BcModel):
    sales_order_line_id: UUID
    quantity: Number


class ShipmentConfirmationDraft(BcModel):
    """A despatch to post as a shipment only, with its tracking; `scend_shipment_id` is the key."""

    scend_shipment_id: str = Field(min_length=1, max_length=35)
    sales_order_id: UUID
    shipment_date: BcDate = None
    package_tracking_number: str | None = Field(default=None, max_length=50)
    shipping_agent_code: str | None = Field(default=None, max_length=10)
    shipping_agent_service_code: str | None = Field(default=None, max_length=10)
    shipment_confirmation_lines: list[ShipmentConfirmationLineDraft] = Field(min_length=1)


class StockAdjustmentLine(BcEntity):
    document_id: UUID
    sequence: int
    item_id: UUID
    item_number: str | None = None
    location_code: str
    quantity: Number = Decimal(0)


class StockAdjustment(BcEntity):
    scend_adjustment_id: str
    posting_date: BcDate = None
    reason_code: str | None = None
    description: str | None = None
    status: BcEnum
    document_number: str | None = None
    last_modified_date_time: BcDateTime = None
    stock_adjustment_lines: list[StockAdjustmentLine] | None = None


class StockAdjustmentLineDraft(BcModel):
    item_id: UUID
    location_code: str = Field(min_length=1, max_length=10)
    quantity: Number  # signed: positive = Positive Adjmt., negative = Negative Adjmt.


class StockAdjustmentDraft(BcModel):
    scend_adjustment_id: str = Field(min_length=1, max_length=35)
    posting_date: BcDate = None
    reason_code: str | None = Field(default=None, max_length=10)
    description: str | None = Field(default=None, max_length=100)
    stock_adjustment_lines: list[StockAdjustmentLineDraft] = Field(min_length=1)


class ReceiptConfirmationLine(BcEntity):
    document_id: UUID
    sequence: int
    purchase_order_line_id: UUID
    item_number: str | None = None
    quantity: Number = Decimal(0)


class ReceiptConfirmation(BcEntity):
    scend_receipt_id: str
    purchase_order_id: UUID
    purchase_order_number: str | None = None
    receipt_date: BcDate = None
    vendor_shipment_number: str | None = None
    status: BcEnum
    purchase_receipt_id: BcGuid = None
    purchase_receipt_number: str | None = None
    last_modified_date_time: BcDateTime = None
    receipt_confirmation_lines: list[ReceiptConfirmationLine] | None = None


class ReceiptConfirmationLineDraft(BcModel):
    purchase_order_line_id: UUID
    quantity: Number


class ReceiptConfirmationDraft(BcModel):
    scend_receipt_id: str = Field(min_length=1, max_length=35)
    purchase_order_id: UUID
    receipt_date: BcDate = None
    vendor_shipment_number: str | None = Field(default=None, max_length=35)
    receipt_confirmation_lines: list[ReceiptConfirmationLineDraft] = Field(min_length=1)
