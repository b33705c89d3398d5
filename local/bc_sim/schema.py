"""The entity sets the simulator serves: BC's field names, types, editability, navigation and actions.

Field lists follow the APIV2 pages (reference §2); the custom API sets follow docs/bc-extension-api.md.
Everything else (OData, OpenAPI, $metadata, validation) reads these definitions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

from local.bc_sim.config import CUSTOM_API, STANDARD_API

EMPTY_GUID = "00000000-0000-0000-0000-000000000000"
BLANK_DATE = "0001-01-01"
BLANK_DATETIME = "0001-01-01T00:00:00Z"


class T(StrEnum):
    STRING = "string"
    GUID = "guid"
    DATE = "date"
    DATETIME = "datetime"
    DECIMAL = "decimal"
    INT = "int"
    BOOL = "bool"
    ENUM = "enum"


def escape_enum(name: str) -> str:
    """OData's XML name escaping of AL enum names: `In Review` -> `In_x0020_Review`, ` ` -> `_x0020_`."""
    return re.sub(r"[^A-Za-z0-9_]", lambda m: f"_x{ord(m.group()):04X}_", name)


def enum_values(*names: str) -> tuple[str, ...]:
    return tuple(escape_enum(n) for n in names)


DOCUMENT_STATUS = enum_values("Draft", "In Review", "Open")
POSTED_DOCUMENT_STATUS = enum_values("Draft", "In Review", "Open", "Paid", "Canceled", "Corrective")
ITEM_TYPE = enum_values("Inventory", "Service", "Non-Inventory")
DOCUMENT_LINE_TYPE = enum_values(
    "Comment", "Account", "Item", "Resource", "Fixed Asset", "Charge", "Allocation Account"
)
POSTED_LINE_TYPE = enum_values(
    " ", "G/L Account", "Item", "Resource", "Fixed Asset", "Charge (Item)", "Allocation Account"
)
LEDGER_ENTRY_TYPE = enum_values(
    "Purchase", "Sale", "Positive Adjmt.", "Negative Adjmt.", "Transfer", "Consumption", "Output", " ",
    "Assembly Consumption", "Assembly Output",
)  # fmt: skip
LEDGER_DOCUMENT_TYPE = enum_values(
    " ", "Sales Shipment", "Sales Invoice", "Sales Return Receipt", "Sales Credit Memo", "Purchase Receipt",
    "Purchase Invoice", "Purchase Return Shipment", "Purchase Credit Memo", "Transfer Shipment",
    "Transfer Receipt", "Service Shipment", "Service Invoice", "Service Credit Memo", "Posted Assembly",
    "Inventory Receipt", "Inventory Shipment", "Direct Transfer",
)  # fmt: skip
LEDGER_SOURCE_TYPE = enum_values(" ", "Customer", "Vendor", "Item")
CUSTOMER_TYPE = enum_values("Company", "Person")
CUSTOMER_BLOCKED = enum_values(" ", "Ship", "Invoice", "All")
VENDOR_BLOCKED = enum_values(" ", "Payment", "All")
CONFIRMATION_STATUS = enum_values("Open", "Posted")


@dataclass(frozen=True)
class Field:
    name: str
    type: T
    read_only: bool = False
    insert_only: bool = False  # writable on POST, read-only afterwards (e.g. a line's documentId)
    required: bool = False  # on POST
    max_length: int | None = None
    enum: tuple[str, ...] = ()
    default: object = None  # what a create leaves in the field when the body does not set it


@dataclass(frozen=True)
class Nav:
    """A navigation property: `children` are rows of `target` whose `via` equals this row's id;
    `one` is the row of `target` whose id is this row's `via`."""

    name: str
    target: str
    kind: Literal["children", "one"]
    via: str


@dataclass(frozen=True)
class EntitySet:
    name: str
    entity: str
    api: str
    fields: tuple[Field, ...]
    nav: tuple[Nav, ...] = ()
    insert: bool = True
    modify: bool = True
    delete: bool = True
    actions: tuple[str, ...] = ()
    lines: str | None = None  # the line set a deep insert may carry (`salesOrderLines`)
    parent: str | None = None  # for a line set: its header set
    needs_document_filter: bool = False  # BC refuses to list these lines without an id/documentId filter
    company_scoped: bool = True
    key: str = "id"
    by_name: dict[str, Field] = field(init=False, repr=False, compare=False)
    nav_by_name: dict[str, Nav] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_name", {f.name: f for f in self.fields})
        object.__setattr__(self, "nav_by_name", {n.name: n for n in self.nav})

    @property
    def has_modified(self) -> bool:
        return "lastModifiedDateTime" in self.by_name

    @property
    def webhook_capable(self) -> bool:
        return self.company_scoped and self.parent is None and self.has_modified


# Compact field constructors; `ro` marks read-only fields.
def s(
    name: str, length: int = 100, *, ro: bool = False, req: bool = False, insert_only: bool = False
) -> Field:
    return Field(name, T.STRING, read_only=ro, required=req, insert_only=insert_only, max_length=length)


def g(name: str, *, ro: bool = False, req: bool = False, insert_only: bool = False) -> Field:
    return Field(name, T.GUID, read_only=ro, required=req, insert_only=insert_only)


def d(name: str, *, ro: bool = False) -> Field:
    return Field(name, T.DATE, read_only=ro)


def n(name: str, *, ro: bool = False, req: bool = False) -> Field:
    return Field(name, T.DECIMAL, read_only=ro, required=req)


def b(name: str, *, ro: bool = False, default: bool | None = None) -> Field:
    return Field(name, T.BOOL, read_only=ro, default=default)


def e(name: str, values: tuple[str, ...], *, ro: bool = False) -> Field:
    return Field(name, T.ENUM, read_only=ro, enum=values)


ID = g("id", ro=True)
MODIFIED = Field("lastModifiedDateTime", T.DATETIME, read_only=True)


def address(prefix: str, *, ro: bool = False) -> tuple[Field, ...]:
    return (
        s(f"{prefix}AddressLine1", ro=ro),
        s(f"{prefix}AddressLine2", 50, ro=ro),
        s(f"{prefix}City", 30, ro=ro),
        s(f"{prefix}Country", 10, ro=ro),
        s(f"{prefix}State", 30, ro=ro),
        s(f"{prefix}PostCode", 20, ro=ro),
    )


def contact_fields() -> tuple[Field, ...]:
    return (
        s("addressLine1"), s("addressLine2", 50), s("city", 30), s("state", 30), s("country", 10),
        s("postalCode", 20), s("phoneNumber", 30), s("email", 80), s("website", 80),
    )  # fmt: skip


TOTALS = (
    n("discountAmount"),
    b("discountAppliedBeforeTax", ro=True),
    n("totalAmountExcludingTax", ro=True),
    n("totalTaxAmount", ro=True),
    n("totalAmountIncludingTax", ro=True),
)
LINE_AMOUNTS = (
    n("discountAmount"),
    n("discountPercent"),
    b("discountAppliedBeforeTax", ro=True),
    n("amountExcludingTax", ro=True),
    s("taxCode", 20),
    n("taxPercent", ro=True),
    n("totalTaxAmount", ro=True),
    n("amountIncludingTax", ro=True),
    n("invoiceDiscountAllocation", ro=True),
    n("netAmount", ro=True),
    n("netTaxAmount", ro=True),
    n("netAmountIncludingTax", ro=True),
)
LINE_HEAD = (
    ID,
    g("documentId", insert_only=True),
    Field("sequence", T.INT, insert_only=True),
    g("itemId"),
    g("accountId"),
    e("lineType", DOCUMENT_LINE_TYPE),
    s("lineObjectNumber", 20),
    s("description"),
    s("description2", 50),
    g("unitOfMeasureId"),
    s("unitOfMeasureCode", 10),
)
SALES_PARTY = (
    g("customerId"),
    s("customerNumber", 20),
    s("customerName", ro=True),
    s("billToName", ro=True),
    g("billToCustomerId"),
    s("billToCustomerNumber", 20),
)
ITEM_AND_LOCATION = (Nav("item", "items", "one", "itemId"), Nav("location", "locations", "one", "locationId"))


def line_set(
    name: str,
    entity: str,
    parent: str,
    fields: tuple[Field, ...],
    *,
    posted: bool = False,
    needs_document_filter: bool = False,
) -> EntitySet:
    """A document's line set; `posted` lines are read-only."""
    header = Nav(parent[:-1], parent, "one", "documentId")
    return EntitySet(
        name, entity, STANDARD_API, fields, nav=(*ITEM_AND_LOCATION, header), parent=parent,
        insert=not posted, modify=not posted, delete=not posted, needs_document_filter=needs_document_filter,
    )  # fmt: skip


STANDARD_SETS: tuple[EntitySet, ...] = (
    EntitySet(
        "companies", "company", STANDARD_API,
        (ID, s("systemVersion", 250, ro=True), Field("timestamp", T.INT, read_only=True), s("name", 30,
        ro=True),
         s("displayName", 250, ro=True), s("businessProfileId", 250, ro=True),
         Field("systemCreatedAt", T.DATETIME, read_only=True), Field("systemModifiedAt", T.DATETIME,
         read_only=True)),
        insert=False, modify=False, delete=False, company_scoped=False,
    ),
    EntitySet(
        "items", "item", STANDARD_API,
        (ID, s("number", 20), s("displayName"), s("displayName2", 50), e("type", ITEM_TYPE),
        g("itemCategoryId"),
         s("itemCategoryCode", 20), b("blocked"), s("gtin", 14), n("inventory"), n("unitPrice"),
         b("priceIncludesTax"), n("unitCost"), g("taxGroupId"), s("taxGroupCode", 20),
         g("baseUnitOfMeasureId"),
         s("baseUnitOfMeasureCode", 10), g("generalProductPostingGroupId"),
         s("generalProductPostingGroupCode", 20),
         g("inventoryPostingGroupId"), s("inventoryPostingGroupCode", 20), MODIFIED),
    ),
    EntitySet(
        "customers", "customer", STANDARD_API,
        (ID, s("number", 20), s("displayName"), e("type", CUSTOMER_TYPE), *contact_fields(),
        s("salespersonCode", 20),
         n("balanceDue", ro=True), n("creditLimit"), b("taxLiable"), g("taxAreaId"),
         s("taxAreaDisplayName", ro=True),
         s("taxRegistrationNumber", 20), g("currencyId"), s("currencyCode", 10), g("paymentTermsId"),
         g("shipmentMethodId"), g("paymentMethodId"), e("blocked", CUSTOMER_BLOCKED), MODIFIED),
        nav=(Nav("shipmentMethod", "shipmentMethods", "one", "shipmentMethodId"),),
    ),
    EntitySet(
        "vendors", "vendor", STANDARD_API,
        (ID, s("number", 20), s("displayName"), *contact_fields(), s("taxRegistrationNumber", 20),
        g("currencyId"),
         s("currencyCode", 10), g("paymentTermsId"), g("paymentMethodId"), b("taxLiable"),
         e("blocked", VENDOR_BLOCKED), n("balance", ro=True), MODIFIED),
    ),
    EntitySet(
        "locations", "location", STANDARD_API,
        (ID, s("code", 10), s("displayName"), s("contact"), *contact_fields(), MODIFIED),
    ),
    EntitySet("shipmentMethods", "shipmentMethod", STANDARD_API, (ID, s("code", 10), s("displayName"),
    MODIFIED)),
    EntitySet(
        "customerReturnReasons", "customerReturnReason", STANDARD_API,
        (ID, s("code", 10), s("description"), MODIFIED),
    ),
    EntitySet(
        "salesOrders", "salesOrder", STANDARD_API,
        (ID, s("number", 20, ro=True), s("externalDocumentNumber", 35), d("orderDate"), d("postingDate"),
         *SALES_PARTY, s("shipToName"), s("shipToContact"), *address("sellTo"), *address("billTo", ro=True),
         *address("shipTo"), s("shortcutDimension1Code", 20), s("shortcutDimension2Code", 20),
         g("currencyId"),
         s("currencyCode", 10), b("pricesIncludeTax", ro=True), g("paymentTermsId"), g("shipmentMethodId"),
         s("salesperson", 20), b("partialShipping", default=True), d("requestedDeliveryDate"), *TOTALS,
         b("fullyShipped", ro=True), e("status", DOCUMENT_STATUS, ro=True), MODIFIED, s("phoneNumber", 30),
         s("email", 80)),
        nav=(Nav("salesOrderLines", "salesOrderLines", "children", "documentId"),
             Nav("customer", "customers", "one", "customerId"),
             Nav("shipmentMethod", "shipmentMethods", "one", "shipmentMethodId")),
        actions=("shipAndInvoice",), lines="salesOrderLines",
    ),
    line_set(
        "salesOrderLines", "salesOrderLine", "salesOrders",
        (*LINE_HEAD, n("quantity"), n("unitPrice"), *LINE_AMOUNTS, d("shipmentDate"),
         n("shippedQuantity", ro=True), n("invoicedQuantity", ro=True), n("invoiceQuantity"),
         n("shipQuantity"),
         g("itemVariantId"), g("locationId")),
        needs_document_filter=True,
    ),
    EntitySet(
        "salesShipments", "salesShipment", STANDARD_API,
        (ID, s("number", 20), s("externalDocumentNumber", 35), d("invoiceDate"), d("postingDate"),
        d("dueDate"),
         s("customerPurchaseOrderReference", 35), *SALES_PARTY, s("shipToName"), s("shipToContact"),
         *address("sellTo"), *address("billTo"), *address("shipTo"), s("currencyCode", 10),
         s("orderNumber", 20),
         s("paymentTermsCode", 10), s("shipmentMethodCode", 10), s("salesperson", 20), b("pricesIncludeTax"),
         s("phoneNumber", 30), s("email", 80), MODIFIED),
        nav=(Nav("salesShipmentLines", "salesShipmentLines", "children", "documentId"),
             Nav("customer", "customers", "one", "customerId")),
        insert=False, modify=False, delete=False, lines="salesShipmentLines",
    ),
    line_set(
        "salesShipmentLines", "salesShipmentLine", "salesShipments",
        (ID, g("documentId"), s("documentNo", 20), Field("sequence", T.INT), e("lineType", POSTED_LINE_TYPE),
         s("lineObjectNumber", 20), s("description"), s("description2", 50), s("unitOfMeasureCode", 10),
         n("unitPrice"), n("quantity"), n("discountPercent"), n("taxPercent"), d("shipmentDate")),
        posted=True,
    ),
    EntitySet(
        "salesInvoices", "salesInvoice", STANDARD_API,
        (ID, s("number", 20), s("externalDocumentNumber", 35), d("invoiceDate"), d("postingDate"),
        d("dueDate"),
         s("customerPurchaseOrderReference", 35), *SALES_PARTY, s("shipToName"), s("shipToContact"),
         *address("sellTo"), *address("billTo"), *address("shipTo"), g("currencyId"), s("currencyCode", 10),
         g("orderId"), s("orderNumber", 20), g("paymentTermsId"), g("shipmentMethodId"), s("salesperson", 20),
         b("pricesIncludeTax"), n("remainingAmount"), *TOTALS, e("status", POSTED_DOCUMENT_STATUS), MODIFIED,
         s("phoneNumber", 30), s("email", 80)),
        nav=(Nav("salesInvoiceLines", "salesInvoiceLines", "children", "documentId"),
             Nav("customer", "customers", "one", "customerId")),
        insert=False, modify=False, delete=False, lines="salesInvoiceLines",
    ),
    line_set(
        "salesInvoiceLines", "salesInvoiceLine", "salesInvoices",
        (*LINE_HEAD, n("quantity"), n("unitPrice"), *LINE_AMOUNTS, d("shipmentDate"), g("itemVariantId"),
         g("locationId")),
        posted=True, needs_document_filter=True,
    ),
    EntitySet(
        "salesCreditMemos", "salesCreditMemo", STANDARD_API,
        (ID, s("number", 20, ro=True), s("externalDocumentNumber", 35), d("creditMemoDate"), d("postingDate"),
         d("dueDate"), *SALES_PARTY, *address("sellTo"), *address("billTo", ro=True), g("currencyId"),
         s("currencyCode", 10), g("paymentTermsId"), g("shipmentMethodId"), s("salesperson", 20),
         b("pricesIncludeTax", ro=True), *TOTALS, e("status", POSTED_DOCUMENT_STATUS, ro=True), MODIFIED,
         g("invoiceId"), s("invoiceNumber", 20), g("customerReturnReasonId"), s("phoneNumber", 30),
         s("email", 80)),
        nav=(Nav("salesCreditMemoLines", "salesCreditMemoLines", "children", "documentId"),
             Nav("customer", "customers", "one", "customerId")),
        lines="salesCreditMemoLines",
    ),
    line_set(
        "salesCreditMemoLines", "salesCreditMemoLine", "salesCreditMemos",
        (*LINE_HEAD, n("unitPrice"), n("quantity"), *LINE_AMOUNTS, d("shipmentDate"), g("itemVariantId"),
         g("locationId")),
        needs_document_filter=True,
    ),
    EntitySet(
        "purchaseOrders", "purchaseOrder", STANDARD_API,
        (ID, s("number", 20, ro=True), d("orderDate"), d("postingDate"), g("vendorId"), s("vendorNumber", 20),
         s("vendorName", ro=True), s("payToName", ro=True), g("payToVendorId"), s("payToVendorNumber", 20),
         s("shipToName"), s("shipToContact"), *address("buyFrom"), *address("payTo", ro=True),
         *address("shipTo"),
         s("shortcutDimension1Code", 20), s("shortcutDimension2Code", 20), g("currencyId"),
         s("currencyCode", 10),
         b("pricesIncludeTax", ro=True), g("paymentTermsId"), g("shipmentMethodId"), s("purchaser", 20),
         d("requestedReceiptDate"), *TOTALS, b("fullyReceived", ro=True), e("status", DOCUMENT_STATUS,
         ro=True),
         MODIFIED),
        nav=(Nav("purchaseOrderLines", "purchaseOrderLines", "children", "documentId"),
             Nav("vendor", "vendors", "one", "vendorId")),
        actions=("receiveAndInvoice",), lines="purchaseOrderLines",
    ),
    line_set(
        "purchaseOrderLines", "purchaseOrderLine", "purchaseOrders",
        (*LINE_HEAD, n("quantity"), n("directUnitCost"), *LINE_AMOUNTS, d("expectedReceiptDate"),
         n("receivedQuantity", ro=True), n("invoicedQuantity", ro=True), n("invoiceQuantity"),
         n("receiveQuantity"),
         g("itemVariantId"), g("locationId")),
        needs_document_filter=True,
    ),
    EntitySet(
        "purchaseReceipts", "purchaseReceipt", STANDARD_API,
        (ID, s("number", 20), d("invoiceDate"), d("postingDate"), d("dueDate"), s("vendorNumber", 20),
         s("vendorName"), s("payToName"), s("payToContact"), s("payToVendorNumber", 20), s("shipToName"),
         s("shipToContact"), *address("buyFrom"), *address("payTo"), *address("shipTo"), s("currencyCode",
         10),
         s("orderNumber", 20), MODIFIED),
        nav=(Nav("purchaseReceiptLines", "purchaseReceiptLines", "children", "documentId"),),
        insert=False, modify=False, delete=False, lines="purchaseReceiptLines",
    ),
    line_set(
        "purchaseReceiptLines", "purchaseReceiptLine", "purchaseReceipts",
        (ID, g("documentId"), Field("sequence", T.INT), e("lineType", POSTED_LINE_TYPE),
        s("lineObjectNumber", 20),
         s("description"), s("description2", 50), s("unitOfMeasureCode", 10), n("unitCost"), n("quantity"),
         n("discountPercent"), n("taxPercent"), d("expectedReceiptDate")),
        posted=True,
    ),
    EntitySet(
        "purchaseInvoices", "purchaseInvoice", STANDARD_API,
        (ID, s("number", 20), d("invoiceDate"), d("postingDate"), d("dueDate"), s("vendorInvoiceNumber", 35),
         g("vendorId"), s("vendorNumber", 20), s("vendorName"), s("payToName"), g("payToVendorId"),
         s("payToVendorNumber", 20), g("currencyId"), s("currencyCode", 10), g("orderId"), s("orderNumber",
         20),
         b("pricesIncludeTax"), *TOTALS, e("status", POSTED_DOCUMENT_STATUS), MODIFIED),
        nav=(Nav("purchaseInvoiceLines", "purchaseInvoiceLines", "children", "documentId"),
             Nav("vendor", "vendors", "one", "vendorId")),
        insert=False, modify=False, delete=False, lines="purchaseInvoiceLines",
    ),
    line_set(
        "purchaseInvoiceLines", "purchaseInvoiceLine", "purchaseInvoices",
        (*LINE_HEAD, n("quantity"), n("directUnitCost"), *LINE_AMOUNTS, d("expectedReceiptDate"),
         g("itemVariantId"), g("locationId")),
        posted=True, needs_document_filter=True,
    ),
    EntitySet(
        "itemLedgerEntries", "itemLedgerEntry", STANDARD_API,
        (ID, Field("entryNumber", T.INT), s("itemNumber", 20), d("postingDate"), e("entryType",
        LEDGER_ENTRY_TYPE),
         s("sourceNumber", 20), e("sourceType", LEDGER_SOURCE_TYPE), s("documentNumber", 20),
         e("documentType", LEDGER_DOCUMENT_TYPE), s("description"), n("quantity"), n("salesAmountActual"),
         n("costAmountActual"), MODIFIED),
        insert=False, modify=False, delete=False,
    ),
    EntitySet(
        "subscriptions", "subscription", STANDARD_API,
        (s("subscriptionId", 150, ro=True), s("notificationUrl", 250, req=True), s("resource", 250, req=True),
         g("userId", ro=True), MODIFIED, s("clientState", 2048), Field("expirationDateTime", T.DATETIME,
         read_only=True),
         Field("systemCreatedAt", T.DATETIME, read_only=True)),
        company_scoped=False, key="subscriptionId",
    ),
)  # fmt: skip


def scend_key(name: str) -> Field:
    """The Scend id a confirmation carries: its idempotency key (External Document No., Code[35])."""
    return Field(name, T.STRING, required=True, insert_only=True, max_length=35)


def _custom_lines(name: str, entity: str, parent: str, source_line: str) -> EntitySet:
    return EntitySet(
        name, entity, CUSTOM_API,
        (ID, g("documentId", insert_only=True), Field("sequence", T.INT, insert_only=True),
         g(source_line, req=True, insert_only=True), s("itemNumber", 20, ro=True), n("quantity", req=True)),
        parent=parent,
    )  # fmt: skip


CUSTOM_SETS: tuple[EntitySet, ...] = (
    EntitySet(
        "shipmentConfirmations", "shipmentConfirmation", CUSTOM_API,
        (ID, scend_key("scendShipmentId"), g("salesOrderId", req=True, insert_only=True),
         s("salesOrderNumber", 20, ro=True), d("shipmentDate"), s("packageTrackingNumber", 50),
         s("shippingAgentCode", 10), s("shippingAgentServiceCode", 10), e("status", CONFIRMATION_STATUS,
         ro=True),
         g("salesShipmentId", ro=True), s("salesShipmentNumber", 20, ro=True), MODIFIED),
        nav=(Nav("shipmentConfirmationLines", "shipmentConfirmationLines", "children", "documentId"),),
        actions=("post",), lines="shipmentConfirmationLines",
    ),
    _custom_lines("shipmentConfirmationLines", "shipmentConfirmationLine", "shipmentConfirmations",
                  "salesOrderLineId"),
    EntitySet(
        "stockAdjustments", "stockAdjustment", CUSTOM_API,
        (ID, scend_key("scendAdjustmentId"), d("postingDate"), s("reasonCode", 10), s("description"),
         e("status", CONFIRMATION_STATUS, ro=True), s("documentNumber", 20, ro=True), MODIFIED),
        nav=(Nav("stockAdjustmentLines", "stockAdjustmentLines", "children", "documentId"),),
        actions=("post",), lines="stockAdjustmentLines",
    ),
    EntitySet(
        "stockAdjustmentLines", "stockAdjustmentLine", CUSTOM_API,
        (ID, g("documentId", insert_only=True), Field("sequence", T.INT, insert_only=True),
         g("itemId", req=True, insert_only=True), s("itemNumber", 20, ro=True),
         Field("locationCode", T.STRING, required=True, insert_only=True, max_length=10), n("quantity",
         req=True)),
        parent="stockAdjustments",
    ),
    EntitySet(
        "receiptConfirmations", "receiptConfirmation", CUSTOM_API,
        (ID, scend_key("scendReceiptId"), g("purchaseOrderId", req=True, insert_only=True),
         s("purchaseOrderNumber", 20, ro=True), d("receiptDate"), s("vendorShipmentNumber", 35),
         e("status", CONFIRMATION_STATUS, ro=True), g("purchaseReceiptId", ro=True),
         s("purchaseReceiptNumber", 20, ro=True), MODIFIED),
        nav=(Nav("receiptConfirmationLines", "receiptConfirmationLines", "children", "documentId"),),
        actions=("post",), lines="receiptConfirmationLines",
    ),
    _custom_lines("receiptConfirmationLines", "receiptConfirmationLine", "receiptConfirmations",
                  "purchaseOrderLineId"),
)  # fmt: skip

ALL_SETS: dict[str, EntitySet] = {es.name: es for es in (*STANDARD_SETS, *CUSTOM_SETS)}
SETS_BY_API: dict[str, dict[str, EntitySet]] = {
    api: {es.name: es for es in ALL_SETS.values() if es.api == api} for api in (STANDARD_API, CUSTOM_API)
}


def blank(f: Field) -> object:
    """BC has no nulls: a blank field reads as the type's empty value."""
    match f.type:
        case T.STRING:
            return ""
        case T.GUID:
            return EMPTY_GUID
        case T.DATE:
            return BLANK_DATE
        case T.DATETIME:
            return BLANK_DATETIME
        case T.DECIMAL | T.INT:
            return 0
        case T.BOOL:
            return False
        case T.ENUM:
            return f.enum[0]
