"""Fault injection: HTTP faults per route (seeded, countable) and the webhook delivery faults.

An HTTP rule matches a method (`*` for any) and a glob on the request path or on the route
template (`/v1/orders*`, `/v1/orders/{id}/cancel`). It lets its first `skip` matches through,
then fires with `probability` (drawn from its own seeded generator), at most `times` times
(None: no limit). So "fail once", "always fail" and "fail twice then succeed" are all one rule.

Kinds, and where they strike:
- before the request is handled (nothing is stored): `latency` (adds `latency_ms`), `error`
  (`status` 500/502/503/504), `rate_limit` (429 + Retry-After), `maintenance` (503 + Retry-After),
  `drop` (the connection is closed without an answer);
- after the write is committed: `timeout_after_commit`, whose `mode` is `hang` (no answer for
  `hang_seconds` or until the client gives up, then the connection is dropped), `drop` or `error`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

FaultKind = Literal["latency", "error", "rate_limit", "maintenance", "drop", "timeout_after_commit"]
BEFORE: frozenset[str] = frozenset({"error", "rate_limit", "maintenance", "drop"})


class HttpFault(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: FaultKind
    method: str = "*"
    path: str = "*"
    probability: float = Field(default=1.0, ge=0, le=1)
    times: int | None = Field(default=None, ge=0)
    skip: int = Field(default=0, ge=0)
    latency_ms: int = Field(default=0, ge=0, le=600_000)
    status: Literal[500, 502, 503, 504] = 500
    retry_after: int = Field(default=1, ge=0, le=86_400)
    hang_seconds: float = Field(default=30.0, ge=0, le=3_600)
    mode: Literal["hang", "drop", "error"] = "hang"


class WebhookFaults(BaseModel):
    """Rates in [0, 1], drawn per delivery when its event is published."""

    model_config = ConfigDict(extra="forbid")

    lost_rate: float = Field(default=0.0, ge=0, le=1)
    duplicate_rate: float = Field(default=0.0, ge=0, le=1)
    delay_rate: float = Field(default=0.0, ge=0, le=1)
    delay_seconds: float = Field(default=30.0, ge=0, le=86_400)
    out_of_order_rate: float = Field(default=0.0, ge=0, le=1)


class FaultPlan(BaseModel):
    model_config = ConfigDict(extra="forbid")

    http: list[HttpFault] = Field(default_factory=list)
    webhooks: WebhookFaults = Field(default_factory=WebhookFaults)


@dataclass(slots=True)
class _Rule:
    rule: HttpFault
    rng: random.Random
    seen: int = 0
    fired: int = 0

    def matches(self, method: str, path: str, route: str) -> bool:
        wanted = self.rule.method.upper()
        return (wanted in ("*", method)) and (
            fnmatchcase(path, self.rule.path) or fnmatchcase(route, self.rule.path)
        )

    def fires(self) -> bool:
        self.seen += 1
        if self.seen <= self.rule.skip:
            return False
        if self.rule.times is not None and self.fired >= self.rule.times:
            return False
        if self.rule.probability < 1 and self.rng.random() >= self.rule.probability:
            return False
        self.fired += 1
        return True


@dataclass(frozen=True, slots=True)
class Injection:
    latency_seconds: float = 0.0
    before: HttpFault | None = None
    after: HttpFault | None = None
    fired: tuple[str, ...] = field(default=())


NONE = Injection()


class FaultInjector:
    def __init__(self, seed: int) -> None:
        self._seed = seed
        self._rules: list[_Rule] = []
        self._added = 0
        self.webhooks = WebhookFaults()

    def configure(self, plan: FaultPlan) -> None:
        """Replace every fault (counters start again)."""
        self._rules = []
        for rule in plan.http:
            self.add(rule)
        self.webhooks = plan.webhooks

    def add(self, rule: HttpFault) -> None:
        self._added += 1
        self._rules.append(_Rule(rule, random.Random(f"{self._seed}:fault:{self._added}")))

    def clear(self) -> None:
        self.configure(FaultPlan())

    def describe(self) -> dict[str, Any]:
        return {
            "http": [
                rule.rule.model_dump() | {"seen": rule.seen, "fired": rule.fired} for rule in self._rules
            ],
            "webhooks": self.webhooks.model_dump(),
        }

    def decide(self, method: str, path: str, route: str) -> Injection:
        if not self._rules:
            return NONE
        latency = 0.0
        before: HttpFault | None = None
        after: HttpFault | None = None
        fired: list[str] = []
        for rule in self._rules:
            kind = rule.rule.kind
            if (kind in BEFORE and before is not None) or (kind == "timeout_after_commit" and after):
                continue
            if not rule.matches(method, path, route) or not rule.fires():
                continue
            fired.append(kind)
            if kind == "latency":
                latency += rule.rule.latency_ms / 1000
            elif kind == "timeout_after_commit":
                after = rule.rule
            else:
                before = rule.rule
        return Injection(latency, before, after, tuple(fired))
