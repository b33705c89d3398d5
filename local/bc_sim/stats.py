"""Request statistics per principal and route (counts, statuses, 429s, injected faults) and the
documents posted, per kind, per Scend id and per order: what tests assert exactly-once on."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from local.bc_sim.model import Posting


@dataclass
class RouteCounts:
    requests: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    throttled: int = 0  # 429s from the limits (a fault's 429 counts under faults)
    faults: Counter[str] = field(default_factory=Counter)


class Stats:
    def __init__(self) -> None:
        self.routes: dict[str, dict[str, RouteCounts]] = defaultdict(dict)
        # faults injected into operations inside a `$batch`: not requests of their own
        self.operation_faults: dict[str, dict[str, Counter[str]]] = defaultdict(lambda: defaultdict(Counter))

    def reset(self) -> None:
        self.routes.clear()
        self.operation_faults.clear()

    def record_operation_fault(self, principal: str, operation: str, fault: str) -> None:
        self.operation_faults[principal][operation][fault] += 1

    def record(
        self,
        principal: str,
        route: str,
        status: int | None,
        *,
        throttled: bool = False,
        fault: str | None = None,
    ) -> None:
        counts = self.routes[principal].get(route)
        if counts is None:
            counts = self.routes[principal][route] = RouteCounts()
        counts.requests += 1
        counts.statuses["dropped" if status is None else str(status)] += 1
        counts.throttled += throttled
        if fault is not None:
            counts.faults[fault] += 1

    def snapshot(self, postings: Sequence[Posting], limits: dict[str, dict[str, int]]) -> dict[str, Any]:
        principals: dict[str, Any] = {}
        for principal in {*self.routes, *self.operation_faults}:
            routes = self.routes.get(principal, {})
            operations = self.operation_faults.get(principal, {})
            faults: Counter[str] = Counter()
            for counts in routes.values():
                faults.update(counts.faults)
            for counted in operations.values():
                faults.update(counted)
            principals[principal] = {
                "requests": sum(c.requests for c in routes.values()),
                "throttled": sum(c.throttled for c in routes.values()),
                "faults": dict(faults),
                "load": limits.get(principal, {}),
                "routes": {
                    route: {
                        "requests": c.requests,
                        "statuses": dict(c.statuses),
                        "throttled": c.throttled,
                        "faults": dict(c.faults),
                    }
                    for route, c in routes.items()
                },
                "batch_operation_faults": {op: dict(c) for op, c in operations.items()},
            }
        return {"principals": principals, "posted": posted_summary(postings)}


def posted_summary(postings: Sequence[Posting]) -> dict[str, Any]:
    """Counts of posted documents by kind, by Scend id (per kind) and by source order number."""
    by_kind: Counter[str] = Counter()
    by_scend: dict[str, Counter[str]] = defaultdict(Counter)
    by_order: dict[str, Counter[str]] = defaultdict(Counter)
    for posting in postings:
        by_kind[posting.kind] += 1
        if posting.scend_id:
            by_scend[posting.kind][posting.scend_id] += 1
        if posting.order_number:
            by_order[posting.order_number][posting.kind] += 1
    return {
        "counts": dict(by_kind),
        "by_scend_id": {kind: dict(ids) for kind, ids in by_scend.items()},
        "by_order": {number: dict(kinds) for number, kinds in by_order.items()},
    }
