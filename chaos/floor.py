"""The warehouse floor of a chaos run: what Scend's people do while the integration is under fire.

It stocks each product the integration creates, despatches the orders the plan says (in full, in
part then the rest, in part only; some in two parcels), takes back returns and inspects them,
books stock adjustments, and receives every ASN in full. Each action is due a few seconds after
what it needs exists, so they interleave with the faults and the dev host's deaths. Everything is
drawn from the run's seed; which BC order gets which fate is fixed when BC is seeded.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from local.scend_sim import ScendSim
from local.scend_sim.adjustments import AdjustmentSpec
from local.scend_sim.despatch import ParcelPlan
from local.scend_sim.inbound import ReceiptPlan, Received
from local.scend_sim.models.orders import Order
from local.scend_sim.problems import Problem
from local.scend_sim.returns import Arrived, Verdict
from shared.mapping.references import parse_client_reference

STOCK_PER_SKU = 1_000_000
ADJUSTMENT_REASONS = ("LOST", "FOUND", "CYCLE_COUNT_GAIN", "CYCLE_COUNT_LOSS", "EXPIRED")
VERDICTS = (
    Verdict("A_RESELLABLE", "RESTOCKED"),
    Verdict("DAMAGED", "DISPOSED"),
    Verdict("FAULTY", "QUARANTINED"),
)


class Fate(StrEnum):
    """What Scend does with a released order."""

    KEPT = "kept"  # not despatched in this run
    FULL = "full"  # one shipment, every unit (one or two parcels)
    RETURNED = "returned"  # in full, then one unit comes back
    PARTIAL_THEN_REST = "partial, then the rest"  # two shipments
    PARTIAL = "partial only"  # one shipment, the rest stays open


def fates_for(fingerprints: list[str], *, despatched: int, returns: int, seed: int) -> dict[str, Fate]:
    """Fates by order fingerprint: `despatched` orders leave, `returns` of them come back; of the
    others that leave, a fifth in part then the rest and a tenth in part only."""
    rng = random.Random(f"chaos-fates:{seed}")
    order = sorted(fingerprints)
    rng.shuffle(order)
    fates = {fp: Fate.KEPT for fp in order}
    leaving = order[:despatched]
    for index, fp in enumerate(leaving):
        if index < returns:
            fates[fp] = Fate.RETURNED
        elif index < returns + despatched // 5:
            fates[fp] = Fate.PARTIAL_THEN_REST
        elif index < returns + despatched // 5 + despatched // 10:
            fates[fp] = Fate.PARTIAL
        else:
            fates[fp] = Fate.FULL
    return fates


@dataclass
class FloorCounts:
    stocked: int = 0
    shipments: int = 0
    two_parcel_shipments: int = 0
    orders_despatched: int = 0
    returns_arrived: int = 0
    returns_inspected: int = 0
    adjustments: int = 0
    asns_received: int = 0
    refused: int = 0  # actions the simulator refused (a bug in the plan, or in the simulator)


@dataclass(order=True)
class _Due:
    at: float
    seq: int
    what: str = field(compare=False)
    action: Callable[[], None] = field(compare=False)


class Floor:
    """Call `tick(now)` often (same event loop as the simulator); `done` once every plan is carried out."""

    def __init__(
        self, sim: ScendSim, fates: dict[str, Fate], *, adjustments: int, seed: int,
        spread_seconds: float,
    ) -> None:  # fmt: skip
        self.sim = sim
        self.fates = fates
        self.rng = random.Random(f"chaos-floor:{seed}")
        self.counts = FloorCounts()
        self.refusals: list[str] = []
        self._due: list[_Due] = []
        self._seq = 0
        self._stocked: set[str] = set()
        self._orders_seen: set[str] = set()
        self._asns_seen: set[str] = set()
        self._adjustments_left = adjustments
        self._spread = spread_seconds
        self._planned_adjustments = False
        self.expected_despatches = sum(f is not Fate.KEPT for f in fates.values())
        self.expected_returns = sum(f is Fate.RETURNED for f in fates.values())
        self.expected_adjustments = adjustments

    # The loop

    def tick(self, now: float) -> None:
        state = self.sim.state
        for sku in [s for s in state.products if s not in self._stocked]:
            self.sim.warehouse.set_stock(sku, STOCK_PER_SKU)
            self._stocked.add(sku)
            self.counts.stocked += 1
        if not self._planned_adjustments:
            self._planned_adjustments = True
            for _ in range(self._adjustments_left):
                self._at(now + self.rng.uniform(5, self._spread), "adjustment", self._adjust)
        for order in [o for o in state.orders.values() if o.id not in self._orders_seen]:
            self._orders_seen.add(order.id)
            self._plan_order(order, now)
        for asn in [a for a in state.asns.values() if a.id not in self._asns_seen]:
            self._asns_seen.add(asn.id)
            self._at(now + self.rng.uniform(1, 6), f"receive {asn.client_reference}", self._receiver(asn.id))
        while self._due and self._due[0].at <= now:
            due = self._due.pop(0)
            try:
                due.action()
            except Problem as problem:
                self.counts.refused += 1
                self.refusals.append(f"{due.what}: {problem.status} {problem.code} {problem.detail}")

    @property
    def done(self) -> bool:
        return (
            not self._due
            and self.counts.orders_despatched >= self.expected_despatches
            and self.counts.returns_inspected >= self.expected_returns
            and self.counts.adjustments >= self.expected_adjustments
        )

    def _at(self, when: float, what: str, action: Callable[[], None]) -> None:
        self._seq += 1
        self._due.append(_Due(when, self._seq, what, action))
        self._due.sort()

    # Orders

    def _plan_order(self, order: Order, now: float) -> None:
        parsed = parse_client_reference(order.client_reference)
        fate = self.fates.get(parsed.fingerprint, Fate.KEPT) if parsed else Fate.KEPT
        if fate is Fate.KEPT:
            return
        when = now + self.rng.uniform(0.5, 8)
        units = sum(line.qty_ordered for line in order.lines)
        if fate in (Fate.PARTIAL, Fate.PARTIAL_THEN_REST) and units > 1:
            self._at(when, f"part of {order.client_reference}", self._despatcher(order.id, half=True))
            if fate is Fate.PARTIAL_THEN_REST:
                rest = when + self.rng.uniform(2, 10)
                self._at(rest, f"rest of {order.client_reference}", self._despatcher(order.id, half=False))
            return
        self._at(when, f"all of {order.client_reference}", self._despatcher(order.id, half=False))
        if fate is Fate.RETURNED:
            back = when + self.rng.uniform(2, 10)
            self._at(back, f"return of {order.client_reference}", self._returner(order.id, back))

    def _despatcher(self, order_id: str, *, half: bool) -> Callable[[], None]:
        def despatch() -> None:
            order = self.sim.state.orders[order_id]
            open_units = [(line.line_ref, line.qty_ordered - line.qty_despatched - line.qty_cancelled)
                          for line in order.lines]  # fmt: skip
            wanted = [(ref, units) for ref, units in open_units if units > 0]
            if half:
                budget = max(1, sum(units for _, units in wanted) // 2)
                taken: list[tuple[str, int]] = []
                for ref, units in wanted:
                    take = min(units, budget)
                    if take:
                        taken.append((ref, take))
                        budget -= take
                wanted = taken
            if not wanted:
                return
            parcels = [ParcelPlan(lines=wanted)]
            if len(wanted) > 1 and self.rng.random() < 0.3:  # two parcels: the lines split between them
                cut = len(wanted) // 2
                parcels = [ParcelPlan(lines=wanted[:cut]), ParcelPlan(lines=wanted[cut:])]
                self.counts.two_parcel_shipments += 1
            first = not order.shipment_ids
            self.sim.warehouse.despatch(order_id, parcels)
            self.counts.shipments += 1
            if first:
                self.counts.orders_despatched += 1

        return despatch

    # Returns

    def _returner(self, order_id: str, now: float) -> Callable[[], None]:
        def arrives() -> None:
            order = self.sim.state.orders[order_id]
            line = next(line for line in order.lines if line.qty_despatched > 0)
            ret = self.sim.warehouse.return_arrives(None, order.client_reference, [Arrived(line.sku, 1)])
            self.counts.returns_arrived += 1
            verdict = self.rng.choice(VERDICTS)
            self._at(now + self.rng.uniform(2, 8), f"inspect {ret.id}", self._inspector(ret.id, verdict))

        return arrives

    def _inspector(self, return_id: str, verdict: Verdict) -> Callable[[], None]:
        def inspect() -> None:
            self.sim.warehouse.inspect_return(return_id, {1: verdict})
            self.counts.returns_inspected += 1

        return inspect

    # Stock and inbound

    def _adjust(self) -> None:
        stocked = sorted(self._stocked)
        if not stocked:  # nothing on the shelves yet: try again shortly
            self._planned_again()
            return
        sku = self.rng.choice(stocked)
        reason = self.rng.choice(ADJUSTMENT_REASONS)
        spec = AdjustmentSpec(sku=sku, reason_code=reason, quantity=self.rng.randint(1, 3))  # type: ignore[arg-type]
        self.sim.warehouse.adjust(spec)
        self.counts.adjustments += 1

    def _planned_again(self) -> None:
        last = self._due[-1].at if self._due else 0.0
        self._at(last + 2, "adjustment", self._adjust)

    def _receiver(self, asn_id: str) -> Callable[[], None]:
        def receive() -> None:
            asn = self.sim.state.asns[asn_id]
            if asn.status in ("created", "awaiting_delivery"):
                self.sim.warehouse.arrive_asn(asn_id)
            plan = ReceiptPlan(
                lines=[Received(ref=line.line_ref, qty_received=line.qty_expected) for line in asn.lines],
                is_final=True,
            )
            self.sim.warehouse.receive_asn(asn_id, plan)
            self.counts.asns_received += 1

        return receive
