"""Returns: every inspected return becomes exactly one draft credit memo, never posted, with the
right customer, lines, prices and reason; unmatched returns reach finance."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from local.bc_sim import SeedRequest
from local.bc_sim.faults import FaultPlan, FaultRule
from shared.ops.catalogue import Owner
from shared.store.timeline import Stage
from tests.flows.orders.support import NOTHING
from tests.flows.warehouse.support import Sent, Warehouse

REASONS = [{"code": code, "description": code.title()} for code in ("RESALEABLE", "DAMAGED", "FAULTY")]


async def despatched_order(
    warehouse: Warehouse, quantities: tuple[int, ...] = (3, 2)
) -> tuple[Sent, list[str]]:
    """An order sent to Scend and despatched in full (standard mode: BC has invoiced and removed it)."""
    warehouse.world.bc_sim.seed(SeedRequest(**NOTHING | {"entities": {"customerReturnReasons": REASONS}}))
    cat = await warehouse.catalogue(len(quantities))
    order = await warehouse.sent_order(cat, list(zip(cat.items, quantities, strict=True)))
    warehouse.despatch(order)
    await warehouse.poll("shipments")
    await warehouse.drain_shipments()
    assert warehouse.shipped(order) == order.lines
    return order, cat.items


async def test_an_inspected_return_becomes_one_draft_credit_memo_with_its_lines(warehouse: Warehouse) -> None:
    # GIVEN a despatched order; the customer sends back 2 of the first item and 1 of the second
    order, skus = await despatched_order(warehouse)
    prices = {line["lineObjectNumber"]: Decimal(str(line["unitPrice"]))
              for line in warehouse.world.bc_sim.docs.state.rows("salesOrderLines")
              if line["documentId"] == order.id} if warehouse.world.bc_sim.docs.state.get(
                  "salesOrders", order.id) else None  # fmt: skip
    return_id = warehouse.customer_returns(order, [(skus[0], 2), (skus[1], 1)], rma="RMA-1001")
    # WHEN Scend grades the first line damaged (the second resellable) and the feed is polled twice
    warehouse.inspect(return_id, {1: ("DAMAGED", "DISPOSED")})
    assert (await warehouse.poll("returns")).read == 2  # received, inspected
    await warehouse.drain_returns(duplicate_every=1)
    await warehouse.poll("returns")
    await warehouse.drain_returns()
    # THEN BC holds exactly one draft credit memo for the customer, referencing the return
    (memo,) = warehouse.credit_memos(return_id)
    assert memo["status"] == "Draft"
    customer = warehouse.world.bc_sim.docs.state.rows("customers")[0]
    assert memo["customerNumber"] == customer["number"]
    damaged = warehouse.world.bc_sim.docs.state.find("customerReturnReasons", "code", "DAMAGED")
    assert damaged is not None
    assert memo["customerReturnReasonId"] == damaged["id"]
    lines = warehouse.credit_memo_lines(memo)
    items = [
        (line["lineObjectNumber"], int(line["quantity"])) for line in lines if line["lineType"] == "Item"
    ]
    assert items == [(skus[0], 2), (skus[1], 1)]
    comments = [line["description"] for line in lines if line["lineType"] == "Comment"]
    assert any(return_id in c and "RMA-1001" in c and order.number in c for c in comments)
    assert any("DAMAGED, DISPOSED" in c for c in comments)
    if prices is not None:
        assert all(Decimal(str(line["unitPrice"])) == prices[line["lineObjectNumber"]]
                   for line in lines if line["lineType"] == "Item")  # fmt: skip
    # AND it was never posted
    assert warehouse.world.bc_sim.docs.state.rows("salesCreditMemos") == [memo]
    assert "salesCreditMemo" not in warehouse.world.bc_sim.statistics()["posted"]["counts"]
    # AND the order's timeline shows the return received and credited
    stages = [e.stage for e in await warehouse.timeline_of(order)]
    assert stages[-2:] == [Stage.RETURN_RECEIVED, Stage.CREDIT_MEMO_DRAFTED]
    assert await warehouse.world.open_exceptions() == []


async def test_completing_and_redelivering_a_return_adds_no_second_memo(warehouse: Warehouse) -> None:
    order, skus = await despatched_order(warehouse, (2,))
    return_id = warehouse.customer_returns(order, [(skus[0], 1)])
    warehouse.inspect(return_id)
    await warehouse.poll("returns")
    await warehouse.drain_returns(duplicate_every=1)
    warehouse.world.scend_sim.warehouse.complete_return(return_id)
    watermark = await warehouse.world.watermarks.get("poll_scend_returns", "scend")
    assert watermark is not None
    await warehouse.world.watermarks.save(watermark.model_copy(update={"value": ""}))  # read it all again
    warehouse.world.clock.advance(timedelta(hours=1))
    assert (await warehouse.poll("returns")).read == 3
    await warehouse.drain_returns(duplicate_every=1)
    assert len(warehouse.credit_memos(return_id)) == 1


async def test_lines_graded_missing_are_not_credited(warehouse: Warehouse) -> None:
    order, skus = await despatched_order(warehouse)
    return_id = warehouse.customer_returns(order, [(skus[0], 1), (skus[1], 2)])
    warehouse.inspect(return_id, {2: ("MISSING", "RETURN_TO_SUPPLIER")})
    await warehouse.poll("returns")
    await warehouse.drain_returns()
    (memo,) = warehouse.credit_memos(return_id)
    items = [(line["lineObjectNumber"], int(line["quantity"]))
             for line in warehouse.credit_memo_lines(memo) if line["lineType"] == "Item"]  # fmt: skip
    assert items == [(skus[0], 1)]


async def test_a_return_lost_in_doubt_is_created_once(warehouse: Warehouse) -> None:
    order, skus = await despatched_order(warehouse, (2,))
    return_id = warehouse.customer_returns(order, [(skus[0], 2)])
    warehouse.inspect(return_id)
    await warehouse.poll("returns")
    warehouse.world.bc_sim.faults.set(
        FaultPlan(
            rules=[FaultRule(method="POST", path="*salesCreditMemos", commit_then_drop_rate=1.0, times=1)]
        )
    )
    await warehouse.drain_returns()
    warehouse.world.bc_sim.faults.set(FaultPlan())
    assert len(warehouse.credit_memos(return_id)) == 1
    assert await warehouse.world.open_exceptions() == []


async def test_a_return_scend_could_not_identify_goes_to_finance_at_once(warehouse: Warehouse) -> None:
    _order, _skus = await despatched_order(warehouse, (1,))
    ret = warehouse.world.scend_sim.warehouse.return_arrives(None, "NOT-A-KNOWN-ORDER", [])
    assert ret.status == "unidentified"
    await warehouse.poll("returns")
    await warehouse.drain_returns()
    (problem,) = await warehouse.world.open_exceptions()
    assert (problem.type, problem.business_key, problem.owner) == ("RETURN_UNMATCHED", ret.id, Owner.FINANCE)
    assert warehouse.credit_memos(ret.id) == []


async def test_a_return_for_an_order_not_linked_waits_then_goes_to_finance(warehouse: Warehouse) -> None:
    order, skus = await despatched_order(warehouse, (1,))
    ref = await warehouse.world.cross_references.get_by_bc("salesOrder", order.id)
    assert ref is not None
    await warehouse.world.cross_references.save(ref.model_copy(update={"scend_id": None}))
    return_id = warehouse.customer_returns(order, [(skus[0], 1)])
    warehouse.inspect(return_id)
    await warehouse.poll("returns")
    await warehouse.drain_returns(wait_for_retries=False)
    assert await warehouse.world.open_exceptions() == []  # still waiting
    warehouse.beyond_the_wait()
    await warehouse.drain_returns()
    problems = await warehouse.world.open_exceptions()
    assert {(p.type, p.business_key) for p in problems} == {("RETURN_UNMATCHED", return_id)}
    assert warehouse.credit_memos(return_id) == []
