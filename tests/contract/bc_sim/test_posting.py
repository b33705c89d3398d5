"""Posting with real effects (reference §3): posted documents, line quantities, item ledger entries,
inventory, fully shipped/invoiced orders; the custom API's postings without invoicing, idempotent on
the Scend id; draft credit memos; the item inventory PATCH."""

from __future__ import annotations

from typing import Any

import httpx

from local.bc_sim import BcSim
from tests.contract.bc_sim.support import Catalogue, assert_error, purchase_order, sales_order


async def _released(
    bc: httpx.AsyncClient, control: httpx.AsyncClient, body: dict[str, Any]
) -> dict[str, Any]:
    created = await bc.post("salesOrders?$expand=salesOrderLines", json=body)
    assert created.status_code == 201, created.text
    order: dict[str, Any] = created.json()
    assert (await control.post(f"orders/salesOrders/{order['id']}/release")).status_code == 200
    return order


async def _lines(bc: httpx.AsyncClient, order_id: str) -> list[tuple[str, float, float, float, float, float]]:
    lines = (await bc.get(f"salesOrders({order_id})/salesOrderLines")).json()["value"]
    return [
        (
            ln["lineObjectNumber"],
            ln["shippedQuantity"],
            ln["invoicedQuantity"],
            ln["shipQuantity"],
            ln["invoiceQuantity"],
            ln["quantity"],
        )
        for ln in lines
    ]


async def _inventory(bc: httpx.AsyncClient, item: dict[str, Any]) -> float:
    value: float = (await bc.get(f"items({item['id']})")).json()["inventory"]
    return value


async def test_ship_and_invoice_posts_the_quantities_to_ship_and_invoice(
    sim: BcSim, bc: httpx.AsyncClient, control: httpx.AsyncClient, shop: Catalogue
) -> None:
    # GIVEN a released order for 5 x 1000-BLU and 2 x 2000-RED, shipping 3 x 1000-BLU only
    order = await _released(bc, control, sales_order(shop, (shop.item_a, 5), (shop.item_b, 2)))
    blue, red = order["salesOrderLines"]
    assert (blue["shipQuantity"], blue["invoiceQuantity"]) == (5, 5)  # defaults: all outstanding
    await bc.patch(f"salesOrderLines({blue['id']})", json={"shipQuantity": 3}, headers={"If-Match": "*"})
    await bc.patch(f"salesOrderLines({red['id']})", json={"shipQuantity": 0}, headers={"If-Match": "*"})
    # WHEN shipAndInvoice is called
    posted = await bc.post(f"salesOrders({order['id']})/Microsoft.NAV.shipAndInvoice")
    # THEN 204; one shipment and one invoice for 3 x 1000-BLU; the lines remember it and re-default
    assert (posted.status_code, posted.content) == (204, b"")
    shipments = (
        await bc.get(
            "salesShipments",
            params={"$filter": f"orderNumber eq '{order['number']}'", "$expand": "salesShipmentLines"},
        )
    ).json()["value"]
    assert [(s["number"], s["externalDocumentNumber"]) for s in shipments] == [("S-SHPT102001", "")]
    assert [
        (ln["lineObjectNumber"], ln["quantity"], ln["lineType"]) for ln in shipments[0]["salesShipmentLines"]
    ] == [("1000-BLU", 3, "Item")]
    invoices = (await bc.get("salesInvoices", params={"$expand": "salesInvoiceLines"})).json()["value"]
    assert [
        (
            i["number"],
            i["orderNumber"],
            i["status"],
            i["totalAmountExcludingTax"],
            i["totalAmountIncludingTax"],
        )
        for i in invoices
    ] == [("S-INV103001", order["number"], "Open", 30, 36)]
    assert await _lines(bc, order["id"]) == [("1000-BLU", 3, 3, 2, 2, 5), ("2000-RED", 0, 0, 2, 2, 2)]
    # AND the sale is in the item ledger and the inventory; the order is not fully shipped yet
    entries = (await bc.get("itemLedgerEntries", params={"$filter": "entryType eq 'Sale'"})).json()["value"]
    assert [
        (
            e["itemNumber"],
            e["quantity"],
            e["documentType"],
            e["documentNumber"],
            e["sourceNumber"],
            e["salesAmountActual"],
        )
        for e in entries
    ] == [("1000-BLU", -3, "Sales_x0020_Shipment", "S-SHPT102001", "C100", 30)]
    assert await _inventory(bc, shop.item_a) == 47
    assert (await bc.get(f"salesOrders({order['id']})")).json()["fullyShipped"] is False
    # WHEN the rest is shipped and invoiced (default quantities)
    await bc.post(f"salesOrders({order['id']})/Microsoft.NAV.shipAndInvoice")
    # THEN the fully invoiced order is gone, as BC deletes it; red went below zero (no stock was there)
    assert_error(await bc.get(f"salesOrders({order['id']})"), 404, "Internal_RecordNotFound")
    assert (await _inventory(bc, shop.item_a), await _inventory(bc, shop.item_b)) == (45, -2)
    assert sim.statistics()["posted"]["by_order"] == {
        order["number"]: {"salesShipment": 2, "salesInvoice": 2}
    }


async def test_quantities_are_checked_as_bc_does(
    bc: httpx.AsyncClient, control: httpx.AsyncClient, shop: Catalogue
) -> None:
    order = await _released(bc, control, sales_order(shop, (shop.item_a, 5)))
    line = order["salesOrderLines"][0]
    too_many = await bc.patch(
        f"salesOrderLines({line['id']})", json={"shipQuantity": 6}, headers={"If-Match": "*"}
    )
    invoice_more = await bc.patch(
        f"salesOrderLines({line['id']})",
        json={"shipQuantity": 2, "invoiceQuantity": 3},
        headers={"If-Match": "*"},
    )
    quantity_on_released = await bc.patch(
        f"salesOrderLines({line['id']})", json={"quantity": 9}, headers={"If-Match": "*"}
    )
    await bc.patch(f"salesOrderLines({line['id']})", json={"shipQuantity": 0}, headers={"If-Match": "*"})
    nothing = await bc.post(f"salesOrders({order['id']})/Microsoft.NAV.shipAndInvoice")
    assert assert_error(too_many, 400, "Application_DialogException").startswith(
        "You cannot ship more than 5 units."
    )
    assert assert_error(invoice_more, 400, "Application_DialogException").startswith(
        "You cannot invoice more than 2"
    )
    assert_error(quantity_on_released, 400, "Application_FieldValidationException")
    assert assert_error(nothing, 400, "Application_DialogException").startswith("There is nothing to post.")


async def test_receive_and_invoice_posts_a_receipt_an_invoice_and_stock(
    sim: BcSim, bc: httpx.AsyncClient, shop: Catalogue
) -> None:
    # GIVEN a purchase order for 20 x 1000-BLU, receiving 15 now
    created = (
        await bc.post(
            "purchaseOrders?$expand=purchaseOrderLines", json=purchase_order(shop, (shop.item_a, 20))
        )
    ).json()
    line = created["purchaseOrderLines"][0]
    await bc.patch(
        f"purchaseOrderLines({line['id']})", json={"receiveQuantity": 15}, headers={"If-Match": "*"}
    )
    # WHEN receiveAndInvoice runs
    assert (
        await bc.post(f"purchaseOrders({created['id']})/Microsoft.NAV.receiveAndInvoice")
    ).status_code == 204
    # THEN a receipt and a purchase invoice for 15, a Purchase entry, stock up by 15, not fully received
    receipts = (await bc.get("purchaseReceipts", params={"$expand": "purchaseReceiptLines"})).json()["value"]
    assert [
        (r["number"], r["orderNumber"], [ln["quantity"] for ln in r["purchaseReceiptLines"]])
        for r in receipts
    ] == [("P-RCPT107001", created["number"], [15])]
    assert [i["number"] for i in (await bc.get("purchaseInvoices")).json()["value"]] == ["P-INV108001"]
    entry = (await bc.get("itemLedgerEntries", params={"$filter": "entryType eq 'Purchase'"})).json()[
        "value"
    ][0]
    assert (entry["quantity"], entry["documentType"], entry["sourceType"], entry["costAmountActual"]) == (
        15,
        "Purchase_x0020_Receipt",
        "Vendor",
        60,
    )
    po = (await bc.get(f"purchaseOrders({created['id']})?$expand=purchaseOrderLines")).json()
    assert (po["fullyReceived"], po["purchaseOrderLines"][0]["receivedQuantity"]) == (False, 15)
    assert await _inventory(bc, shop.item_a) == 65


async def test_patching_item_inventory_posts_an_adjustment_without_a_location(
    bc: httpx.AsyncClient, control: httpx.AsyncClient, shop: Catalogue
) -> None:
    # GIVEN 1000-BLU with 50 on hand at SCEND
    before = (await bc.get(f"items({shop.item_a['id']})")).json()
    # WHEN the client PATCHes inventory to 42
    reply = await bc.patch(
        f"items({shop.item_a['id']})", json={"inventory": 42}, headers={"If-Match": before["@odata.etag"]}
    )
    # THEN a Negative Adjmt. of 8 is posted with the item no. as document no. and no location;
    # the item row itself did not change (Inventory is a FlowField)
    assert (reply.status_code, reply.json()["inventory"]) == (200, 42)
    assert reply.json()["lastModifiedDateTime"] == before["lastModifiedDateTime"]
    entries = (await bc.get("itemLedgerEntries", params={"$filter": "documentNumber eq '1000-BLU'"})).json()[
        "value"
    ]
    assert [(e["entryType"], e["quantity"]) for e in entries] == [("Negative_x0020_Adjmt_x002E_", -8)]
    stock = {
        (row["itemNumber"], row["locationCode"]): row["quantity"]
        for row in (await control.get("inventory")).json()
    }
    assert stock == {("1000-BLU", "SCEND"): 50, ("1000-BLU", ""): -8}


async def test_a_draft_credit_memo_is_created_with_its_lines_and_never_posted(
    sim: BcSim, bc: httpx.AsyncClient, shop: Catalogue
) -> None:
    body = {
        "customerNumber": "C100",
        "externalDocumentNumber": "RMA-77",
        "salesCreditMemoLines": [
            {"lineObjectNumber": "1000-BLU", "quantity": 2, "locationId": shop.location["id"]}
        ],
    }
    memo = await bc.post("salesCreditMemos?$expand=salesCreditMemoLines", json=body)
    created = memo.json()
    assert (memo.status_code, created["number"], created["status"], created["customerName"]) == (
        201,
        "S-CR104001",
        "Draft",
        "Adatum Ltd",
    )
    assert [
        (ln["lineObjectNumber"], ln["quantity"], ln["unitPrice"], ln["amountIncludingTax"])
        for ln in created["salesCreditMemoLines"]
    ] == [("1000-BLU", 2, 10, 24)]
    assert_error(
        await bc.post(f"salesCreditMemos({created['id']})/Microsoft.NAV.post"),
        400,
        "BadRequest_MethodNotImplemented",
    )
    assert sim.statistics()["posted"]["counts"] == {"itemJournal": 1}  # only the opening stock


async def test_a_shipment_confirmation_ships_without_invoicing_once_per_scend_shipment(
    sim: BcSim, bc: httpx.AsyncClient, ext: httpx.AsyncClient, control: httpx.AsyncClient, shop: Catalogue
) -> None:
    # GIVEN a released order for 4 x 1000-BLU and 1 x 2000-RED
    order = await _released(bc, control, sales_order(shop, (shop.item_a, 4), (shop.item_b, 1)))
    blue, red = order["salesOrderLines"]
    confirmation = {
        "scendShipmentId": "SHP-1",
        "salesOrderId": order["id"],
        "packageTrackingNumber": "1Z999",
        "shippingAgentCode": "DPD",
        "shippingAgentServiceCode": "NEXTDAY",
        "shipmentConfirmationLines": [
            {"salesOrderLineId": blue["id"], "quantity": 4},
            {"salesOrderLineId": red["id"], "quantity": 1},
        ],
    }
    # WHEN Scend's shipment SHP-1 is created and posted, then both calls are repeated (a retry)
    first = (
        await ext.post("shipmentConfirmations?$expand=shipmentConfirmationLines", json=confirmation)
    ).json()
    posted = await ext.post(f"shipmentConfirmations({first['id']})/Microsoft.NAV.post")
    again = (await ext.post("shipmentConfirmations", json=confirmation)).json()
    reposted = await ext.post(f"shipmentConfirmations({again['id']})/Microsoft.NAV.post")
    # THEN the repeat answers the same confirmation and the same posted shipment; one shipment exists
    assert (
        first["status"],
        first["salesOrderNumber"],
        [ln["itemNumber"] for ln in first["shipmentConfirmationLines"]],
    ) == (
        "Open",
        order["number"],
        ["1000-BLU", "2000-RED"],
    )
    result = posted.json()
    assert (posted.status_code, result["status"], result["salesShipmentNumber"]) == (
        200,
        "Posted",
        "S-SHPT102001",
    )
    assert again["id"] == first["id"]
    assert (reposted.status_code, reposted.json()["salesShipmentId"]) == (200, result["salesShipmentId"])
    assert sim.statistics()["posted"]["by_scend_id"] == {"salesShipment": {"SHP-1": 1}}
    # AND the order is shipped, not invoiced, and still there; the shipment carries the Scend id
    assert await _lines(bc, order["id"]) == [("1000-BLU", 4, 0, 0, 4, 4), ("2000-RED", 1, 0, 0, 1, 1)]
    assert (await bc.get(f"salesOrders({order['id']})")).json()["fullyShipped"] is True
    shipment = (await bc.get(f"salesShipments({result['salesShipmentId']})")).json()
    assert (shipment["externalDocumentNumber"], shipment["orderNumber"]) == ("SHP-1", order["number"])
    assert (await bc.get("salesInvoices")).json()["value"] == []
    assert sim.state.shipment_tracking[result["salesShipmentId"]] == {
        "packageTrackingNumber": "1Z999",
        "shippingAgentCode": "DPD",
        "shippingAgentServiceCode": "NEXTDAY",
    }
    stock = {
        (r["itemNumber"], r["locationCode"]): r["quantity"] for r in (await control.get("inventory")).json()
    }
    assert stock == {("1000-BLU", "SCEND"): 46, ("2000-RED", "SCEND"): -1}
    # AND a posted confirmation is final
    assert_error(
        await ext.delete(f"shipmentConfirmations({first['id']})", headers={"If-Match": "*"}),
        400,
        "Application_DialogException",
    )


async def test_an_over_shipment_posts_nothing_and_the_open_confirmation_can_be_replaced(
    sim: BcSim, bc: httpx.AsyncClient, ext: httpx.AsyncClient, control: httpx.AsyncClient, shop: Catalogue
) -> None:
    order = await _released(bc, control, sales_order(shop, (shop.item_a, 2)))
    line = order["salesOrderLines"][0]
    body = {
        "scendShipmentId": "SHP-2",
        "salesOrderId": order["id"],
        "shipmentConfirmationLines": [{"salesOrderLineId": line["id"], "quantity": 3}],
    }
    created = (await ext.post("shipmentConfirmations", json=body)).json()
    failed = await ext.post(f"shipmentConfirmations({created['id']})/Microsoft.NAV.post")
    assert assert_error(failed, 400, "Application_DialogException").startswith(
        "You cannot ship more than 2 units."
    )
    assert (await ext.get(f"shipmentConfirmations({created['id']})")).json()["status"] == "Open"
    assert sim.statistics()["posted"]["by_scend_id"] == {}
    # the owner fixes it: delete the open confirmation, create it again with the right quantity
    assert (
        await ext.delete(f"shipmentConfirmations({created['id']})", headers={"If-Match": "*"})
    ).status_code == 204
    body["shipmentConfirmationLines"][0]["quantity"] = 2
    fixed = (await ext.post("shipmentConfirmations", json=body)).json()
    assert (await ext.post(f"shipmentConfirmations({fixed['id']})/Microsoft.NAV.post")).json()[
        "status"
    ] == "Posted"
    foreign = {
        "scendShipmentId": "SHP-3",
        "salesOrderId": order["id"],
        "shipmentConfirmationLines": [{"salesOrderLineId": shop.item_a["id"], "quantity": 1}],
    }
    assert_error(await ext.post("shipmentConfirmations", json=foreign), 400, "Application_DialogException")


async def test_a_stock_adjustment_posts_journal_entries_at_its_location_with_its_reason(
    sim: BcSim, bc: httpx.AsyncClient, ext: httpx.AsyncClient, control: httpx.AsyncClient, shop: Catalogue
) -> None:
    body = {
        "scendAdjustmentId": "ADJ-9",
        "reasonCode": "DAMAGED",
        "description": "Damaged in warehouse",
        "stockAdjustmentLines": [
            {"itemId": shop.item_a["id"], "locationCode": "SCEND", "quantity": -3},
            {"itemId": shop.item_b["id"], "locationCode": "SCEND", "quantity": 5},
        ],
    }
    created = (await ext.post("stockAdjustments", json=body)).json()
    posted = (await ext.post(f"stockAdjustments({created['id']})/Microsoft.NAV.post")).json()
    again = (await ext.post("stockAdjustments", json=body)).json()
    repeat = (await ext.post(f"stockAdjustments({again['id']})/Microsoft.NAV.post")).json()
    assert (posted["status"], posted["documentNumber"], repeat["documentNumber"]) == (
        "Posted",
        "SC-ADJ100001",
        "SC-ADJ100001",
    )
    entries = (
        await bc.get("itemLedgerEntries", params={"$filter": "documentNumber eq 'SC-ADJ100001'"})
    ).json()["value"]
    assert [(e["itemNumber"], e["entryType"], e["quantity"]) for e in entries] == [
        ("1000-BLU", "Negative_x0020_Adjmt_x002E_", -3),
        ("2000-RED", "Positive_x0020_Adjmt_x002E_", 5),
    ]
    details = [sim.state.ledger_details[e["id"]] for e in entries]
    assert [(d.location_code, d.reason_code, d.external_document_number) for d in details] == [
        ("SCEND", "DAMAGED", "ADJ-9"),
        ("SCEND", "DAMAGED", "ADJ-9"),
    ]
    assert sim.statistics()["posted"]["by_scend_id"] == {"stockAdjustment": {"ADJ-9": 1}}
    unknown = {
        "scendAdjustmentId": "ADJ-10",
        "stockAdjustmentLines": [{"itemId": shop.item_a["id"], "locationCode": "NOWHERE", "quantity": 1}],
    }
    assert_error(await ext.post("stockAdjustments", json=unknown), 400, "Internal_InvalidTableRelation")


async def test_a_receipt_confirmation_receives_without_invoicing(
    sim: BcSim, bc: httpx.AsyncClient, ext: httpx.AsyncClient, shop: Catalogue
) -> None:
    po = (
        await bc.post(
            "purchaseOrders?$expand=purchaseOrderLines", json=purchase_order(shop, (shop.item_b, 10))
        )
    ).json()
    body = {
        "scendReceiptId": "RCV-5",
        "purchaseOrderId": po["id"],
        "vendorShipmentNumber": "ASN-5",
        "receiptConfirmationLines": [
            {"purchaseOrderLineId": po["purchaseOrderLines"][0]["id"], "quantity": 10}
        ],
    }
    created = (await ext.post("receiptConfirmations", json=body)).json()
    posted = (await ext.post(f"receiptConfirmations({created['id']})/Microsoft.NAV.post")).json()
    line = (await bc.get(f"purchaseOrders({po['id']})/purchaseOrderLines")).json()["value"][0]
    assert (posted["status"], posted["purchaseReceiptNumber"]) == ("Posted", "P-RCPT107001")
    assert (line["receivedQuantity"], line["invoicedQuantity"], line["receiveQuantity"]) == (10, 0, 0)
    assert (await bc.get(f"purchaseOrders({po['id']})")).json()["fullyReceived"] is True
    assert (await bc.get("purchaseInvoices")).json()["value"] == []
    assert await _inventory(bc, shop.item_b) == 10
    assert sim.statistics()["posted"]["by_scend_id"] == {"purchaseReceipt": {"RCV-5": 1}}
