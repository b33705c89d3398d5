"""Writes against the simulator: ETags, standard posting, draft credit memos, the extension's postings."""

from __future__ import annotations

from decimal import Decimal

import pytest

from local.bc_sim import BcSim
from shared.bc.client import BcClient
from shared.bc.errors import BcRequestRejected
from shared.bc.models import (
    CreditMemoDraft,
    CreditMemoLineDraft,
    ReceiptConfirmationDraft,
    ReceiptConfirmationLineDraft,
    SalesOrder,
    SalesOrderLine,
    ShipmentConfirmationDraft,
    ShipmentConfirmationLineDraft,
    StockAdjustmentDraft,
    StockAdjustmentLineDraft,
)
from shared.errors import ConcurrencyConflict
from tests.contract.bc.support import posted, released_order, seed


async def a_released_order(sim: BcSim, bc: BcClient, quantities: tuple[int, ...] = (3, 2)) -> SalesOrder:
    number = released_order(sim, quantities)
    order = await bc.sales.find_order(number)
    assert order is not None
    return order


async def test_an_update_with_a_stale_etag_is_a_conflict_and_changes_nothing(
    sim: BcSim, bc: BcClient
) -> None:
    # GIVEN an order line read, then changed by someone else
    order = await a_released_order(sim, bc)
    line = (order.sales_order_lines or [])[0]
    await bc.sales.set_line_quantities(line, ship=Decimal(1))
    # WHEN our stale copy is written
    with pytest.raises(ConcurrencyConflict):
        await bc.sales.set_line_quantities(line, ship=Decimal(2))
    # THEN BC keeps the other writer's value
    fresh = await bc.api.get(
        SalesOrderLine, bc.api.url(f"salesOrders({order.id})/salesOrderLines({line.id})")
    )
    assert fresh.ship_quantity == 1


async def test_standard_mode_ships_and_invoices_exactly_the_quantities_given(
    sim: BcSim, bc: BcClient
) -> None:
    # GIVEN a released order with two lines, and 1 left to ship on the second by a person
    order = await a_released_order(sim, bc, (3, 2))
    first, second = order.sales_order_lines or []
    await bc.sales.set_line_quantities(second, ship=Decimal(1))
    order = await bc.sales.get_order(order.id)
    # WHEN 1 of the first line is shipped
    await bc.sales.post_shipment_and_invoice(order, {first.id: Decimal(1)})
    # THEN one shipment and one invoice are posted, holding only the first line
    assert posted(sim)["by_order"] == {order.number: {"salesShipment": 1, "salesInvoice": 1}}
    (shipment,) = await bc.sales.find_shipments(order_number=order.number, with_lines=True)
    assert [(ln.line_object_number, ln.quantity) for ln in shipment.sales_shipment_lines or []] == [
        (first.line_object_number, 1)
    ]
    assert [s.number async for s in bc.sales.iter_shipments()] == [shipment.number]
    (invoice,) = await bc.sales.find_invoices(order_number=order.number)
    assert invoice.order_number == order.number
    after = await bc.sales.get_order(order.id)
    assert [ln.shipped_quantity for ln in after.sales_order_lines or []] == [1, 0]


async def test_standard_mode_receives_and_invoices_a_purchase_order(sim: BcSim, bc: BcClient) -> None:
    seed(sim, items=2, vendors=1, locations=1, released_purchase_orders=1, max_lines_per_order=1)
    (po,) = [p async for p in bc.purchasing.iter_released_orders()]
    (line,) = po.purchase_order_lines or []
    await bc.purchasing.post_receipt_and_invoice(po, {line.id: line.quantity})
    assert posted(sim)["by_order"] == {po.number: {"purchaseReceipt": 1, "purchaseInvoice": 1}}
    (receipt,) = await bc.purchasing.find_receipts(order_number=po.number, with_lines=True)
    assert [ln.quantity for ln in receipt.purchase_receipt_lines or []] == [line.quantity]


async def test_a_draft_credit_memo_is_created_with_its_lines_and_found_by_our_reference(
    sim: BcSim, bc: BcClient
) -> None:
    created = seed(sim, items=2, customers=1, locations=1)
    item = await bc.master.find_item(created["items"][0]["number"])
    (customer,) = [c async for c in bc.master.iter_customers()]
    assert item is not None
    reference = "RET-O'Brien & #1"  # a quote and URL delimiters travel safely
    draft = CreditMemoDraft(
        customer_id=customer.id,
        external_document_number=reference,
        sales_credit_memo_lines=[CreditMemoLineDraft(item_id=item.id, quantity=Decimal(2))],
    )
    memo = await bc.sales.create_draft_credit_memo(draft)
    assert memo.status == "Draft"
    assert [(ln.item_id, ln.quantity) for ln in memo.sales_credit_memo_lines or []] == [(item.id, 2)]
    (found,) = await bc.sales.find_credit_memos(external_document_number=reference)
    assert found.id == memo.id
    assert await bc.sales.find_credit_memos(external_document_number="RET-O'Brien") == []
    assert posted(sim)["counts"] == {}


async def test_the_extension_posts_a_shipment_with_tracking_and_no_invoice(sim: BcSim, bc: BcClient) -> None:
    order = await a_released_order(sim, bc, (3,))
    (line,) = order.sales_order_lines or []
    draft = ShipmentConfirmationDraft(
        scend_shipment_id="SHP-1",
        sales_order_id=order.id,
        package_tracking_number="1Z999AA10123456784",
        shipping_agent_code="DPD",
        shipping_agent_service_code="NEXTDAY",
        shipment_confirmation_lines=[
            ShipmentConfirmationLineDraft(sales_order_line_id=line.id, quantity=line.quantity)
        ],
    )
    confirmation = await bc.warehouse.post_shipment(draft)
    assert confirmation.status == "Posted"
    assert confirmation.sales_shipment_id is not None
    assert posted(sim)["by_scend_id"] == {"salesShipment": {"SHP-1": 1}}
    assert posted(sim)["by_order"] == {order.number: {"salesShipment": 1}}
    # posting the same despatch again finds the same shipment and posts nothing
    again = await bc.warehouse.post_shipment(draft)
    assert again.sales_shipment_id == confirmation.sales_shipment_id
    assert posted(sim)["by_scend_id"] == {"salesShipment": {"SHP-1": 1}}
    found = await bc.warehouse.find_shipment("SHP-1")
    assert found is not None
    assert found.package_tracking_number == "1Z999AA10123456784"
    assert await bc.warehouse.find_shipment("SHP-2") is None


async def test_a_scend_id_reused_for_another_order_is_refused(sim: BcSim, bc: BcClient) -> None:
    seed(
        sim,
        items=2,
        customers=1,
        locations=1,
        released_sales_orders=2,
        max_lines_per_order=1,
        opening_stock=50,
    )
    first, second = [o async for o in bc.sales.iter_released_orders()]
    for order in (first, second):
        (line,) = order.sales_order_lines or []
        draft = ShipmentConfirmationDraft(
            scend_shipment_id="SHP-9",
            sales_order_id=order.id,
            shipment_confirmation_lines=[
                ShipmentConfirmationLineDraft(sales_order_line_id=line.id, quantity=1)
            ],
        )
        if order is first:
            await bc.warehouse.post_shipment(draft)
        else:
            with pytest.raises(BcRequestRejected, match="ScendIdUsedForAnotherDocument"):
                await bc.warehouse.post_shipment(draft)
    assert posted(sim)["by_order"] == {first.number: {"salesShipment": 1}}


async def test_the_extension_posts_a_stock_adjustment_at_a_location(sim: BcSim, bc: BcClient) -> None:
    created = seed(sim, items=1, locations=2, opening_stock=10)
    item = created["items"][0]
    draft = StockAdjustmentDraft(
        scend_adjustment_id="ADJ-9",
        reason_code="DAMAGED",
        stock_adjustment_lines=[
            StockAdjustmentLineDraft(item_id=item["id"], location_code="SCEND", quantity=Decimal(-3))
        ],
    )
    adjustment = await bc.warehouse.post_stock_adjustment(draft)
    assert adjustment.status == "Posted"
    assert posted(sim)["by_scend_id"] == {"stockAdjustment": {"ADJ-9": 1}}
    entries = [
        e async for e in bc.master.iter_item_ledger_entries(document_number=adjustment.document_number)
    ]
    assert [(e.entry_type, e.quantity) for e in entries] == [("Negative Adjmt.", -3)]


async def test_the_extension_posts_a_receipt_without_an_invoice(sim: BcSim, bc: BcClient) -> None:
    seed(sim, items=1, vendors=1, locations=1, released_purchase_orders=1, max_lines_per_order=1)
    (po,) = [p async for p in bc.purchasing.iter_released_orders()]
    (line,) = po.purchase_order_lines or []
    receipt = await bc.warehouse.post_receipt(
        ReceiptConfirmationDraft(
            scend_receipt_id="RCV-5",
            purchase_order_id=po.id,
            vendor_shipment_number="ASN-5",
            receipt_confirmation_lines=[
                ReceiptConfirmationLineDraft(purchase_order_line_id=line.id, quantity=1)
            ],
        )
    )
    assert receipt.status == "Posted"
    assert receipt.purchase_receipt_number
    assert posted(sim)["by_order"] == {po.number: {"purchaseReceipt": 1}}
    found = await bc.warehouse.find_receipt("RCV-5")
    assert found is not None
    assert (found.id, found.status, found.purchase_receipt_id) == (
        receipt.id,
        "Posted",
        receipt.purchase_receipt_id,
    )
