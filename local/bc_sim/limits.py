"""BC online's per-principal limits (reference §6): a request budget over a sliding window, and a
few concurrent requests with a bounded queue behind them.

Over budget or with the queue full the request gets 429 with Retry-After; a request that waits in the
queue longer than the queue timeout gets 503. The window follows the simulator's clock, so advancing
it frees the budget.
"""

from __future__ import annotations

import asyncio
import math
from collections import deque
from dataclasses import dataclass, field

from local.bc_sim.config import BcSimConfig
from local.bc_sim.errors import BcError

TOO_MANY = "Application_TooManyRequests"


@dataclass
class PrincipalLoad:
    window: deque[float] = field(default_factory=deque)
    active: int = 0
    queue: deque[asyncio.Future[None]] = field(default_factory=deque)
    peak_active: int = 0
    peak_queued: int = 0


class Limits:
    def __init__(self, config: BcSimConfig) -> None:
        self.config = config
        self.clock = config.clock
        self.load: dict[str, PrincipalLoad] = {}

    def reset(self) -> None:
        self.load.clear()

    async def acquire(self, principal: str) -> None:
        """Count the request against the budget, then take a concurrency slot (waiting in the queue)."""
        load = self.load.setdefault(principal, PrincipalLoad())
        self._spend(load)
        if load.active < self.config.max_concurrent:
            load.active += 1
            load.peak_active = max(load.peak_active, load.active)
            return
        if len(load.queue) >= self.config.max_queued:
            raise BcError(
                429,
                TOO_MANY,
                f"The request was rejected: {self.config.max_concurrent} requests are running and"
                f" {self.config.max_queued} are queued for this user.",
                {"Retry-After": "1"},
            )
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        load.queue.append(waiter)
        load.peak_queued = max(load.peak_queued, len(load.queue))
        try:
            await asyncio.wait_for(asyncio.shield(waiter), self.config.queue_timeout_seconds)
        except TimeoutError:
            self._leave_queue(principal, load, waiter)
            raise BcError(
                503,
                "Application_ServiceUnavailable",
                "The request waited too long in the queue for this user and was cancelled.",
                {"Retry-After": "5"},
            ) from None
        except asyncio.CancelledError:
            self._leave_queue(principal, load, waiter)
            raise

    def release(self, principal: str) -> None:
        """Hand the slot to the next queued request, or free it."""
        load = self.load.get(principal)
        if load is None:  # reset while the request ran
            return
        while load.queue:
            waiter = load.queue.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
        load.active -= 1

    def _leave_queue(self, principal: str, load: PrincipalLoad, waiter: asyncio.Future[None]) -> None:
        if waiter in load.queue:
            load.queue.remove(waiter)
            waiter.cancel()
        elif waiter.done() and not waiter.cancelled():
            self.release(principal)  # the slot arrived as we gave up: pass it on

    def _spend(self, load: PrincipalLoad) -> None:
        now = self.clock.timestamp()
        window = self.config.window_seconds
        while load.window and load.window[0] <= now - window:
            load.window.popleft()
        if len(load.window) >= self.config.requests_per_window:
            retry_after = max(1, math.ceil(load.window[0] + window - now))
            raise BcError(
                429,
                TOO_MANY,
                f"Number of requests exceeded the limit of {self.config.requests_per_window} over the time"
                f" window of {int(window)} seconds.",
                {"Retry-After": str(retry_after)},
            )
        load.window.append(now)

    def snapshot(self) -> dict[str, dict[str, int]]:
        return {
            principal: {
                "active": load.active,
                "queued": len(load.queue),
                "peak_active": load.peak_active,
                "peak_queued": load.peak_queued,
                "in_window": len(load.window),
            }
            for principal, load in self.load.items()
        }
