"""Client-side request budgets: at most N requests in any sliding window, and a pause when told to wait.

Both sides limit us per principal or key (BC: N per 5 minutes; Scend: N per minute). The budget
holds requests back here so the other side never has to answer 429. It sits behind
`RequestBudget`, so a budget shared by every instance of the Function App (Table Storage) can
replace the in-process one.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Protocol

from shared.errors import RateLimited

Sleep = Callable[[float], Awaitable[None]]
Monotonic = Callable[[], float]


class RequestBudget(Protocol):
    async def take(self) -> None:
        """Wait until one more request fits the budget and count it; raise `RateLimited` rather than
        wait longer than the budget allows."""
        ...


class SlidingWindowBudget:
    """At most `limit` requests in any `window` seconds, counted when each request is let through.

    A sliding log rather than a token bucket: a contract that says "120 req/min" rarely says how
    the minute is counted, and no window of ours holding more than the limit is safe whether the
    other side counts a fixed or a sliding one. Waiters queue in order behind one lock, so a burst
    drains at the budget's pace instead of waking every waiter at once. A wait longer than
    `max_wait` raises `RateLimited` with the wait as `retry_after`: a function run should not sleep
    for minutes. Per process: several instances share the other side's budget, so give each the
    limit divided by the instances expected, or a shared `RequestBudget`.
    """

    def __init__(
        self,
        limit: int,
        window: float,
        *,
        max_wait: float = 30.0,
        name: str = "request budget",
        clock: Monotonic = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if limit < 1:
            raise ValueError("a request budget needs a limit of at least 1")
        self.limit = limit
        self.window = window
        self.max_wait = max_wait
        self.name = name
        self._clock = clock
        self._sleep = sleep
        self._sent: deque[float] = deque()
        self._paused_until = 0.0
        self._lock = asyncio.Lock()

    async def take(self) -> None:
        async with self._lock:
            while True:
                now = self._clock()
                wait = self._wait_needed(now)
                if wait <= 0:
                    self._sent.append(now)
                    return
                if wait > self.max_wait:
                    raise RateLimited(self._why(now, wait), retry_after=wait)
                await self._sleep(wait)

    def pause(self, seconds: float) -> None:
        """The other side said Retry-After: hold every request through this budget for that long."""
        self._paused_until = max(self._paused_until, self._clock() + seconds)

    def _why(self, now: float, wait: float) -> str:
        if self._paused_until - now >= wait:
            return f"{self.name} paused for {wait:.0f} s: the other side said Retry-After"
        return f"{self.name} of {self.limit} per {self.window:.0f} s is spent"

    def _wait_needed(self, now: float) -> float:
        while self._sent and self._sent[0] <= now - self.window:
            self._sent.popleft()
        wait = self._paused_until - now
        if len(self._sent) >= self.limit:
            wait = max(wait, self._sent[0] + self.window - now)
        return wait
