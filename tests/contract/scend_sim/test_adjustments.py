"""Adjustments: each reason code's usual from/to states and signed on_hand change; cycle counts."""

from __future__ import annotations

import httpx
import pytest

from local.scend_sim import ScendSim
from tests.contract.scend_sim.support import key, ok, order_body

pytestmark = pytest.mark.usefixtures("stocked")

USUAL = [
    ("DAMAGED_IN_WAREHOUSE", "available", "damaged", 0),
    ("DAMAGED_INBOUND", "available", "damaged", 0),
    ("WRITE_OFF", "damaged", "disposed", -2),
    ("EXPIRED", "available", "disposed", -2),
    ("CYCLE_COUNT_GAIN", None, "available", 2),
    ("CYCLE_COUNT_LOSS", "available", None, -2),
    ("FOUND", None, "available", 2),
    ("LOST", "available", None, -2),
    ("QC_HOLD", "available", "quarantine", 0),
    ("QC_RELEASE", "quarantine", "available", 0),
]


@pytest.mark.parametrize(("reason", "source", "target", "delta"), USUAL)
async def test_a_reason_moves_stock_from_its_usual_state_to_its_usual_state(
    api: httpx.AsyncClient,
    control: httpx.AsyncClient,
    reason: str,
    source: str | None,
    target: str | None,
    delta: int,
) -> None:
    await ok(await control.put("/stock/CAP-NVY", json={"available": 10, "quarantined": 5, "damaged": 5}))
    body = {"sku": "CAP-NVY", "reason_code": reason, "quantity": 2, "reason_text": "t", "count_ref": "CC-1"}
    adjustment = await ok(await control.post("/adjustments", json=body))
    assert (adjustment["from_state"], adjustment["to_state"]) == (source, target)
    assert (adjustment["quantity"], adjustment["quantity_delta"]) == (2, delta)
    assert adjustment["occurred_at"] == "2026-01-05T08:00:00Z"
    [fed] = (await ok(await api.get("/stock-adjustments")))["data"]
    assert fed == adjustment == await ok(await api.get(f"/stock-adjustments/{adjustment['id']}"))
    changes = (await ok(await api.get("/stock/changes")))["data"]
    assert changes[-1]["movement_type"] == "adjustment"
    assert changes[-1]["ref"] == adjustment["id"]
    assert changes[-1]["delta"] == delta


async def test_other_needs_its_states_and_takes_them(control: httpx.AsyncClient) -> None:
    bare = await control.post("/adjustments", json={"sku": "CAP-NVY", "reason_code": "OTHER", "quantity": 1})
    assert (await ok(bare, 422))["code"] == "VALIDATION_FAILED"
    body = {
        "sku": "CAP-NVY",
        "reason_code": "OTHER",
        "quantity": 1,
        "from_state": "available",
        "to_state": "quarantine",
    }
    assert (await ok(await control.post("/adjustments", json=body)))["to_state"] == "quarantine"


async def test_an_adjustment_cannot_take_more_than_there_is(
    control: httpx.AsyncClient, sim: ScendSim
) -> None:
    body = {"sku": "CAP-NVY", "reason_code": "WRITE_OFF", "quantity": 1}
    assert (await ok(await control.post("/adjustments", json=body), 409))["code"] == "INSUFFICIENT_STOCK"
    assert sim.state.adjustments == {}


async def test_a_cycle_count_books_the_difference(api: httpx.AsyncClient, control: httpx.AsyncClient) -> None:
    await ok(await api.post("/orders", json=order_body("SO-1", ("1", "CAP-NVY", 10)), headers=key()), 201)
    gain = await ok(await control.post("/stock/CAP-NVY/count", json={"counted": 103, "count_ref": "CC-9"}))
    assert (gain["adjustment"]["reason_code"], gain["adjustment"]["quantity_delta"]) == (
        "CYCLE_COUNT_GAIN",
        3,
    )
    loss = await ok(await control.post("/stock/CAP-NVY/count", json={"counted": 99}))
    assert (loss["adjustment"]["reason_code"], loss["adjustment"]["quantity_delta"]) == (
        "CYCLE_COUNT_LOSS",
        -4,
    )
    same = await ok(await control.post("/stock/CAP-NVY/count", json={"counted": 99}))
    assert same == {"adjustment": None}
    below_reserved = await control.post("/stock/CAP-NVY/count", json={"counted": 5})
    assert (await ok(below_reserved, 409))["code"] == "INSUFFICIENT_STOCK"


async def test_the_seeded_clock_damages_writes_off_finds_and_loses(start_sim: object) -> None:
    from tests.contract.scend_sim.support import clients

    sim = await start_sim(policy={"stock_events_per_day": 24.0})  # type: ignore[operator]
    async with clients(sim) as (api, control):
        await ok(await control.post("/seed", json={"demo": True}))
        await ok(await control.post("/clock/advance", json={"minutes": 60 * 24}))
        adjustments = (await ok(await api.get("/stock-adjustments")))["data"]
    assert len(adjustments) == 24
    assert {a["reason_code"] for a in adjustments} <= {"FOUND", "LOST", "DAMAGED_IN_WAREHOUSE", "WRITE_OFF"}
    assert len({a["reason_code"] for a in adjustments}) >= 3
