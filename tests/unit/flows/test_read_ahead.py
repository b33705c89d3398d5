"""`read_ahead`: the reconciliation's two streams fetched ahead, in order, errors passed on, bounded."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from shared.flows.reconciliation import read_ahead


async def numbers(count: int, produced: list[int], fail_at: int | None = None) -> AsyncIterator[int]:
    for n in range(count):
        if n == fail_at:
            raise ConnectionError("page lost")
        produced.append(n)
        yield n
        await asyncio.sleep(0)


async def test_values_come_in_order_and_no_more_than_depth_ahead() -> None:
    produced: list[int] = []
    seen = []
    async for n in read_ahead(numbers(50, produced), 3):
        await asyncio.sleep(0.001)  # the consumer is slower than the source
        assert len(produced) - len(seen) <= 3 + 2  # the queue, the one in hand, the one being put
        seen.append(n)
    assert seen == list(range(50))


async def test_an_error_of_the_source_reaches_the_reader_after_the_values_before_it() -> None:
    seen: list[int] = []

    async def read_all() -> None:
        async for n in read_ahead(numbers(10, [], fail_at=4), 2):
            seen.append(n)

    with pytest.raises(ConnectionError, match="page lost"):
        await read_all()
    assert seen == [0, 1, 2, 3]


async def test_a_reader_that_stops_early_stops_the_fetching_task() -> None:
    produced: list[int] = []
    stream = read_ahead(numbers(1000, produced), 2)
    assert await anext(stream) == 0
    await stream.aclose()
    await asyncio.sleep(0.01)
    assert len(produced) < 10
