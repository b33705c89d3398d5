"""Sales documents: orders and lines, posted shipments, invoices, credit memos and their drafts."""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID

from pydantic import Field

from shared.bc.models.base import BcDate, BcDateTime, BcEntity, BcEnum, BcGuid, BcModel, Number, Personal
from shared.bc.models.master import ShipmentMethod


class SalesOrderLine(BcEntity):
    document_id: UUID
    sequence: int
    line_type: BcEnum | None = None
    item_id: BcGuid = None
    line_object_number: str | None = None  # the item number for item lines
    description: str | None = None
    unit_of_measure_code: str | None = None
    quantity: Number = Decimal(0)
    unit_price: Number | None = None
    ship_quantity: Number = Decimal(0)  # Qty. to Ship
    shipped_quantity: Number = Decimal(0)
    invoice_quantity: Number = Decimal(0)  # Qty. to Invoice
    invoiced_quantity: Number = Decimal(0)
    location_id: BcGuid = None
    item_variant_id: BcGuid = None
    shipment_date: BcDate = None

    @property
    def outstanding_quantity(self) -> Decimal:
        return self.quantity - self.shipped_quantity


class SalesOrder(BcEntity):
    """`status` is `Open` for a released order (and for one pending prepayment); `Draft` is BC Open."""

    number: str
    external_document_number: str | None = None
    order_date: BcDate = None
    posting_date: BcDate = None
    requested_delivery_date: BcDate = None
    customer_id: BcGuid = None
    customer_number: str | None = None
    customer_name: Personal = None
    ship_to_name: Personal = None
    ship_to_contact: Personal = None
    ship_to_address_line1: Personal = None
    ship_to_address_line2: Personal = None
    ship_to_city: Personal = None
    ship_to_state: Personal = None
    ship_to_country: str | None = None
    ship_to_post_code: Personal = None
    phone_number: Personal = None
    email: Personal = None
    currency_code: str | None = None
    shipment_method_id: BcGuid = None
    partial_shipping: bool | None = None
    fully_shipped: bool = False
    status: BcEnum
    last_modified_date_time: BcDateTime = None
    sales_order_lines: list[SalesOrderLine] | None = None  # with $expand=salesOrderLines
    shipment_method: ShipmentMethod | None = None  # with $expand=shipmentMethod


class SalesShipmentLine(BcEntity):
    document_id: UUID
    document_no: str | None = None
    sequence: int
    line_type: BcEnum | None = None
    line_object_number: str | None = None
    description: str | None = None
    unit_of_measure_code: str | None = None
    quantity: Number = Decimal(0)


class SalesShipment(BcEntity):
    """A posted shipment (read-only). `orderNumber` is the sales order it came from."""

    number: str
    external_document_number: str | None = None
    order_number: str | None = None
    posting_date: BcDate = None
    customer_number: str | None = None
    customer_name: Personal = None
    shipment_method_code: str | None = None
    last_modified_date_time: BcDateTime = None
    sales_shipment_lines: list[SalesShipmentLine] | None = None


class SalesInvoice(BcEntity):
    number: str
    external_document_number: str | None = None
    order_id: BcGuid = None
    order_number: str | None = None
    invoice_date: BcDate = None
    posting_date: BcDate = None
    customer_id: BcGuid = None
    customer_number: str | None = None
    customer_name: Personal = None
    status: BcEnum | None = None
    total_amount_including_tax: Number | None = None
    last_modified_date_time: BcDateTime = None


class SalesCreditMemoLine(BcEntity):
    document_id: UUID
    sequence: int
    line_type: BcEnum | None = None
    item_id: BcGuid = None
    line_object_number: str | None = None
    description: str | None = None
    quantity: Number = Decimal(0)
    unit_price: Number | None = None
    location_id: BcGuid = None


class SalesCreditMemo(BcEntity):
    """Unposted (`Draft`, `In Review`, `Open`) and posted (`Open`, `Paid`, …) memos share the collection."""

    number: str
    external_document_number: str | None = None
    credit_memo_date: BcDate = None
    posting_date: BcDate = None
    customer_id: BcGuid = None
    customer_number: str | None = None
    customer_name: Personal = None
    invoice_id: BcGuid = None
    invoice_number: str | None = None
    customer_return_reason_id: BcGuid = None
    status: BcEnum | None = None
    total_amount_including_tax: Number | None = None
    last_modified_date_time: BcDateTime = None
    sales_credit_memo_lines: list[SalesCreditMemoLine] | None = None


class CreditMemoLineDraft(BcModel):
    """One line of a draft credit memo: an item by id (or number), a quantity, optionally a price."""

    line_type: BcEnum = "Item"
    item_id: BcGuid = None
    line_object_number: str | None = None
    description: str | None = None
    quantity: Number
    unit_price: Number | None = None
    location_id: BcGuid = None


class CreditMemoDraft(BcModel):
    """A draft sales credit memo, created with its lines in one deep insert and never posted here.

    `external_document_number` carries our reference (the Scend return id): it is how an in-doubt
    create is found again.
    """

    customer_id: BcGuid = None
    customer_number: str | None = None
    external_document_number: str
    credit_memo_date: BcDate = None
    invoice_id: BcGuid = None
    customer_return_reason_id: BcGuid = None
    sales_credit_memo_lines: list[CreditMemoLineDraft] = Field(min_length=1)
