"""OData query text for Business Central: filter literals, query options, and server-driven paging.

User data reaches a `$filter` only through `literal()`, which quotes strings (doubling `'`),
leaves GUIDs, numbers, dates and datetimes bare as OData v4 wants them, and escapes enum values
the way BC writes them (`'In_x0020_Review'`). Field names are checked against an identifier
pattern, so neither a value nor a name can change the shape of a filter.
"""

from __future__ import annotations

import math
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote, urlsplit
from uuid import UUID

from shared.bc.enums import BcEnumeration, escape_enum

Literal = str | int | float | Decimal | bool | UUID | date | datetime | BcEnumeration

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(/[A-Za-z_][A-Za-z0-9_]*)*$")
# `+` is not a space to every OData parser, so spaces go as %20; `$`, quotes and brackets stay readable.
_QUERY_SAFE = "$'(),:/@"


def literal(value: Literal) -> str:
    """One value as an OData v4 literal, safe to place in a `$filter`."""
    if isinstance(value, BcEnumeration):
        return "'" + escape_enum(value.value) + "'"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | Decimal):
        if isinstance(value, Decimal) and not value.is_finite():
            raise ValueError("an OData number literal must be finite")
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("an OData number literal must be finite")
        return repr(value)
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, datetime):
        return datetime_literal(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    raise TypeError(f"no OData literal for {type(value).__name__}")


def datetime_literal(value: datetime) -> str:
    """UTC with milliseconds, truncated: a truncated lower bound can only include more, never less."""
    if value.tzinfo is None:
        raise ValueError("an OData datetime literal needs a timezone")
    utc = value.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def _checked(name: str) -> str:
    if not _NAME.match(name):
        raise ValueError(f"not an OData property path: {name!r}")
    return name


@dataclass(frozen=True, slots=True)
class Filter:
    """A `$filter` expression; combine with `&` and `|` (BC refuses `or` across different fields)."""

    text: str

    def __and__(self, other: Filter) -> Filter:
        return Filter(f"({self.text}) and ({other.text})")

    def __or__(self, other: Filter) -> Filter:
        return Filter(f"({self.text}) or ({other.text})")

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True, slots=True)
class Field:
    """A property to compare: `Field("status").eq(DocumentStatus.OPEN)`."""

    name: str

    def __post_init__(self) -> None:
        _checked(self.name)

    def _compare(self, operator: str, value: Literal) -> Filter:
        return Filter(f"{self.name} {operator} {literal(value)}")

    def eq(self, value: Literal) -> Filter:
        return self._compare("eq", value)

    def ne(self, value: Literal) -> Filter:
        return self._compare("ne", value)

    def gt(self, value: Literal) -> Filter:
        return self._compare("gt", value)

    def ge(self, value: Literal) -> Filter:
        return self._compare("ge", value)

    def lt(self, value: Literal) -> Filter:
        return self._compare("lt", value)

    def le(self, value: Literal) -> Filter:
        return self._compare("le", value)

    def startswith(self, value: str) -> Filter:
        return Filter(f"startswith({self.name},{literal(value)})")


MODIFIED = Field("lastModifiedDateTime")
BY_MODIFIED = ("lastModifiedDateTime asc",)


def modified_since(since: datetime | None) -> Filter | None:
    """Inclusive lower bound: an entity changed exactly at the watermark is read again, never skipped."""
    return MODIFIED.ge(since) if since is not None else None


def all_of(*filters: Filter | None) -> Filter | None:
    """The `and` of the filters given (None ones skipped); None when there is none."""
    present = [f for f in filters if f is not None]
    if not present:
        return None
    combined = present[0]
    for item in present[1:]:
        combined = combined & item
    return combined


@dataclass(frozen=True, slots=True)
class Query:
    """Query options of one read. `expand` entries may nest options: `salesOrderLines($select=id)`."""

    filter: Filter | None = None
    expand: Sequence[str] = ()
    orderby: Sequence[str] = ()
    select: Sequence[str] = ()
    top: int | None = None
    extra: Mapping[str, str] = field(default_factory=dict)

    def options(self) -> dict[str, str]:
        options: dict[str, str] = {}
        if self.filter is not None:
            options["$filter"] = self.filter.text
        if self.expand:
            options["$expand"] = ",".join(self.expand)
        if self.orderby:
            options["$orderby"] = ",".join(_orderby(item) for item in self.orderby)
        if self.select:
            options["$select"] = ",".join(_checked(name) for name in self.select)
        if self.top is not None:
            options["$top"] = str(int(self.top))
        options.update(self.extra)
        return options

    def url(self, base: str) -> str:
        """`base` with the options appended, percent-encoded (spaces as %20, never `+`)."""
        options = self.options()
        if not options:
            return base
        text = "&".join(f"{name}={quote(value, safe=_QUERY_SAFE)}" for name, value in options.items())
        return f"{base}{'&' if '?' in base else '?'}{text}"


def _orderby(item: str) -> str:
    name, _, direction = item.partition(" ")
    if direction not in ("", "asc", "desc"):
        raise ValueError(f"not an $orderby direction: {direction!r}")
    return f"{_checked(name)} {direction}".strip()


class ForeignNextLink(RuntimeError):
    """A nextLink pointed at another origin: following it would send the bearer token elsewhere."""


Page = Sequence[Mapping[str, Any]]
FetchPage = Callable[[str], Awaitable[Mapping[str, Any]]]


async def follow_pages(fetch: FetchPage, first_url: str) -> AsyncIterator[Page]:
    """Yield `value` of each page, following `@odata.nextLink` (same origin only) until there is none."""
    origin = _origin(first_url)
    url: str | None = first_url
    while url is not None:
        body = await fetch(url)
        yield body.get("value", [])
        next_link = body.get("@odata.nextLink")
        if next_link is not None and _origin(next_link) != origin:
            raise ForeignNextLink("BC returned a nextLink to another origin; not followed")
        url = next_link


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme, parts.netloc
