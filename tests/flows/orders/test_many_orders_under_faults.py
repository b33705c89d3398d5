"""The headline: many released orders become exactly as many Scend orders, whatever goes wrong on the way.

The issue's 500 orders; `ORDERS=N` runs another count (a quick local check, say).
"""

from __future__ import annotations

import os
import random
import time
from collections import Counter
from typing import Any

from local.bc_sim import SeedRequest
from local.bc_sim.faults import FaultPlan, FaultRule
from local.scend_sim.faults import HttpFault
from shared.flows.order_release import OrderOutcome
from shared.messaging.settlement import Outcome
from tests.flows.orders.drive import Driver, DuplicatingTransport, Tally
from tests.flows.orders.support import NOTHING, ORDERS, Catalogue, World, orders_spec

ORDER_COUNT = int(os.environ.get("ORDERS", "500"))
POST_ORDERS = "POST /v1/orders"


def seed_orders(world: World, cat: Catalogue, count: int, rng: random.Random) -> list[dict[str, str]]:
    """`count` released orders of 1-3 lines (distinct items, quantities 1-9) in one seed request;
    about one in six includes the last item, which the warehouse does not know at first."""
    known, late = cat.items[:-1], cat.items[-1]
    bodies = []
    for _ in range(count):
        skus = rng.sample(known, rng.randint(1, 3))
        if rng.random() < 0.17:
            skus[-1] = late
        bodies.append(
            {
                "customerNumber": cat.customer,
                "shipmentMethodId": cat.method_id,
                "status": "Open",
                "salesOrderLines": [
                    {"lineType": "Item", "lineObjectNumber": sku, "quantity": rng.randint(1, 9)}
                    for sku in skus
                ],
            }
        )
    # A seed of its own per request: ids are drawn from it, so two requests under one seed share ids
    request = NOTHING | {"seed": rng.randrange(2, 2**32), "entities": {"salesOrders": bodies}}
    created = world.bc_sim.seed(SeedRequest(**request))
    orders: list[dict[str, str]] = created["salesOrders"]
    return orders


def bc_faults(world: World) -> Counter[str]:
    fired: Counter[str] = Counter()
    for principal in world.bc_sim.statistics()["principals"].values():
        fired.update(principal.get("faults", {}))
    return fired


async def test_many_released_orders_become_exactly_as_many_scend_orders_under_faults(world: World) -> None:
    """GIVEN N released BC orders (some waiting for an item the warehouse learns of midway), BC
    answering 10% of reads 5xx with 429 bursts, Scend answering 10% of creates 5xx with 429
    bursts and timing out after committing ~5% of creates, a broker that delivers every message
    twice under different ids, BC notifications lost and duplicated, a poll racing a release,
    and a worker that dies between the Scend write and the cross-reference write on ~5% of first
    attempts;
    WHEN the timer polls, the doorbell polls, the item confirmation and the session worker run
    as the host runs them, until the orders queue is empty;
    THEN Scend holds exactly N orders, one per reference, each with the BC order's lines by
    line_ref, every cross-reference points at its order, no exception is open, the queue is
    empty with no dead letters, and every fault kind fired.
    """
    started = time.perf_counter()
    rng = random.Random(20261128)
    tally = Tally()
    plain = world.transport
    world.transport = DuplicatingTransport(":memory:", [orders_spec()], clock=world.clock)
    world.transport.tally = tally
    drive = Driver(world, tally, random.Random(11))
    try:
        # GIVEN the catalogue, the last item not yet at Scend
        cat = await world.catalogue(12, known=11)
        world.bc_sim.faults.set(
            FaultPlan(
                seed=3,
                rules=[FaultRule(method="GET", path="*", error_rate=0.1, error_status=503,
                                 throttle_after=4, throttle_burst=6)],
            )
        )  # fmt: skip
        world.scend_sim.set_faults(
            http=[
                HttpFault(kind="rate_limit", method="POST", path="/v1/orders", skip=20, times=6),
                HttpFault(kind="rate_limit", method="POST", path="/v1/orders", skip=90, times=5),
                HttpFault(kind="error", method="POST", path="/v1/orders", probability=0.1, status=502),
                HttpFault(kind="timeout_after_commit", method="POST", path="/v1/orders", probability=0.05,
                          mode="drop"),
            ]
        )  # fmt: skip
        first, second = ORDER_COUNT // 2, ORDER_COUNT // 4
        orders = seed_orders(world, cat, first, rng)

        # WHEN a timer poll runs while more orders are released, and the worker drains the queue
        def release_during_poll() -> int:
            orders.extend(seed_orders(world, cat, second, rng))
            return second

        await drive.poll_racing(release_during_poll)
        await drive.doorbell(3)
        await drive.work()
        # AND the late item is confirmed midway: the orders held for it are re-driven
        await world.item_confirmed(cat.items[-1])
        redriven = await world.release_held(cat.items[-1])
        world.tick()
        orders.extend(seed_orders(world, cat, ORDER_COUNT - first - second, rng))
        await drive.doorbell(6)
        await drive.poll_until_one_succeeds()
        await drive.work()
        await drive.poll_until_one_succeeds()  # the next timer tick: nothing new
        await drive.work()
        elapsed = time.perf_counter() - started

        # THEN exactly N Scend orders, one per reference, each with its BC lines
        report: dict[str, Any] = world.scend_sim.stats.report(world.scend_sim.state)
        assert report["resources"]["orders"]["references_held_twice"] == []
        sent = world.scend_orders()
        assert len(sent) == len(orders) == ORDER_COUNT
        by_number = {o.client_reference.rsplit("-", 2)[0]: o for o in sent}
        assert len(by_number) == ORDER_COUNT
        for order in orders:
            scend = by_number[order["number"]]
            assert scend.client_reference.endswith("-R1")
            assert scend.status == "accepted"
            bc_lines = world.bc_sim.docs.state.lines("salesOrderLines", order["id"])
            assert {line.line_ref: (line.sku, line.qty_ordered) for line in scend.lines} == {
                str(line["sequence"]): (line["lineObjectNumber"], line["quantity"]) for line in bc_lines
            }
            ref = await world.cross_references.get_by_bc("salesOrder", order["id"])
            assert ref is not None
            assert (ref.state, ref.scend_id) == ("sent", scend.id)
        assert await world.open_exceptions() == []
        counts = await world.transport.counts(ORDERS)
        assert (counts.active, counts.scheduled, counts.dead_letter) == (0, 0, 0)
        # AND every fault kind fired
        scend_fired = world.scend_sim.stats.routes[POST_ORDERS].faults
        bc_fired = bc_faults(world)
        assert scend_fired["error"] > 0
        assert scend_fired["rate_limit"] > 0
        assert scend_fired["timeout_after_commit"] > 0
        assert bc_fired["error"] > 0
        assert bc_fired["throttle"] > 0
        assert tally.crashes > 0
        assert tally.abandoned == tally.crashes
        assert tally.settled[Outcome.RETRY_SCHEDULED] > 0
        assert tally.webhooks["lost"] > 0
        assert tally.webhooks["duplicated"] > 0
        assert tally.raced == second
        assert redriven
        print(
            f"\nSUMMARY orders={len(sent)} held_then_redriven={len(redriven)}"
            f" scend_faults={dict(scend_fired)} bc_faults={dict(bc_fired)}"
            f" retries_scheduled={tally.settled[Outcome.RETRY_SCHEDULED]} crashes={tally.crashes}"
            f" abandoned={tally.abandoned} copies_sent={tally.copies_sent}"
            f" scend_creates={report['resources']['orders']['create_attempts']}"
            f" scend_replays={world.scend_sim.stats.routes[POST_ORDERS].replays}"
            f" scend_409s={report['resources']['orders']['duplicate_rejections']}"
            f" duplicates_dropped_by_broker={tally.broker_dropped}"
            f" duplicates_skipped_as_stale={tally.handled[OrderOutcome.STALE]}"
            f" handled={ {k.value: v for k, v in tally.handled.items()} }"
            f" polls={dict(tally.polls)} webhooks={dict(tally.webhooks)}"
            f" raced={tally.raced} elapsed={elapsed:.1f}s"
        )
    finally:
        await world.transport.close()
        world.transport = plain
