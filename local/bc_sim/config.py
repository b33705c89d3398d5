"""The simulator's settings: identity (tenant, environment, company, client), BC's limits and timings.

Defaults are Business Central online's values (reference §1.3, §4, §6); tests shrink them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from local.bc_sim.clock import SimClock

BC_SCOPE = "https://api.businesscentral.dynamics.com/.default"
STANDARD_API = "v2.0"
CUSTOM_API = "scendIntegration/warehouse/v1.0"

# Documented webhook-enabled entity sets (reference §4) that the simulator models.
DOCUMENTED_WEBHOOK_SETS = frozenset(
    {"customers", "items", "salesCreditMemos", "salesInvoices", "salesOrders", "shipmentMethods", "vendors"}
)


@dataclass(frozen=True)
class BcSimConfig:
    """Everything a run of the simulator is configured with; `sim.config` hands it back."""

    tenant: str = "5b0f7a52-3c1d-4e5f-8a9b-0c1d2e3f4a5b"
    environment: str = "sandbox"
    company_id: str = "1f2e3d4c-5b6a-4789-9abc-def012345678"
    company_name: str = "CRONUS UK Ltd."
    client_id: str = "0c7e1a5d-2b3c-4d5e-8f90-a1b2c3d4e5f6"
    client_secret: str = "bc-sim-local-secret"  # noqa: S105 - a loopback simulator's own credential
    # More service principals (client id -> secret): each has its own limits, as in BC.
    extra_clients: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    # PEM certificate whose key signs `client_assertion`s for `client_id` (certificate credential).
    client_certificate_file: Path | None = None
    scope: str = BC_SCOPE
    token_lifetime_seconds: float = 3599.0

    page_size: int = 20_000
    max_batch_operations: int = 100
    requests_per_window: int = 6_000
    window_seconds: float = 300.0
    max_concurrent: int = 5
    max_queued: int = 95
    queue_timeout_seconds: float = 480.0  # BC answers 503 after 8 minutes in the queue
    gateway_timeout_seconds: float = 600.0  # a request still running then gets 504

    webhook_delay_seconds: float = 30.0
    collection_threshold: int = 1_000
    subscription_lifetime_seconds: float = 3 * 24 * 3600.0
    handshake_timeout_seconds: float = 5.0
    delivery_timeout_seconds: float = 10.0
    delivery_retry_delays_seconds: tuple[float, ...] = (60.0, 60.0, 60.0, 600.0, 6000.0)
    webhook_entity_sets: frozenset[str] = DOCUMENTED_WEBHOOK_SETS
    dispatcher_interval_seconds: float = 0.05
    # Only these hosts may receive handshakes and notifications (the simulator never calls out).
    allowed_notification_hosts: frozenset[str] = frozenset({"127.0.0.1", "localhost", "::1"})

    tax_percent: float = 20.0
    seed: int | None = None  # seed a default catalogue at start
    tls_dir: Path | None = None  # serve HTTPS with local/certs.py material from this folder
    clock: SimClock = field(default_factory=SimClock)

    def clients(self) -> dict[str, str]:
        return {self.client_id: self.client_secret, **self.extra_clients}
