"""Typed Business Central entities (camelCase on the wire, snake_case here), by business area."""

from shared.bc.models.base import BcEntity, BcModel
from shared.bc.models.inventory import ItemLedgerEntry
from shared.bc.models.master import Company, Customer, CustomerReturnReason, Item, Location, ShipmentMethod
from shared.bc.models.purchasing import PurchaseOrder, PurchaseOrderLine, PurchaseReceipt, PurchaseReceiptLine
from shared.bc.models.sales import (
    CreditMemoDraft,
    CreditMemoLineDraft,
    SalesCreditMemo,
    SalesCreditMemoLine,
    SalesInvoice,
    SalesOrder,
    SalesOrderLine,
    SalesShipment,
    SalesShipmentLine,
)
from shared.bc.models.subscriptions import Subscription
from shared.bc.models.warehouse import (
    ReceiptConfirmation,
    ReceiptConfirmationDraft,
    ReceiptConfirmationLineDraft,
    ShipmentConfirmation,
    ShipmentConfirmationDraft,
    ShipmentConfirmationLineDraft,
    StockAdjustment,
    StockAdjustmentDraft,
    StockAdjustmentLineDraft,
)

__all__ = [
    "BcEntity",
    "BcModel",
    "Company",
    "CreditMemoDraft",
    "CreditMemoLineDraft",
    "Customer",
    "CustomerReturnReason",
    "Item",
    "ItemLedgerEntry",
    "Location",
    "PurchaseOrder",
    "PurchaseOrderLine",
    "PurchaseReceipt",
    "PurchaseReceiptLine",
    "ReceiptConfirmation",
    "ReceiptConfirmationDraft",
    "ReceiptConfirmationLineDraft",
    "SalesCreditMemo",
    "SalesCreditMemoLine",
    "SalesInvoice",
    "SalesOrder",
    "SalesOrderLine",
    "SalesShipment",
    "SalesShipmentLine",
    "ShipmentConfirmation",
    "ShipmentConfirmationDraft",
    "ShipmentConfirmationLineDraft",
    "ShipmentMethod",
    "StockAdjustment",
    "StockAdjustmentDraft",
    "StockAdjustmentLineDraft",
    "Subscription",
]
