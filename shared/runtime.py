"""The collaborators a trigger shell hands to its flow, built once per worker process from settings.

Flows take their collaborators as arguments and never build clients themselves; the shells in
`function_app.py` ask this runtime for them. Everything is created on first use, inside the worker's
event loop (async clients belong to the loop that made them), and the tables are created once.
"""

from __future__ import annotations

import asyncio
import hashlib
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path

from azure.data.tables.aio import TableServiceClient

from shared.bc.client import BcClient, client_from_settings
from shared.bc.limits import WINDOW_SECONDS
from shared.mapping.lookups import DEFAULT_LOOKUPS, Lookups, default_lookups, load_lookups
from shared.messaging.factory import create_transport
from shared.messaging.settlement import Settler, shell_backoff
from shared.messaging.transport import Transport
from shared.scend.rest import ContractRestAdapter
from shared.settings import Settings, get_settings
from shared.store.crossrefs import CrossReferenceStore
from shared.store.exceptions import ExceptionStore
from shared.store.processed import ProcessedEventStore
from shared.store.reconciliations import ReconciliationStore
from shared.store.request_budget import SharedBudget
from shared.store.tables import TableNames, ensure_tables, open_table_service
from shared.store.timeline import OrderTimelineStore
from shared.store.watermarks import WatermarkStore


@dataclass
class Stores:
    cross_references: CrossReferenceStore
    watermarks: WatermarkStore
    exceptions: ExceptionStore
    processed_events: ProcessedEventStore
    timeline: OrderTimelineStore
    reconciliations: ReconciliationStore


@dataclass
class Runtime:
    """Lazily built, process-wide collaborators; `close()` releases them (tests, the dev host)."""

    settings: Settings
    names: TableNames = field(default_factory=TableNames)
    _exits: AsyncExitStack = field(default_factory=AsyncExitStack)
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    _tables: TableServiceClient | None = None
    _stores: Stores | None = None
    _transport: Transport | None = None
    _bc: BcClient | None = None
    _scend: ContractRestAdapter | None = None
    _lookups: Lookups | None = None

    async def stores(self) -> Stores:
        async with self._lock:
            if self._stores is None:
                self._tables = await self._exits.enter_async_context(open_table_service(self.settings))
                await ensure_tables(self._tables, self.names)
                table = self._tables.get_table_client
                self._stores = Stores(
                    cross_references=CrossReferenceStore(table(self.names.cross_references)),
                    watermarks=WatermarkStore(table(self.names.watermarks)),
                    exceptions=ExceptionStore(table(self.names.sync_exceptions)),
                    processed_events=ProcessedEventStore(table(self.names.processed_events)),
                    timeline=OrderTimelineStore(table(self.names.order_timeline)),
                    reconciliations=ReconciliationStore(table(self.names.reconciliations)),
                )
            return self._stores

    def lookups(self) -> Lookups:
        """The mapping lookup tables: MAPPING_LOOKUPS (JSON or a path), else the shipped defaults."""
        if self._lookups is None:
            source = self.settings.mapping_lookups
            self._lookups = load_lookups(source) if source else default_lookups()
        return self._lookups

    def lookups_digest(self) -> str:
        """A fingerprint of the lookup table's text: a new one means IT changed a mapping."""
        source = self.settings.mapping_lookups
        if source and source.lstrip().startswith("{"):
            text = source
        else:
            text = Path(source or DEFAULT_LOOKUPS).read_text(encoding="utf-8")
        return hashlib.sha256(text.encode()).hexdigest()[:32]

    def transport(self) -> Transport:
        if self._transport is None:
            self._transport = create_transport(self.settings)
        return self._transport

    def bc(self) -> BcClient:
        if self._bc is None:
            budget = _BudgetOnTables(self) if self.settings.bc_shared_budget else None
            self._bc = client_from_settings(self.settings, budget=budget)
        return self._bc

    def scend(self) -> ContractRestAdapter:
        if self._scend is None:
            self._scend = ContractRestAdapter.from_settings(self.settings)
        return self._scend

    async def settler(self) -> Settler:
        stores = await self.stores()
        return Settler(self.transport(), stores.exceptions, shell_backoff(self.settings))

    async def close(self) -> None:
        if self._bc is not None:
            await self._bc.close()
        if self._scend is not None:
            await self._scend.aclose()
        if self._transport is not None:
            await self._transport.close()
        await self._exits.aclose()
        self._stores = self._tables = self._transport = self._bc = self._scend = None


_runtime: Runtime | None = None


def get_runtime() -> Runtime:
    """The worker's runtime, from its settings (a settings problem raises `SettingsError` here)."""
    global _runtime
    if _runtime is None:
        _runtime = Runtime(get_settings())
    return _runtime


async def reset_runtime() -> None:
    """Close and forget the worker's runtime (tests and the dev host start each app afresh)."""
    global _runtime
    if _runtime is not None:
        await _runtime.close()
    _runtime = None


class _BudgetOnTables:
    """BC_SHARED_BUDGET: the BC budget every instance shares, built once the tables are open (the
    client is made before `stores()` has run, and `bc()` is not async)."""

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime
        self._budget: SharedBudget | None = None

    async def take(self) -> None:
        if self._budget is None:
            await self._runtime.stores()
            tables = self._runtime._tables
            assert tables is not None
            settings = self._runtime.settings
            self._budget = SharedBudget(
                tables.get_table_client(self._runtime.names.request_budgets),
                name="bc",
                limit=settings.bc_requests_per_5_minutes,
                window=WINDOW_SECONDS,
            )
        await self._budget.take()
