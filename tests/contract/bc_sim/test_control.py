"""The `/_sim/` control surface: reset, deterministic seeding, explicit entities, release/reopen/delete,
statistics, inventory, configuration and the clock."""

from __future__ import annotations

from typing import Any

import httpx

from local.bc_sim import BcSim, SeedRequest
from tests.contract.bc_sim.conftest import SimFactory


async def test_seeding_is_deterministic_from_the_seed(make_sim: SimFactory) -> None:
    # GIVEN two simulators seeded alike and one seeded differently
    first, second, other = await make_sim(), await make_sim(), await make_sim()
    request = {
        "seed": 42,
        "items": 5,
        "customers": 3,
        "releasedSalesOrders": 4,
        "draftSalesOrders": 2,
        "releasedPurchaseOrders": 1,
        "draftPurchaseOrders": 1,
    }
    created = []
    for sim, seed in ((first, 42), (second, 42), (other, 43)):
        async with httpx.AsyncClient(base_url=f"{sim.base_url}/_sim/") as control:
            reply = await control.post("seed", json=request | {"seed": seed})
            assert reply.status_code == 200
            created.append(reply.json()["created"])
    # THEN the same seed gives the same ids and numbers, and the rows are equal too
    assert created[0] == created[1] != created[2]
    assert first.state.rows("salesOrderLines") == second.state.rows("salesOrderLines")
    statuses = [o["status"] for o in first.state.rows("salesOrders")]
    assert (statuses.count("Open"), statuses.count("Draft")) == (4, 2)
    assert [p["status"] for p in first.state.rows("purchaseOrders")] == ["Open", "Draft"]
    assert {len(created[0][name]) for name in ("items", "locations", "shipmentMethods")} == {5, 2, 3}
    assert {i["inventory"] for i in first.state.rows("items")} == {100}


async def test_explicit_entities_go_through_the_api_rules(sim: BcSim, control: httpx.AsyncClient) -> None:
    entities: dict[str, Any] = {
        "locations": [{"code": "SCEND"}],
        "items": [{"number": "1000-BLU", "displayName": "Blue", "unitPrice": 12, "stock": {"SCEND": 7}}],
        "customers": [{"number": "C1", "displayName": "Adatum"}],
        "salesOrders": [
            {
                "customerNumber": "C1",
                "status": "Open",
                "externalDocumentNumber": "WEB-1",
                "salesOrderLines": [{"lineObjectNumber": "1000-BLU", "quantity": 2}],
            }
        ],
    }
    empty = {
        "items": 0,
        "customers": 0,
        "vendors": 0,
        "locations": 0,
        "shipmentMethods": 0,
        "releasedSalesOrders": 0,
        "draftSalesOrders": 0,
        "releasedPurchaseOrders": 0,
    }
    reply = await control.post("seed", json={**empty, "entities": entities})
    (order,) = sim.state.rows("salesOrders")
    (line,) = sim.state.rows("salesOrderLines")
    assert reply.json()["created"]["salesOrders"] == [{"id": order["id"], "number": "S-ORD101001"}]
    assert (order["status"], order["customerName"], order["totalAmountIncludingTax"]) == (
        "Open",
        "Adatum",
        28.8,
    )
    assert (line["unitPrice"], line["shipQuantity"]) == (12, 2)
    inventory = (await control.get("inventory")).json()
    assert inventory == [
        {"itemId": line["itemId"], "itemNumber": "1000-BLU", "locationCode": "SCEND", "quantity": 7}
    ]
    bad = await control.post("seed", json={**empty, "entities": {"itemLedgerEntries": [{}]}})
    assert bad.status_code == 400


async def test_release_reopen_and_delete_orders_by_number_or_id(
    sim: BcSim, control: httpx.AsyncClient
) -> None:
    sim.seed(
        SeedRequest(
            seed=1,
            items=3,
            customers=1,
            released_sales_orders=0,
            draft_sales_orders=1,
            released_purchase_orders=0,
            draft_purchase_orders=1,
        )
    )
    (order,) = sim.state.rows("salesOrders")
    (po,) = sim.state.rows("purchaseOrders")
    released = await control.post(f"orders/salesOrders/{order['number']}/release")
    reopened = await control.post(f"orders/salesOrders/{order['id']}/reopen")
    po_released = await control.post(f"orders/purchaseOrders/{po['number']}/release")
    unknown = await control.post("orders/salesOrders/S-NOPE/release")
    wrong_set = await control.post("orders/items/x/release")
    deleted = await control.delete(f"orders/salesOrders/{order['number']}")
    assert [r.json()["status"] for r in (released, reopened, po_released)] == ["Open", "Draft", "Open"]
    assert (unknown.status_code, wrong_set.status_code, deleted.status_code) == (404, 404, 204)
    assert (sim.state.rows("salesOrders"), sim.state.rows("salesOrderLines")) == ([], [])


async def test_reset_empties_everything_and_can_seed_again(
    sim: BcSim, control: httpx.AsyncClient, bc: httpx.AsyncClient
) -> None:
    await control.post("seed", json={"seed": 5, "items": 3})
    await control.put("faults", json={"rules": [{"path": "*/customers", "error_rate": 1}]})
    await bc.get("items")
    reset = await control.post("reset")
    assert reset.json() == {"reset": True, "created": {}}
    assert (
        sim.state.rows("items"),
        sim.statistics()["principals"],
        (await control.get("faults")).json()["plan"]["rules"],
    ) == (
        [],
        {},
        [],
    )
    reseeded = await control.post("reset", json={"seed": {"seed": 5, "items": 2, "releasedSalesOrders": 1}})
    assert [i["number"] for i in reseeded.json()["created"]["items"]] == ["SKU-00001", "SKU-00002"]


async def test_statistics_count_per_principal_and_route_and_can_be_cleared(
    sim: BcSim, control: httpx.AsyncClient, bc: httpx.AsyncClient
) -> None:
    await bc.get("items")
    await bc.get("items")
    await bc.get("nowhere")
    stats = (await control.get("stats")).json()
    routes = stats["principals"][sim.config.client_id]["routes"]
    assert {route: counts["statuses"] for route, counts in routes.items()} == {
        "GET /api/v2.0/companies({id})/items": {"200": 2},
        "GET /api/v2.0/companies({id})/nowhere": {"404": 1},
    }
    assert stats["posted"] == {"counts": {}, "by_scend_id": {}, "by_order": {}}
    assert (await control.delete("stats")).json()["principals"] == {}


async def test_config_and_clock(sim: BcSim, control: httpx.AsyncClient) -> None:
    config = (await control.get("config")).json()
    assert (config["tenant"], config["companyId"], config["tokenUrl"], config["apiUrl"]) == (
        sim.config.tenant,
        sim.config.company_id,
        sim.token_url,
        sim.api_url,
    )
    assert (await control.get("clock")).json() == {"now": "2026-08-03T09:00:00.000Z"}
    moved = await control.post("clock/advance", json={"seconds": 90})
    assert moved.json() == {"now": "2026-08-03T09:01:30.000Z", "deliveries": []}
    for body in ({"seconds": -1}, {"seconds": 10**9}, {"minutes": 1}):
        assert (await control.post("clock/advance", json=body)).status_code == 400
    assert (await control.post("seed", json={"items": 10**9})).status_code == 400


def test_a_second_seed_request_with_the_same_seed_never_reuses_an_id() -> None:
    # GIVEN a simulator seeded with its default catalogue
    sim = BcSim()
    first = sim.seed(SeedRequest(seed=1))
    customer, item = first["customers"][0]["number"], first["items"][0]["number"]
    nothing = {"items": 0, "customers": 0, "vendors": 0, "locations": 0, "shipment_methods": 0}
    nothing |= {"released_sales_orders": 0, "draft_sales_orders": 0, "released_purchase_orders": 0}
    order = {
        "customerNumber": customer,
        "status": "Open",
        "salesOrderLines": [{"lineType": "Item", "lineObjectNumber": item, "quantity": 1}],
    }
    # WHEN two more orders are seeded one request at a time with the same seed, as a test
    # releasing one order after another does
    requests = [SeedRequest(seed=1, **nothing, entities={"salesOrders": [order]}) for _ in range(2)]
    added = [sim.seed(request)["salesOrders"][0] for request in requests]
    # THEN each has an id of its own, with its own line
    assert added[0]["id"] != added[1]["id"]
    for each in added:
        lines = [row for row in sim.state.rows("salesOrderLines") if row["documentId"] == each["id"]]
        assert len(lines) == 1
    assert len(sim.state.rows("salesOrders")) == len(first["salesOrders"]) + 2
