"""The BC request budget shared by every instance through Table Storage, against Azurite: two
instances taking requests at once never pass a slot's share, and no 5-minute window ever holds
more than the limit."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest
from azure.data.tables.aio import TableServiceClient

from shared.errors import RateLimited
from shared.store.request_budget import SharedBudget
from shared.store.tables import TableNames

LIMIT, WINDOW, SLOT = 310, 300.0, 10.0  # → 10 a slot (310 / 31)


class Time:
    """One wall clock for both instances; sleeping moves it on."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await asyncio.sleep(0)


def instance(service: TableServiceClient, names: TableNames, time: Time, **options: float) -> SharedBudget:
    return SharedBudget(
        service.get_table_client(names.request_budgets), name="bc", limit=LIMIT, window=WINDOW,
        slot=SLOT, lease=3, clock=time, sleep=time.sleep, max_wait=options.get("max_wait", 60.0),
    )  # fmt: skip


async def test_two_instances_together_stay_inside_every_window(
    table_service: TableServiceClient, table_names: TableNames
) -> None:
    # GIVEN two instances of the app sharing one budget of 310 per 5 minutes
    time = Time()
    first, second = instance(table_service, table_names, time), instance(table_service, table_names, time)
    assert first.per_slot == 10
    sent: list[float] = []

    async def send(budget: SharedBudget, requests: int) -> None:
        for _ in range(requests):
            await budget.take()
            sent.append(time.now)

    # WHEN both send 400 requests as fast as the budget lets them
    await asyncio.gather(send(first, 400), send(second, 400))
    # THEN no 300 s window held more than the limit. (A request granted at the end of a slot can be
    # sent in the next, after the Table round trip: the share of 310 / 31, not 310 / 30, is for that.)
    per_slot = Counter(int(at // SLOT) for at in sent)
    assert max(per_slot.values()) <= 10 + 1
    sent.sort()
    assert max(sum(1 for t in sent[i:] if t < start + WINDOW) for i, start in enumerate(sent)) <= LIMIT
    # AND the budget was used, not starved: 800 requests took about 800 / 10 slots
    assert (sent[-1] - sent[0]) / SLOT <= 800 / 10 + 5


async def test_a_wait_longer_than_allowed_is_rate_limited_with_the_wait(
    table_service: TableServiceClient, table_names: TableNames
) -> None:
    time = Time()
    budget = instance(table_service, table_names, time, max_wait=1.0)
    time.now = 1_800_000_000.0  # the start of a slot
    for _ in range(10):
        await budget.take()
    with pytest.raises(RateLimited) as raised:
        await budget.take()
    assert raised.value.retry_after == pytest.approx(SLOT, abs=0.01)


async def test_the_slot_rows_are_a_ring_reused_turn_after_turn(
    table_service: TableServiceClient, table_names: TableNames
) -> None:
    time = Time()
    budget = instance(table_service, table_names, time)
    await budget.take()
    time.now += 3600  # the same row, an hour later: its count starts again
    for _ in range(10):
        await budget.take()
    rows = [e async for e in table_service.get_table_client(table_names.request_budgets).list_entities()]
    assert len(rows) == 1
    assert rows[0]["Granted"] == 10
