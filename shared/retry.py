"""When to send again: jittered exponential backoff that never undercuts Retry-After, and when to stop.

One schedule serves three waiters, each with its own numbers: the BC client and the Scend adapter
pause inline for a few quick attempts, and leave a longer Retry-After to the trigger shell (the
request fails at once with `retry_after` set); the shell schedules a copy of the message instead of
waiting, so no Retry-After is too long for it (`max_wait_seconds=math.inf`).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime


@dataclass(frozen=True, slots=True)
class Backoff:
    attempts: int  # tries in all, the first included
    base_seconds: float  # the ceiling of the first pause; it doubles with each failed attempt
    max_seconds: float  # the ceiling stops growing here
    max_wait_seconds: float  # the longest Retry-After waited for; a longer one gives up at once

    def delay(self, attempt: int, retry_after: float | None, rng: random.Random) -> float:
        """The pause after try number `attempt` failed: uniform in [ceiling/2, ceiling], ≥ Retry-After.

        Half the ceiling at least, so every pause is a real backoff, while the jitter still spreads
        out callers that failed together.
        """
        ceiling = min(self.max_seconds, self.base_seconds * 2 ** (attempt - 1))
        return max(rng.uniform(ceiling / 2, ceiling), retry_after or 0.0)

    def gives_up(self, attempt: int, retry_after: float | None) -> bool:
        """No further try: the attempts are spent, or the other side asked for a longer pause than we wait."""
        return attempt >= self.attempts or (retry_after or 0.0) > self.max_wait_seconds


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date); None when absent or unreadable.

    A past date or a negative number is 0. A date without a zone is read as UTC.
    """
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if math.isfinite(seconds) else None
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
