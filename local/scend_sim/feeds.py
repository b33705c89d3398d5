"""Change feeds and list pages: append-only records, opaque cursors, never-null feed positions.

A feed cursor is `<feed>-<epoch>-<position>`: the number of records before it. The epoch changes
on every reset, so a cursor from before a reset is refused instead of silently skipping records.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from local.scend_sim.problems import Problem, field_error


def invalid_cursor(parameter: str) -> Problem:
    return Problem(
        400,
        "VALIDATION_FAILED",
        f"{parameter} is not a cursor this feed gave out",
        errors=[field_error(parameter, "INVALID_CURSOR", "unknown, malformed or from before a reset")],
    )


@dataclass(frozen=True, slots=True)
class FeedSlice[T]:
    records: Sequence[T]
    next_cursor: str
    has_more: bool


class Feed[T]:
    """Records in the order they happened; a record's position never changes."""

    def __init__(self, name: str, epoch: int) -> None:
        self.name = name
        self.epoch = epoch
        self._records: list[T] = []

    def __len__(self) -> int:
        return len(self._records)

    @property
    def records(self) -> Sequence[T]:
        return self._records

    def append(self, record: T) -> int:
        """Add a record; returns its position (1 for the first)."""
        self._records.append(record)
        return len(self._records)

    def cursor(self, position: int) -> str:
        return f"{self.name}-{self.epoch}-{position}"

    def head(self) -> str:
        """The cursor after the last record: reading from it returns only what comes next."""
        return self.cursor(len(self._records))

    def position(self, cursor: str | None, parameter: str = "since_cursor") -> int:
        if cursor is None:
            return 0
        name, _, rest = cursor.rpartition("-")
        feed, _, epoch = name.rpartition("-")
        if feed != self.name or epoch != str(self.epoch) or not rest.isdigit() or not rest.isascii():
            raise invalid_cursor(parameter)
        position = int(rest)
        if position > len(self._records) or rest != str(position):
            raise invalid_cursor(parameter)
        return position

    def read(self, since_cursor: str | None, limit: int) -> FeedSlice[T]:
        start = self.position(since_cursor)
        records = self._records[start : start + limit]
        end = start + len(records)
        next_cursor = self.cursor(end) if since_cursor is None or records else since_cursor
        return FeedSlice(records, next_cursor, end < len(self._records))


@dataclass(frozen=True, slots=True)
class ListSlice[T]:
    records: Sequence[T]
    next_cursor: str | None


def page_by_key[T](
    items: Sequence[T], key: Callable[[T], str], cursor: str | None, limit: int, prefix: str
) -> ListSlice[T]:
    """Keyset paging over items sorted by `key`: the cursor is the last key returned, opaque-ish.

    Records added behind the cursor are not seen by that reader; nothing is returned twice.
    """
    start = 0
    if cursor is not None:
        if not cursor.startswith(prefix + ":"):
            raise invalid_cursor("cursor")
        after = cursor[len(prefix) + 1 :]
        start = _first_after(items, key, after)
    chosen = items[start : start + limit]
    more = start + len(chosen) < len(items)
    next_cursor = f"{prefix}:{key(chosen[-1])}" if chosen and more else None
    return ListSlice(chosen, next_cursor)


def _first_after[T](items: Sequence[T], key: Callable[[T], str], after: str) -> int:
    low, high = 0, len(items)
    while low < high:
        middle = (low + high) // 2
        if key(items[middle]) <= after:
            low = middle + 1
        else:
            high = middle
    return low
