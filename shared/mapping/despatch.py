"""A Scend shipment in BC's terms: despatched units per order line, and what to say about tracking.

A shipment is parcels of lines; one order line may be split over several parcels, so units are
summed per `line_ref` (the BC line's Line No., as `map_order` sent it). Nothing here talks to BC:
the flow compares these totals with the order's outstanding quantities.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from shared.errors import InvalidMessage
from shared.mapping.lookups import Lookups
from shared.scend.models import Shipment

TRACKING_NUMBER_MAX = 50  # BC Package Tracking No.: Text[50]


def despatched_units(shipment: Shipment) -> dict[int, int]:
    """Units per BC Line No. over every parcel; a line_ref we never sent is refused as invalid."""
    units: Counter[int] = Counter()
    for parcel in shipment.parcels:
        for line in parcel.lines:
            if not line.line_ref.isdigit() or line.quantity <= 0:
                raise InvalidMessage(
                    f"shipment {shipment.id}: parcel {parcel.parcel_id} has a line that is not one of ours"
                    f" (line_ref {line.line_ref[:20]!r}, quantity {line.quantity})"
                )
            units[int(line.line_ref)] += line.quantity
    if not units:
        raise InvalidMessage(f"shipment {shipment.id} has no despatched units")
    return dict(units)


@dataclass(frozen=True, slots=True)
class Tracking:
    """What BC and the timeline keep about one shipment's parcels."""

    carrier: str
    service: str | None
    shipping_agent: str | None  # BC codes, None when the lookup table has no entry for the carrier
    shipping_agent_service: str | None
    parcels: tuple[dict[str, Any], ...]

    @property
    def first_tracking_number(self) -> str | None:
        """BC's shipment holds one Package Tracking No.: the first parcel's (all are on the timeline)."""
        for parcel in self.parcels:
            if parcel.get("tracking_number"):
                return str(parcel["tracking_number"])[:TRACKING_NUMBER_MAX]
        return None

    @property
    def has_tracking(self) -> bool:
        return any(parcel.get("tracking_number") for parcel in self.parcels)


def tracking_of(shipment: Shipment, lookups: Lookups) -> Tracking:
    agent = lookups.shipping_agent(shipment.carrier, shipment.service)
    parcels = tuple(
        {
            "parcel_id": p.parcel_id,
            "tracking_number": p.tracking_number,
            "tracking_url": p.tracking_url,
            "weight_kg": p.weight_kg,
            "lines": {line.line_ref: line.quantity for line in p.lines},
        }
        for p in shipment.parcels
    )
    return Tracking(
        carrier=shipment.carrier,
        service=shipment.service,
        shipping_agent=agent[0] if agent else None,
        shipping_agent_service=agent[1] if agent else None,
        parcels=parcels,
    )
