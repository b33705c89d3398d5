"""Stock reconciliation: 20,000 SKUs (RECONCILE_SKUS=N scales it), differences of every class seeded,
each found exactly, with no false positive; STOCK_VARIANCE once per SKU; readable reports."""

from __future__ import annotations

import csv
import os
import time
from datetime import timedelta

import pytest
from azure.data.tables.aio import TableServiceClient

from local.bc_sim import SeedRequest
from local.scend_sim.adjustments import AdjustmentSpec
from local.scend_sim.models.products import ProductIn
from local.scend_sim.seeding import Shelf
from local.scend_sim.seeding import seed as seed_scend
from shared.flows.reconciliation import reconcile_stock, write_reports
from shared.flows.scend_feeds import adjustment_message
from shared.scend.models import StockAdjustment
from shared.settings import WriteBackMode
from shared.store.exceptions import ExceptionStatus
from shared.store.reconciliations import Classification, ReconciliationStore
from shared.store.tables import TableNames
from tests.flows.orders.support import NOTHING
from tests.flows.warehouse.support import STOCK as STOCK_QUEUE
from tests.flows.warehouse.support import Warehouse

SKUS = int(os.environ.get("RECONCILE_SKUS", "20000"))
STOCK = 40


@pytest.fixture
def mode() -> WriteBackMode:
    """Standard mode: adjustments become proposals, the open exceptions a difference can be explained by."""
    return WriteBackMode.STANDARD


@pytest.fixture
def reconciliations(
    warehouse: Warehouse, table_service: TableServiceClient, table_names: TableNames
) -> ReconciliationStore:
    return ReconciliationStore(table_service.get_table_client(table_names.reconciliations))


def adjust(warehouse: Warehouse, sku: str, reason: str, quantity: int) -> None:
    spec = AdjustmentSpec(sku=sku, reason_code=reason, quantity=quantity)  # type: ignore[arg-type]
    warehouse.world.scend_sim.warehouse.adjust(spec)


async def test_every_class_of_difference_is_found_exactly(
    warehouse: Warehouse, reconciliations: ReconciliationStore, tmp_path: object
) -> None:
    # GIVEN N items with STOCK units each in BC, and the same at Scend
    started = time.perf_counter()
    world = warehouse.world
    world.bc_sim.seed(
        SeedRequest(**NOTHING | {"entities": {"locations": [{"code": "SCEND", "displayName": "Scend"}]}})
    )
    numbers = [f"SKU{i:06d}" for i in range(SKUS)]
    world.bc_sim.seed(
        SeedRequest(**NOTHING | {"entities": {"items": [
            {"number": n, "displayName": n, "type": "Inventory", "stock": {"SCEND": STOCK}} for n in numbers
        ]}})
    )  # fmt: skip
    seed_scend(
        world.scend_sim.warehouse,
        [ProductIn(sku=n, description=n) for n in numbers],
        [Shelf(n, STOCK) for n in numbers],
    )
    await warehouse.poll("adjustments")  # the cursor starts at the head
    seeded = time.perf_counter() - started
    # AND differences of every class:
    # explained: read and proposed to finance (standard mode), not yet posted in BC
    explained = {numbers[20]: -1, numbers[-5]: -4}
    adjust(warehouse, numbers[20], "CYCLE_COUNT_LOSS", 1)
    adjust(warehouse, numbers[-5], "LOST", 4)
    await warehouse.poll("adjustments")
    await warehouse.drain_stock()
    # explained too: one that came by webhook, ahead of the feed's cursor (not in flight as well)
    lost = world.scend_sim.warehouse.adjust(
        AdjustmentSpec(sku=numbers[40], reason_code="LOST", quantity=1)  # type: ignore[arg-type]
    )
    await world.transport.send(
        STOCK_QUEUE, [adjustment_message(StockAdjustment.model_validate(lost.model_dump()))]
    )
    await warehouse.drain_stock()
    explained[numbers[40]] = -1
    # in flight: Scend booked these after the adjustments feed was last read
    adjust(warehouse, numbers[10], "LOST", 2)
    adjust(warehouse, numbers[SKUS // 5], "FOUND", 3)
    in_flight = {numbers[10]: -2, numbers[SKUS // 5]: +3}
    # unexplained: stock moved at Scend with no document, a BC-only item with stock, a Scend-only product
    world.scend_sim.warehouse.set_stock(numbers[30], STOCK + 7)
    world.scend_sim.warehouse.set_stock(numbers[SKUS // 2], STOCK - 1)
    bc_only = {"number": "ZZ-BC-ONLY", "displayName": "BC only", "type": "Inventory", "stock": {"SCEND": 5}}
    world.bc_sim.seed(SeedRequest(**NOTHING | {"entities": {"items": [bc_only]}}))
    seed_scend(
        world.scend_sim.warehouse,
        [ProductIn(sku="AA-SCEND-ONLY", description="x")],
        [Shelf("AA-SCEND-ONLY", 2)],
    )
    unexplained = {numbers[30]: 7, numbers[SKUS // 2]: -1, "ZZ-BC-ONLY": -5, "AA-SCEND-ONLY": 2}
    # in flight too: read by the feed poll, still waiting in the queue
    adjust(warehouse, numbers[50], "FOUND", 2)
    await warehouse.poll("adjustments")
    in_flight[numbers[50]] = +2
    # a service item holds no stock and is left out
    world.bc_sim.seed(
        SeedRequest(**NOTHING | {"entities": {"items": [{"number": "SERVICE-1", "type": "Service"}]}})
    )

    # WHEN the reconciliation runs
    began = time.perf_counter()
    summary = await reconcile_stock(
        scend=world.scend, bc=world.bc, watermarks=world.watermarks, processed=warehouse.processed,
        exceptions=world.exceptions,
        reconciliations=reconciliations, clock=world.clock,
    )  # fmt: skip
    took = time.perf_counter() - began

    # THEN every SKU was compared and each difference is in its class, and no other
    assert summary.skus_compared == SKUS + 2
    rows = {row.sku: row async for row in reconciliations.variances(summary.run_id)}
    by_class = {c: {s for s, r in rows.items() if r.classification is c} for c in Classification}
    assert by_class[Classification.IN_FLIGHT] == set(in_flight)
    assert by_class[Classification.EXPLAINED] == set(explained)
    assert by_class[Classification.UNEXPLAINED] == set(unexplained)
    for sku, units in {**in_flight, **explained, **unexplained}.items():
        assert rows[sku].variance == units, sku
    assert (summary.matched, summary.in_flight, summary.explained, summary.unexplained) == (
        SKUS + 2 - 10, 3, 3, 4
    )  # fmt: skip
    assert (summary.only_in_bc, summary.only_in_scend) == (1, 1)
    # AND one STOCK_VARIANCE per unexplained SKU, for finance
    variances = [e for e in await world.open_exceptions() if e.type == "STOCK_VARIANCE"]
    assert {e.business_key for e in variances} == set(unexplained)
    assert {str(e.owner) for e in variances} == {"finance"}

    # WHEN it runs again after one SKU was put right: nothing doubles, that SKU's exception resolves
    world.scend_sim.warehouse.set_stock(numbers[30], STOCK)
    world.clock.advance(timedelta(minutes=5))
    again = await reconcile_stock(
        scend=world.scend, bc=world.bc, watermarks=world.watermarks, processed=warehouse.processed,
        exceptions=world.exceptions,
        reconciliations=reconciliations, clock=world.clock,
    )  # fmt: skip
    assert again.unexplained == 3
    still = [e for e in await world.open_exceptions() if e.type == "STOCK_VARIANCE"]
    assert {e.business_key: e.count for e in still} == {k: 1 for k in unexplained if k != numbers[30]}
    fixed = await world.exceptions.get("stock", "STOCK_VARIANCE", numbers[30])
    assert fixed is not None
    assert fixed.status is ExceptionStatus.RESOLVED
    latest = await reconciliations.latest()
    assert latest is not None
    assert latest.run_id == again.run_id

    # WHEN the queued adjustment is handled (standard mode: proposed), a third run explains it, and
    # the reconciliation's own position in the feed has moved past everything handled
    await warehouse.drain_stock()
    world.clock.advance(timedelta(minutes=5))
    third = await reconcile_stock(
        scend=world.scend, bc=world.bc, watermarks=world.watermarks, processed=warehouse.processed,
        exceptions=world.exceptions, reconciliations=reconciliations, clock=world.clock,
    )  # fmt: skip
    latest_rows = {row.sku: row async for row in reconciliations.variances(third.run_id)}
    assert latest_rows[numbers[50]].classification is Classification.EXPLAINED
    assert (third.in_flight, third.explained) == (0, 6)  # every queued adjustment is now a proposal
    position = await world.watermarks.get("reconcile_stock", "adjustments")
    assert position is not None
    assert position.value

    # AND the reports: a CSV of every difference, an HTML page of what needs a person
    from pathlib import Path

    csv_path, html_path = await write_reports(reconciliations, summary, Path(str(tmp_path)))
    with csv_path.open(encoding="utf-8") as handle:
        listed = list(csv.DictReader(handle))
    assert {row["sku"] for row in listed} == set(rows)
    page = html_path.read_text(encoding="utf-8")
    assert all(sku in page for sku in unexplained)
    assert numbers[10] not in page  # in flight: in the CSV, not on the page for people
    reads = world.scend_sim.stats.routes["GET /v1/stock"].requests
    print(f"\nreconciliation of {SKUS} SKUs: seeded in {seeded:.1f}s, compared in {took:.1f}s;", end=" ")
    print(f"{reads} stock reads in three runs")
