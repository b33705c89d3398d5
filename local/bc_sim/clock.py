"""The simulator's clock: wall time plus an offset tests and `/_sim/clock` can advance, or frozen."""

from __future__ import annotations

import datetime as dt

MAX_ADVANCE = dt.timedelta(days=3650)


class SimClock:
    """Every simulated time (token expiry, rate window, webhook delay, lastModifiedDateTime) reads this.

    `advance` moves simulated time forward without waiting; `frozen_at` pins it (deterministic tests).
    """

    def __init__(self, frozen_at: dt.datetime | None = None) -> None:
        if frozen_at is not None and frozen_at.tzinfo is None:
            raise ValueError("frozen_at must be timezone-aware")
        self._frozen = frozen_at
        self._offset = dt.timedelta()

    def now(self) -> dt.datetime:
        base = self._frozen if self._frozen is not None else dt.datetime.now(dt.UTC)
        return base + self._offset

    def timestamp(self) -> float:
        return self.now().timestamp()

    def advance(self, seconds: float) -> dt.datetime:
        step = dt.timedelta(seconds=seconds)
        if step < dt.timedelta() or self._offset + step > MAX_ADVANCE:
            raise ValueError(f"the clock moves forward only, by at most {MAX_ADVANCE.days} days in total")
        self._offset += step
        return self.now()

    def today(self) -> str:
        return self.now().date().isoformat()


def wire_datetime(moment: dt.datetime) -> str:
    """BC's wire form: UTC, milliseconds, `Z` (e.g. 2026-08-01T10:22:13.347Z)."""
    utc = moment.astimezone(dt.UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"
