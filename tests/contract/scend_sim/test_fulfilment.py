"""The warehouse clock picks, packs and despatches; partial despatches, split parcels, carriers."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from local.scend_sim import ScendSim
from tests.contract.scend_sim.conftest import Start
from tests.contract.scend_sim.support import clients, key, ok, order_body

pytestmark = pytest.mark.usefixtures("stocked")


async def _order(api: httpx.AsyncClient, reference: str, *lines: tuple[str, str, int], **kw: Any) -> Any:
    return await ok(await api.post("/orders", json=order_body(reference, *lines, **kw), headers=key()), 201)


async def _advance(control: httpx.AsyncClient, minutes: float) -> Any:
    return await ok(await control.post("/clock/advance", json={"minutes": minutes}))


async def _status(api: httpx.AsyncClient, order_id: str) -> str:
    return str((await ok(await api.get(f"/orders/{order_id}")))["status"])


async def test_an_order_goes_accepted_picking_packed_despatched_on_the_clock(
    api: httpx.AsyncClient, control: httpx.AsyncClient
) -> None:
    # GIVEN an order at 08:00 and the default policy (pick after 15 min, 10 to pick, 5 to pack)
    order = await _order(api, "SO-1-R1", ("1", "TEE-BLK-M", 2), ("2", "CAP-NVY", 1), service="DPD_NEXT_DAY")
    statuses = []
    for _ in range(3):
        await _advance(control, 10)
        statuses.append(await _status(api, order["id"]))
    # THEN picking starts at 08:15, packing ends at 08:30 and it leaves as one final shipment
    assert statuses == ["accepted", "picking", "despatched"]
    feed = await ok(await api.get("/shipments"))
    [shipment] = feed["data"]
    assert shipment["despatched_at"] == "2026-01-05T08:30:00Z"
    assert (shipment["order_id"], shipment["client_reference"]) == (order["id"], "SO-1-R1")
    assert (shipment["carrier"], shipment["service"], shipment["is_final_for_order"]) == (
        "dpd",
        "next_day",
        True,
    )
    [parcel] = shipment["parcels"]
    assert parcel["tracking_number"].isdigit()
    assert parcel["tracking_url"].endswith(parcel["tracking_number"])
    assert parcel["weight_kg"] == pytest.approx(2 * 0.22 + 0.1)
    assert [(line["line_ref"], line["quantity"]) for line in parcel["lines"]] == [("1", 2), ("2", 1)]
    despatched = await ok(await api.get(f"/orders/{order['id']}"))
    assert [(line["qty_despatched"], line["qty_allocated"]) for line in despatched["lines"]] == [
        (2, 0),
        (1, 0),
    ]
    assert despatched["shipment_ids"] == [shipment["id"]]
    assert await ok(await api.get(f"/orders/{order['id']}/shipments")) == {
        "data": [shipment],
        "next_cursor": None,
    }
    assert await ok(await api.get(f"/shipments/{shipment['id']}")) == shipment


async def test_the_seeded_partial_policy_despatches_in_two_shipments(start_sim: Start) -> None:
    sim = await start_sim(policy={"partial_despatch_rate": 1.0})
    async with clients(sim) as (api, control):
        await ok(await control.post("/seed", json={"demo": True}))
        order = await _order(api, "SO-2-R1", ("1", "TEE-BLK-S", 4))
        await _advance(control, 30)
        assert await _status(api, order["id"]) == "partially_despatched"
        await _advance(control, 30)
        shipments = (await ok(await api.get(f"/orders/{order['id']}/shipments")))["data"]
    assert [s["is_final_for_order"] for s in shipments] == [False, True]
    assert [s["parcels"][0]["lines"][0]["quantity"] for s in shipments] == [2, 2]
    assert sim.state.orders[order["id"]].status == "despatched"


async def test_the_seeded_split_policy_puts_a_shipment_in_several_parcels(start_sim: Start) -> None:
    sim = await start_sim(policy={"split_parcel_rate": 1.0})
    async with clients(sim) as (api, control):
        await ok(await control.post("/seed", json={"demo": True}))
        await _order(api, "SO-3-R1", ("1", "MUG-WHT", 3), ("2", "CAP-NVY", 2))
        await _advance(control, 30)
        [shipment] = (await ok(await api.get("/shipments")))["data"]
    parcels = [[(line["line_ref"], line["quantity"]) for line in p["lines"]] for p in shipment["parcels"]]
    assert parcels == [[("1", 3)], [("2", 2)]]
    assert len({p["tracking_number"] for p in shipment["parcels"]}) == 2


async def test_an_order_short_of_stock_ships_what_there_is_and_the_rest_after_a_receipt(
    api: httpx.AsyncClient, control: httpx.AsyncClient, sim: ScendSim
) -> None:
    # GIVEN only 2 HOODIE-GRY-M and an order for 5
    await ok(await control.put("/stock/HOODIE-GRY-M", json={"available": 2}))
    order = await _order(api, "SO-4-R1", ("1", "HOODIE-GRY-M", 5))
    assert order["lines"][0]["qty_allocated"] == 2
    # WHEN the clock runs, then 10 more arrive, then the clock runs again
    await _advance(control, 60)
    assert await _status(api, order["id"]) == "partially_despatched"
    await ok(await control.put("/stock/HOODIE-GRY-M", json={"available": 10}))
    assert sim.state.orders[order["id"]].lines[0].qty_allocated == 3
    await _advance(control, 60)
    # THEN two shipments of 2 and 3, the last one final
    shipments = (await ok(await api.get(f"/orders/{order['id']}/shipments")))["data"]
    assert [(s["parcels"][0]["lines"][0]["quantity"], s["is_final_for_order"]) for s in shipments] == [
        (2, False),
        (3, True),
    ]
    level = sim.state.ledger.level("HOODIE-GRY-M")
    assert (level.on_hand, level.allocated, level.available) == (7, 0, 7)


async def test_a_partially_despatched_order_can_have_its_rest_cancelled(
    api: httpx.AsyncClient, control: httpx.AsyncClient
) -> None:
    await ok(await control.put("/stock/HOODIE-GRY-M", json={"available": 1}))
    order = await _order(api, "SO-5-R1", ("1", "HOODIE-GRY-M", 3))
    await _advance(control, 60)
    after = await ok(await api.post(f"/orders/{order['id']}/cancel", headers=key()))
    assert after["status"] == "despatched"
    assert [(line["qty_despatched"], line["qty_cancelled"]) for line in after["lines"]] == [(1, 2)]


async def test_an_explicit_despatch_with_parcels_and_over_despatch(
    api: httpx.AsyncClient, control: httpx.AsyncClient, sim: ScendSim
) -> None:
    # GIVEN an accepted order for 2 CAP-NVY
    order = await _order(api, "SO-6-R1", ("1", "CAP-NVY", 2))
    # WHEN the control surface despatches 3 in two parcels with a given tracking number
    parcels = [
        {"lines": [{"line_ref": "1", "quantity": 2}], "tracking_number": "RM000000001GB", "weight_kg": 1.5},
        {"lines": [{"line_ref": "1", "quantity": 1}]},
    ]
    response = await control.post(
        f"/orders/{order['id']}/despatch", json={"parcels": parcels, "carrier": "evri"}
    )
    shipment = await ok(response)
    # THEN the order shows 3 despatched against 2 ordered, and stock lost 3
    assert shipment["carrier"] == "evri"
    assert shipment["service"] == "tracked_48"
    assert shipment["is_final_for_order"] is True
    assert shipment["parcels"][0]["tracking_number"] == "RM000000001GB"
    assert shipment["parcels"][0]["weight_kg"] == 1.5
    assert shipment["parcels"][1]["tracking_number"].startswith("H")
    line = (await ok(await api.get(f"/orders/{order['id']}")))["lines"][0]
    assert (line["qty_ordered"], line["qty_despatched"], line["qty_allocated"]) == (2, 3, 0)
    level = sim.state.ledger.level("CAP-NVY")
    assert (level.on_hand, level.allocated) == (97, 0)
    # AND the clock has nothing left to do for it
    await _advance(control, 120)
    assert len(sim.state.shipments) == 1


async def test_an_explicit_despatch_without_stock_is_refused_and_moves_nothing(
    api: httpx.AsyncClient, control: httpx.AsyncClient, sim: ScendSim
) -> None:
    order = await _order(api, "SO-7-R1", ("1", "CAP-NVY", 1))
    parcels = [{"lines": [{"line_ref": "1", "quantity": 500}]}]
    problem = await ok(await control.post(f"/orders/{order['id']}/despatch", json={"parcels": parcels}), 409)
    assert problem["code"] == "INSUFFICIENT_STOCK"
    assert sim.state.shipments == {}
    assert sim.state.ledger.level("CAP-NVY").allocated == 1


async def test_pick_starts_picking_at_once(api: httpx.AsyncClient, control: httpx.AsyncClient) -> None:
    order = await _order(api, "SO-8-R1", ("1", "CAP-NVY", 1))
    assert (await ok(await control.post(f"/orders/{order['id']}/pick")))["status"] == "picking"
    await _advance(control, 15)
    assert await _status(api, order["id"]) == "despatched"


async def test_the_same_seed_and_requests_make_the_same_warehouse(start_sim: Start) -> None:
    feeds = []
    for _ in range(2):
        sim = await start_sim(policy={"partial_despatch_rate": 0.5, "split_parcel_rate": 0.5})
        async with clients(sim) as (api, control):
            await ok(await control.post("/seed", json={"demo": True}))
            for n in range(6):
                await _order(api, f"SO-D{n}", ("1", "TEE-BLK-S", n + 1), ("2", "MUG-WHT", 2))
            await _advance(control, 240)
            feeds.append((await ok(await api.get("/shipments")))["data"])
    assert feeds[0] == feeds[1]
    assert len(feeds[0]) > 6  # some orders went in two shipments


async def test_one_long_advance_does_what_many_short_ones_do(start_sim: Start) -> None:
    feeds = []
    for steps, minutes in ((1, 240), (240, 1)):
        sim = await start_sim(policy={"partial_despatch_rate": 0.5, "split_parcel_rate": 0.5})
        async with clients(sim) as (api, control):
            await ok(await control.post("/seed", json={"demo": True}))
            for n in range(4):
                await _order(api, f"SO-G{n}", ("1", "TEE-BLK-L", n + 2))
            for _ in range(steps):
                sim.warehouse.advance(minutes)
            feeds.append((await ok(await api.get("/shipments")))["data"])
    assert feeds[0] == feeds[1]
