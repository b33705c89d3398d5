"""The limiter: never more than 5 requests in flight, never more than the budget in any 5-minute window."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from shared.bc.limits import Limiter, SlidingWindowBudget
from shared.errors import RateLimited
from tests.unit.bc.support import a_client


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


async def test_the_budget_lets_through_at_most_its_limit_in_any_window() -> None:
    # GIVEN a budget of 10 requests per 300 s on a clock that moves only when the budget waits
    clock = FakeClock()
    budget = SlidingWindowBudget(10, 300.0, max_wait=1_000.0, clock=clock, sleep=clock.sleep)
    sent: list[float] = []

    async def one() -> None:
        await budget.take()
        sent.append(clock())

    # WHEN 25 requests arrive at once
    await asyncio.gather(*(one() for _ in range(25)))
    # THEN 10 go at once, 10 when the window has moved on, 5 after that; no window holds more than 10
    assert sent == [0.0] * 10 + [300.0] * 10 + [600.0] * 5
    for start in sent:
        assert sum(1 for t in sent if start <= t < start + 300.0) <= 10


async def test_a_wait_longer_than_the_budget_allows_is_rate_limited_with_the_wait() -> None:
    clock = FakeClock()
    budget = SlidingWindowBudget(2, 300.0, max_wait=30.0, clock=clock, sleep=clock.sleep)
    await budget.take()
    clock.now = 100.0
    await budget.take()
    with pytest.raises(RateLimited) as raised:
        await budget.take()
    assert raised.value.retry_after == pytest.approx(200.0)
    clock.now = 280.0  # 20 s before the first request leaves the window: within max_wait
    await budget.take()
    assert clock.slept == [20.0]


async def test_the_client_keeps_at_most_five_requests_in_flight() -> None:
    # GIVEN BC answers slowly, and a counter of requests it is working on
    in_flight, peak = 0, 0
    release = asyncio.Event()

    async def slow(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await release.wait()
        in_flight -= 1
        return httpx.Response(200, json={"value": []})

    async with a_client(slow) as bc:
        # WHEN 20 reads start at once
        reads = [asyncio.create_task(bc.master.locations()) for _ in range(20)]
        for _ in range(20):
            await asyncio.sleep(0)
        release.set()
        await asyncio.gather(*reads)
    # THEN BC never had more than 5 of them at a time
    assert peak == 5
    assert bc.http.limiter.peak_in_flight == 5


async def test_a_slot_is_counted_against_the_budget_when_it_is_taken() -> None:
    clock = FakeClock()
    budget = SlidingWindowBudget(3, 300.0, clock=clock, sleep=clock.sleep)
    limiter = Limiter(5, budget)
    for _ in range(3):
        async with limiter.slot():
            pass
    with pytest.raises(RateLimited):
        async with limiter.slot():
            pass
    assert limiter.in_flight == 0
