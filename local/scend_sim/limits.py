"""The request limit per API key (contract §3.4): 120 a minute by default, 429 with Retry-After.

A fixed window per key that opens with the key's first request and lasts 60 s; every answer to an
authenticated request carries X-RateLimit-Limit and X-RateLimit-Remaining.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

WINDOW_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class Quota:
    allowed: bool
    limit: int
    remaining: int
    retry_after: int

    def headers(self) -> dict[str, str]:
        return {"X-RateLimit-Limit": str(self.limit), "X-RateLimit-Remaining": str(self.remaining)}


class RateLimiter:
    def __init__(self, per_minute: int | None, monotonic: Callable[[], float]) -> None:
        self.per_minute = per_minute
        self._monotonic = monotonic
        self._windows: dict[str, tuple[float, int]] = {}

    def take(self, key: str) -> Quota | None:
        """Count one request for `key`; None when there is no limit."""
        if self.per_minute is None:
            return None
        now = self._monotonic()
        start, used = self._windows.get(key, (now, 0))
        if now - start >= WINDOW_SECONDS:
            start, used = now, 0
        if used >= self.per_minute:
            self._windows[key] = (start, used)
            wait = max(1, math.ceil(start + WINDOW_SECONDS - now))
            return Quota(False, self.per_minute, 0, wait)
        used += 1
        self._windows[key] = (start, used)
        return Quota(True, self.per_minute, self.per_minute - used, 0)

    def reset(self, per_minute: int | None = None) -> None:
        self._windows.clear()
        self.per_minute = per_minute
