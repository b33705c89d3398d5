"""The request budget: never more than its limit in any window, a pause when told, and no long waits."""

from __future__ import annotations

import asyncio
import math

import pytest

from shared.errors import RateLimited
from shared.ratelimit import SlidingWindowBudget


class FakeClock:
    """Monotonic seconds that move only when something sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)

    def budget(self, limit: int, window: float, max_wait: float = math.inf) -> SlidingWindowBudget:
        return SlidingWindowBudget(limit, window, max_wait=max_wait, clock=self, sleep=self.sleep)


async def stamp(budget: SlidingWindowBudget, clock: FakeClock, n: int) -> list[float]:
    """Take n requests one after the other; the clock reading at each grant."""
    granted = []
    for _ in range(n):
        await budget.take()
        granted.append(clock())
    return granted


@pytest.mark.parametrize(
    ("limit", "window", "arriving", "expected"),
    [
        (10, 300.0, 25, [0.0] * 10 + [300.0] * 10 + [600.0] * 5),  # BC: per 5 minutes
        (2, 60.0, 5, [0.0, 0.0, 60.0, 60.0, 120.0]),  # Scend: per minute
    ],
)
async def test_concurrent_callers_share_one_budget_and_no_window_holds_more_than_the_limit(
    limit: int, window: float, arriving: int, expected: list[float]
) -> None:
    # GIVEN a budget on a clock that moves only when the budget waits
    clock = FakeClock()
    budget = clock.budget(limit, window, max_wait=1_000.0)
    sent: list[float] = []

    async def one() -> None:
        await budget.take()
        sent.append(clock())

    # WHEN more requests than the limit arrive at once
    await asyncio.gather(*(one() for _ in range(arriving)))
    # THEN they go in batches of the limit, one window apart; no window holds more than the limit
    assert sent == expected
    for start in sent:
        assert sum(1 for t in sent if start <= t < start + window) <= limit


async def test_a_burst_within_the_budget_is_not_delayed() -> None:
    clock = FakeClock()
    budget = clock.budget(3, 60.0)
    assert await stamp(budget, clock, 3) == [0.0, 0.0, 0.0]
    assert clock.slept == []


async def test_the_request_over_the_budget_waits_until_the_oldest_leaves_the_window() -> None:
    # GIVEN a budget of 3 a minute, with 3 requests sent at t=0, 10, 20
    clock = FakeClock()
    budget = clock.budget(3, 60.0)
    for at in (0.0, 10.0, 20.0):
        clock.now = at
        await budget.take()
    # WHEN two more are asked for at t=20
    granted = await stamp(budget, clock, 2)
    # THEN they go at t=60 and t=70: no 60 s window ever holds more than 3
    assert granted == [60.0, 70.0]


async def test_a_wait_longer_than_the_budget_allows_is_rate_limited_with_the_wait() -> None:
    clock = FakeClock()
    budget = clock.budget(2, 300.0, max_wait=30.0)
    await budget.take()
    clock.now = 100.0
    await budget.take()
    with pytest.raises(RateLimited) as raised:
        await budget.take()
    assert raised.value.retry_after == pytest.approx(200.0)
    clock.now = 280.0  # 20 s before the first request leaves the window: within max_wait
    await budget.take()
    assert clock.slept == [20.0]


async def test_a_retry_after_holds_every_request_through_the_budget() -> None:
    clock = FakeClock()
    budget = clock.budget(100, 60.0)
    budget.pause(7.5)
    assert await stamp(budget, clock, 2) == [7.5, 7.5]
    assert clock.slept == [7.5]


async def test_a_pause_longer_than_the_budget_waits_is_rate_limited_with_what_is_left_of_it() -> None:
    clock = FakeClock()
    budget = clock.budget(100, 60.0, max_wait=30.0)
    budget.pause(120.0)
    clock.now = 10.0
    with pytest.raises(RateLimited, match="Retry-After") as raised:
        await budget.take()
    assert raised.value.retry_after == pytest.approx(110.0)
    assert clock.slept == []


def test_a_budget_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        SlidingWindowBudget(0, 60.0)
