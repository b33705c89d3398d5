"""Timer triggers: NCRONTAB schedules (seconds first, UTC) and the loop that fires one timer."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from azure.functions.timer import TimerRequest
from croniter import croniter

from local.devhost.errors import StartupError

log = logging.getLogger("devhost")

Clock = Callable[[], datetime]
Sleep = Callable[[float], Awaitable[None]]
Fire = Callable[[TimerRequest], Awaitable[object]]

PAST_DUE_AFTER = timedelta(seconds=1)


def utc_now() -> datetime:
    return datetime.now(UTC)


def check_schedule(schedule: str, *, where: str) -> None:
    """Accept the six-field NCRONTAB form (`sec min hour day month day-of-week`) and nothing else."""
    if len(schedule.split()) != 6 or not croniter.is_valid(schedule, second_at_beginning=True):
        raise StartupError(
            f"{where}: schedule {schedule!r} is not a six-field NCRONTAB expression "
            "(seconds first, e.g. '0 */5 * * * *')"
        )


def next_fire(schedule: str, after: datetime) -> datetime:
    """The first occurrence strictly after `after`, in UTC.

    NCRONTAB (the library the Functions host uses) requires day-of-month *and* day-of-week to
    match when both are restricted, unlike Vixie cron's *or*; hence `day_or=False`.
    """
    start = after.astimezone(UTC) if after.tzinfo else after.replace(tzinfo=UTC)
    itr = croniter(schedule, start, second_at_beginning=True, day_or=False)
    fire: datetime = itr.get_next(datetime)
    return fire


class TimerLoop:
    """Fires one timer function on its schedule; a run never overlaps another run of it.

    The Functions host holds a singleton lock per timer function, so a run that outlasts its
    interval is not joined by the next occurrence:
    1. the 10:00:00 run is still busy at 10:00:01;
    2. the 10:00:01 occurrence would start a second run reading the same watermark;
    3. both would enqueue the same window twice.
    Here every run (scheduled or from the admin endpoint) takes `lock`, and the next occurrence
    is computed after the run from the current time, so occurrences missed while busy are skipped.
    """

    def __init__(
        self,
        name: str,
        schedule: str,
        fire: Fire,
        *,
        run_on_startup: bool = False,
        clock: Clock = utc_now,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.name = name
        self.schedule = schedule
        self.run_on_startup = run_on_startup
        self._fire = fire
        self._clock = clock
        self._sleep = sleep
        self._lock = asyncio.Lock()
        self._last: datetime | None = None

    async def run(self) -> None:
        """Fire forever (until cancelled): once at start when `run_on_startup`, then on schedule."""
        if self.run_on_startup:
            await self.run_once()
        due = self._clock()
        while True:
            due = next_fire(self.schedule, max(self._clock(), due))
            while (wait := (due - self._clock()).total_seconds()) > 0:
                await self._sleep(wait)
            await self.run_once(scheduled=due)

    async def run_once(self, scheduled: datetime | None = None) -> None:
        """One run under the timer's lock; a failing run is logged by the invoker and not retried."""
        async with self._lock:
            now = self._clock()
            late = now - scheduled if scheduled else timedelta(0)
            past_due = late > PAST_DUE_AFTER
            if past_due:
                log.warning("Timer %s is past due by %.1f s", self.name, late.total_seconds())
            request = TimerRequest(
                past_due=past_due,
                schedule={"AdjustForDST": True},
                schedule_status={
                    "Last": (self._last or now).isoformat(),
                    "Next": next_fire(self.schedule, now).isoformat(),
                    "LastUpdated": now.isoformat(),
                },
            )
            self._last = now
            with contextlib.suppress(Exception):  # the invoker logged it; the schedule goes on
                await self._fire(request)
