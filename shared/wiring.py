"""The flows of the warehouse side, built from a worker's runtime and settings: what a trigger
shell in function_app.py hands a message to. One place, so every shell stays a few lines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from shared.flows.audits import Audits, AuditThresholds
from shared.flows.despatch import Despatches
from shared.flows.receipts import Receipts
from shared.flows.returns import Returns
from shared.flows.stock_adjustments import StockAdjustments
from shared.messaging.queues import queue_specs
from shared.runtime import Runtime


def now() -> datetime:
    return datetime.now(UTC)


def _waits(runtime: Runtime) -> dict[str, timedelta]:
    return {"dependency_wait": timedelta(hours=runtime.settings.dependency_wait_hours)}


def _retention(runtime: Runtime) -> timedelta:
    return timedelta(days=runtime.settings.processed_event_retention_days)


async def despatches(runtime: Runtime) -> Despatches:
    stores = await runtime.stores()
    return Despatches(
        bc=runtime.bc(), cross_references=stores.cross_references, exceptions=stores.exceptions,
        timeline=stores.timeline, lookups=runtime.lookups(), mode=runtime.settings.bc_writeback_mode,
        clock=now, processed=stores.processed_events, retention=_retention(runtime), **_waits(runtime),
    )  # fmt: skip


async def returns(runtime: Runtime) -> Returns:
    stores = await runtime.stores()
    return Returns(
        bc=runtime.bc(), cross_references=stores.cross_references, exceptions=stores.exceptions,
        timeline=stores.timeline, lookups=runtime.lookups(), clock=now, **_waits(runtime),
    )  # fmt: skip


async def stock_adjustments(runtime: Runtime) -> StockAdjustments:
    stores = await runtime.stores()
    return StockAdjustments(
        bc=runtime.bc(), cross_references=stores.cross_references, exceptions=stores.exceptions,
        lookups=runtime.lookups(), mode=runtime.settings.bc_writeback_mode, processed=stores.processed_events,
        retention=_retention(runtime),
    )  # fmt: skip


async def receipts(runtime: Runtime) -> Receipts:
    stores = await runtime.stores()
    settings = runtime.settings
    return Receipts(
        bc=runtime.bc(), cross_references=stores.cross_references, exceptions=stores.exceptions,
        mode=settings.bc_writeback_mode, invoice_on_receipt=settings.bc_invoice_on_receipt, clock=now,
        processed=stores.processed_events, retention=_retention(runtime), **_waits(runtime),
    )  # fmt: skip


async def audits(runtime: Runtime) -> Audits:
    stores = await runtime.stores()
    settings = runtime.settings
    thresholds = AuditThresholds(
        accept_sla=timedelta(minutes=settings.order_accept_sla_minutes),
        despatch_cutoff=timedelta(hours=settings.despatch_cutoff_hours),
        watermark_stale=timedelta(minutes=settings.watermark_stale_minutes),
    )
    return Audits(
        bc=runtime.bc(), cross_references=stores.cross_references, watermarks=stores.watermarks,
        exceptions=stores.exceptions, transport=runtime.transport(), queues=queue_specs(settings),
        thresholds=thresholds, clock=now,
    )  # fmt: skip
