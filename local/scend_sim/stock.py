"""The stock ledger: levels per SKU, and every movement applied whole and written to the change feed.

on_hand = available + allocated + quarantined + damaged, and none of them is ever negative. A
movement is a list of `Move`s (units of one SKU from one state to another, None = outside the
warehouse); either all of it applies or none does, so a refused despatch leaves no half-moved stock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from local.scend_sim.feeds import Feed
from local.scend_sim.models.stock import MovementState, MovementType, RefType, StockChange, StockLevel
from local.scend_sim.problems import Problem

_BUCKETS: dict[str, str] = {"allocated": "allocated", "quarantine": "quarantined", "damaged": "damaged"}
_INSIDE = frozenset({"available", "allocated", "quarantine", "damaged"})


@dataclass(slots=True)
class Level:
    on_hand: int = 0
    allocated: int = 0
    quarantined: int = 0
    damaged: int = 0
    last_seq: int = 0

    @property
    def available(self) -> int:
        return self.on_hand - self.allocated - self.quarantined - self.damaged

    def valid(self) -> bool:
        return min(self.on_hand, self.allocated, self.quarantined, self.damaged, self.available) >= 0

    def snapshot(self, sku: str, as_of: datetime) -> StockLevel:
        return StockLevel(
            sku=sku,
            on_hand=self.on_hand,
            allocated=self.allocated,
            available=self.available,
            quarantined=self.quarantined,
            damaged=self.damaged,
            as_of=as_of,
            last_seq=self.last_seq,
        )


@dataclass(frozen=True, slots=True)
class Move:
    sku: str
    quantity: int
    from_state: MovementState | None
    to_state: MovementState | None

    @property
    def delta(self) -> int:
        """The change to on_hand: in from outside, out to outside or disposal, else nothing."""
        entering = self.from_state is None
        leaving = self.to_state is None or self.to_state == "disposed"
        return self.quantity * (int(entering) - int(leaving))


def insufficient(sku: str, detail: str) -> Problem:
    return Problem(409, "INSUFFICIENT_STOCK", f"{sku}: {detail}")


class StockLedger:
    def __init__(self, feed: Feed[StockChange]) -> None:
        self.levels: dict[str, Level] = {}
        self.feed = feed

    def level(self, sku: str) -> Level:
        return self.levels.get(sku) or Level()

    def apply(
        self,
        moves: Sequence[Move],
        movement_type: MovementType,
        ref: str,
        ref_type: RefType,
        at: datetime,
    ) -> list[StockChange]:
        """Apply every move or none (409 INSUFFICIENT_STOCK); one feed record per move."""
        after = self._after(moves)
        changes: list[StockChange] = []
        running = {sku: replace(self.level(sku)) for sku in after}
        for move in moves:
            level = running[move.sku]
            _shift(level, move)
            seq = len(self.feed) + 1
            level.last_seq = seq
            change = StockChange(
                seq=seq,
                sku=move.sku,
                delta=move.delta,
                quantity=move.quantity,
                from_state=move.from_state,
                to_state=move.to_state,
                on_hand_after=level.on_hand,
                allocated_after=level.allocated,
                available_after=level.available,
                quarantined_after=level.quarantined,
                damaged_after=level.damaged,
                movement_type=movement_type,
                ref=ref,
                ref_type=ref_type,
                occurred_at=at,
            )
            self.feed.append(change)
            changes.append(change)
        for sku, level in running.items():
            self.levels[sku] = level
        return changes

    def _after(self, moves: Sequence[Move]) -> dict[str, Level]:
        trial: dict[str, Level] = {}
        for move in moves:
            if move.quantity <= 0 or move.from_state == "disposed" or move.from_state == move.to_state:
                raise ValueError(f"not a movement: {move}")
            level = trial.setdefault(move.sku, replace(self.level(move.sku)))
            _shift(level, move)
            if not level.valid():
                source = move.from_state or "outside"
                raise insufficient(move.sku, f"not {move.quantity} more units {source} to move")
        return trial


def _shift(level: Level, move: Move) -> None:
    if move.from_state in _INSIDE:
        level.on_hand -= move.quantity
        bucket = _BUCKETS.get(move.from_state or "")
        if bucket:
            setattr(level, bucket, getattr(level, bucket) - move.quantity)
    if move.to_state in _INSIDE:
        level.on_hand += move.quantity
        bucket = _BUCKETS.get(move.to_state or "")
        if bucket:
            setattr(level, bucket, getattr(level, bucket) + move.quantity)
