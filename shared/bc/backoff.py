"""How long the client waits before sending a request again: jittered exponential, never before Retry-After.

The client only waits for short pauses. A Retry-After longer than `max_wait_seconds` is not slept
through inside a function run: the request fails at once with `retry_after` set, and the trigger
shell schedules the message for later (design §5).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime


@dataclass(frozen=True, slots=True)
class Backoff:
    attempts: int = 4  # sends in all, the first included
    base_seconds: float = 0.5
    max_seconds: float = 8.0
    max_wait_seconds: float = 30.0

    def delay(self, attempt: int, retry_after: float | None, rng: random.Random) -> float:
        """The pause after send number `attempt` failed: uniform in [ceiling/2, ceiling], ≥ Retry-After."""
        ceiling = min(self.max_seconds, self.base_seconds * 2 ** (attempt - 1))
        return max(rng.uniform(ceiling / 2, ceiling), retry_after or 0.0)

    def gives_up(self, attempt: int, retry_after: float | None) -> bool:
        """No further send: the attempts are spent, or BC asked for a longer pause than we wait inline."""
        return attempt >= self.attempts or (retry_after or 0.0) > self.max_wait_seconds


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date); None when absent or unreadable."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
