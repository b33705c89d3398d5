"""A big catalogue (default 100,000 SKUs) with 1% changed at Scend: the stock delta work (the
adjustments feed read and each adjustment posted in BC through the companion extension) must cost
requests in proportion to the changes, not the catalogue; then one full reconciliation of every
SKU, its time and its peak memory (tracemalloc: Python allocations, the simulators' included)."""

from __future__ import annotations

import asyncio
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.world import BC_PER_SECOND, BenchWorld, ideal_seconds
from local.bc_sim import SeedRequest
from local.scend_sim.adjustments import AdjustmentSpec
from local.scend_sim.models.products import ProductIn
from local.scend_sim.seeding import Shelf
from local.scend_sim.seeding import seed as seed_scend
from shared.flows.item_export import ITEM_KIND, ItemState
from shared.flows.reconciliation import reconcile_stock
from shared.flows.scend_feeds import FEEDS, poll_scend_feed
from shared.flows.stock_adjustments import StockAdjustments
from shared.mapping.lookups import default_lookups
from shared.messaging.envelope import Envelope
from shared.messaging.local import LocalTransport
from shared.messaging.queues import queue_specs
from shared.settings import WriteBackMode
from shared.store.crossrefs import CrossReference

ON_HAND = 10
WORKERS = 5  # BC runs 5 requests of one principal at once


def now() -> datetime:
    return datetime.now(UTC)


async def run(world: BenchWorld, skus: int, changed_share: float, latency_s: float) -> list[dict[str, Any]]:
    created = world.bc_sim.seed(SeedRequest(
        seed=11, items=skus, customers=0, vendors=0, locations=1, shipment_methods=0,
        released_sales_orders=0, draft_sales_orders=0, released_purchase_orders=0, opening_stock=ON_HAND,
    ))  # fmt: skip
    catalogue = sorted(item["number"] for item in created["items"])
    seed_scend(
        world.scend_sim.warehouse,
        [ProductIn(sku=s, description=s) for s in catalogue],
        [Shelf(s, ON_HAND) for s in catalogue],
    )
    changed = catalogue[:: max(1, round(1 / changed_share))]
    ids = {item["number"]: item["id"] for item in created["items"]}
    # What the item export leaves behind for each SKU it sent (only the changed ones are needed)
    ready = ItemState.WAREHOUSE_READY.value
    await asyncio.gather(*(
        world.cross_references.save(
            CrossReference(kind=ITEM_KIND, bc_id=ids[sku], scend_id=sku, bc_number=sku, state=ready)
        )
        for sku in changed
    ))  # fmt: skip
    return [
        await _delta(world, changed, skus, latency_s),
        await _reconciliation(world, skus, len(changed), latency_s),
    ]


async def _delta(world: BenchWorld, changed: list[str], skus: int, latency_s: float) -> dict[str, Any]:
    """Each changed SKU loses one unit at Scend (LOST: a negative adjustment in BC)."""
    settings = world.settings
    transport = LocalTransport(":memory:", queue_specs(settings))
    for sku in changed:
        world.scend_sim.warehouse.adjust(AdjustmentSpec(sku=sku, reason_code="LOST", quantity=1))
    flow = StockAdjustments(
        bc=world.bc, cross_references=world.cross_references, exceptions=world.exceptions,
        lookups=default_lookups(), mode=WriteBackMode.EXTENSION, processed=world.processed,
    )  # fmt: skip
    bc_before, scend_before = world.bc_requests(), world.scend_requests()
    started = time.perf_counter()
    await poll_scend_feed(
        FEEDS["adjustments"], scend=world.scend, watermarks=world.watermarks, transport=transport,
        queue=settings.stock_queue, exceptions=world.exceptions, clock=now, stale_after=timedelta(hours=1),
    )  # fmt: skip

    async def worker() -> None:  # as the host runs the stock queue's trigger: several at once
        async with transport.receiver(settings.stock_queue, max_wait=0) as receiver:
            assert receiver is not None
            while messages := await receiver.receive(max_messages=10, max_wait=0):
                for message in messages:
                    await flow.apply(Envelope.from_bytes(message.body))
                    await receiver.complete(message)

    await asyncio.gather(*(worker() for _ in range(WORKERS)))
    elapsed = time.perf_counter() - started
    await transport.close()
    bc_requests = world.bc_requests() - bc_before
    scend_requests = world.scend_requests() - scend_before
    posted = len(world.bc_sim.docs.state.rows("stockAdjustments"))
    if posted != len(changed):
        raise RuntimeError(f"{posted} stock adjustments posted for {len(changed)} changed SKUs")
    bound = ideal_seconds(bc_requests, latency_s)
    per = bc_requests / len(changed)
    # The naive way: read every SKU's level from both sides each cycle, one request per record.
    naive = 2 * skus
    return {
        "scenario": f"stock delta ({len(changed):,} of {skus:,} SKUs changed)",
        "documents": len(changed),
        "bc_requests": bc_requests,
        "bc_requests_per_document": per,
        "scend_requests": scend_requests,
        "scend_requests_per_document": scend_requests / len(changed),
        "requests_per_catalogue_sku": (bc_requests + scend_requests) / skus,
        "seconds": round(elapsed, 2),
        "documents_per_second": round(len(changed) / elapsed, 1),
        "p50_accept_seconds": "-",
        "p95_accept_seconds": "-",
        "ideal_bound_seconds": round(bound, 2),
        "throughput_vs_bound": round(bound / elapsed, 2),
        "bc_limit_documents_per_second": round(BC_PER_SECOND / per, 1),
        "baseline": {
            "bc_requests_per_document": round(naive / len(changed), 1),
            "documents_per_second": _rate(len(changed), ideal_seconds(skus, latency_s)),
            "how": f"computed: {skus:,} BC + {skus:,} Scend reads per cycle, at BC's limits",
        },
    }


async def _reconciliation(world: BenchWorld, skus: int, changed: int, latency_s: float) -> dict[str, Any]:
    bc_before, scend_before = world.bc_requests(), world.scend_requests()
    tracemalloc.start()
    started = time.perf_counter()
    summary = await reconcile_stock(
        scend=world.scend, bc=world.bc, watermarks=world.watermarks, processed=world.processed,
        exceptions=world.exceptions, reconciliations=world.reconciliations, clock=now,
    )  # fmt: skip
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    bc_requests = world.bc_requests() - bc_before
    scend_requests = world.scend_requests() - scend_before
    if summary.skus_compared != skus:
        raise RuntimeError(f"the reconciliation compared {summary.skus_compared} of {skus} SKUs")
    bound = ideal_seconds(bc_requests, latency_s)
    return {
        "scenario": f"full reconciliation ({skus:,} SKUs)",
        "documents": skus,
        "bc_requests": bc_requests,
        "bc_requests_per_document": bc_requests / skus,
        "scend_requests": scend_requests,
        "scend_requests_per_document": scend_requests / skus,
        "seconds": round(elapsed, 2),
        "documents_per_second": round(skus / elapsed, 1),
        "p50_accept_seconds": "-",
        "p95_accept_seconds": "-",
        "peak_memory_mb": round(peak / 2**20, 1),
        "matched": summary.matched,
        "variances": summary.skus_compared - summary.matched,
        "changed_skus": changed,
        "ideal_bound_seconds": round(bound, 2),
        "throughput_vs_bound": round(bound / elapsed, 2),
        "bc_limit_documents_per_second": round(BC_PER_SECOND / max(bc_requests / skus, 1e-9), 1),
        "baseline": {
            "bc_requests_per_document": 1.0,
            "documents_per_second": _rate(skus, ideal_seconds(skus, latency_s)),
            "how": "computed: one BC read per SKU at BC's limits",
        },
    }


def _rate(documents: int, seconds: float) -> float | str:
    return round(documents / seconds, 2) if seconds else "-"
