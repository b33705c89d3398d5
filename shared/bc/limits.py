"""Keeps one client inside Business Central's per-principal limits: 5 concurrent, N requests per 5 minutes.

BC counts both limits per user or service principal (reference §6): a sixth concurrent request is
queued by BC, a request over the 5-minute budget is answered 429. The limiter holds requests back
here instead, so BC never has to. The budget sits behind `RequestBudget`, so a budget shared by
every instance of the Function App (Table Storage) can replace the in-process one.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Protocol

from shared.errors import RateLimited

WINDOW_SECONDS = 300.0


class RequestBudget(Protocol):
    async def take(self) -> None:
        """Wait until one more request fits the budget and count it; raise `RateLimited` rather than
        wait longer than the budget allows."""
        ...


class SlidingWindowBudget:
    """At most `limit` requests in any `window` seconds, counted when each request is let through.

    Waiters queue in order behind one lock, so a burst drains at the budget's pace instead of
    waking every waiter at once. A wait longer than `max_wait` raises `RateLimited` with the wait
    as `retry_after`: a function run should not sleep for minutes.
    """

    def __init__(
        self,
        limit: int,
        window: float = WINDOW_SECONDS,
        *,
        max_wait: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if limit < 1:
            raise ValueError("a request budget needs a limit of at least 1")
        self.limit = limit
        self.window = window
        self.max_wait = max_wait
        self._clock = clock
        self._sleep = sleep
        self._sent: deque[float] = deque()
        self._lock = asyncio.Lock()

    async def take(self) -> None:
        async with self._lock:
            while True:
                now = self._clock()
                while self._sent and self._sent[0] <= now - self.window:
                    self._sent.popleft()
                if len(self._sent) < self.limit:
                    self._sent.append(now)
                    return
                wait = self._sent[0] + self.window - now
                if wait > self.max_wait:
                    raise RateLimited(
                        f"BC request budget of {self.limit} per {self.window:.0f} s is spent",
                        retry_after=wait,
                    )
                await self._sleep(wait)


class Limiter:
    """A slot for one request: one of `max_concurrent`, then one request of the budget."""

    def __init__(self, max_concurrent: int, budget: RequestBudget) -> None:
        self._slots = asyncio.Semaphore(max_concurrent)
        self.budget = budget
        self.in_flight = 0
        self.peak_in_flight = 0

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        # Concurrency first, budget second: a request is counted when it is about to be sent, so a
        # request that waited for a slot cannot fall out of the window before BC saw it.
        async with self._slots:
            await self.budget.take()
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
            try:
                yield
            finally:
                self.in_flight -= 1
