"""BC payloads for the mapping tests, as the API sends them (camelCase, escaped enums)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from shared.bc.models import Item, SalesOrder, SalesOrderLine
from shared.mapping.lookups import Lookups, load_lookups

ITEM_ID = "1a2b3c4d-0000-4000-8000-000000000001"
ORDER_ID = UUID("6a1b2c3d-0000-4000-8000-000000000001")
METHOD_ID = "5e5e5e5e-0000-4000-8000-000000000001"
VALID_EAN13 = "5012345000022"
VALID_UPC = "036000291452"
VALID_GTIN14 = "10614141000415"
VALID_EAN8 = "96385074"

LOOKUPS_JSON = """{
  "home_country": "GB",
  "home_currency": "GBP",
  "services": [
    {"shipment_method": "STD", "service_code": "RM_TRACKED_48"},
    {"shipment_method": "STD", "shipping_agent": "RM", "shipping_agent_service": "TRACKED24",
     "service_code": "RM_TRACKED_24"},
    {"shipment_method": "STD", "shipping_agent": "EVRI", "service_code": "EVRI_STANDARD"},
    {"shipment_method": "NEXTDAY", "service_code": "DPD_NEXT_DAY"},
    {"shipment_method": "NEXTDAY", "shipping_agent": "DHL", "service_code": "DHL_PARCEL_UK_NEXT_DAY"}
  ],
  "units_of_measure": [
    {"bc_code": "PCS", "scend_uom": "EA"},
    {"bc_code": "EA", "scend_uom": "EA"},
    {"bc_code": "BOX", "scend_uom": "BOX"}
  ]
}"""


def lookups() -> Lookups:
    return load_lookups(LOOKUPS_JSON)


def item(**fields: Any) -> Item:
    body: dict[str, Any] = {
        "id": ITEM_ID,
        "number": "1000-BLU",
        "displayName": "Organic tee, blue",
        "type": "Inventory",
        "blocked": False,
        "gtin": VALID_EAN13,
        "baseUnitOfMeasureCode": "PCS",
        "lastModifiedDateTime": "2026-11-27T09:00:00Z",
    }
    return Item.model_validate(body | fields)


def line(sequence: int = 10000, **fields: Any) -> dict[str, Any]:
    return {
        "id": f"6a1b2c3d-0000-4000-8000-{sequence:012d}",
        "documentId": str(ORDER_ID),
        "sequence": sequence,
        "lineType": "Item",
        "lineObjectNumber": "1000-BLU",
        "description": "Organic tee, blue",
        "unitOfMeasureCode": "PCS",
        "quantity": 2,
        "unitPrice": 12.5,
        "shipQuantity": 2,
        "shippedQuantity": 0,
        "shipmentDate": "2026-11-30",
    } | fields


def order(*lines: dict[str, Any], **fields: Any) -> SalesOrder:
    body: dict[str, Any] = {
        "id": str(ORDER_ID),
        "@odata.etag": 'W/"JzE7Jw=="',
        "number": "SO-1042",
        "externalDocumentNumber": "WEB-000123",
        "orderDate": "2026-11-27",
        "postingDate": "2026-11-27",
        "customerNumber": "C10000",
        "customerName": "Ada Lovelace",
        "shipToName": "Ada Lovelace",
        "shipToContact": "",
        "shipToAddressLine1": "1 Market Street",
        "shipToAddressLine2": "",
        "shipToCity": "Leeds",
        "shipToState": "",
        "shipToCountry": "GB",
        "shipToPostCode": "LS1 6AA",
        "phoneNumber": "",
        "email": "",
        "currencyCode": "",
        "shipmentMethodId": METHOD_ID,
        "shipmentMethod": {"id": METHOD_ID, "code": "NEXTDAY", "displayName": "Next day"},
        "status": "Open",
        "lastModifiedDateTime": "2026-11-27T09:00:00Z",
        "salesOrderLines": list(lines) if lines else [line()],
    }
    return SalesOrder.model_validate(body | fields)


def order_lines(sales_order: SalesOrder) -> list[SalesOrderLine]:
    return list(sales_order.sales_order_lines or [])
