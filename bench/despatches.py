"""N despatches into BC in one write-back mode: BC requests per despatch, despatches per second,
against BC's budget. The orders are released first (not measured), then Scend despatches each in
full, the shipments feed is read and the shipment worker posts them."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from bench import release_orders
from bench.world import BC_PER_SECOND, BenchWorld, ideal_seconds
from local.bc_sim import SeedRequest
from local.scend_sim.despatch import ParcelPlan
from local.scend_sim.models.products import ProductIn
from local.scend_sim.seeding import Shelf
from local.scend_sim.seeding import seed as seed_scend
from shared.flows.despatch import Despatches
from shared.flows.order_changes import poll_bc_sales_orders
from shared.flows.order_release import handle_order
from shared.flows.scend_feeds import FEEDS, poll_scend_feed
from shared.mapping.lookups import default_lookups
from shared.messaging.envelope import Envelope
from shared.messaging.local import LocalTransport
from shared.messaging.queues import queue_specs
from shared.settings import WriteBackMode

WORKERS = 5  # BC runs 5 requests of one principal at once; more workers would only queue there
BATCH = 100  # host.json maxMessageBatchSize
BASELINE = 100  # shipments run one at a time first, as the flow ran before batching


async def ready(sku: str) -> bool:
    return True


async def _drain(transport: LocalTransport, queue: str, handle: Any, *, workers: int = WORKERS) -> None:
    """Orders: session workers, one message at a time, as the orders queue's trigger runs."""

    async def worker() -> None:
        while True:
            async with transport.receiver(queue, session=True, max_wait=0) as receiver:
                if receiver is None:
                    return
                while messages := await receiver.receive(max_messages=20, max_wait=0):
                    for message in messages:
                        await handle(Envelope.from_bytes(message.body))
                        await receiver.complete(message)

    await asyncio.gather(*(worker() for _ in range(workers)))


async def _drain_batches(transport: LocalTransport, queue: str, flow: Despatches) -> list[str]:
    """Shipments: batch workers as the shipments trigger runs (cardinality many); the errors met."""
    errors: list[str] = []

    async def worker() -> None:
        async with transport.receiver(queue, max_wait=0) as receiver:
            assert receiver is not None
            while messages := await receiver.receive(max_messages=BATCH, max_wait=0):
                answers = await flow.confirm_many([Envelope.from_bytes(m.body) for m in messages])
                errors.extend(f"{type(a).__name__}: {a}" for a in answers if isinstance(a, Exception))
                for message in messages:
                    await receiver.complete(message)

    await asyncio.gather(*(worker() for _ in range(WORKERS)))
    return errors


async def release(world: BenchWorld, orders: int) -> None:
    """Released orders at Scend to despatch, without latency: the release is not what is measured."""
    created = world.bc_sim.seed(SeedRequest(
        seed=7, items=30, customers=10, vendors=0, locations=1, shipment_methods=2, max_lines_per_order=3,
        released_sales_orders=orders, draft_sales_orders=0, released_purchase_orders=0,
        opening_stock=100_000,
    ))  # fmt: skip
    skus = [item["number"] for item in created["items"]]
    seed_scend(
        world.scend_sim.warehouse,
        [ProductIn(sku=s, description=s) for s in skus],
        [Shelf(s, 100_000) for s in skus],
    )
    settings = world.settings
    world.set_latency(0)
    transport = LocalTransport(":memory:", queue_specs(settings))
    await poll_bc_sales_orders(bc=world.bc, watermarks=world.watermarks, transport=transport,
                               queue=settings.orders_queue, clock=lambda: datetime.now(UTC))  # fmt: skip

    lookups = default_lookups()

    async def handle(envelope: Envelope) -> None:
        await handle_order(envelope, scend=world.scend, cross_references=world.cross_references,
                           exceptions=world.exceptions, lookups=lookups, is_warehouse_ready=ready,
                           clock=lambda: datetime.now(UTC))  # fmt: skip

    await _drain(transport, settings.orders_queue, handle, workers=release_orders.WORKERS)
    await transport.close()


async def run(
    world: BenchWorld, mode: WriteBackMode, latency_s: float, baseline_sample: int = 0
) -> dict[str, Any]:
    """Despatch every order released at Scend in full, then read the feed and post them all. The
    baseline: the first `baseline_sample` shipments one message at a time (a batch of one each, as
    the flow ran before batching: order read, line quantities, posting, invoice read)."""
    settings = world.settings
    despatches = 0
    for order in list(world.scend_sim.state.orders.values()):
        if order.status != "cancelled":
            plan = ParcelPlan(lines=[(line.line_ref, line.qty_ordered) for line in order.lines])
            world.scend_sim.warehouse.despatch(order.id, [plan])
            despatches += 1
    transport = LocalTransport(":memory:", queue_specs(settings))
    flow = Despatches(
        bc=world.bc, cross_references=world.cross_references, exceptions=world.exceptions,
        timeline=world.timeline, lookups=default_lookups(), mode=mode, clock=lambda: datetime.now(UTC),
        dependency_wait=timedelta(hours=1), processed=world.processed,
    )  # fmt: skip
    world.set_latency(latency_s * 1000)
    posted_before = len(world.bc_sim.docs.state.rows("salesShipments"))
    bc_before = world.bc_requests()
    started = time.perf_counter()
    await poll_scend_feed(
        FEEDS["shipments"], scend=world.scend, watermarks=world.watermarks, transport=transport,
        queue=settings.shipments_queue, exceptions=world.exceptions, clock=lambda: datetime.now(UTC),
        stale_after=timedelta(hours=1),
    )  # fmt: skip
    polling = time.perf_counter() - started
    bc_polling = world.bc_requests() - bc_before
    baseline = await _one_at_a_time(world, transport, settings.shipments_queue, flow, baseline_sample)
    bc_before = world.bc_requests() - bc_polling
    started = time.perf_counter() - polling
    errors = await _drain_batches(transport, settings.shipments_queue, flow)
    elapsed = time.perf_counter() - started
    if errors:
        raise RuntimeError(f"{len(errors)} despatch(es) failed, first: {errors[0]}")
    await transport.close()
    despatches -= baseline_sample
    bc_requests = world.bc_requests() - bc_before
    posted = len(world.bc_sim.docs.state.rows("salesShipments")) - posted_before
    bound = ideal_seconds(bc_requests, latency_s)
    per = bc_requests / despatches
    return {
        "scenario": f"despatches ({mode.value})",
        "documents": despatches,
        "posted_shipments": posted,
        "bc_requests": bc_requests,
        "bc_requests_per_document": per,
        "scend_requests_per_document": 0.0,
        "seconds": round(elapsed, 2),
        "documents_per_second": round(despatches / elapsed, 1),
        "p50_accept_seconds": "-",
        "p95_accept_seconds": "-",
        "ideal_bound_seconds": round(bound, 2),
        "throughput_vs_bound": round(bound / elapsed, 2),
        "bc_limit_documents_per_second": round(BC_PER_SECOND / per, 1),
        "baseline": baseline,
    }


async def _one_at_a_time(
    world: BenchWorld, transport: LocalTransport, queue: str, flow: Despatches, sample: int
) -> dict[str, Any]:
    if not sample:
        return {"bc_requests_per_document": "-", "documents_per_second": "-"}
    async with transport.receiver(queue, max_wait=0) as receiver:
        assert receiver is not None
        messages = await receiver.receive(max_messages=sample, max_wait=0)
        before, began = world.bc_requests(), time.perf_counter()
        semaphore = asyncio.Semaphore(WORKERS)

        async def one(message: Any) -> None:
            async with semaphore:
                await flow.confirm(Envelope.from_bytes(message.body))

        await asyncio.gather(*(one(m) for m in messages))
        seconds = time.perf_counter() - began
        for message in messages:
            await receiver.complete(message)
    per = (world.bc_requests() - before) / len(messages)
    return {
        "documents": len(messages),
        "bc_requests_per_document": round(per, 3),
        "documents_per_second": round(len(messages) / seconds, 1),
        "bc_limit_documents_per_second": round(BC_PER_SECOND / per, 1),
    }
