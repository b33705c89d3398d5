"""The limiter: never more than 5 requests in flight, and each slot counted against the budget.

The budget itself (at most N in any window) is tested in tests/unit/test_ratelimit.py.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest

from shared.bc.limits import WINDOW_SECONDS, Limiter
from shared.errors import RateLimited
from shared.ratelimit import SlidingWindowBudget
from tests.unit.bc.support import a_client


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
    # GIVEN a budget of 3 per 5 minutes, on a clock that stands still
    budget = SlidingWindowBudget(3, WINDOW_SECONDS, clock=lambda: 0.0)
    limiter = Limiter(5, budget)
    for _ in range(3):
        async with limiter.slot():
            pass
    with pytest.raises(RateLimited):
        async with limiter.slot():
            pass
    assert limiter.in_flight == 0
