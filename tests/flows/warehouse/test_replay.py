"""Replaying every Scend feed from the start changes nothing in Business Central."""

from __future__ import annotations

from datetime import timedelta

from local.bc_sim import SeedRequest
from local.scend_sim.adjustments import AdjustmentSpec
from shared.flows.scend_feeds import FEEDS
from shared.messaging.settlement import Outcome
from tests.flows.orders.support import NOTHING
from tests.flows.warehouse.support import Warehouse


def bc_documents(warehouse: Warehouse) -> dict[str, int]:
    """How many of each document BC holds, and what it posted."""
    state = warehouse.world.bc_sim.docs.state
    sets = ("salesShipments", "salesInvoices", "salesCreditMemos", "purchaseReceipts", "itemLedgerEntries",
            "stockAdjustments", "shipmentConfirmations", "receiptConfirmations")  # fmt: skip
    counts = {name: len(state.rows(name)) for name in sets}
    return counts | {
        f"posted {k}": v for k, v in warehouse.world.bc_sim.statistics()["posted"]["counts"].items()
    }


async def drain_everything(warehouse: Warehouse) -> None:
    await warehouse.drain_shipments()
    await warehouse.drain_returns()
    await warehouse.drain_stock()
    await warehouse.drain_receipts()


async def test_replaying_every_feed_from_the_start_changes_nothing(warehouse: Warehouse) -> None:
    # GIVEN a day's work applied: a despatch, a return, adjustments and a receipt
    world = warehouse.world
    world.bc_sim.seed(
        SeedRequest(**NOTHING | {"entities": {"locations": [{"code": "SCEND", "displayName": "Scend"}]}})
    )
    cat = await warehouse.catalogue(2)
    order = await warehouse.sent_order(cat, [(cat.items[0], 3), (cat.items[1], 1)])
    warehouse.despatch(order)
    return_id = warehouse.customer_returns(order, [(cat.items[0], 1)])
    warehouse.inspect(return_id)
    for reason in ("LOST", "FOUND", "DAMAGED_IN_WAREHOUSE", "WRITE_OFF"):
        spec = AdjustmentSpec(sku=cat.items[1], reason_code=reason, quantity=1)  # type: ignore[arg-type]
        world.scend_sim.warehouse.adjust(spec)
    po = warehouse.released_po(cat, [(cat.items[0], 4)])
    await warehouse.poll_purchase_orders()
    await warehouse.drain_purchase_orders()
    (line,) = sorted(warehouse.bc_po_lines(po["id"]))
    warehouse.receive(warehouse.asn_of(po["number"]).id, [(line, 4, 0)])
    for feed in FEEDS:
        await warehouse.poll(feed)
    await drain_everything(warehouse)
    before = bc_documents(warehouse)
    exceptions_before = [(e.type, e.business_key, e.count) for e in await world.open_exceptions()]
    assert before["salesShipments"] == 1
    assert before["salesCreditMemos"] == 1

    # WHEN every feed's cursor is lost and every feed is read again from the start
    for feed in FEEDS.values():
        mark = await world.watermarks.get(feed.flow, "scend")
        assert mark is not None
        await world.watermarks.save(mark.model_copy(update={"value": ""}))
    world.clock.advance(timedelta(hours=2))  # past the broker's duplicate detection window
    replayed = 0
    for feed in FEEDS:
        replayed += (await warehouse.poll(feed)).read
    await drain_everything(warehouse)

    # THEN BC holds exactly what it held, and no exception was added or counted again
    assert replayed == 8  # 1 despatch, 2 return snapshots, 4 adjustments, 1 receipt
    assert bc_documents(warehouse) == before
    assert [(e.type, e.business_key, e.count) for e in await world.open_exceptions()] == exceptions_before
    assert warehouse.settled[Outcome.PARKED] == 0
