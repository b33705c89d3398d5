"""Keeps one client inside Business Central's per-principal limits: 5 concurrent, N requests per 5 minutes.

BC counts both limits per user or service principal (reference §6): a sixth concurrent request is
queued by BC, a request over the 5-minute budget is answered 429. The limiter holds requests back
here instead, so BC never has to. The budget is a `shared.ratelimit.RequestBudget` over
`WINDOW_SECONDS`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from shared.ratelimit import RequestBudget

WINDOW_SECONDS = 300.0


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
