"""Shipment confirmation in both write-back modes: full, partial, split, duplicated, out of order,
orphaned and over-despatched, against the BC and Scend simulators, Azurite and the local broker."""

from __future__ import annotations

import pytest

from shared.messaging.settlement import Outcome
from shared.ops.catalogue import Owner
from shared.settings import WriteBackMode
from shared.store.exceptions import ExceptionStatus
from shared.store.timeline import Stage
from tests.flows.orders.test_many_orders_under_faults import bc_faults
from tests.flows.warehouse.support import Warehouse


async def test_a_full_despatch_ships_every_line_once_with_its_tracking(warehouse: Warehouse) -> None:
    # GIVEN an order of two lines at Scend
    cat = await warehouse.catalogue(2)
    order = await warehouse.sent_order(cat, [(cat.items[0], 3), (cat.items[1], 2)])
    # WHEN Scend despatches all of it and the feed is polled
    shipment = warehouse.despatch(order)
    assert (await warehouse.poll("shipments")).read == 1
    await warehouse.drain_shipments(duplicate_every=1)
    # THEN BC shipped exactly the ordered units in one posted shipment
    assert warehouse.shipped(order) == order.lines
    assert warehouse.posted_shipments(order) == 1
    if warehouse.mode is WriteBackMode.STANDARD:
        assert warehouse.invoices(order) == 1  # shipAndInvoice invoices too
        assert warehouse.world.bc_sim.docs.state.get("salesOrders", order.id) is None  # BC removes it
    else:
        assert warehouse.invoices(order) == 0  # the extension ships only
        (posted,) = [s for s in warehouse.world.bc_sim.docs.state.rows("salesShipments")
                     if s.get("orderNumber") == order.number]  # fmt: skip
        tracking = warehouse.world.bc_sim.docs.state.shipment_tracking.get(posted["id"], {})
        assert tracking.get("packageTrackingNumber") == shipment.parcels[0].tracking_number
    # AND the timeline reads released → accepted → despatched (with tracking)
    stages = [e.stage for e in await warehouse.timeline_of(order)]
    assert stages[:3] == [Stage.RELEASED, Stage.ACCEPTED, Stage.DESPATCHED]
    despatched = next(e for e in await warehouse.timeline_of(order) if e.stage is Stage.DESPATCHED)
    assert despatched.reference == shipment.id
    parcels = despatched.detail["parcels"]
    assert isinstance(parcels, list)
    assert parcels[0]["tracking_number"] == shipment.parcels[0].tracking_number
    assert despatched.detail["carrier"] == shipment.carrier
    if warehouse.mode is WriteBackMode.STANDARD:
        assert Stage.INVOICED in stages
    assert await warehouse.world.open_exceptions() == []


async def test_partial_and_split_despatches_add_up_to_exactly_what_left(warehouse: Warehouse) -> None:
    # GIVEN an order of 5 + 4 units
    cat = await warehouse.catalogue(2)
    order = await warehouse.sent_order(cat, [(cat.items[0], 5), (cat.items[1], 4)])
    first, second = sorted(order.lines)
    # WHEN Scend despatches 2 of line one in one parcel, then the rest in two parcels (line two split)
    warehouse.despatch(order, [[(first, 2)]])
    await warehouse.poll("shipments")
    await warehouse.drain_shipments()
    assert warehouse.shipped(order) == {first: 2}
    warehouse.despatch(order, [[(first, 3), (second, 1)], [(second, 3)]])
    await warehouse.poll("shipments")
    await warehouse.drain_shipments()
    # THEN BC holds two shipments adding up to the order exactly
    assert warehouse.shipped(order) == {first: 5, second: 4}
    assert warehouse.posted_shipments(order) == 2
    timeline = await warehouse.timeline_of(order)
    despatched = [e for e in timeline if e.stage is Stage.DESPATCHED]
    assert len(despatched) == 2
    assert len(despatched[1].detail["parcels"]) == 2  # type: ignore[arg-type]
    ref = await warehouse.world.cross_references.get_by_bc("salesOrder", order.id)
    assert ref is not None
    assert isinstance(ref.tracking, dict)
    assert ref.tracking["despatch"] == "complete"
    assert await warehouse.world.open_exceptions() == []


async def test_a_despatch_delivered_by_webhook_and_feed_and_redelivered_posts_once(
    warehouse: Warehouse,
) -> None:
    cat = await warehouse.catalogue(1)
    order = await warehouse.sent_order(cat, [(cat.items[0], 2)])
    warehouse.despatch(order)
    # WHEN the feed is polled three times (its cursor reset in between) and every message runs twice
    await warehouse.poll("shipments")
    await warehouse.drain_shipments(duplicate_every=1)
    watermark = await warehouse.world.watermarks.get("poll_scend_shipments", "scend")
    assert watermark is not None
    await warehouse.world.watermarks.save(watermark.model_copy(update={"value": ""}))
    warehouse.world.clock.advance(__import__("datetime").timedelta(hours=1))  # past duplicate detection
    assert (await warehouse.poll("shipments")).read == 1
    await warehouse.drain_shipments(duplicate_every=1)
    # THEN one shipment was posted
    assert warehouse.posted_shipments(order) == 1
    assert warehouse.shipped(order) == order.lines


async def test_a_despatch_before_the_order_is_linked_waits_then_posts(warehouse: Warehouse) -> None:
    # GIVEN an order Scend accepted, whose cross-reference the integration has not written yet
    cat = await warehouse.catalogue(1)
    order = await warehouse.sent_order(cat, [(cat.items[0], 2)])
    ref = await warehouse.world.cross_references.get_by_bc("salesOrder", order.id)
    assert ref is not None
    await warehouse.world.cross_references.save(ref.model_copy(update={"scend_id": None}))
    # WHEN the despatch arrives
    warehouse.despatch(order)
    await warehouse.poll("shipments")
    # THEN it waits (a retry is scheduled): nothing is posted, no exception is raised
    await warehouse.drain_shipments(wait_for_retries=False)
    assert warehouse.settled == {Outcome.RETRY_SCHEDULED: 1}
    assert warehouse.posted_shipments(order) == 0
    assert await warehouse.world.open_exceptions() == []
    # AND once the order's cross-reference is back, the retry posts it
    unlinked = await warehouse.world.cross_references.get_by_bc("salesOrder", order.id)
    assert unlinked is not None
    await warehouse.world.cross_references.save(unlinked.model_copy(update={"scend_id": order.scend_id}))
    await warehouse.drain_shipments()
    assert warehouse.shipped(order) == order.lines


async def test_a_despatch_of_an_order_never_linked_becomes_an_orphan_after_the_wait(
    warehouse: Warehouse,
) -> None:
    cat = await warehouse.catalogue(1)
    order = await warehouse.sent_order(cat, [(cat.items[0], 2)])
    ref = await warehouse.world.cross_references.get_by_bc("salesOrder", order.id)
    assert ref is not None
    await warehouse.world.cross_references.save(ref.model_copy(update={"scend_id": None}))
    shipment = warehouse.despatch(order)
    await warehouse.poll("shipments")
    warehouse.beyond_the_wait()
    await warehouse.drain_shipments()
    (orphan,) = await warehouse.world.open_exceptions()
    assert (orphan.type, orphan.business_key, orphan.owner) == (
        "ORPHANED_FULFILMENT", shipment.id, Owner.WAREHOUSE_OPS
    )  # fmt: skip
    assert orphan.payload is not None
    assert shipment.id in orphan.payload
    assert warehouse.posted_shipments(order) == 0


async def test_a_despatch_for_an_order_keyed_in_at_scend_is_an_orphan_at_once(warehouse: Warehouse) -> None:
    # GIVEN an order someone keyed in at Scend by hand
    cat = await warehouse.catalogue(1)
    from shared.scend.models import Address, OrderLineRequest, OrderRequest

    manual = await warehouse.world.scend.create_order(
        OrderRequest(
            client_reference="PHONE-ORDER-7", order_date=warehouse.world.clock().date(),
            service_code="RM_TRACKED_48",
            ship_to=Address(name="A Person", line1="1 High St", city="Leeds", postcode="LS1 1AA",
                            country_code="GB"),
            lines=[OrderLineRequest(line_ref="10000", sku=cat.items[0], quantity=1)],
        )
    )  # fmt: skip
    from local.scend_sim.despatch import ParcelPlan

    shipment = warehouse.world.scend_sim.warehouse.despatch(manual.id, [ParcelPlan(lines=[("10000", 1)])])
    await warehouse.poll("shipments")
    await warehouse.drain_shipments()
    (orphan,) = await warehouse.world.open_exceptions()
    assert (orphan.type, orphan.business_key) == ("ORPHANED_FULFILMENT", shipment.id)
    assert "not made by this integration" in orphan.detail
    assert warehouse.settled[Outcome.PARKED] == 1


async def test_more_despatched_than_ordered_is_a_quantity_mismatch_and_nothing_posts(
    warehouse: Warehouse,
) -> None:
    cat = await warehouse.catalogue(1)
    order = await warehouse.sent_order(cat, [(cat.items[0], 2)])
    (line,) = order.lines
    shipment = warehouse.despatch(order, [[(line, 3)]])
    await warehouse.poll("shipments")
    await warehouse.drain_shipments()
    (problem,) = await warehouse.world.open_exceptions()
    assert (problem.type, problem.business_key, problem.owner) == (
        "QUANTITY_MISMATCH", shipment.id, Owner.WAREHOUSE_OPS
    )  # fmt: skip
    assert "3 despatched, 2 open" in problem.detail
    assert warehouse.posted_shipments(order) == 0
    # WHEN the order is corrected in BC and the parked shipment retried, it posts and resolves
    rows = warehouse.world.bc_sim.docs.state.lines("salesOrderLines", order.id)
    from local.bc_sim.orders import set_status

    set_status(warehouse.world.bc_sim.docs, "salesOrders", order.id, "Draft")
    warehouse.world.bc_sim.docs.modify("salesOrderLines", rows[0]["id"], {"quantity": 3})
    set_status(warehouse.world.bc_sim.docs, "salesOrders", order.id, "Open")
    assert problem.payload is not None
    from shared.messaging.envelope import Envelope

    await warehouse.despatches.confirm(Envelope.model_validate_json(problem.payload))
    assert warehouse.shipped(order) == {line: 3}
    resolved = await warehouse.world.exceptions.get("shipment", "QUANTITY_MISMATCH", shipment.id)
    assert resolved is not None
    assert resolved.status is ExceptionStatus.RESOLVED


@pytest.mark.parametrize("fault", ["commit_then_drop_rate", "error_rate"])
async def test_a_posting_whose_answer_is_lost_is_not_posted_twice(warehouse: Warehouse, fault: str) -> None:
    from local.bc_sim.faults import FaultPlan, FaultRule

    cat = await warehouse.catalogue(2)
    order = await warehouse.sent_order(cat, [(cat.items[0], 2), (cat.items[1], 1)])
    warehouse.despatch(order)
    await warehouse.poll("shipments")
    path = "*shipAndInvoice" if warehouse.mode is WriteBackMode.STANDARD else "*shipmentConfirmations*post"
    warehouse.world.bc_sim.faults.set(
        FaultPlan(rules=[FaultRule(method="POST", path=path, times=2, **{fault: 1.0})])
    )
    await warehouse.drain_shipments()
    # standard: a lost answer is looked up, not resent (one fault fires); a refusal is resent (both
    # fire). The extension's post is idempotent on the shipment id, so it is simply resent.
    looked_up = warehouse.mode is WriteBackMode.STANDARD and fault == "commit_then_drop_rate"
    assert sum(bc_faults(warehouse.world).values()) == (1 if looked_up else 2)
    warehouse.world.bc_sim.faults.set(FaultPlan())
    assert warehouse.posted_shipments(order) == 1
    assert warehouse.shipped(order) == order.lines
    assert await warehouse.world.open_exceptions() == []


async def test_a_feed_that_cannot_be_read_for_too_long_is_feed_stalled_until_it_moves_again(
    warehouse: Warehouse,
) -> None:
    from datetime import timedelta

    from local.scend_sim.faults import HttpFault

    # GIVEN a feed read once, then Scend answering every feed read with 503
    await warehouse.poll("shipments")
    warehouse.world.scend_sim.set_faults(
        http=[HttpFault(kind="maintenance", method="GET", path="/v1/shipments", retry_after=1)]
    )
    # WHEN it fails within the threshold: nothing is raised yet
    assert (await warehouse.poll("shipments")).error is not None
    assert await warehouse.world.open_exceptions() == []
    # WHEN it is still failing after the threshold (30 minutes)
    warehouse.world.clock.advance(timedelta(minutes=31))
    assert (await warehouse.poll("shipments")).error is not None
    (stalled,) = await warehouse.world.open_exceptions()
    assert (stalled.type, stalled.business_key, stalled.owner) == ("FEED_STALLED", "shipments", Owner.IT)
    # THEN a good read resolves it, and the despatches it missed are picked up
    cat = await warehouse.catalogue(1)
    warehouse.world.scend_sim.set_faults()
    order = await warehouse.sent_order(cat, [(cat.items[0], 1)])
    warehouse.despatch(order)
    assert (await warehouse.poll("shipments")).read == 1
    assert await warehouse.world.open_exceptions() == []


async def test_a_fully_despatched_order_that_bc_then_removes_is_closed_not_cancelled(
    warehouse: Warehouse,
) -> None:
    from shared.flows.order_release import OrderOutcome, deleted_order_envelope

    # GIVEN an order despatched in full (standard mode: BC invoices and removes it)
    cat = await warehouse.catalogue(1)
    order = await warehouse.sent_order(cat, [(cat.items[0], 2)])
    warehouse.despatch(order)
    await warehouse.poll("shipments")
    await warehouse.drain_shipments()
    # WHEN BC's deletion reaches the order flow (a `deleted` notification, or finance deleting it)
    deleted_at = warehouse.world.bc_sim.clock.advance(1)  # BC's time, after every version we applied
    gone = deleted_order_envelope(order.id, order.number, deleted_at)
    assert await warehouse.world.handle(gone) == OrderOutcome.IGNORED
    # THEN nothing is cancelled at Scend and nobody is asked to do anything
    assert warehouse.world.scend_sim.state.orders[order.scend_id].status == "despatched"
    assert await warehouse.world.open_exceptions() == []
