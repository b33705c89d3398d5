"""How big a chaos run is and how the simulators misbehave, all drawn from one seed."""

from __future__ import annotations

import random
from dataclasses import dataclass

from local.bc_sim.faults import FaultPlan, FaultRule
from local.scend_sim.faults import HttpFault, WebhookFaults

BC_API = "/api/v2.0/*"
EXTENSION_API = "/api/scendIntegration/*"


@dataclass(frozen=True, slots=True)
class Scale:
    """The documents of one run and how often the dev host dies."""

    orders: int
    despatched: int  # orders Scend despatches, some in part, some in two shipments
    returns: int
    adjustments: int
    purchase_orders: int
    items: int
    kills: int
    chaos_seconds: float  # the most the faulty phase lasts (it ends sooner when the floor is done)
    calm_seconds: float  # the most the calm phase may take to settle

    @property
    def name(self) -> str:
        return f"{self.orders} orders"


FULL = Scale(
    orders=1_000, despatched=800, returns=100, adjustments=200, purchase_orders=50, items=40,
    kills=5, chaos_seconds=900, calm_seconds=600,
)  # fmt: skip
SMALL = Scale(
    orders=40, despatched=30, returns=6, adjustments=10, purchase_orders=4, items=12,
    kills=1, chaos_seconds=240, calm_seconds=240,
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Faults:
    """What each simulator does wrong during the faulty phase."""

    bc: FaultPlan
    scend_http: list[HttpFault]
    scend_webhooks: WebhookFaults


def faults_for(seed: int) -> Faults:
    """Rates drawn from the seed within ranges that hurt without starving the run: a few per cent of
    BC and Scend calls fail (5xx), bursts of 429, writes that commit and lose their answer; Scend's
    webhooks are lost, duplicated, delayed and reordered."""
    rng = random.Random(f"chaos-faults:{seed}")
    bc_rules = [
        # A write committed, then the answer lost or held past the client's timeout.
        FaultRule(method="POST", path=BC_API, commit_then_drop_rate=rng.uniform(0.02, 0.05),
                  commit_then_hang_rate=rng.uniform(0.005, 0.015), hang_seconds=7.0,
                  error_rate=rng.uniform(0.02, 0.05), error_status=rng.choice([500, 502, 503, 504])),
        FaultRule(method="PATCH", path=BC_API, commit_then_drop_rate=rng.uniform(0.01, 0.03),
                  error_rate=rng.uniform(0.02, 0.04)),
        FaultRule(method="POST", path=EXTENSION_API, commit_then_drop_rate=rng.uniform(0.02, 0.05),
                  error_rate=rng.uniform(0.02, 0.05)),
        # Reads: 5xx and dropped connections, and a burst of 429 now and then.
        FaultRule(method="GET", path="*", error_rate=rng.uniform(0.01, 0.04), drop_rate=0.005,
                  throttle_after=rng.randint(150, 300), throttle_burst=rng.randint(5, 15),
                  retry_after_seconds=1),
    ]  # fmt: skip
    scend_http = [
        HttpFault(kind="timeout_after_commit", method="POST", path="/v1/orders",
                  probability=rng.uniform(0.02, 0.05), mode=rng.choice(["hang", "drop", "error"]),
                  hang_seconds=7.0),
        HttpFault(kind="timeout_after_commit", method="POST", path="/v1/asns", probability=0.05, mode="drop"),
        HttpFault(kind="timeout_after_commit", method="PUT", path="/v1/products/*", probability=0.03,
                  mode="error"),
        HttpFault(kind="error", method="*", path="/v1/*", probability=rng.uniform(0.02, 0.05),
                  status=rng.choice([500, 502, 503, 504])),
        HttpFault(kind="rate_limit", method="*", path="/v1/*", probability=0.02, retry_after=1),
        HttpFault(kind="drop", method="GET", path="/v1/*", probability=0.01),
    ]  # fmt: skip
    webhooks = WebhookFaults(
        lost_rate=rng.uniform(0.05, 0.15), duplicate_rate=rng.uniform(0.05, 0.15),
        delay_rate=rng.uniform(0.03, 0.08), delay_seconds=rng.uniform(5, 20),
        out_of_order_rate=rng.uniform(0.1, 0.3),
    )  # fmt: skip
    return Faults(FaultPlan(seed=seed, rules=bc_rules), scend_http, webhooks)
