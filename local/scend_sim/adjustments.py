"""Stock adjustments: reason codes with their usual from/to states, cycle counts, and set-stock.

States are the contract's `available`, `quarantine`, `damaged`, `disposed`, and None for outside
the warehouse's books (found stock comes from None, lost stock goes to None). `quantity_delta` is
the change to on_hand: negative when units leave (None or disposed), positive when they are found,
0 for a move between states.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from local.scend_sim.models.stock import Adjustment, MovementState, ReasonCode, StockChange, StockState
from local.scend_sim.problems import Problem, field_error
from local.scend_sim.state import SimState
from local.scend_sim.stock import Move, insufficient

States = tuple[StockState | None, StockState | None]

USUAL_STATES: Mapping[ReasonCode, States] = {
    "DAMAGED_IN_WAREHOUSE": ("available", "damaged"),
    "DAMAGED_INBOUND": ("available", "damaged"),
    "WRITE_OFF": ("damaged", "disposed"),
    "EXPIRED": ("available", "disposed"),
    "CYCLE_COUNT_GAIN": (None, "available"),
    "CYCLE_COUNT_LOSS": ("available", None),
    "FOUND": (None, "available"),
    "LOST": ("available", None),
    "QC_HOLD": ("available", "quarantine"),
    "QC_RELEASE": ("quarantine", "available"),
}


@dataclass(frozen=True, slots=True, kw_only=True)
class AdjustmentSpec:
    """One adjustment; `states` None takes the reason's usual (from, to) (OTHER has none)."""

    sku: str
    reason_code: ReasonCode
    quantity: int
    states: States | None = None
    reason_text: str | None = None
    count_ref: str | None = None
    source_ref: str | None = None
    batch: str | None = None
    user: str | None = None


@dataclass(slots=True)
class Adjusted:
    adjustment: Adjustment | None
    changes: list[StockChange] = field(default_factory=list)


def adjust(state: SimState, spec: AdjustmentSpec) -> Adjusted:
    if spec.sku not in state.products:
        raise Problem(
            422,
            "SKU_NOT_FOUND",
            f"{spec.sku!r} is unknown",
            errors=[field_error("sku", "SKU_NOT_FOUND", spec.sku)],
        )
    states = spec.states or USUAL_STATES.get(spec.reason_code)
    if states is None:
        raise Problem(
            422,
            "VALIDATION_FAILED",
            f"{spec.reason_code} needs from_state and to_state",
            errors=[field_error("from_state", "REQUIRED", "give both states")],
        )
    source, target = states
    if source == target or source == "disposed" or (source is None and target is None):
        raise Problem(
            422,
            "VALIDATION_FAILED",
            f"cannot move stock from {source} to {target}",
            errors=[
                field_error("to_state", "INVALID_MOVE", "from and to must differ; nothing leaves disposed")
            ],
        )
    move = Move(spec.sku, spec.quantity, source, target)
    adjustment_id = state.ids.new("adj")
    now = state.now()
    changes = state.ledger.apply([move], "adjustment", adjustment_id, "adjustment", now)
    adjustment = Adjustment(
        id=adjustment_id,
        sku=spec.sku,
        quantity=spec.quantity,
        quantity_delta=move.delta,
        from_state=source,
        to_state=target,
        reason_code=spec.reason_code,
        reason_text=spec.reason_text,
        count_ref=spec.count_ref,
        source_ref=spec.source_ref,
        batch=spec.batch,
        occurred_at=now,
        user=spec.user,
    )
    state.adjustments[adjustment.id] = adjustment
    state.feeds.adjustments.append(adjustment)
    if state.events.wants("stock.adjusted"):
        state.events.publish("stock.adjusted", adjustment, f"/v1/stock-adjustments/{adjustment.id}")
    return Adjusted(adjustment, changes)


def count(state: SimState, sku: str, counted: int, count_ref: str | None, user: str | None) -> Adjusted:
    """A cycle count of the good stock on the shelf (available + allocated): the difference is a
    CYCLE_COUNT_GAIN or _LOSS. Reserved units cannot be counted away (409 INSUFFICIENT_STOCK)."""
    level = state.ledger.level(sku)
    difference = counted - (level.available + level.allocated)
    if difference == 0:
        return Adjusted(None)
    if -difference > level.available:
        raise insufficient(sku, f"a count of {counted} would lose units reserved for orders")
    reason: ReasonCode = "CYCLE_COUNT_GAIN" if difference > 0 else "CYCLE_COUNT_LOSS"
    spec = AdjustmentSpec(
        sku=sku, reason_code=reason, quantity=abs(difference), count_ref=count_ref, user=user
    )
    return adjust(state, spec)


def set_stock(state: SimState, sku: str, available: int, quarantined: int, damaged: int) -> list[StockChange]:
    """Make the free, quarantined and damaged units what is given, as a transfer from or to another
    site (movement_type `transfer`, no adjustment record): how a test or the demo stocks the shelves."""
    level = state.ledger.level(sku)
    targets: tuple[tuple[MovementState, int, int], ...] = (
        ("available", level.available, available),
        ("quarantine", level.quarantined, quarantined),
        ("damaged", level.damaged, damaged),
    )
    moves = []
    for bucket, now_has, wanted in targets:
        if wanted > now_has:
            moves.append(Move(sku, wanted - now_has, None, bucket))
        elif wanted < now_has:
            moves.append(Move(sku, now_has - wanted, bucket, None))
    if not moves:
        return []
    return state.ledger.apply(moves, "transfer", state.ids.new("trf"), "transfer", state.now())
