"""Inbound in both write-back modes: purchase orders become one ASN each (amended while Scend allows),
and receipts become BC receipts once, with short, over, damaged and unexpected units to purchasing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from local.bc_sim.faults import FaultPlan, FaultRule
from local.bc_sim.orders import set_status
from shared.messaging.settlement import Outcome
from shared.ops.catalogue import Owner
from shared.settings import WriteBackMode
from tests.contract.scend.support import product
from tests.flows.orders.test_many_orders_under_faults import bc_faults
from tests.flows.warehouse.support import Warehouse


async def sent_po(
    warehouse: Warehouse, quantities: tuple[int, ...] = (5, 3)
) -> tuple[dict[str, str], list[str]]:
    cat = await warehouse.catalogue(len(quantities))
    po = warehouse.released_po(cat, list(zip(cat.items, quantities, strict=True)))
    assert await warehouse.poll_purchase_orders() == 1
    await warehouse.drain_purchase_orders()
    return po, cat.items


def line_nos(warehouse: Warehouse, po: dict[str, str]) -> list[str]:
    return sorted(warehouse.bc_po_lines(po["id"]))


async def test_a_released_purchase_order_becomes_one_asn_with_its_lines(warehouse: Warehouse) -> None:
    po, skus = await sent_po(warehouse)
    (asn,) = warehouse.world.scend_sim.state.asns.values()
    assert asn.client_reference == po["number"]
    assert [(line.sku, line.qty_expected) for line in asn.lines] == [(skus[0], 5), (skus[1], 3)]
    # a second poll and a BC change Scend would not see send nothing new
    warehouse.world.tick()
    await warehouse.poll_purchase_orders()
    await warehouse.drain_purchase_orders()
    assert len(warehouse.world.scend_sim.state.asns) == 1


async def test_a_change_before_arrival_replaces_the_asn_and_after_arrival_is_refused(
    warehouse: Warehouse,
) -> None:
    po, _ = await sent_po(warehouse)
    first = warehouse.asn_of(po["number"])
    # WHEN the buyer raises line 1 to 8 before the goods arrive
    docs = warehouse.world.bc_sim.docs
    warehouse.world.tick()
    set_status(docs, "purchaseOrders", po["id"], "Draft")
    docs.modify(
        "purchaseOrderLines", docs.state.lines("purchaseOrderLines", po["id"])[0]["id"], {"quantity": 8}
    )
    set_status(docs, "purchaseOrders", po["id"], "Open")
    await warehouse.poll_purchase_orders()
    await warehouse.drain_purchase_orders()
    # THEN the first ASN is cancelled and R2 expects 8
    assert warehouse.world.scend_sim.state.asns[first.id].status == "cancelled"
    second = next(a for a in warehouse.world.scend_sim.state.asns.values() if a.status != "cancelled")
    assert second.client_reference == f"{po['number']}-R2"
    assert second.lines[0].qty_expected == 8
    # WHEN the goods arrive and the buyer changes it again
    warehouse.world.scend_sim.warehouse.arrive_asn(second.id)
    warehouse.world.tick()
    set_status(docs, "purchaseOrders", po["id"], "Draft")
    docs.modify(
        "purchaseOrderLines", docs.state.lines("purchaseOrderLines", po["id"])[0]["id"], {"quantity": 9}
    )
    set_status(docs, "purchaseOrders", po["id"], "Open")
    await warehouse.poll_purchase_orders()
    await warehouse.drain_purchase_orders()
    (refused,) = await warehouse.world.open_exceptions()
    assert (refused.type, refused.owner) == ("ASN_NOT_CANCELLABLE", Owner.PURCHASING)
    assert warehouse.world.scend_sim.state.asns[second.id].status == "arrived"


async def test_an_exact_receipt_is_received_once(warehouse: Warehouse) -> None:
    po, _ = await sent_po(warehouse)
    first, second = line_nos(warehouse, po)
    asn = warehouse.asn_of(po["number"])
    warehouse.receive(asn.id, [(first, 5, 0), (second, 3, 0)])
    await warehouse.poll("receipts")
    await warehouse.drain_receipts(duplicate_every=1)
    # replaying the receipts feed from the start changes nothing
    watermark = await warehouse.world.watermarks.get("poll_scend_receipts", "scend")
    assert watermark is not None
    await warehouse.world.watermarks.save(watermark.model_copy(update={"value": ""}))
    warehouse.world.clock.advance(timedelta(hours=1))
    await warehouse.poll("receipts")
    await warehouse.drain_receipts()
    problems = await warehouse.world.open_exceptions()
    if warehouse.mode is WriteBackMode.EXTENSION:
        assert warehouse.bc_po_lines(po["id"]) == {first: (5, 0), second: (3, 0)}  # received, not invoiced
        assert problems == []
    else:
        # standard without invoicing on receipt: purchasing gets the receipt to post, once
        assert warehouse.bc_po_lines(po["id"]) == {first: (0, 0), second: (0, 0)}
        (proposal,) = problems
        assert (proposal.type, proposal.owner, proposal.count) == (
            "RECEIPT_NEEDS_POSTING",
            Owner.PURCHASING,
            1,
        )
        assert f"line {first} " in proposal.detail
        assert "receive 5" in proposal.detail
    assert warehouse.settled[Outcome.PARKED] == 0


@pytest.mark.parametrize("mode", [WriteBackMode.STANDARD])
async def test_standard_mode_may_receive_and_invoice_when_the_setting_allows(warehouse: Warehouse) -> None:
    warehouse.invoice_on_receipt = True
    po, _ = await sent_po(warehouse)
    first, second = line_nos(warehouse, po)
    warehouse.receive(warehouse.asn_of(po["number"]).id, [(first, 2, 0)], final=False)
    await warehouse.poll("receipts")
    warehouse.world.bc_sim.faults.set(
        FaultPlan(
            rules=[FaultRule(method="POST", path="*receiveAndInvoice", commit_then_drop_rate=1.0, times=1)]
        )
    )
    await warehouse.drain_receipts()
    assert sum(bc_faults(warehouse.world).values()) == 1  # BC committed, the answer was lost
    warehouse.world.bc_sim.faults.set(FaultPlan())
    assert warehouse.bc_po_lines(po["id"]) == {first: (2, 2), second: (0, 0)}  # once, in doubt or not
    assert await warehouse.world.open_exceptions() == []


@pytest.mark.parametrize("mode", [WriteBackMode.STANDARD])
async def test_a_full_receipt_whose_posting_answer_was_lost_is_no_variance(warehouse: Warehouse) -> None:
    # GIVEN a purchase order received in full; BC commits receiveAndInvoice and the answer is lost
    warehouse.invoice_on_receipt = True
    po, _ = await sent_po(warehouse)
    first, second = line_nos(warehouse, po)
    lines = warehouse.bc_po_lines(po["id"])
    assert lines == {first: (0, 0), second: (0, 0)}
    asn = warehouse.asn_of(po["number"])
    warehouse.receive(asn.id, [(line.line_ref, line.qty_expected, 0) for line in asn.lines], final=True)
    await warehouse.poll("receipts")
    warehouse.world.bc_sim.faults.set(
        FaultPlan(
            rules=[FaultRule(method="POST", path="*receiveAndInvoice", commit_then_drop_rate=1.0, times=1)]
        )
    )
    # WHEN the retry finds its own posting committed
    await warehouse.drain_receipts()
    warehouse.world.bc_sim.faults.set(FaultPlan())
    # THEN the order is received once, and purchasing is not told of an over-receipt that never was
    assert sum(bc_faults(warehouse.world).values()) == 1
    receipts = [r for r in warehouse.world.bc_sim.docs.state.rows("purchaseReceipts")
                if r["orderNumber"] == po["number"]]  # fmt: skip
    assert len(receipts) == 1  # BC deleted the order, all received and invoiced
    assert [e.type for e in await warehouse.world.open_exceptions()] == []


@pytest.mark.parametrize("mode", [WriteBackMode.STANDARD])
async def test_an_over_receipt_whose_posting_answer_was_lost_is_one_variance(warehouse: Warehouse) -> None:
    # GIVEN two more units than ordered on the first line; the posting completes the order (BC
    # deletes it) and its answer is lost
    warehouse.invoice_on_receipt = True
    po, _ = await sent_po(warehouse)
    asn = warehouse.asn_of(po["number"])
    first, second = asn.lines
    warehouse.receive(
        asn.id, [(first.line_ref, first.qty_expected + 2, 0), (second.line_ref, second.qty_expected, 0)]
    )
    await warehouse.poll("receipts")
    warehouse.world.bc_sim.faults.set(
        FaultPlan(
            rules=[FaultRule(method="POST", path="*receiveAndInvoice", commit_then_drop_rate=1.0, times=1)]
        )
    )
    await warehouse.drain_receipts()
    warehouse.world.bc_sim.faults.set(FaultPlan())
    # THEN purchasing sees the over-receipt once, and nothing else
    (variance,) = await warehouse.world.open_exceptions()
    assert variance.type == "RECEIPT_VARIANCE"
    assert "over: line" in variance.detail
    assert variance.count == 1


async def test_short_over_damaged_and_unexpected_units_are_variances_for_purchasing(
    warehouse: Warehouse,
) -> None:
    po, _ = await sent_po(warehouse)
    first, second = line_nos(warehouse, po)
    asn = warehouse.asn_of(po["number"])
    await warehouse.world.scend.upsert_product(product("STRANGER-1"))  # known at Scend, not on the PO
    # 7 good on line one (5 expected), 1 good + 1 damaged on line two (3 expected), 4 of a stranger, final
    receipt = warehouse.receive(asn.id, [(first, 7, 0), (second, 1, 1)], unexpected=[("STRANGER-1", 4)])
    await warehouse.poll("receipts")
    await warehouse.drain_receipts()
    problems = {p.type: p for p in await warehouse.world.open_exceptions()}
    variance = problems["RECEIPT_VARIANCE"]
    assert (variance.business_key, variance.owner) == (receipt, Owner.PURCHASING)
    assert f"over: line {first}" in variance.detail
    assert "7 arrived, 5 expected" in variance.detail
    assert f"damaged: line {second}" in variance.detail
    assert f"short: line {second}" in variance.detail
    assert "1 never arrived" in variance.detail
    assert "unexpected: 4 x STRANGER-1" in variance.detail
    if warehouse.mode is WriteBackMode.EXTENSION:
        assert warehouse.bc_po_lines(po["id"]) == {first: (5, 0), second: (2, 0)}  # at most what was expected
    else:
        assert "receive 5" in problems["RECEIPT_NEEDS_POSTING"].detail


async def test_a_receipt_for_an_asn_not_linked_waits_then_goes_to_purchasing(warehouse: Warehouse) -> None:
    po, _ = await sent_po(warehouse)
    first, _second = line_nos(warehouse, po)
    ref = await warehouse.world.cross_references.get_by_bc("purchaseOrder", po["id"])
    assert ref is not None
    await warehouse.world.cross_references.save(ref.model_copy(update={"scend_id": None}))
    receipt = warehouse.receive(warehouse.asn_of(po["number"]).id, [(first, 1, 0)], final=False)
    await warehouse.poll("receipts")
    await warehouse.drain_receipts(wait_for_retries=False)
    assert await warehouse.world.open_exceptions() == []  # still waiting
    warehouse.beyond_the_wait()
    await warehouse.drain_receipts()
    (problem,) = await warehouse.world.open_exceptions()
    assert (problem.type, problem.business_key) == ("RECEIPT_VARIANCE", receipt)
