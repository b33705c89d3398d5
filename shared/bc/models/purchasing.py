"""Purchasing documents: purchase orders and lines, posted purchase receipts."""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID

from shared.bc.models.base import BcDate, BcDateTime, BcEntity, BcEnum, BcGuid, Number


class PurchaseOrderLine(BcEntity):
    document_id: UUID
    sequence: int
    line_type: BcEnum | None = None
    item_id: BcGuid = None
    line_object_number: str | None = None
    description: str | None = None
    unit_of_measure_code: str | None = None
    quantity: Number = Decimal(0)
    direct_unit_cost: Number | None = None
    receive_quantity: Number = Decimal(0)  # Qty. to Receive
    received_quantity: Number = Decimal(0)
    invoice_quantity: Number = Decimal(0)
    invoiced_quantity: Number = Decimal(0)
    location_id: BcGuid = None
    item_variant_id: BcGuid = None
    expected_receipt_date: BcDate = None

    @property
    def outstanding_quantity(self) -> Decimal:
        return self.quantity - self.received_quantity


class PurchaseOrder(BcEntity):
    number: str
    order_date: BcDate = None
    requested_receipt_date: BcDate = None
    vendor_id: BcGuid = None
    vendor_number: str | None = None
    vendor_name: str | None = None
    currency_code: str | None = None
    status: BcEnum
    fully_received: bool = False
    last_modified_date_time: BcDateTime = None
    purchase_order_lines: list[PurchaseOrderLine] | None = None


class PurchaseReceiptLine(BcEntity):
    document_id: UUID
    sequence: int
    line_type: BcEnum | None = None
    line_object_number: str | None = None
    description: str | None = None
    unit_of_measure_code: str | None = None
    quantity: Number = Decimal(0)
    expected_receipt_date: BcDate = None


class PurchaseReceipt(BcEntity):
    """A posted receipt (read-only). `orderNumber` is the purchase order it came from."""

    number: str
    order_number: str | None = None
    vendor_number: str | None = None
    vendor_name: str | None = None
    posting_date: BcDate = None
    last_modified_date_time: BcDateTime = None
    purchase_receipt_lines: list[PurchaseReceiptLine] | None = None
