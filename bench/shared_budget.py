"""Two workers, one BC principal: the budget shared through Table Storage keeps them together
inside BC's limit, where two in-process budgets (each believing it has the whole limit) make BC
answer 429. BC's rule is scaled in time so the run is short: 200 requests per 10 s instead of
6,000 per 300 s (the same rule, slots of 0.5 s instead of 10 s)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from bench.world import BenchWorld
from local.bc_sim import SeedRequest
from shared.bc.client import BcClient, client_from_settings
from shared.bc.models import Item
from shared.ratelimit import SlidingWindowBudget
from shared.store.request_budget import SharedBudget

LIMIT, WINDOW, SLOT = 200, 10.0, 0.5
WINDOW_RULE = (LIMIT, WINDOW)


async def run(world: BenchWorld, requests_per_worker: int) -> list[dict[str, Any]]:
    item = world.bc_sim.seed(SeedRequest(
        seed=5, items=1, customers=0, vendors=0, locations=0, shipment_methods=0,
        released_sales_orders=0, draft_sales_orders=0, released_purchase_orders=0, opening_stock=0,
    ))["items"][0]  # fmt: skip
    results = []
    for shared in (True, False):
        clients = [client_from_settings(world.settings, budget=_budget(world, shared)) for _ in range(2)]
        world.bc_sim.stats.reset()
        world.bc_sim.limits.reset()
        started = time.perf_counter()
        try:
            await asyncio.gather(*(_reads(bc, item["id"], requests_per_worker) for bc in clients))
        finally:
            for bc in clients:
                await bc.close()
        elapsed = time.perf_counter() - started
        stats = world.bc_sim.statistics()["principals"]
        sent = sum(p["requests"] for p in stats.values())
        throttled = sum(p["throttled"] for p in stats.values())
        needed = 2 * requests_per_worker
        bound = max(0, needed - LIMIT) * WINDOW / LIMIT
        results.append({
            "scenario": f"two workers, {'shared' if shared else 'in-process'} budget",
            "documents": needed,
            "bc_requests": sent,
            "bc_requests_per_document": sent / needed,
            "scend_requests_per_document": 0.0,
            "bc_429s": throttled,
            "seconds": round(elapsed, 2),
            "documents_per_second": round(needed / elapsed, 1),
            "p50_accept_seconds": "-",
            "p95_accept_seconds": "-",
            "ideal_bound_seconds": round(bound, 2),
            "throughput_vs_bound": round(bound / elapsed, 2) if bound else 1.0,
            "bc_limit_documents_per_second": LIMIT / WINDOW,
            "baseline": {"bc_requests_per_document": "-", "documents_per_second": "-"},
        })  # fmt: skip
    return results


def _budget(world: BenchWorld, shared: bool) -> SharedBudget | SlidingWindowBudget:
    if shared:
        return SharedBudget(
            world.request_budgets, name="bc", limit=LIMIT, window=WINDOW, slot=SLOT, max_wait=60
        )
    return SlidingWindowBudget(LIMIT, WINDOW, max_wait=60, name="BC request budget")


async def _reads(bc: BcClient, item_id: str, requests: int) -> None:
    """As fast as the worker's client allows (5 at once, then its budget)."""
    url = bc.api.url(f"items({item_id})")
    await asyncio.gather(*(bc.api.get(Item, url) for _ in range(requests)))
