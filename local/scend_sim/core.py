"""One simulated Scend tenant: state and warehouse, webhooks, faults, limits, idempotency, stats.

`reset()` starts a new, empty tenant (a new cursor epoch, so old cursors are refused) with the same
or a new seed; background work (webhook delivery, the real-time clock) belongs to the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine
from datetime import datetime
from typing import Any

from local.scend_sim.config import ScendSimConfig
from local.scend_sim.faults import FaultInjector, FaultPlan
from local.scend_sim.idempotency import IdempotencyStore
from local.scend_sim.limits import RateLimiter
from local.scend_sim.state import SimState
from local.scend_sim.stats import Stats
from local.scend_sim.warehouse import Warehouse
from local.scend_sim.webhooks.delivery import WebhookHub

log = logging.getLogger("scend_sim")


class Simulator:
    def __init__(self, config: ScendSimConfig) -> None:
        self.config = config
        self.seed = config.seed
        self.resets = 0
        self.hub = WebhookHub(config, now=lambda: self.state.now())
        self.faults = FaultInjector(config.seed)
        self.limiter = RateLimiter(config.rate_limit_per_minute, config.time.monotonic)
        self.idempotency = IdempotencyStore()
        self.stats = Stats()
        self.state = SimState(config.start_at, epoch=0, events=self.hub)
        self.warehouse = Warehouse(self.state, config, config.seed)
        self.realtime = config.realtime
        self.speed = config.realtime_speed
        self.closing = asyncio.Event()
        self._requests = 0
        self._serving = False
        self._tasks: list[asyncio.Task[None]] = []
        self._clock_task: asyncio.Task[None] | None = None

    def request_id(self) -> str:
        self._requests += 1
        return f"req_{self._requests:010d}"

    def reset(
        self, seed: int | None = None, start_at: datetime | None = None, config: ScendSimConfig | None = None
    ) -> None:
        """Forget everything: records, feeds, subscriptions, faults, stored answers, statistics.

        With `config`, the tenant starts again under new settings (and that config's seed unless
        `seed` is given): how one served simulator serves many tests.
        """
        if config is not None:
            self.config = config
            self.seed = config.seed
            self.hub.configure(config)
        self.resets += 1
        self.seed = self.seed if seed is None else seed
        self.hub.reset(self.seed)
        self.faults = FaultInjector(self.seed)
        self.hub.faults = self.faults.webhooks
        self.limiter = RateLimiter(self.config.rate_limit_per_minute, self.config.time.monotonic)
        self.idempotency.clear()
        self.stats.clear()
        self.state = SimState(start_at or self.config.start_at, epoch=self.resets, events=self.hub)
        self.warehouse = Warehouse(self.state, self.config, self.seed)
        if config is not None and self._serving:
            self.set_realtime(config.realtime, config.realtime_speed)

    def set_faults(self, plan: FaultPlan) -> None:
        self.faults.configure(plan)
        self.hub.faults = plan.webhooks

    # Background work while serving

    def start_background(self) -> None:
        self._serving = True
        self.closing = asyncio.Event()
        self._tasks.append(asyncio.create_task(self._guard(self.hub.run()), name="scend-sim-webhooks"))
        self.set_realtime(self.realtime, self.speed)

    def set_realtime(self, enabled: bool, speed: float | None = None) -> None:
        """Let the warehouse clock follow real time (times `speed`), or stop it."""
        self.realtime = enabled
        self.speed = self.speed if speed is None else speed
        if enabled and self._clock_task is None:
            self._clock_task = asyncio.create_task(
                self._guard(self._follow_real_time()), name="scend-sim-clock"
            )
        elif not enabled and self._clock_task is not None:
            self._clock_task.cancel()
            self._clock_task = None

    async def stop_background(self) -> None:
        self._serving = False
        self.closing.set()
        tasks = [*self._tasks, *([self._clock_task] if self._clock_task else [])]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks, self._clock_task = [], None
        await self.hub.aclose()

    async def _follow_real_time(self) -> None:
        monotonic = self.config.time.monotonic
        last = monotonic()
        while True:
            await asyncio.sleep(self.config.realtime_tick_seconds)
            now = monotonic()
            self.warehouse.advance((now - last) * self.speed / 60)
            last = now

    @staticmethod
    async def _guard(work: Coroutine[Any, Any, None]) -> None:
        """Keep a background loop's crash in the log rather than losing it silently."""
        try:
            await work
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("scend simulator background task failed")
            raise
