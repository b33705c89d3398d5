"""The simulator's settings: API key, seed, limits, service codes and the warehouse's policy."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType

DEFAULT_API_KEY = "sk_sim_scend_local"


@dataclass(frozen=True, slots=True)
class Service:
    """What a `service_code` on an order means: the carrier and its service."""

    carrier: str
    service: str


DEFAULT_SERVICE_CODES: Mapping[str, Service] = MappingProxyType(
    {
        "RM_TRACKED_24": Service("royal_mail", "tracked_24"),
        "RM_TRACKED_48": Service("royal_mail", "tracked_48"),
        "DPD_NEXT_DAY": Service("dpd", "next_day"),
        "EVRI_STANDARD": Service("evri", "standard"),
        "DHL_PARCEL_UK_NEXT_DAY": Service("dhl_parcel_uk", "next_day"),
    }
)

DEFAULT_COUNTRIES = frozenset({"GB", "IE", "FR", "DE", "NL", "BE", "ES", "IT", "DK", "SE"})


@dataclass(frozen=True, slots=True)
class WarehousePolicy:
    """How the warehouse clock works: durations in simulated minutes, rates seeded and in [0, 1].

    `None` for a duration switches that automatic step off (the control surface still does it).
    """

    pick_after_minutes: int = 15
    pick_minutes: int = 10
    pack_minutes: int = 5
    partial_despatch_rate: float = 0.0
    split_parcel_rate: float = 0.0
    max_units_per_parcel: int = 20
    asn_confirm_minutes: int | None = 5
    asn_receive_minutes: int | None = 60
    receipt_short_rate: float = 0.0
    receipt_over_rate: float = 0.0
    receipt_damaged_rate: float = 0.0
    receipt_unexpected_rate: float = 0.0
    return_receive_minutes: int | None = None
    return_inspect_minutes: int | None = 60
    return_complete_minutes: int | None = 60
    stock_events_per_day: float = 0.0


@dataclass(frozen=True, slots=True)
class RealTime:
    """Real time as the simulator sees it; tests replace these to avoid real waits."""

    monotonic: Callable[[], float] = time.monotonic
    wall: Callable[[], float] = time.time
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep


def _now_to_the_second() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


@dataclass(frozen=True, slots=True)
class ScendSimConfig:
    """Everything the simulator can be told at start; the control surface changes the rest live.

    `start_at` is the warehouse clock's first reading (default: now). `rate_limit_per_minute=None`
    switches the limiter off. Webhook retries wait `webhook_backoff_seconds[n]` after attempt n + 1
    fails; after the last, the delivery is given up and the subscription disabled.
    """

    api_key: str = DEFAULT_API_KEY
    seed: int = 0
    start_at: datetime = field(default_factory=_now_to_the_second)
    rate_limit_per_minute: int | None = 120
    service_codes: Mapping[str, Service] = DEFAULT_SERVICE_CODES
    countries: frozenset[str] = DEFAULT_COUNTRIES
    require_idempotency_key: bool = True
    policy: WarehousePolicy = field(default_factory=WarehousePolicy)
    realtime: bool = False
    realtime_speed: float = 1.0
    realtime_tick_seconds: float = 0.5
    webhook_auto_deliver: bool = True
    webhook_backoff_seconds: tuple[float, ...] = (1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0)
    webhook_timeout_seconds: float = 5.0
    max_page_size: int = 500
    time: RealTime = field(default_factory=RealTime)
