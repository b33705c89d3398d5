"""What every benchmark runs against: the BC and Scend simulators over loopback HTTP with a latency
per call and BC's limits on, Azurite, the stores, and the app's own clients built from settings."""

from __future__ import annotations

import json
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from azure.data.tables.aio import TableClient

from local.azurite import Azurite, start_azurite
from local.bc_sim import BcSim, BcSimConfig, serve_bc_sim
from local.bc_sim.faults import FaultPlan, FaultRule
from local.scend_sim import ScendSim, ScendSimConfig, serve_scend_sim
from local.scend_sim.faults import HttpFault
from shared.bc.client import BcClient, client_from_settings
from shared.scend.rest import ContractRestAdapter
from shared.settings import Settings
from shared.store.crossrefs import CrossReferenceStore
from shared.store.exceptions import ExceptionStore
from shared.store.processed import ProcessedEventStore
from shared.store.reconciliations import ReconciliationStore
from shared.store.tables import TableNames, connect, ensure_tables
from shared.store.timeline import OrderTimelineStore
from shared.store.watermarks import WatermarkStore

ROOT = Path(__file__).parents[1]
# Scend's 120 requests a minute would make the release of 5,000 orders take 42 minutes: it is off
# here so the benchmark measures our side; each result reports what Scend's limit allows.
SCEND = ScendSimConfig(rate_limit_per_minute=None, webhook_auto_deliver=False)
EXAMPLE = ROOT / "local.settings.example.json"


BC_WINDOW_REQUESTS, BC_WINDOW_SECONDS, BC_CONCURRENCY = 6_000, 300.0, 5  # per principal
BC_PER_SECOND = BC_WINDOW_REQUESTS / BC_WINDOW_SECONDS


def ideal_seconds(bc_requests: int, latency_s: float) -> float:
    """The least time BC's limits allow for `bc_requests`: 5 at once at `latency_s` each, and no more
    than 6,000 in any 5 minutes (a burst up to 6,000 goes at once, the rest at 20 a second)."""
    over_budget = max(0, bc_requests - BC_WINDOW_REQUESTS) * BC_WINDOW_SECONDS / BC_WINDOW_REQUESTS
    return max(latency_s * bc_requests / BC_CONCURRENCY, over_budget)


@dataclass
class BenchWorld:
    bc_sim: BcSim
    scend_sim: ScendSim
    settings: Settings
    bc: BcClient
    scend: ContractRestAdapter
    cross_references: CrossReferenceStore
    exceptions: ExceptionStore
    watermarks: WatermarkStore
    timeline: OrderTimelineStore
    processed: ProcessedEventStore
    reconciliations: ReconciliationStore
    request_budgets: TableClient  # the table of the budget every instance shares

    def set_latency(self, latency_ms: float) -> None:
        """Every BC and Scend call waits `latency_ms` (0 while a scenario sets up what it measures)."""
        self.bc_sim.faults.set(FaultPlan(rules=[FaultRule(latency_ms=latency_ms)] if latency_ms else []))
        self.scend_sim.set_faults(
            http=[HttpFault(kind="latency", latency_ms=int(latency_ms))] if latency_ms else []
        )

    def bc_requests(self) -> int:
        principals = self.bc_sim.statistics()["principals"]
        return sum(route["requests"] for p in principals.values() for route in p["routes"].values())

    def scend_requests(self) -> int:
        return sum(route.requests for route in self.scend_sim.stats.routes.values())


def settings_for(bc: BcSim, scend: ScendSim, azurite: Azurite) -> Settings:
    values: dict[str, Any] = {
        k.lower(): v for k, v in json.loads(EXAMPLE.read_text())["Values"].items() if v != ""
    }
    values.pop("servicebusconnection", None)
    config = bc.config
    values.update(
        bc_api_base_url=bc.base_url, bc_authority_host=bc.base_url, bc_tenant_id=config.tenant,
        bc_environment=config.environment, bc_company_id=config.company_id, bc_client_id=config.client_id,
        bc_client_secret=config.client_secret, bc_ca_file=str(bc.ca_file), scend_base_url=scend.base_url,
        scend_api_key=scend.api_key, scend_requests_per_minute=100_000,
        tables_connection_string=azurite.connection_string,
    )  # fmt: skip
    return Settings.model_validate(values)


@asynccontextmanager
async def bench_world(
    latency_ms: float, *, bc_window: tuple[int, float] | None = None
) -> AsyncIterator[BenchWorld]:
    """A fresh world; every BC and Scend call waits `latency_ms` (a UK broadband round trip to
    Azure is ~20–60 ms); BC's limits are the simulator's defaults (6,000 per 5 minutes, 5 at once)
    unless `bc_window` gives (requests, seconds)."""
    config = BcSimConfig()
    if bc_window:
        config = replace(config, requests_per_window=bc_window[0], window_seconds=bc_window[1])
    with tempfile.TemporaryDirectory() as tls, start_azurite() as azurite:
        async with (
            serve_bc_sim(replace(config, tls_dir=Path(tls))) as bc_sim,
            serve_scend_sim(
                ScendSimConfig(rate_limit_per_minute=None, webhook_auto_deliver=False)
            ) as scend_sim,
            connect(connection_string=azurite.connection_string) as tables,
        ):
            names = TableNames(prefix="bench")
            await ensure_tables(tables, names)
            settings = settings_for(bc_sim, scend_sim, azurite)
            bc = client_from_settings(settings)
            scend = ContractRestAdapter.from_settings(settings)
            try:
                world = BenchWorld(
                    bc_sim, scend_sim, settings, bc, scend,
                    CrossReferenceStore(tables.get_table_client(names.cross_references)),
                    ExceptionStore(tables.get_table_client(names.sync_exceptions)),
                    WatermarkStore(tables.get_table_client(names.watermarks)),
                    OrderTimelineStore(tables.get_table_client(names.order_timeline)),
                    ProcessedEventStore(tables.get_table_client(names.processed_events)),
                    ReconciliationStore(tables.get_table_client(names.reconciliations)),
                    tables.get_table_client(names.request_budgets),
                )  # fmt: skip
                world.set_latency(latency_ms)
                yield world
            finally:
                await bc.close()
                await scend.aclose()
                for name in names.all():
                    await tables.delete_table(name)
