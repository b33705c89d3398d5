"""`$batch` against the simulator: chunks of 100, per-operation results, all-or-nothing when atomic."""

from __future__ import annotations

from decimal import Decimal

import pytest

from local.bc_sim import BcSim, SeedRequest
from shared.bc.batch import BatchOperation, raise_first_error
from shared.bc.client import BcClient
from shared.bc.models import SalesOrder, SalesOrderLine
from shared.bc.posting import Posting
from shared.errors import ConcurrencyConflict, InDoubt
from tests.contract.bc.support import _NOTHING, released_order, requests_to, seed

BATCH = "POST /api/v2.0/$batch"


async def test_150_reads_go_as_two_batches_and_each_answers_its_own_operation(
    sim: BcSim, bc: BcClient
) -> None:
    created = seed(sim, items=3)
    ids = [item["id"] for item in created["items"]]
    operations = [BatchOperation("GET", bc.api.company_path(f"items({ids[i % 3]})")) for i in range(150)]
    results = await bc.api.batch(operations)
    assert requests_to(sim, BATCH)["statuses"] == {"200": 2}
    assert [r.status for r in results] == [200] * 150
    assert [r.body["id"] for r in results] == [ids[i % 3] for i in range(150)]


async def test_an_atomic_batch_with_a_stale_etag_changes_nothing(sim: BcSim, bc: BcClient) -> None:
    # GIVEN an order with two lines, the second changed by someone after we read it
    order = await bc.sales.find_order(released_order(sim, (3, 2)))
    assert order is not None
    first, second = order.sales_order_lines or []
    await bc.sales.set_line_quantities(second, ship=Decimal(1))
    # WHEN both lines are set in one atomic batch with the ETags we read
    with pytest.raises(ConcurrencyConflict):
        await bc.sales.post_shipment_and_invoice(order, {first.id: Decimal(1), second.id: Decimal(2)})
    # THEN the first line's update was rolled back with the batch (BC's default Qty. to Ship stays),
    # and nothing was posted
    fresh = await bc.api.get(
        SalesOrderLine, bc.api.url(f"salesOrders({order.id})/salesOrderLines({first.id})")
    )
    assert first.ship_quantity == 3
    assert fresh.ship_quantity == 3
    assert sim.statistics()["posted"]["by_order"] == {}


async def test_a_non_atomic_batch_reports_each_operation_and_keeps_the_ones_that_worked(
    sim: BcSim, bc: BcClient
) -> None:
    order = await bc.sales.find_order(released_order(sim, (3, 2)))
    assert order is not None
    first, second = order.sales_order_lines or []
    path = bc.api.company_path(f"salesOrders({order.id})/salesOrderLines")
    results = await bc.api.batch(
        [
            BatchOperation("PATCH", f"{path}({first.id})", body={"shipQuantity": 1}, if_match=first.etag),
            BatchOperation("PATCH", f"{path}({second.id})", body={"shipQuantity": 0}, if_match='W/"stale"'),
        ]
    )
    assert [r.ok for r in results] == [True, False]
    assert isinstance(results[1].error, ConcurrencyConflict)
    with pytest.raises(ConcurrencyConflict):
        raise_first_error(results)
    line = bc.api.url(f"salesOrders({order.id})/salesOrderLines")
    assert (await bc.api.get(SalesOrderLine, f"{line}({first.id})")).ship_quantity == 1
    assert (await bc.api.get(SalesOrderLine, f"{line}({second.id})")).ship_quantity == 2  # BC's default


async def test_many_orders_post_in_two_batches_each_with_its_own_answer(sim: BcSim, bc: BcClient) -> None:
    # GIVEN three released orders, the second of which someone changed after we read it
    first = released_order(sim, (2, 1))
    customer = sim.docs.state.rows("salesOrders")[0]["customerNumber"]
    lines = [{"lineType": "Item", "lineObjectNumber": r["lineObjectNumber"], "quantity": 1}
             for r in sim.docs.state.rows("salesOrderLines")]  # fmt: skip
    order = {"customerNumber": customer, "status": "Open", "salesOrderLines": lines}
    more = sim.seed(SeedRequest(**_NOTHING, entities={"salesOrders": [order, order]}))["salesOrders"]
    numbers = [first, *(o["number"] for o in more)]
    orders = [await bc.sales.find_order(n) for n in numbers]
    read = await bc.sales.get_orders([o.id for o in orders if o is not None])
    assert all(isinstance(o, SalesOrder) for o in read)
    changed = read[1].sales_order_lines[0]  # type: ignore[union-attr]
    await bc.sales.set_line_quantities(changed, ship=Decimal(0))
    sim.stats.reset()
    # WHEN all three are posted at once with what was read
    postings = [
        Posting(
            o.id, o.number, o.sales_order_lines, {}, {line.id: line.quantity for line in o.sales_order_lines}
        )
        for o in read  # type: ignore[union-attr]
    ]
    answers = await bc.sales.post_shipments_and_invoices(postings)
    # THEN the changed one is a conflict and the other two posted, in two batch requests
    assert answers[0] is None
    assert isinstance(answers[1], ConcurrencyConflict)
    assert answers[2] is None
    assert requests_to(sim, BATCH)["statuses"] == {"200": 2}
    assert sorted(sim.statistics()["posted"]["by_order"]) == sorted([read[0].number, read[2].number])  # type: ignore[union-attr]


async def test_fault_rules_reach_operations_inside_a_batch(sim: BcSim, bc: BcClient) -> None:
    from local.bc_sim.faults import FaultPlan, FaultRule

    order = await bc.sales.find_order(released_order(sim, (1,)))
    assert order is not None
    action = BatchOperation(
        "POST", bc.api.company_path(f"salesOrders({order.id})/Microsoft.NAV.shipAndInvoice")
    )
    # an error answers that operation only
    sim.faults.set(FaultPlan(rules=[FaultRule(method="POST", path="*shipAndInvoice", error_rate=1, times=1)]))
    (result,) = await bc.api.batch([action])
    assert (result.status, type(result.error).__name__) == (503, "RateLimited")
    assert sim.statistics()["posted"]["by_order"] == {}
    # a commit-then-drop runs the batch, then the answer is lost: the client is in doubt
    sim.faults.set(
        FaultPlan(rules=[FaultRule(method="POST", path="*shipAndInvoice", commit_then_drop_rate=1, times=1)])
    )
    with pytest.raises(InDoubt):
        await bc.api.batch([action])
    assert sim.statistics()["posted"]["by_order"] == {order.number: {"salesShipment": 1, "salesInvoice": 1}}
    assert sum(p["faults"].get("commit_then_drop", 0) for p in sim.statistics()["principals"].values()) == 1
