"""Request statistics per route and per resource, for tests that assert on what the client did.

Per route (`POST /v1/orders`): requests, answers by status, faults injected, idempotent replays.
Per resource (orders, asns, returns): records held per client_reference (the simulator never holds
two, so a test can check "exactly one order per reference" from the outside), create attempts per
reference and duplicate rejections (409 DUPLICATE_REFERENCE) per reference.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from local.scend_sim.state import SimState

RESOURCES = ("orders", "asns", "returns")


@dataclass(slots=True)
class RouteStats:
    requests: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    faults: Counter[str] = field(default_factory=Counter)
    replays: int = 0

    def report(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "statuses": dict(self.statuses),
            "faults": dict(self.faults),
            "replays": self.replays,
        }


class Stats:
    def __init__(self) -> None:
        self.routes: dict[str, RouteStats] = {}
        self.attempts: dict[str, Counter[str]] = {name: Counter() for name in RESOURCES}
        self.duplicates: dict[str, Counter[str]] = {name: Counter() for name in RESOURCES}

    def route(self, key: str) -> RouteStats:
        found = self.routes.get(key)
        if found is None:
            found = self.routes[key] = RouteStats()
        return found

    def create_attempt(self, resource: str, reference: str, *, duplicate: bool) -> None:
        self.attempts[resource][reference] += 1
        if duplicate:
            self.duplicates[resource][reference] += 1

    def clear(self) -> None:
        self.routes.clear()
        for counter in (*self.attempts.values(), *self.duplicates.values()):
            counter.clear()

    def report(self, state: SimState, *, references: bool = True) -> dict[str, Any]:
        held: dict[str, Counter[str]] = {
            "orders": Counter(o.client_reference for o in state.orders.values()),
            "asns": Counter(a.client_reference for a in state.asns.values()),
            "returns": Counter(r.client_reference for r in state.returns.values() if r.client_reference),
        }
        resources: dict[str, Any] = {}
        for name in RESOURCES:
            entry: dict[str, Any] = {
                "count": sum(held[name].values()),
                "create_attempts": sum(self.attempts[name].values()),
                "duplicate_rejections": sum(self.duplicates[name].values()),
                "references_held_twice": sorted(ref for ref, n in held[name].items() if n > 1),
            }
            if references:
                entry["by_client_reference"] = dict(held[name])
                entry["attempts_by_client_reference"] = dict(self.attempts[name])
                entry["duplicates_by_client_reference"] = dict(self.duplicates[name])
            resources[name] = entry
        return {
            "routes": {key: stats.report() for key, stats in sorted(self.routes.items())},
            "resources": resources,
            "feeds": {
                "shipments": len(state.feeds.shipments),
                "stock_changes": len(state.feeds.stock_changes),
                "stock_adjustments": len(state.feeds.adjustments),
                "receipts": len(state.feeds.receipts),
                "returns": len(state.feeds.returns),
            },
        }
