"""Stock adjustments in both write-back modes: every Scend reason becomes the right BC posting
(extension) or the exact journal line for finance (standard), once, and a move BC does not see posts
nothing."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from local.bc_sim import SeedRequest
from local.scend_sim.adjustments import AdjustmentSpec
from shared.mapping.lookups import load_lookups
from shared.messaging.settlement import Outcome
from shared.settings import WriteBackMode
from tests.contract.scend.support import product
from tests.flows.orders.support import NOTHING
from tests.flows.warehouse.support import Warehouse

# reason → BC effect at SCEND with the shipped table (every stock state at one location)
EFFECT = {
    "DAMAGED_IN_WAREHOUSE": 0, "DAMAGED_INBOUND": 0, "QC_HOLD": 0, "QC_RELEASE": 0,  # moves inside SCEND
    "WRITE_OFF": -1, "EXPIRED": -1, "CYCLE_COUNT_LOSS": -1, "LOST": -1,
    "CYCLE_COUNT_GAIN": +1, "FOUND": +1,
}  # fmt: skip
REASON_CODE = {
    "WRITE_OFF": "WRITEOFF", "EXPIRED": "EXPIRED", "CYCLE_COUNT_LOSS": "CYCLECOUNT", "LOST": "LOST",
    "CYCLE_COUNT_GAIN": "CYCLECOUNT", "FOUND": "FOUND",
}  # fmt: skip
LOCATIONS = [{"code": "SCEND", "displayName": "Scend"}, {"code": "SCEND-DMG", "displayName": "Scend damaged"}]


async def stocked_item(warehouse: Warehouse, units: int = 50) -> str:
    """An item in BC with `units` at SCEND, and the same at Scend."""
    world = warehouse.world
    world.bc_sim.seed(SeedRequest(**NOTHING | {"entities": {"locations": LOCATIONS}}))
    cat = await warehouse.catalogue(1)
    sku = cat.items[0]
    world.scend_sim.warehouse.set_stock(sku, units)
    return sku


def adjust(warehouse: Warehouse, sku: str, reason: str, quantity: int) -> str:
    spec = AdjustmentSpec(sku=sku, reason_code=reason, quantity=quantity)  # type: ignore[arg-type]
    return warehouse.world.scend_sim.warehouse.adjust(spec).id


async def test_every_reason_has_its_bc_effect_exactly_once(warehouse: Warehouse) -> None:
    # GIVEN a stocked item; WHEN Scend books every kind of adjustment (damage first, so a write-off has
    # damaged stock to write off; a QC hold before its release), 2 units each
    sku = await stocked_item(warehouse)
    before = warehouse.stock_at(sku, "SCEND")
    ids = {reason: adjust(warehouse, sku, reason, 2) for reason in EFFECT}
    assert (await warehouse.poll("adjustments")).read == len(EFFECT)
    await warehouse.drain_stock(duplicate_every=1)
    # AND the feed is read again from the start (a replay)
    watermark = await warehouse.world.watermarks.get("poll_scend_adjustments", "scend")
    assert watermark is not None
    await warehouse.world.watermarks.save(watermark.model_copy(update={"value": ""}))
    warehouse.world.clock.advance(timedelta(hours=1))
    await warehouse.poll("adjustments")
    await warehouse.drain_stock()
    assert warehouse.settled[Outcome.PARKED] == 0
    posted = warehouse.world.bc_sim.statistics()["posted"]["by_scend_id"].get("stockAdjustment", {})
    proposals = {e.business_key: e for e in await warehouse.world.open_exceptions()}
    if warehouse.mode is WriteBackMode.EXTENSION:
        # THEN each adjustment with an effect is one posting, moving SCEND by exactly its effect
        assert posted == {ids[r]: 1 for r, effect in EFFECT.items() if effect}
        assert warehouse.stock_at(sku, "SCEND") == before + 2 * sum(EFFECT.values())
        assert proposals == {}
        rows = {r["scendAdjustmentId"]: r for r in warehouse.world.bc_sim.docs.state.rows("stockAdjustments")}
        assert {r: rows[ids[r]]["reasonCode"] for r in REASON_CODE} == REASON_CODE
    else:
        # THEN nothing is posted; finance has one proposal per adjustment with an effect, with its line
        assert posted == {}
        assert warehouse.stock_at(sku, "SCEND") == before
        assert set(proposals) == {ids[r] for r, effect in EFFECT.items() if effect}
        for reason, effect in EFFECT.items():
            if effect:
                proposal = proposals[ids[reason]]
                assert proposal.type == "ADJUSTMENT_NEEDS_REVIEW"
                assert proposal.count == 1
                entry = "Positive Adjmt." if effect > 0 else "Negative Adjmt."
                assert f"{entry} 2 x item {sku} at location SCEND" in proposal.detail
                assert f"Reason Code {REASON_CODE[reason]}" in proposal.detail
                assert f"External Document No. {ids[reason]}" in proposal.detail


async def test_damaged_stock_kept_at_its_own_location_moves_there(warehouse: Warehouse) -> None:
    # GIVEN a lookup table that keeps damaged stock at SCEND-DMG
    shipped = warehouse.world.lookups
    warehouse.world.lookups = dataclasses.replace(
        shipped, stock_locations={"available": "SCEND", "quarantine": "SCEND", "damaged": "SCEND-DMG"}
    )
    sku = await stocked_item(warehouse)
    damaged = adjust(warehouse, sku, "DAMAGED_IN_WAREHOUSE", 3)
    written_off = adjust(warehouse, sku, "WRITE_OFF", 1)
    await warehouse.poll("adjustments")
    await warehouse.drain_stock()
    if warehouse.mode is WriteBackMode.EXTENSION:
        assert warehouse.stock_at(sku, "SCEND-DMG") == 2  # 3 damaged, 1 of them written off
        rows = {r["scendAdjustmentId"]: r for r in warehouse.world.bc_sim.docs.state.rows("stockAdjustments")}
        lines = warehouse.world.bc_sim.docs.state.lines("stockAdjustmentLines", rows[damaged]["id"])
        assert sorted((line["locationCode"], line["quantity"]) for line in lines) == [
            ("SCEND", -3),
            ("SCEND-DMG", 3),
        ]
    else:
        (move, write_off) = sorted(await warehouse.world.open_exceptions(), key=lambda e: e.business_key)
        assert move.business_key == damaged
        assert "Negative Adjmt. 3 x item" in move.detail
        assert "Positive Adjmt. 3 x item" in move.detail
        assert write_off.business_key == written_off


async def test_a_state_the_lookup_table_does_not_place_is_a_mapping_gap(warehouse: Warehouse) -> None:
    warehouse.world.lookups = load_lookups('{"stock_locations": {"available": "SCEND"}}')
    sku = await stocked_item(warehouse)
    held = adjust(warehouse, sku, "QC_HOLD", 1)
    await warehouse.poll("adjustments")
    await warehouse.drain_stock()
    (gap,) = await warehouse.world.open_exceptions()
    assert (gap.type, gap.business_key) == ("MAPPING_MISSING", held)
    assert "'quarantine'" in gap.detail


@pytest.mark.parametrize("mode", [WriteBackMode.EXTENSION])
async def test_an_adjustment_of_a_sku_bc_does_not_have_goes_to_review(warehouse: Warehouse) -> None:
    await stocked_item(warehouse)
    await warehouse.world.scend.upsert_product(product("ONLY-AT-SCEND"))
    warehouse.world.scend_sim.warehouse.set_stock("ONLY-AT-SCEND", 5)
    lost = adjust(warehouse, "ONLY-AT-SCEND", "LOST", 1)
    await warehouse.poll("adjustments")
    await warehouse.drain_stock()
    (problem,) = await warehouse.world.open_exceptions()
    assert (problem.type, problem.business_key) == ("ADJUSTMENT_NEEDS_REVIEW", lost)
    assert "not an item in Business Central" in problem.detail
