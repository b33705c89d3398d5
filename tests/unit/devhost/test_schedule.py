"""NCRONTAB schedules: exact next fire times, `%SETTING%` schedules, and the timer loop on a fake clock."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from azure.functions.timer import TimerRequest

from local.devhost.errors import StartupError
from local.devhost.schedule import TimerLoop, check_schedule, next_fire
from local.devhost.settings import resolve_expressions


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def fires(schedule: str, after: datetime, count: int) -> list[datetime]:
    times = [next_fire(schedule, after)]
    while len(times) < count:
        times.append(next_fire(schedule, times[-1]))
    return times


@pytest.mark.parametrize(
    ("schedule", "after", "expected"),
    [
        ("*/15 * * * * *", "2025-01-01T10:00:07", ["10:00:15", "10:00:30", "10:00:45", "10:01:00"]),
        ("0 */5 * * * *", "2025-01-01T10:02:30", ["10:05:00", "10:10:00", "10:15:00"]),
        # strictly after: a schedule due exactly now fires next at its following occurrence
        ("30 */2 * * * *", "2025-01-01T10:00:30", ["10:02:30", "10:04:30"]),
        ("0 0 */6 * * *", "2025-01-01T05:59:59", ["06:00:00", "12:00:00", "18:00:00"]),
    ],
)
def test_next_fire_times_within_a_day(schedule: str, after: str, expected: list[str]) -> None:
    # GIVEN a six-field NCRONTAB schedule (seconds first)  WHEN the next fires are computed from `after`
    times = fires(schedule, at(after), len(expected))
    # THEN they are exactly these, in UTC
    assert [t.strftime("%H:%M:%S") for t in times] == expected
    assert all(t.tzinfo == UTC for t in times)


def test_a_daily_schedule_rolls_over_to_the_next_day() -> None:
    assert fires("0 0 5 * * *", at("2025-01-31T05:00:01"), 2) == [
        at("2025-02-01T05:00:00"),
        at("2025-02-02T05:00:00"),
    ]


def test_weekday_schedule_skips_the_weekend() -> None:
    # GIVEN weekdays at 09:30  WHEN asked after Friday 3 January 2025, 10:00
    assert fires("0 30 9 * * 1-5", at("2025-01-03T10:00:00"), 2) == [
        at("2025-01-06T09:30:00"),  # Monday
        at("2025-01-07T09:30:00"),
    ]


def test_day_of_month_and_day_of_week_must_both_match_as_in_ncrontab() -> None:
    # GIVEN "Friday the 13th at 09:00"  THEN both fields must match (NCRONTAB), not either (cron)
    assert fires("0 0 9 13 * 5", at("2025-01-01T00:00:00"), 2) == [
        at("2025-06-13T09:00:00"),
        at("2026-02-13T09:00:00"),
    ]


def test_a_schedule_from_an_app_setting() -> None:
    # GIVEN a binding schedule "%POLL_SCHEDULE%" and the setting POLL_SCHEDULE
    schedule = resolve_expressions(
        "%POLL_SCHEDULE%", {"POLL_SCHEDULE": "0 */10 * * * *"}, where="function poll"
    )
    # THEN the resolved schedule is the one that fires
    assert schedule == "0 */10 * * * *"
    assert fires(schedule, at("2025-01-01T10:00:00"), 2) == [
        at("2025-01-01T10:10:00"),
        at("2025-01-01T10:20:00"),
    ]


def test_an_unset_setting_in_a_schedule_is_a_start_up_error_naming_it() -> None:
    with pytest.raises(StartupError) as error:
        resolve_expressions("%POLL_SCHEDULE%", {"OTHER": "x"}, where="function poll")
    assert str(error.value) == "function poll: app setting POLL_SCHEDULE (used as %POLL_SCHEDULE%) is not set"


@pytest.mark.parametrize("schedule", ["*/5 * * * *", "0 0 25 * * *", "every minute", "00:05:00"])
def test_anything_but_six_field_ncrontab_is_refused(schedule: str) -> None:
    with pytest.raises(StartupError, match="is not a six-field NCRONTAB expression"):
        check_schedule(schedule, where="function poll")


class FakeTime:
    """A clock that only moves when the loop sleeps (or a run takes time), so fire times are exact."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def clock(self) -> datetime:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)
        await asyncio.sleep(0)


class Runs[T](list[T]):
    """The runs of a timer; `enough` is set once `count` runs have happened."""

    def __init__(self, count: int) -> None:
        super().__init__()
        self.target = count
        self.enough = asyncio.Event()

    def append(self, item: T) -> None:
        super().append(item)
        if len(self) >= self.target:
            self.enough.set()


async def run_until(loop: TimerLoop, runs: Runs[Any]) -> None:
    task = asyncio.create_task(loop.run())
    try:
        await asyncio.wait_for(runs.enough.wait(), timeout=2)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_run_on_startup_fires_at_once_then_on_schedule() -> None:
    # GIVEN a timer "*/10 * * * * *" with runOnStartup, started at 10:00:03
    time = FakeTime(at("2025-01-01T10:00:03"))
    runs: Runs[tuple[datetime, bool]] = Runs(4)

    async def fire(request: TimerRequest) -> None:
        runs.append((time.now, request.past_due))

    loop = TimerLoop("poll", "*/10 * * * * *", fire, run_on_startup=True, clock=time.clock, sleep=time.sleep)
    # WHEN it runs for four fires
    await run_until(loop, runs)
    # THEN it fired at start, then exactly on each occurrence, never past due
    assert runs[:4] == [
        (at("2025-01-01T10:00:03"), False),
        (at("2025-01-01T10:00:10"), False),
        (at("2025-01-01T10:00:20"), False),
        (at("2025-01-01T10:00:30"), False),
    ]


async def test_a_run_that_overruns_is_not_joined_and_missed_occurrences_are_skipped() -> None:
    # GIVEN a timer every 10 s whose 10:00:10 run takes 25 s
    time = FakeTime(at("2025-01-01T10:00:05"))
    runs: Runs[datetime] = Runs(3)
    running = 0

    async def fire(request: TimerRequest) -> None:
        nonlocal running
        running += 1
        assert running == 1, "two runs of one timer overlapped"
        runs.append(time.now)
        if len(runs) == 1:
            time.now += timedelta(seconds=25)
        await asyncio.sleep(0)
        running -= 1

    loop = TimerLoop("poll", "*/10 * * * * *", fire, clock=time.clock, sleep=time.sleep)
    await run_until(loop, runs)
    # THEN 10:00:20 and 10:00:30 never ran; the next run is the first occurrence after it finished
    assert runs[:3] == [at("2025-01-01T10:00:10"), at("2025-01-01T10:00:40"), at("2025-01-01T10:00:50")]


async def test_an_admin_run_waits_for_the_scheduled_run_in_progress() -> None:
    # GIVEN a scheduled run that is still busy
    time = FakeTime(at("2025-01-01T10:00:00"))
    release = asyncio.Event()
    order: list[str] = []

    async def fire(request: TimerRequest) -> None:
        order.append("start")
        await release.wait()
        order.append("end")

    loop = TimerLoop("poll", "0 * * * * *", fire, clock=time.clock, sleep=time.sleep)
    first = asyncio.create_task(loop.run_once(scheduled=time.now))
    await asyncio.sleep(0)
    # WHEN the admin endpoint asks for a run
    second = asyncio.create_task(loop.run_once())
    await asyncio.sleep(0.01)
    assert order == ["start"]
    release.set()
    await asyncio.gather(first, second)
    # THEN the second run started only after the first ended
    assert order == ["start", "end", "start", "end"]


async def test_a_run_started_late_is_past_due_and_a_failing_run_does_not_stop_the_schedule() -> None:
    time = FakeTime(at("2025-01-01T10:00:00"))
    seen: list[bool] = []

    async def fire(request: TimerRequest) -> None:
        seen.append(request.past_due)
        raise RuntimeError("the flow failed")

    loop = TimerLoop("poll", "0 * * * * *", fire, clock=time.clock, sleep=time.sleep)
    await loop.run_once(scheduled=at("2025-01-01T09:59:58"))  # 2 s late
    await loop.run_once(scheduled=at("2025-01-01T10:00:00"))  # on time
    assert seen == [True, False]
