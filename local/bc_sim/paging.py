"""Server-driven paging as BC does it: a page of at most the server page size (or less, on request),
`@odata.nextLink` with an opaque `$skiptoken` until the last page, and `$top` spread over pages."""

from __future__ import annotations

import re
import urllib.parse
from collections import OrderedDict
from collections.abc import Mapping
from itertools import count as count_from
from typing import Any

from local.bc_sim import errors
from local.bc_sim.filters import sort_key
from local.bc_sim.model import Table
from local.bc_sim.odata import Query

type Row = dict[str, Any]


def page(
    source: list[Row] | Table, query: Query, page_size: int, token: str | None
) -> tuple[list[Row], str | None, int | None]:
    """One page of filtered (and ordered) rows, the skip token of the next page, and `$count`.

    A whole table read in its own order pages by the last row's sequence (`s<seq>`), so following
    nextLinks costs O(page); anything else pages by offset into the result (`o<offset>`), and the
    result of the first page is kept (`~<snapshot>`) so that the next pages are slices of it rather
    than a new filter and sort of the whole table each (100 pages of 100,000 items ordered by number
    would cost minutes). The pages of one read are thus one consistent snapshot. A `.<n>` suffix
    carries what is left of `$top` to the next page.
    """
    position, remaining, snapshot = _read_token(token)
    first = token is None
    if first:
        remaining = query.top
    limit = page_size if remaining is None else min(page_size, remaining)
    pred = query.predicate
    count = None
    if isinstance(source, Table) and not query.orderby and not query.count:
        skip = query.skip if first else 0
        rows: list[Row] = []
        more, last_seq = False, position
        for seq, row in source.scan(-1 if first else position):
            if pred is not None and not pred(row):
                continue
            if skip:
                skip -= 1
                continue
            if len(rows) == limit:
                more = True
                break
            rows.append(row)
            last_seq = seq
        next_position = f"s{last_seq}"
    else:
        matching = _SNAPSHOTS.get(snapshot) if snapshot is not None else None
        if matching is None:
            candidates = (r for _, r in source.scan()) if isinstance(source, Table) else source
            matching = [row for row in candidates if pred is None or pred(row)]
            for name, descending in reversed(query.orderby):
                key = sort_key(query.es.by_name[name])
                matching.sort(key=lambda r, k=key, n=name: k(r[n]), reverse=descending)  # type: ignore[misc]
        count = len(matching) if query.count else None
        start = query.skip if first else position
        rows = matching[start : start + limit]
        more = start + len(rows) < len(matching)
        if snapshot is None and more:
            snapshot = _keep(matching)
        next_position = f"o{start + len(rows)}" + (f"~{snapshot}" if snapshot is not None else "")
    left = None if remaining is None else remaining - len(rows)
    if not more or left == 0:
        return rows, None, count
    return rows, next_position + ("" if left is None else f".{left}"), count


_SNAPSHOTS: OrderedDict[int, list[Row]] = OrderedDict()
_KEPT = 16  # reads in progress at once; an older one's next page is computed afresh
_next_snapshot = count_from(1)


def _keep(rows: list[Row]) -> int:
    number = next(_next_snapshot)
    _SNAPSHOTS[number] = rows
    while len(_SNAPSHOTS) > _KEPT:
        _SNAPSHOTS.popitem(last=False)
    return number


def _read_token(token: str | None) -> tuple[int, int | None, int | None]:
    if token is None:
        return 0, None, None
    match = re.fullmatch(r"[so](\d{1,12})(?:~(\d{1,12}))?(?:\.(\d{1,12}))?", token)
    if match is None:
        raise errors.syntax_error("The $skiptoken is not valid.")
    snapshot = int(match.group(2)) if match.group(2) else None
    return int(match.group(1)), int(match.group(3)) if match.group(3) else None, snapshot


def next_link(base_url: str, path: str, query: Mapping[str, str], token: str) -> str:
    params = [(k, v) for k, v in query.items() if k != "$skiptoken"]
    params.append(("$skiptoken", token))
    encoded = urllib.parse.urlencode(params, safe="$,()'", quote_via=urllib.parse.quote)
    return f"{base_url}{path}?{encoded}"
