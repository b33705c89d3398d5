"""The client-side budget: at most SCEND_REQUESTS_PER_MINUTE in any minute; Retry-After holds all."""

from __future__ import annotations

import asyncio

import pytest

from shared.scend.limits import RequestLimiter
from tests.unit.scend.support import Sleeps


async def stamp(limiter: RequestLimiter, clock: Sleeps, n: int) -> list[float]:
    """Acquire n times; the clock reading at each grant."""
    granted = []
    for _ in range(n):
        await limiter.acquire()
        granted.append(clock.now - 1000.0)
    return granted


async def test_a_burst_within_the_budget_is_not_delayed() -> None:
    clock = Sleeps()
    limiter = RequestLimiter(3, monotonic=clock.monotonic, sleep=clock)
    assert await stamp(limiter, clock, 3) == [0.0, 0.0, 0.0]
    assert clock.calls == []


async def test_the_request_over_the_budget_waits_until_the_oldest_leaves_the_window() -> None:
    # GIVEN a budget of 3 a minute, with 3 requests sent at t=0, 10, 20
    clock = Sleeps()
    limiter = RequestLimiter(3, monotonic=clock.monotonic, sleep=clock)
    for at in (0, 10, 20):
        clock.now = 1000.0 + at
        await limiter.acquire()
    # WHEN two more are asked for at t=20
    granted = await stamp(limiter, clock, 2)
    # THEN they go at t=60 and t=70: no 60 s window ever holds more than 3
    assert granted == [60.0, 70.0]


async def test_a_retry_after_holds_every_request_through_the_limiter() -> None:
    clock = Sleeps()
    limiter = RequestLimiter(100, monotonic=clock.monotonic, sleep=clock)
    limiter.pause(7.5)
    assert await stamp(limiter, clock, 2) == [7.5, 7.5]


async def test_concurrent_callers_share_one_budget() -> None:
    clock = Sleeps()
    limiter = RequestLimiter(2, monotonic=clock.monotonic, sleep=clock)
    granted: list[float] = []

    async def one() -> None:
        await limiter.acquire()
        granted.append(clock.now - 1000.0)

    await asyncio.gather(*(one() for _ in range(5)))
    assert sorted(granted) == [0.0, 0.0, 60.0, 60.0, 120.0]


def test_a_budget_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        RequestLimiter(0)
