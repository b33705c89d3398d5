"""Per-principal limits (reference §6): the request budget over a sliding window, the concurrency
slots with their queue, and what each refusal looks like."""

from __future__ import annotations

import asyncio

import httpx

from local.bc_sim import BcSim, FaultPlan, FaultRule
from tests.contract.bc_sim.conftest import SimFactory, api_client
from tests.contract.bc_sim.support import assert_error

SLOW_ITEMS = FaultPlan(rules=[FaultRule(method="GET", path="*/items", latency_ms=300)])


async def test_the_budget_is_spent_per_principal_and_refilled_by_the_window(make_sim: SimFactory) -> None:
    # GIVEN a budget of 3 requests per 300 s
    sim = await make_sim(requests_per_window=3, extra_clients={"other-app": "other-secret"})
    async with api_client(sim) as bc:
        # WHEN a fourth request comes within the window
        statuses = [(await bc.get("items")).status_code for _ in range(3)]
        refused = await bc.get("items")
        # THEN it gets 429 with Retry-After for the oldest request to leave the window
        assert statuses == [200, 200, 200]
        message = assert_error(refused, 429, "Application_TooManyRequests")
        assert message.startswith(
            "Number of requests exceeded the limit of 3 over the time window of 300 seconds."
        )
        assert refused.headers["Retry-After"] == "300"
        # AND another service principal still has its own budget
        async with httpx.AsyncClient(
            headers={"Authorization": f"Bearer {sim.access_token('other-app')}"}
        ) as other:
            assert (await other.get(f"{sim.company_url}/items")).status_code == 200
        # AND once the window has moved on, the first principal may call again
        sim.clock.advance(300)
        assert (await bc.get("items")).status_code == 200
    totals = sim.statistics()["principals"][sim.config.client_id]
    assert (totals["requests"], totals["throttled"]) == (5, 1)


async def _staggered(sim: BcSim, count: int) -> list[httpx.Response]:
    """`count` requests to the slow route, each started 50 ms after the previous one."""
    async with api_client(sim, timeout=5) as bc:
        tasks = []
        for _ in range(count):
            tasks.append(asyncio.create_task(bc.get("items")))
            await asyncio.sleep(0.05)
        return list(await asyncio.gather(*tasks))


async def test_requests_beyond_the_concurrent_slots_queue_and_a_full_queue_is_429(
    make_sim: SimFactory,
) -> None:
    # GIVEN one slot and one queue place, and a route that takes 300 ms
    sim = await make_sim(max_concurrent=1, max_queued=1)
    sim.faults.set(SLOW_ITEMS)
    # WHEN three requests arrive 50 ms apart
    first, second, third = await _staggered(sim, 3)
    # THEN the second waits for the slot and succeeds; the third finds the queue full
    assert (first.status_code, second.status_code) == (200, 200)
    assert_error(third, 429, "Application_TooManyRequests")
    load = sim.statistics()["principals"][sim.config.client_id]["load"]
    assert (load["peak_active"], load["peak_queued"], load["active"], load["queued"]) == (1, 1, 0, 0)


async def test_a_request_that_waits_too_long_in_the_queue_gets_503(make_sim: SimFactory) -> None:
    # GIVEN one slot, a queue timeout of 100 ms, and a route that takes 300 ms
    sim = await make_sim(max_concurrent=1, queue_timeout_seconds=0.1)
    sim.faults.set(SLOW_ITEMS)
    first, second = await _staggered(sim, 2)
    assert first.status_code == 200
    assert_error(second, 503, "Application_ServiceUnavailable")
    assert second.headers["Retry-After"] == "5"
    # the slot was freed: a later request goes straight through
    sim.faults.set(FaultPlan())
    async with api_client(sim) as bc:
        assert (await bc.get("items")).status_code == 200


async def test_a_batch_is_one_request_against_the_budget(make_sim: SimFactory) -> None:
    sim = await make_sim(requests_per_window=2)
    company = sim.config.company_id
    batch = {
        "requests": [{"id": str(n), "method": "GET", "url": f"companies({company})/items"} for n in range(50)]
    }
    async with api_client(sim, sim.api_url) as root:
        replies = [await root.post("$batch", json=batch) for _ in range(3)]
    assert [r.status_code for r in replies] == [200, 200, 429]
    assert len(replies[0].json()["responses"]) == 50
