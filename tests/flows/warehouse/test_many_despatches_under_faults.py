"""Many despatches under faults, in both write-back modes: every BC order ends shipped with exactly
the despatched units, once. DESPATCHES=N scales it (default 300)."""

from __future__ import annotations

import os
import random
import time
from collections import Counter

from local.bc_sim.faults import FaultPlan, FaultRule
from local.scend_sim.faults import HttpFault
from shared.messaging.settlement import Outcome
from shared.settings import WriteBackMode
from tests.flows.orders.test_many_orders_under_faults import bc_faults
from tests.flows.warehouse.support import SHIPMENTS, Sent, Warehouse

DESPATCH_COUNT = int(os.environ.get("DESPATCHES", "300"))


def first_wave(order: Sent, rng: random.Random) -> list[list[tuple[str, int]]]:
    """Part of the order (never all of it), sometimes split over two parcels; the rest goes in the
    second wave. Every line has 2+ units, so one unit can always be left for the second."""
    part = [(ref, rng.randint(1, qty)) for ref, qty in sorted(order.lines.items()) if rng.random() < 0.7]
    part = part or [(min(order.lines), 1)]
    if sum(units for _, units in part) == sum(order.lines.values()):
        ref, units = part[-1]
        part[-1] = (ref, units - 1)
    if len(part) > 1 and rng.random() < 0.3:
        return [part[:1], part[1:]]
    return [part]


async def test_many_despatches_under_faults_ship_exactly_what_left_once(warehouse: Warehouse) -> None:
    """GIVEN N/2 orders at Scend, BC failing ~10% of reads, batches and postings (half of the posting
    faults after BC committed), Scend's feed failing ~10% of reads, and a broker that delivers every
    fifth message twice;
    WHEN Scend despatches each order in two waves (some split over parcels, the first partial) and
    the feed poll and the shipment worker run after each wave;
    THEN every BC order's posted shipments add up to exactly the despatched units, one posted
    shipment per Scend shipment, no exception is open, the queue is empty, and the faults fired."""
    started = time.perf_counter()
    rng = random.Random(20261128)
    world = warehouse.world
    cat = await warehouse.catalogue(6)
    created = [
        world.release(cat, [(sku, rng.randint(2, 5)) for sku in rng.sample(cat.items, rng.randint(1, 3))])
        for _ in range(DESPATCH_COUNT // 2)
    ]
    await world.poll()
    await world.drain()
    orders = []
    for row in created:
        ref = await world.cross_references.get_by_bc("salesOrder", row["id"])
        assert ref is not None
        assert ref.scend_id is not None
        lines = world.bc_sim.docs.state.lines("salesOrderLines", row["id"])
        orders.append(Sent(row["id"], row["number"], ref.scend_id,
                           {str(r["sequence"]): int(r["quantity"]) for r in lines},
                           {str(r["sequence"]): r["lineObjectNumber"] for r in lines}))  # fmt: skip
    posting = "*shipAndInvoice" if warehouse.mode is WriteBackMode.STANDARD else "*shipmentConfirmations*"
    world.bc_sim.faults.set(
        FaultPlan(seed=5, rules=[
            FaultRule(method="POST", path=posting, error_rate=0.05, commit_then_drop_rate=0.05),
            FaultRule(method="POST", path="*$batch", error_rate=0.1, error_status=502),
            FaultRule(method="GET", path="*", error_rate=0.1, error_status=503, throttle_after=50,
                      throttle_burst=5),
        ])
    )  # fmt: skip
    world.scend_sim.set_faults(
        http=[HttpFault(kind="error", method="GET", path="/v1/shipments", probability=0.1)]
    )

    despatched: dict[str, Counter[str]] = {order.id: Counter() for order in orders}
    shipments = 0
    for wave in (1, 2):
        for order in orders:
            parcels = first_wave(order, rng) if wave == 1 else None
            shipment = warehouse.despatch(order, parcels)
            shipments += 1
            for parcel in shipment.parcels:
                for line in parcel.lines:
                    despatched[order.id][line.line_ref] += line.quantity
        while (await warehouse.poll("shipments")).error is not None:
            pass  # the next timer tick
        await warehouse.drain_shipments(duplicate_every=5, max_rounds=5000)
    elapsed = time.perf_counter() - started

    for order in orders:
        assert warehouse.shipped(order) == dict(despatched[order.id]) == order.lines, order.number
    posted = sum(warehouse.posted_shipments(order) for order in orders)
    assert posted == shipments == DESPATCH_COUNT // 2 * 2
    assert await world.open_exceptions() == []
    counts = await world.transport.counts(SHIPMENTS)
    assert (counts.active, counts.scheduled, counts.dead_letter) == (0, 0, 0)
    fired = bc_faults(world)
    assert fired["commit_then_drop"] > 0
    assert fired["error"] > 0
    print(
        f"\n{warehouse.mode.value}: {shipments} despatches of {len(orders)} orders in {elapsed:.1f}s;"
        f" settled {dict(warehouse.settled)}; BC faults {dict(fired)}"
    )
    assert warehouse.settled[Outcome.PARKED] == 0
