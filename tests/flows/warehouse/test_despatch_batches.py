"""Shipment confirmation a batch at a time (the shipments trigger has cardinality many): a batch
spanning many orders costs a few `$batch` requests, and every shipment in it gets its own answer —
a neighbour's over-despatch, duplicate, second despatch of the same order or failed posting never
changes what happens to the others. Both write-back modes, against the simulators and Azurite."""

from __future__ import annotations

from collections import Counter

from local.bc_sim.faults import FaultPlan, FaultRule
from shared.errors import PermanentError, TransientError
from shared.flows.despatch import DespatchOutcome
from shared.messaging.envelope import Envelope
from shared.messaging.settlement import Outcome
from shared.settings import WriteBackMode
from tests.flows.orders.test_many_orders_under_faults import bc_faults
from tests.flows.warehouse.support import SHIPMENTS, Sent, Warehouse


def bc_routes(warehouse: Warehouse) -> Counter[str]:
    counted: Counter[str] = Counter()
    for principal in warehouse.world.bc_sim.statistics()["principals"].values():
        for route, counts in principal["routes"].items():
            counted[route] += counts["requests"]
    return counted


async def queued(warehouse: Warehouse) -> list[Envelope]:
    """The shipment messages the feed enqueued, taken off the queue (the test runs the batch)."""
    async with warehouse.world.transport.receiver(SHIPMENTS, max_wait=0) as receiver:
        assert receiver is not None
        messages = await receiver.receive(max_messages=100, max_wait=0)
        for message in messages:
            await receiver.complete(message)
    return [Envelope.from_bytes(m.body) for m in messages]


async def test_one_batch_of_many_orders_costs_a_few_requests_and_answers_each_shipment(
    warehouse: Warehouse,
) -> None:
    # GIVEN eight orders at Scend: six despatched in full, one over-despatched, one in two parts
    cat = await warehouse.catalogue(3)
    orders = [await warehouse.sent_order(cat, [(cat.items[0], 2), (cat.items[1], 1)]) for _ in range(8)]
    shipments = [warehouse.despatch(order) for order in orders[:6]]
    (line, _) = sorted(orders[6].lines)
    over = warehouse.despatch(orders[6], [[(line, 5)]])
    split = orders[7]
    first, second = sorted(split.lines)
    part_one = warehouse.despatch(split, [[(first, 2)]])
    part_two = warehouse.despatch(split, [[(second, 1)]])
    await warehouse.poll("shipments")
    envelopes = await queued(warehouse)
    assert len(envelopes) == 9
    warehouse.world.bc_sim.stats.reset()
    # WHEN they run as one batch, with the first shipment delivered twice
    answers = await warehouse.despatches.confirm_many([envelopes[0], *envelopes])
    # THEN each shipment has its own answer
    by_id = {e.key: a for e, a in zip([envelopes[0], *envelopes], answers, strict=True)}
    assert answers[0] is DespatchOutcome.POSTED
    assert answers[1] is DespatchOutcome.ALREADY_POSTED
    assert isinstance(by_id[over.id], PermanentError)
    assert by_id[over.id].exception_type == "QUANTITY_MISMATCH"
    for shipment in [*shipments[1:], part_one, part_two]:
        assert by_id[shipment.id] is DespatchOutcome.POSTED, shipment.id
    # AND BC shipped exactly what left, once
    for order in orders[:6]:
        assert warehouse.shipped(order) == order.lines
        assert warehouse.posted_shipments(order) == 1
    assert warehouse.posted_shipments(orders[6]) == 0
    assert warehouse.shipped(split) == split.lines
    assert warehouse.posted_shipments(split) == 2
    # AND it took two waves (the split order's second part waits for its first) of a few requests
    routes = bc_routes(warehouse)
    batches = sum(n for route, n in routes.items() if route.endswith("$batch"))
    requests = sum(routes.values())
    if warehouse.mode is WriteBackMode.STANDARD:
        # each wave: orders read, line quantities, posting actions ($batch) + one invoice read
        assert (batches, requests) == (6, 8), routes
    else:
        # each wave: orders read, confirmations created, confirmations posted; plus the
        # over-despatched shipment's lookup (was it posted by an earlier attempt?)
        assert (batches, requests) == (6, 7), routes
    assert requests < len(envelopes)


async def test_a_posting_that_fails_inside_the_batch_is_retried_alone(warehouse: Warehouse) -> None:
    # GIVEN five orders despatched in full, and BC failing the first posting it meets in a batch
    cat = await warehouse.catalogue(2)
    orders: list[Sent] = [await warehouse.sent_order(cat, [(cat.items[0], 1), (cat.items[1], 1)])
                          for _ in range(5)]  # fmt: skip
    for order in orders:
        warehouse.despatch(order)
    await warehouse.poll("shipments")
    posting = (
        "*shipAndInvoice" if warehouse.mode is WriteBackMode.STANDARD else "*shipmentConfirmations(*)*post"
    )
    warehouse.world.bc_sim.faults.set(
        FaultPlan(rules=[FaultRule(method="POST", path=posting, error_rate=1.0, times=1)])
    )
    # WHEN the batch runs
    envelopes = await queued(warehouse)
    answers = await warehouse.despatches.confirm_many(envelopes)
    # THEN only that shipment failed (BC answered 503: not run, try again later), the rest posted
    assert bc_faults(warehouse.world) == Counter({"error": 1})
    failed = [e for e, a in zip(envelopes, answers, strict=True) if isinstance(a, Exception)]
    assert len(failed) == 1
    assert isinstance(answers[envelopes.index(failed[0])], TransientError)
    assert answers.count(DespatchOutcome.POSTED) == 4
    # AND its retry (the shell's scheduled copy) posts it, once
    assert await warehouse.despatches.confirm_many(failed) == [DespatchOutcome.POSTED]
    for order in orders:
        assert warehouse.posted_shipments(order) == 1
        assert warehouse.shipped(order) == order.lines
    assert await warehouse.world.open_exceptions() == []


async def test_the_shell_settles_each_message_of_a_batch_by_its_own_answer(warehouse: Warehouse) -> None:
    # GIVEN three orders despatched, one of them twice its quantity
    cat = await warehouse.catalogue(1)
    orders = [await warehouse.sent_order(cat, [(cat.items[0], 1)]) for _ in range(3)]
    (line,) = orders[0].lines
    warehouse.despatch(orders[0], [[(line, 2)]])
    for order in orders[1:]:
        warehouse.despatch(order)
    await warehouse.poll("shipments")
    # WHEN the queue is drained in batches through the shell
    await warehouse.drain_shipments()
    # THEN two were completed and the over-despatch parked with its payload for warehouse ops
    assert warehouse.settled == Counter({Outcome.COMPLETED: 2, Outcome.PARKED: 1})
    (problem,) = await warehouse.world.open_exceptions()
    assert problem.type == "QUANTITY_MISMATCH"
    assert problem.payload is not None
    assert [warehouse.posted_shipments(o) for o in orders] == [0, 1, 1]
