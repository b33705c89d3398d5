"""Release N BC orders (1–5 lines) to Scend: BC and Scend requests per order, orders per second,
release-to-accept latency; a naive one-request-per-order reader as the baseline; the ideal bound."""

from __future__ import annotations

import asyncio
import statistics
import time
from datetime import UTC, datetime
from typing import Any

from bench.world import BC_CONCURRENCY, BC_PER_SECOND, BenchWorld, ideal_seconds
from local.bc_sim import SeedRequest
from local.scend_sim.models.products import ProductIn
from local.scend_sim.seeding import Shelf
from local.scend_sim.seeding import seed as seed_scend
from shared.bc.models import SalesOrder
from shared.bc.odata import Field
from shared.flows.order_changes import poll_bc_sales_orders
from shared.flows.order_release import handle_order
from shared.mapping.lookups import default_lookups
from shared.messaging.envelope import Envelope
from shared.messaging.local import LocalTransport
from shared.messaging.queues import queue_specs

WORKERS = 8  # session workers, as the Functions host runs the orders queue (host.json maxConcurrentSessions)
STOCK = 1_000_000  # at Scend, so that the despatch scenario can despatch these orders afterwards


async def ready(sku: str) -> bool:
    return True


async def run(world: BenchWorld, orders: int, latency_s: float, baseline_sample: int) -> dict[str, Any]:
    created = world.bc_sim.seed(SeedRequest(
        seed=5, items=50, customers=20, vendors=0, locations=1, shipment_methods=2,
        released_sales_orders=orders, draft_sales_orders=0, released_purchase_orders=0, max_lines_per_order=5,
        opening_stock=STOCK,
    ))  # fmt: skip
    skus = [i["number"] for i in created["items"]]
    seed_scend(world.scend_sim.warehouse, [ProductIn(sku=s, description=s) for s in skus],
               [Shelf(s, STOCK) for s in skus])  # fmt: skip
    specs = [s for s in queue_specs(world.settings) if s.name == world.settings.orders_queue]
    transport = LocalTransport(":memory:", specs)
    lookups = default_lookups()
    bc_before, scend_before = world.bc_requests(), world.scend_requests()
    started = time.perf_counter()
    polled = await poll_bc_sales_orders(
        bc=world.bc, watermarks=world.watermarks, transport=transport, queue=world.settings.orders_queue,
        clock=lambda: datetime.now(UTC),
    )  # fmt: skip
    bc_requests = world.bc_requests() - bc_before
    accepted: list[float] = []

    async def worker() -> None:
        while True:
            async with transport.receiver(world.settings.orders_queue, session=True, max_wait=0) as receiver:
                if receiver is None:
                    return
                while messages := await receiver.receive(max_messages=20, max_wait=0):
                    for message in messages:
                        await handle_order(
                            Envelope.from_bytes(message.body), scend=world.scend,
                            cross_references=world.cross_references, exceptions=world.exceptions,
                            lookups=lookups, is_warehouse_ready=ready, clock=lambda: datetime.now(UTC),
                        )  # fmt: skip
                        await receiver.complete(message)
                        accepted.append(time.perf_counter() - started)

    await asyncio.gather(*(worker() for _ in range(WORKERS)))
    elapsed = time.perf_counter() - started
    await transport.close()
    scend_requests = world.scend_requests() - scend_before
    at_scend = len(world.scend_sim.state.orders)

    # The naive baseline: list the released orders, then read each one with its lines.
    sample = min(baseline_sample, orders)
    base_before = world.bc_requests()
    began = time.perf_counter()
    ids = [o.id async for o in world.bc.sales.iter_orders(Field("status").eq("Open"), with_lines=False)][
        :sample
    ]
    semaphore = asyncio.Semaphore(BC_CONCURRENCY)

    async def one(order_id: Any) -> SalesOrder:
        async with semaphore:
            return await world.bc.sales.get_order(order_id)

    await asyncio.gather(*(one(i) for i in ids))
    naive_seconds = time.perf_counter() - began
    naive_requests = world.bc_requests() - base_before

    bound_seconds = max(ideal_seconds(bc_requests, latency_s), latency_s * scend_requests / WORKERS)
    latencies = sorted(accepted)
    return {
        "scenario": "release orders",
        "documents": orders,
        "accepted_at_scend": at_scend,
        "polled": polled.enqueued,
        "bc_requests": bc_requests,
        "bc_requests_per_document": bc_requests / orders,
        "scend_requests_per_document": scend_requests / orders,
        "seconds": round(elapsed, 2),
        "documents_per_second": round(orders / elapsed, 1),
        "p50_accept_seconds": round(statistics.median(latencies), 2),
        "p95_accept_seconds": round(latencies[int(0.95 * (len(latencies) - 1))], 2),
        "ideal_bound_seconds": round(bound_seconds, 2),
        "throughput_vs_bound": round(bound_seconds / elapsed, 2),
        "baseline": {
            "documents": sample,
            "bc_requests_per_document": round(naive_requests / sample, 3),
            "documents_per_second": round(sample / naive_seconds, 1),
            "bc_limit_documents_per_second": round(BC_PER_SECOND / (naive_requests / sample), 1),
        },
        "scend_limit_documents_per_second": round(120 / 60 / (scend_requests / orders), 2),
    }
