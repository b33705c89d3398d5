"""Personal data and secrets stay out of logs, spans and tables in every flow back from the warehouse
and in the flows to it besides orders (issue 11, security review; orders: tests/flows/orders/).

Each scenario feeds known values where its flow meets personal data or a secret, drives the flow to
success and to a failure that writes an exception row, then searches every log record (DEBUG), every
span and every row of every table (exception rows with all their properties, payload included):

| Flow | Personal data (and secrets) it meets | Parked here |
|---|---|---|
| despatch: webhook, feed, posting | the BC order's customer, ship-to; webhook secrets | `QUANTITY_MISMATCH` |
| return → draft credit memo | the order's customer (Scend sends none) | `RETURN_UNMATCHED` |
| stock adjustment: webhook, feed | the warehouse user who booked it | `ADJUSTMENT_NEEDS_REVIEW` |
| purchase order → ASN, receipt | the vendor's name, address, phone, e-mail | `SKU_NOT_IN_WMS`, variances |
| item → product | none: the secrets only | `ITEM_REJECTED_BY_WMS` |
"""

from __future__ import annotations

import base64
import json

from local.bc_sim import SeedRequest
from local.scend_sim.adjustments import AdjustmentSpec
from shared.ops.api import OpsApi
from shared.settings import WriteBackMode
from tests.contract.scend.support import product
from tests.flows.leaks import CUSTOMER_NAME, SHIP_TO, Leaks, app_secrets, name_customer
from tests.flows.orders.support import NOTHING
from tests.flows.warehouse.intake import OUR_SECRET, Intake, event_body
from tests.flows.warehouse.support import Warehouse

WRONG_SECRET = "whsec_" + base64.b64encode(b"a-secret-we-never-trusted-0123").decode()
WAREHOUSE_USER = "Quentin Markerson"
VENDOR = {
    "displayName": "Ursula Vendormark",  # a sole trader: the vendor's name is a person's
    "addressLine1": "5 Vendormark Row",
    "city": "Supplyton",
    "postalCode": "VV1 1VV",
    "phoneNumber": "+44 7700 900555",
    "email": "ursula@vendormark.example.test",
}
BAD_GTIN = "5012345678901"  # its check digit should be 0


def secrets(warehouse: Warehouse) -> list[str]:
    return [*app_secrets(warehouse.world), OUR_SECRET, WRONG_SECRET]


async def test_despatches_post_on_personal_orders_without_leaking_them(
    warehouse: Warehouse, intake: Intake, leaks: Leaks
) -> None:
    leaks.start()
    # GIVEN two orders of a named customer with a personal ship-to, at Scend
    cat = await warehouse.catalogue(1)
    name_customer(warehouse.world, cat.customer)
    shipped = await warehouse.sent_order(cat, [(cat.items[0], 2)], **SHIP_TO)
    over = await warehouse.sent_order(cat, [(cat.items[0], 1)], **SHIP_TO)
    # WHEN Scend despatches the first in full and the second with a unit too many, says so by a signed
    # webhook (and once signed with a secret we never trusted), and the feed is read too
    shipment = warehouse.despatch(shipped)
    (line,) = over.lines
    warehouse.despatch(over, [[(line, 2)]])
    body = event_body("evt_personal", "shipment.despatched", json.loads(shipment.model_dump_json()))
    assert (
        await intake.post(body, intake.signed(body, "evt_personal", secrets=[WRONG_SECRET]))
    ).status == 401
    assert (await intake.post(body, intake.signed(body, "evt_personal"))).status == 202
    await warehouse.poll("shipments")
    await warehouse.drain_shipments()
    # THEN the first is shipped in BC and the second parked for warehouse ops
    assert warehouse.shipped(shipped) == shipped.lines
    (problem,) = await warehouse.world.open_exceptions()
    assert problem.type == "QUANTITY_MISMATCH"
    assert problem.payload is not None
    # AND no name, address or secret is in the logs, the spans or any table
    places = await leaks.places()
    places.assert_searched(
        "logs", "spans", "table SyncExceptions", "table OrderTimeline", "table ProcessedEvents"
    )
    places.assert_none_holds([CUSTOMER_NAME, *SHIP_TO.values(), *secrets(warehouse)])


async def test_returns_credit_a_named_customer_without_leaking_them(
    warehouse: Warehouse, leaks: Leaks
) -> None:
    # GIVEN an order of a named customer with a personal ship-to, despatched in full
    warehouse.world.bc_sim.seed(
        SeedRequest(
            **NOTHING | {"entities": {"customerReturnReasons": [{"code": "FAULTY", "description": "x"}]}}
        )
    )
    cat = await warehouse.catalogue(1)
    name_customer(warehouse.world, cat.customer)
    order = await warehouse.sent_order(cat, [(cat.items[0], 2)], **SHIP_TO)
    warehouse.despatch(order)
    await warehouse.poll("shipments")
    await warehouse.drain_shipments()
    leaks.start()
    # WHEN the customer sends one back, it is inspected, and a parcel nobody can identify arrives too
    returned = warehouse.customer_returns(order, [(cat.items[0], 1)])
    warehouse.inspect(returned)
    stranger = warehouse.world.scend_sim.warehouse.return_arrives(None, "NOT-A-KNOWN-ORDER", []).id
    await warehouse.poll("returns")
    await warehouse.drain_returns()
    # THEN the return is one draft credit memo for the customer, the stranger is parked for finance
    (memo,) = warehouse.credit_memos(returned)
    assert memo["customerName"] == CUSTOMER_NAME  # BC's own copy: that is where the name belongs
    (problem,) = await warehouse.world.open_exceptions()
    assert (problem.type, problem.business_key) == ("RETURN_UNMATCHED", stranger)
    # AND the customer's name and address are nowhere else
    places = await leaks.places()
    places.assert_searched("logs", "spans", "table SyncExceptions", "table OrderTimeline")
    places.assert_none_holds([CUSTOMER_NAME, *SHIP_TO.values(), *secrets(warehouse)])


async def test_stock_adjustments_never_keep_the_warehouse_user(
    warehouse: Warehouse, intake: Intake, leaks: Leaks
) -> None:
    leaks.start()
    # GIVEN a stocked item at BC's SCEND location, and a SKU Scend has that BC does not
    warehouse.world.bc_sim.seed(SeedRequest(**NOTHING | {"entities": {"locations": [{"code": "SCEND"}]}}))
    cat = await warehouse.catalogue(1)
    sku = cat.items[0]
    warehouse.world.scend_sim.warehouse.set_stock(sku, 10)
    await warehouse.world.scend.upsert_product(product("ONLY-AT-SCEND"))
    warehouse.world.scend_sim.warehouse.set_stock("ONLY-AT-SCEND", 5)
    # WHEN a named warehouse user books a loss of each, one told by a signed webhook, both by the feed
    sim = warehouse.world.scend_sim.warehouse
    lost = sim.adjust(AdjustmentSpec(sku=sku, reason_code="LOST", quantity=1, user=WAREHOUSE_USER))
    sim.adjust(AdjustmentSpec(sku="ONLY-AT-SCEND", reason_code="LOST", quantity=1, user=WAREHOUSE_USER))
    body = event_body("evt_adjusted", "stock.adjusted", json.loads(lost.model_dump_json()))
    assert WAREHOUSE_USER in body.decode()
    assert (
        await intake.post(body, intake.signed(body, "evt_adjusted", event_type="stock.adjusted"))
    ).status == 202
    await warehouse.poll("adjustments")
    await warehouse.drain_stock()
    # THEN the loss is posted (extension) or proposed to finance (standard); the unknown SKU waits
    problems = {p.type for p in await warehouse.world.open_exceptions()}
    assert problems == {"ADJUSTMENT_NEEDS_REVIEW"}
    if warehouse.mode is WriteBackMode.EXTENSION:
        assert warehouse.stock_at(sku, "SCEND") == -1
    # AND the user's name is kept nowhere
    places = await leaks.places()
    places.assert_searched("logs", "spans", "table SyncExceptions", "table ProcessedEvents")
    places.assert_none_holds([WAREHOUSE_USER, *secrets(warehouse)])


async def test_purchase_orders_and_receipts_never_keep_the_vendor(
    warehouse: Warehouse, ops: OpsApi, leaks: Leaks
) -> None:
    leaks.start()
    # GIVEN a sole trader's released purchase order of known items, and one of an item Scend lacks
    cat = await warehouse.catalogue(3)
    unknown = cat.items[2]
    warehouse.world.ready.skus.discard(unknown)
    sent = warehouse.released_po(cat, [(cat.items[0], 5), (cat.items[1], 3)], **VENDOR)
    waiting = warehouse.released_po(cat, [(unknown, 2)], **VENDOR)
    # WHEN both are polled and handled, and the second waits beyond the dependency wait
    assert await warehouse.poll_purchase_orders() == 2
    await warehouse.drain_purchase_orders(wait_for_retries=False)
    warehouse.beyond_the_wait()
    await warehouse.drain_purchase_orders()
    # THEN the first is an ASN with the vendor's name (its job); the second parked with its reference
    asn = warehouse.asn_of(sent["number"])
    assert warehouse.world.scend_sim.state.asns[asn.id].supplier == VENDOR["displayName"]
    (parked,) = await warehouse.world.open_exceptions()
    assert (parked.type, parked.business_key) == ("SKU_NOT_IN_WMS", waiting["id"])
    kept = json.loads(parked.payload or "{}")
    assert kept["payload"] == {"@reread": True, "number": waiting["number"]}
    # WHEN Scend receives the first short, and the second is retried once Scend knows its item
    first, second = sorted(warehouse.bc_po_lines(sent["id"]))
    warehouse.receive(asn.id, [(first, 5, 0), (second, 1, 0)])
    await warehouse.poll("receipts")
    await warehouse.drain_receipts()
    await warehouse.world.item_confirmed(unknown)
    assert (await ops.retry("purchaseOrder", "SKU_NOT_IN_WMS", waiting["id"])).status == 202
    await warehouse.drain_purchase_orders()
    # THEN the retried order is an ASN now, read again from BC, and the variance is for purchasing
    assert warehouse.asn_of(waiting["number"]).lines[0].sku == unknown
    problems = {p.type: p for p in await warehouse.world.open_exceptions()}
    assert "RECEIPT_VARIANCE" in problems
    assert "SKU_NOT_IN_WMS" not in problems
    # AND the vendor's name, address and contact are kept nowhere
    places = await leaks.places()
    places.assert_searched("logs", "spans", "table SyncExceptions", "table CrossReferences")
    places.assert_none_holds([*VENDOR.values(), *secrets(warehouse)])


async def test_items_never_leak_a_secret(warehouse: Warehouse, leaks: Leaks) -> None:
    leaks.start()
    # GIVEN an item Scend takes and one whose GTIN it refuses
    docs = warehouse.world.bc_sim.docs
    for number, gtin in (("MUG-OK", "5012345678900"), ("MUG-BAD", BAD_GTIN)):
        docs.create("items", {"number": number, "displayName": f"Mug {number}", "type": "Inventory",
                              "gtin": gtin, "baseUnitOfMeasureCode": "PCS"})  # fmt: skip
    # WHEN they are polled and exported
    assert await warehouse.poll_items() == 2
    await warehouse.drain_items()
    # THEN one is a product, the other parked for master data
    assert "MUG-OK" in warehouse.world.scend_sim.state.products
    (problem,) = await warehouse.world.open_exceptions()
    assert (problem.type, problem.business_key) == ("ITEM_REJECTED_BY_WMS", "MUG-BAD")
    # AND no secret is in the logs, the spans or any table
    places = await leaks.places()
    places.assert_searched("logs", "spans", "table SyncExceptions", "table CrossReferences")
    places.assert_none_holds(secrets(warehouse))
