"""The operations dashboard: one server-rendered page (jinja2, no front-end build) for the people who
fix things: open exceptions by owner with their age and fix hint, the order pipeline, feed and
watermark health, the last stock reconciliation."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from shared.flows.order_holds import ORDER_KIND
from shared.ops.api import OpsApi
from shared.store.exceptions import ExceptionStatus

_TEMPLATES = Environment(loader=PackageLoader("shared", "templates"), autoescape=select_autoescape(["html"]))
MAX_EXCEPTIONS = 500  # the page lists at most this many open exceptions (the API pages through all)
MAX_ORDERS = 5_000  # the pipeline counts at most this many orders (most recent first is not needed: a tally)


async def render_dashboard(ops: OpsApi) -> str:
    now = ops.clock()
    by_owner: dict[str, list[dict[str, Any]]] = defaultdict(list)
    page = await ops.exceptions.list_page(status=ExceptionStatus.OPEN, page_size=MAX_EXCEPTIONS)
    for row in page.items:
        described = await ops.describe(row)
        described["age"] = _age(now, row.first_seen)
        by_owner[row.owner].append(described)
    for rows in by_owner.values():
        rows.sort(key=lambda r: r["first_seen"])
    watermarks = [
        {"name": f"{m.flow} / {m.source}", "last_success": m.last_success, "age": _age(now, m.last_success)}
        for m in sorted(await ops.watermarks.list_all(), key=lambda m: (m.flow, m.source))
    ]
    return _TEMPLATES.get_template("dashboard.html").render(
        now=now,
        owners=dict(sorted(by_owner.items())),
        more_exceptions=page.continuation is not None,
        pipeline=await _pipeline(ops),
        watermarks=watermarks,
        reconciliation=await ops.reconciliations.latest(),
    )


async def _pipeline(ops: OpsApi) -> dict[str, int]:
    """Released (in BC, sent or held), accepted, despatched in part or full, invoiced, held."""
    tally: Counter[str] = Counter()
    continuation: str | None = None
    seen = 0
    while seen < MAX_ORDERS:
        page = await ops.cross_references.list_page(ORDER_KIND, page_size=500, continuation=continuation)
        for ref in page.items:
            seen += 1
            track = ref.tracked()
            tally["released"] += 1
            if ref.state == "held" or track.get("held"):
                tally["held"] += 1
            if ref.state == "sent":
                tally["accepted"] += 1
            despatch = track.get("despatch")
            if despatch:
                tally["despatched"] += 1
            if despatch == "complete" and ops.settings.bc_writeback_mode.value == "standard":
                tally["invoiced"] += 1  # standard mode invoices as it ships
        continuation = page.continuation
        if continuation is None:
            break
    return {stage: tally[stage] for stage in ("released", "accepted", "despatched", "invoiced", "held")}


def _age(now: datetime, then: datetime | None) -> str:
    if then is None:
        return "never"
    minutes = int((now - then).total_seconds() // 60)
    if minutes < 1:
        return "just now"
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h"
    return f"{minutes // (24 * 60)} days"
