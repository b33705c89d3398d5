"""A Scend stock adjustment as item journal lines: signed quantities at BC locations.

Scend moves `quantity` units of a SKU from one stock state to another (`from_state` → `to_state`;
none = outside the warehouse: found, lost, disposed). BC holds the warehouse's stock at locations,
placed per state by the lookup table's `stock_locations` (by default all at `SCEND`). So a move
becomes −quantity at the `from` state's location and +quantity at the `to` state's, summed per
location: a move inside one location (damaged in the warehouse, a QC hold, with the default table)
changes nothing in BC, and a write-off or a loss is one negative line.

An adjustment without states (a platform that only reports the on-hand change) is its
`quantity_delta` at the available stock's location.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from shared.errors import PermanentError
from shared.mapping.lookups import Lookups
from shared.scend.models import StockAdjustment

MAPPING_MISSING = "MAPPING_MISSING"
IN_WAREHOUSE = ("available", "quarantine", "damaged")


@dataclass(frozen=True, slots=True)
class JournalLine:
    location_code: str
    quantity: int  # signed: positive = Positive Adjmt., negative = Negative Adjmt.

    @property
    def entry_type(self) -> str:
        return "Positive Adjmt." if self.quantity > 0 else "Negative Adjmt."


def journal_lines(adjustment: StockAdjustment, lookups: Lookups) -> list[JournalLine]:
    """The item journal lines for one adjustment (possibly none: a move BC does not see)."""
    net: dict[str, int] = defaultdict(int)
    if adjustment.from_state is None and adjustment.to_state is None:
        if adjustment.quantity_delta:
            net[_location(lookups, "available", adjustment)] += adjustment.quantity_delta
    else:
        units = adjustment.quantity if adjustment.quantity is not None else abs(adjustment.quantity_delta)
        source = _place(lookups, adjustment.from_state, adjustment)
        target = _place(lookups, adjustment.to_state, adjustment)
        if source is not None:
            net[source] -= units
        if target is not None:
            net[target] += units
    return [JournalLine(location, quantity) for location, quantity in sorted(net.items()) if quantity]


def describe(adjustment: StockAdjustment, lines: list[JournalLine], reason_code: str | None) -> str:
    """The journal to post, in words a finance person can key in (standard mode's proposal)."""
    what = "; ".join(
        f"{line.entry_type} {abs(line.quantity)} x item {adjustment.sku} at location {line.location_code}"
        for line in lines
    )
    reason = f", Reason Code {reason_code}" if reason_code else ""
    count = f", count {adjustment.count_ref}" if adjustment.count_ref else ""
    return (
        f"Scend adjustment {adjustment.id} ({adjustment.reason_code}{count}) on "
        f"{adjustment.occurred_at:%Y-%m-%d}: post an item journal: {what}{reason}, External Document No. "
        f"{adjustment.id}"
    )


def _place(lookups: Lookups, state: str | None, adjustment: StockAdjustment) -> str | None:
    """The location of stock in `state`; None outside the warehouse (disposed, found, lost)."""
    return _location(lookups, state, adjustment) if state in IN_WAREHOUSE else None


def _location(lookups: Lookups, state: str, adjustment: StockAdjustment) -> str:
    location = lookups.stock_location(state)
    if location is None:
        raise PermanentError(
            MAPPING_MISSING,
            f"Scend adjustment {adjustment.id} moves {state} stock, and stock_locations in the lookup table"
            f" has no BC location for {state!r}: add it",
            business_key=adjustment.id,
        )
    return location
