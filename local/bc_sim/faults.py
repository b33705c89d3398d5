"""Injected faults, per route (method + glob over the route template or the path), seeded so a run
repeats exactly: latency, 5xx, 429 bursts, dropped connections, and a write committed before the
connection drops or hangs past the client's timeout.

Each matching request draws once from its rule's own random stream (seed, rule index), in arrival
order, so the n-th matching request always meets the same fate.
"""

from __future__ import annotations

import fnmatch
import random
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

type Action = Literal["error", "throttle", "drop", "commit_then_drop", "commit_then_hang"]


class FaultRule(BaseModel):
    """One rule; the first rule matching a request decides its fate."""

    model_config = ConfigDict(extra="forbid")

    method: str = Field("*", max_length=10, description="HTTP method, or * for any")
    path: str = Field(
        "*",
        max_length=300,
        description="Glob over the route template, e.g. /api/v2.0/companies({id})/salesOrders({id})/"
        "Microsoft.NAV.shipAndInvoice, or over the path; the token endpoint is /{tenant}/oauth2/v2.0/token",
    )
    latency_ms: float = Field(0, ge=0, le=60_000, description="added before the request is handled")
    error_rate: float = Field(0, ge=0, le=1, description="share answered with error_status, nothing done")
    error_status: Literal[500, 502, 503, 504] = 503
    throttle_after: int = Field(0, ge=0, description="matching requests let through before the 429 burst")
    throttle_burst: int = Field(0, ge=0, description="consecutive matching requests answered 429")
    retry_after_seconds: int = Field(1, ge=0, le=3600)
    drop_rate: float = Field(0, ge=0, le=1, description="share whose connection closes without a response")
    commit_then_drop_rate: float = Field(0, ge=0, le=1, description="handled and committed, then dropped")
    commit_then_hang_rate: float = Field(
        0, ge=0, le=1, description="committed, then held for hang_seconds, then dropped"
    )
    hang_seconds: float = Field(30, ge=0, le=600)
    times: int | None = Field(
        None, ge=0, description="at most this many faults from this rule (latency aside)"
    )

    @model_validator(mode="after")
    def _rates_add_up(self) -> FaultRule:
        if self.drop_rate + self.error_rate + self.commit_then_drop_rate + self.commit_then_hang_rate > 1:
            raise ValueError("drop, error and commit-then rates add up to more than 1")
        return self


class FaultPlan(BaseModel):
    model_config = ConfigDict(extra="forbid")

    seed: int = Field(0, ge=0, le=2**32)
    rules: list[FaultRule] = Field(default_factory=list, max_length=100)


@dataclass(frozen=True)
class Decision:
    rule: int
    latency: float
    action: Action | None
    status: int = 0
    retry_after: int = 0
    hang_seconds: float = 0


class Faults:
    def __init__(self) -> None:
        self.set(FaultPlan())

    def set(self, plan: FaultPlan) -> None:
        self.plan = plan
        self._streams = [random.Random(f"{plan.seed}:{i}") for i in range(len(plan.rules))]
        self._seen = [0] * len(plan.rules)
        self._injected = [0] * len(plan.rules)

    def decide(self, method: str, template: str, path: str) -> Decision | None:
        for index, rule in enumerate(self.plan.rules):
            if rule.method not in ("*", method) or not (
                fnmatch.fnmatchcase(template, rule.path) or fnmatch.fnmatchcase(path, rule.path)
            ):
                continue
            position = self._seen[index]
            self._seen[index] += 1
            draw = self._streams[index].random()
            action = self._action(rule, position, draw)
            if action is not None and rule.times is not None and self._injected[index] >= rule.times:
                action = None
            if action is not None:
                self._injected[index] += 1
            status = 429 if action == "throttle" else rule.error_status
            return Decision(
                index, rule.latency_ms / 1000, action, status, rule.retry_after_seconds, rule.hang_seconds
            )
        return None

    @staticmethod
    def _action(rule: FaultRule, position: int, draw: float) -> Action | None:
        if rule.throttle_after <= position < rule.throttle_after + rule.throttle_burst:
            return "throttle"
        edge = 0.0
        for action, rate in (
            ("drop", rule.drop_rate),
            ("error", rule.error_rate),
            ("commit_then_drop", rule.commit_then_drop_rate),
            ("commit_then_hang", rule.commit_then_hang_rate),
        ):
            edge += rate
            if draw < edge:
                return action  # type: ignore[return-value]
        return None

    def snapshot(self) -> dict[str, object]:
        return {
            "plan": self.plan.model_dump(),
            "matched": list(self._seen),
            "injected": list(self._injected),
        }
