"""The client-side request budget for Scend: SCEND_REQUESTS_PER_MINUTE, and Scend's own Retry-After."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable

Sleep = Callable[[float], Awaitable[None]]
Monotonic = Callable[[], float]


class RequestLimiter:
    """At most `per_minute` requests in any 60 s window, and none while Scend asked us to wait.

    A sliding log rather than a token bucket: the contract (§3.4) says "120 req/min per key"
    without saying how the minute is counted, and no 60 s window of ours holding more than the
    limit is safe whether Scend counts a fixed or a sliding window. One limiter per adapter,
    shared by every concurrent call through it; waiters are served in arrival order. Per process:
    several Function instances share Scend's budget, so set the setting to Scend's limit divided
    by the instances expected.
    """

    def __init__(
        self,
        per_minute: int,
        *,
        window_seconds: float = 60.0,
        monotonic: Monotonic = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if per_minute < 1:
            raise ValueError("per_minute must be at least 1")
        self.per_minute = per_minute
        self._window = window_seconds
        self._monotonic = monotonic
        self._sleep = sleep
        self._sent: deque[float] = deque()
        self._paused_until = 0.0
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        """Wait until one more request fits, then count it."""
        async with self._lock:
            while True:
                wait = self._wait_needed(self._monotonic())
                if wait <= 0:
                    self._sent.append(self._monotonic())
                    return
                await self._sleep(wait)

    def pause(self, seconds: float) -> None:
        """Scend said Retry-After: hold every request through this adapter for that long."""
        self._paused_until = max(self._paused_until, self._monotonic() + seconds)

    def _wait_needed(self, now: float) -> float:
        while self._sent and self._sent[0] <= now - self._window:
            self._sent.popleft()
        wait = self._paused_until - now
        if len(self._sent) >= self.per_minute:
            wait = max(wait, self._sent[0] + self._window - now)
        return wait
