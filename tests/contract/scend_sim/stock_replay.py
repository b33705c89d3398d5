"""An independent reading of the stock change feed: rebuild every SKU's levels from its records."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

_BUCKET = {"allocated": "allocated", "quarantine": "quarantined", "damaged": "damaged"}
_INSIDE = {"available", "allocated", "quarantine", "damaged"}


@dataclass
class Levels:
    on_hand: int = 0
    allocated: int = 0
    quarantined: int = 0
    damaged: int = 0

    @property
    def available(self) -> int:
        return self.on_hand - self.allocated - self.quarantined - self.damaged


def replay(changes: Iterable[Mapping[str, Any]]) -> dict[str, Levels]:
    """Apply each record's move to its SKU; every record's `*_after` and `delta` must agree."""
    levels: dict[str, Levels] = {}
    for expected_seq, change in enumerate(changes, start=1):
        assert change["seq"] == expected_seq, "seq is contiguous from 1"
        level = levels.setdefault(change["sku"], Levels())
        before = level.on_hand
        quantity, source, target = change["quantity"], change["from_state"], change["to_state"]
        assert quantity > 0
        if source in _INSIDE:
            level.on_hand -= quantity
            if source in _BUCKET:
                setattr(level, _BUCKET[source], getattr(level, _BUCKET[source]) - quantity)
        if target in _INSIDE:
            level.on_hand += quantity
            if target in _BUCKET:
                setattr(level, _BUCKET[target], getattr(level, _BUCKET[target]) + quantity)
        assert change["delta"] == level.on_hand - before
        after = (level.on_hand, level.allocated, level.available, level.quarantined, level.damaged)
        reported = tuple(
            change[f"{name}_after"]
            for name in ("on_hand", "allocated", "available", "quarantined", "damaged")
        )
        assert after == reported, f"record {change['seq']} disagrees with the replay"
        assert min(after) >= 0, f"record {change['seq']} leaves negative stock"
    return levels


def assert_snapshot_matches(
    snapshot: Iterable[Mapping[str, Any]], changes: Iterable[Mapping[str, Any]]
) -> None:
    """Every SKU of the snapshot equals the replay of the feed, and adds up."""
    replayed = replay(changes)
    for row in snapshot:
        level = replayed.get(row["sku"], Levels())
        assert row["on_hand"] == row["available"] + row["allocated"] + row["quarantined"] + row["damaged"]
        assert (row["on_hand"], row["allocated"], row["available"], row["quarantined"], row["damaged"]) == (
            level.on_hand,
            level.allocated,
            level.available,
            level.quarantined,
            level.damaged,
        ), row["sku"]
