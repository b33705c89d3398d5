"""The warehouse's seeded habits: how it splits waves and parcels, receives, inspects, loses stock.

Every decision draws from one `random.Random` seeded from the simulator's seed, in the order the
clock does the work, so the same seed and the same requests give the same warehouse.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

from local.scend_sim.adjustments import AdjustmentSpec
from local.scend_sim.config import WarehousePolicy
from local.scend_sim.despatch import ParcelPlan
from local.scend_sim.inbound import ReceiptPlan, Received
from local.scend_sim.models.inbound import Asn
from local.scend_sim.models.orders import Order
from local.scend_sim.models.returns import Condition, Disposition, Return
from local.scend_sim.returns import Verdict
from local.scend_sim.state import SimState

MAX_PARCELS = 50
_INSPECTIONS: Sequence[tuple[Condition, Disposition, int]] = (
    ("A_RESELLABLE", "RESTOCKED", 70),
    ("B_REFURB", "QUARANTINED", 10),
    ("DAMAGED", "DISPOSED", 10),
    ("FAULTY", "RETURN_TO_SUPPLIER", 5),
    ("WRONG_ITEM", "QUARANTINED", 5),
)


class Policies:
    def __init__(self, policy: WarehousePolicy, rng: random.Random) -> None:
        self.policy = policy
        self.rng = rng

    def wave(self, order: Order) -> dict[str, int]:
        """Units to pick now: every reserved unit, or (partial_despatch_rate, on an order's first
        wave only) the first half of them."""
        reserved = {line.line_ref: line.qty_allocated for line in order.lines if line.qty_allocated > 0}
        total = sum(reserved.values())
        if order.shipment_ids or total < 2 or self.rng.random() >= self.policy.partial_despatch_rate:
            return reserved
        return _split(reserved, [max(1, total // 2)])[0]

    def parcels(self, wave: dict[str, int]) -> list[ParcelPlan]:
        """One parcel per `max_units_per_parcel` units (at most 50 parcels), or (split_parcel_rate)
        at least two; units fill the parcels in line order."""
        total = sum(wave.values())
        count = max(1, min(MAX_PARCELS, math.ceil(total / max(1, self.policy.max_units_per_parcel))))
        if total >= 2 and self.rng.random() < self.policy.split_parcel_rate:
            count = max(count, 2)
        size, extra = divmod(total, count)
        sizes = [size + (1 if index < extra else 0) for index in range(count)]
        return [ParcelPlan(lines=list(content.items())) for content in _split(wave, sizes)]

    def receipt(self, state: SimState, asn: Asn) -> ReceiptPlan:
        """What turns up against the ASN: as advised, or short, over, damaged or with a stranger."""
        p = self.policy
        lines = []
        for line in asn.lines:
            still = max(0, line.qty_expected - line.qty_received)
            roll = self.rng.random()
            if roll < p.receipt_short_rate and still > 0:
                got = still - max(1, round(still * self.rng.uniform(0.05, 0.5)))
            elif roll < p.receipt_short_rate + p.receipt_over_rate:
                got = still + max(1, round(still * self.rng.uniform(0.05, 0.2)))
            else:
                got = still
            damaged = max(1, got // 10) if got and self.rng.random() < p.receipt_damaged_rate else 0
            lines.append(Received(ref=line.line_ref, qty_received=got, qty_damaged=damaged))
        unexpected = []
        if self.rng.random() < p.receipt_unexpected_rate:
            advised = {line.sku for line in asn.lines}
            others = sorted(
                sku for sku, product in state.products.items() if product.active and sku not in advised
            )
            if others:
                unexpected.append(Received(sku=self.rng.choice(others), qty_received=self.rng.randint(1, 5)))
        return ReceiptPlan(lines=lines, unexpected=unexpected, is_final=True)

    def inspection(self, ret: Return) -> dict[int, Verdict]:
        weights = [weight for _, _, weight in _INSPECTIONS]
        verdicts = {}
        for line in ret.lines:
            condition, disposition, _ = self.rng.choices(_INSPECTIONS, weights)[0]
            verdicts[line.line_no] = Verdict(condition, disposition)
        return verdicts

    def stock_event(self, state: SimState) -> AdjustmentSpec | None:
        """An hour in the warehouse: with stock_events_per_day / 24, something is damaged, written
        off, found or lost."""
        if self.rng.random() >= self.policy.stock_events_per_day / 24:
            return None
        skus = sorted(sku for sku in state.products if state.ledger.level(sku).on_hand > 0)
        if not skus:
            return None
        sku = self.rng.choice(skus)
        level = state.ledger.level(sku)
        choices: list[AdjustmentSpec] = [
            AdjustmentSpec(sku=sku, reason_code="FOUND", quantity=self.rng.randint(1, 3), user="sim")
        ]
        if level.available > 0:
            choices.append(
                AdjustmentSpec(sku=sku, reason_code="DAMAGED_IN_WAREHOUSE", quantity=1, user="sim")
            )
            choices.append(AdjustmentSpec(sku=sku, reason_code="LOST", quantity=1, user="sim"))
        if level.damaged > 0:
            choices.append(
                AdjustmentSpec(sku=sku, reason_code="WRITE_OFF", quantity=level.damaged, user="sim")
            )
        return self.rng.choice(choices)


def _split(quantities: dict[str, int], sizes: Sequence[int]) -> list[dict[str, int]]:
    """Fill containers of the given sizes with the units, line by line, in order."""
    remaining = list(quantities.items())
    containers: list[dict[str, int]] = []
    for size in sizes:
        content: dict[str, int] = {}
        while size > 0 and remaining:
            ref, left = remaining[0]
            take = min(size, left)
            content[ref] = content.get(ref, 0) + take
            size -= take
            if take == left:
                remaining.pop(0)
            else:
                remaining[0] = (ref, left - take)
        containers.append(content)
    return containers
