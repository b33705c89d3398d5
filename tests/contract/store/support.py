"""Helpers for the store contract tests: a hand-moved clock and a raw view of a table."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from azure.data.tables.aio import TableClient

from shared.store.tables import Page

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


async def raw_rows(table: TableClient) -> dict[str, dict[str, Any]]:
    """Every row of the table as stored, keyed `PartitionKey/RowKey`, with its ETag."""
    return {
        f"{entity['PartitionKey']}/{entity['RowKey']}": {**entity, "etag": entity.metadata["etag"]}
        async for entity in table.list_entities()
    }


async def all_pages[T](read: Callable[[str | None], Awaitable[Page[T]]]) -> list[list[T]]:
    """Follow continuation tokens from the first page to the last; the items of each page."""
    pages, continuation = [], None
    while True:
        page = await read(continuation)
        pages.append(page.items)
        if (continuation := page.continuation) is None:
            return pages
