"""Every fault knob, with outcomes a test can state exactly: latency, 5xx, 429 bursts, dropped
connections, and writes committed before the connection drops or hangs past the client's timeout."""

from __future__ import annotations

import time

import httpx
import pytest

from local.bc_sim import BcSim, FaultPlan, FaultRule
from tests.contract.bc_sim.conftest import SimFactory, api_client
from tests.contract.bc_sim.support import Catalogue, assert_error, sales_order

ITEMS = "/api/v2.0/companies({id})/items"


def _faults(sim: BcSim, route: str = f"GET {ITEMS}") -> dict[str, int]:
    counts: dict[str, int] = sim.statistics()["principals"][sim.config.client_id]["routes"][route]["faults"]
    return counts


async def test_latency_delays_only_the_matching_route(
    sim: BcSim, bc: httpx.AsyncClient, shop: Catalogue
) -> None:
    sim.faults.set(FaultPlan(rules=[FaultRule(method="GET", path="*/items", latency_ms=200)]))
    started = time.perf_counter()
    slow = await bc.get("items")
    middle = time.perf_counter()
    fast = await bc.get("customers")
    ended = time.perf_counter()
    assert (slow.status_code, fast.status_code) == (200, 200)
    assert middle - started >= 0.2 > ended - middle
    assert _faults(sim) == {"latency": 1}


async def test_a_seeded_error_rate_repeats_exactly(
    sim: BcSim, bc: httpx.AsyncClient, shop: Catalogue
) -> None:
    plan = FaultPlan(
        seed=7, rules=[FaultRule(path=ITEMS, error_rate=0.5, error_status=503, retry_after_seconds=2)]
    )

    async def run() -> list[int]:
        sim.faults.set(plan)
        return [(await bc.get("items")).status_code for _ in range(12)]

    first, second = await run(), await run()
    # THEN the same seed gives the same sequence, with both outcomes in it, and nothing else
    assert first == second
    assert set(first) == {200, 503}
    assert _faults(sim) == {"error": 2 * first.count(503)}
    sim.faults.set(
        FaultPlan(rules=[FaultRule(path=ITEMS, error_rate=1, error_status=503, retry_after_seconds=2)])
    )
    error = await bc.get("items")
    assert_error(error, 503, "Internal_ServerError")
    assert error.headers["Retry-After"] == "2"


async def test_a_429_burst_hits_the_requests_it_names(
    sim: BcSim, bc: httpx.AsyncClient, shop: Catalogue
) -> None:
    sim.faults.set(
        FaultPlan(rules=[FaultRule(path=ITEMS, throttle_after=1, throttle_burst=2, retry_after_seconds=3)])
    )
    replies = [await bc.get("items") for _ in range(4)]
    assert [r.status_code for r in replies] == [200, 429, 429, 200]
    assert [r.headers.get("Retry-After") for r in replies] == [None, "3", "3", None]
    assert _faults(sim) == {"throttle": 2}


async def test_a_dropped_connection_gets_no_response_and_changes_nothing(
    sim: BcSim, bc: httpx.AsyncClient, shop: Catalogue
) -> None:
    # GIVEN the next item create will lose its connection (once)
    sim.faults.set(FaultPlan(rules=[FaultRule(method="POST", path=ITEMS, drop_rate=1, times=1)]))
    # WHEN the client creates an item twice
    with pytest.raises(httpx.TransportError):
        await bc.post("items", json={"number": "NEW-1"})
    retried = await bc.post("items", json={"number": "NEW-1"})
    # THEN the first never reached the handler; the retry created the item once
    assert retried.status_code == 201
    assert len((await bc.get("items", params={"$filter": "number eq 'NEW-1'"})).json()["value"]) == 1
    route = f"POST {ITEMS}"
    routes = sim.statistics()["principals"][sim.config.client_id]["routes"][route]
    assert (routes["statuses"], routes["faults"]) == ({"dropped": 1, "201": 1}, {"drop": 1})


async def test_commit_then_drop_then_retry_posts_one_shipment_per_scend_id(
    sim: BcSim, bc: httpx.AsyncClient, ext: httpx.AsyncClient, shop: Catalogue
) -> None:
    # GIVEN a shipment confirmation, and every post of one that commits and then loses the reply
    order = (
        await bc.post("salesOrders?$expand=salesOrderLines", json=sales_order(shop, (shop.item_a, 2)))
    ).json()
    body = {
        "scendShipmentId": "SHP-77",
        "salesOrderId": order["id"],
        "shipmentConfirmationLines": [{"salesOrderLineId": order["salesOrderLines"][0]["id"], "quantity": 2}],
    }
    confirmation = (await ext.post("shipmentConfirmations", json=body)).json()
    rule = FaultRule(
        method="POST", path="*/shipmentConfirmations(*)/Microsoft.NAV.post", commit_then_drop_rate=1, times=2
    )
    sim.faults.set(FaultPlan(rules=[rule]))
    # WHEN the client posts, loses the reply twice, and retries (the third reply arrives)
    action = f"shipmentConfirmations({confirmation['id']})/Microsoft.NAV.post"
    for _ in range(2):
        with pytest.raises(httpx.TransportError):
            await ext.post(action)
    final = await ext.post(action)
    # THEN exactly one shipment was posted for SHP-77, and the reply names it
    assert (final.status_code, final.json()["salesShipmentNumber"]) == (200, "S-SHPT102001")
    posted = sim.statistics()["posted"]
    assert (posted["by_scend_id"], posted["counts"]["salesShipment"]) == ({"salesShipment": {"SHP-77": 1}}, 1)
    route = (
        "POST /api/scendIntegration/warehouse/v1.0"
        "/companies({id})/shipmentConfirmations({id})/Microsoft.NAV.post"
    )
    assert _faults(sim, route) == {"commit_then_drop": 2}


async def test_commit_then_hang_outlasts_the_client_timeout_with_the_write_done(
    sim: BcSim, bc: httpx.AsyncClient, control: httpx.AsyncClient, shop: Catalogue
) -> None:
    # GIVEN a released order, and shipAndInvoice that commits and then hangs for 400 ms
    order = (await bc.post("salesOrders", json=sales_order(shop, (shop.item_a, 1)))).json()
    await control.post(f"orders/salesOrders/{order['id']}/release")
    rule = FaultRule(path="*/Microsoft.NAV.shipAndInvoice", commit_then_hang_rate=1, hang_seconds=0.4)
    sim.faults.set(FaultPlan(rules=[rule]))
    # WHEN the client gives up after 100 ms
    async with api_client(sim, timeout=0.1) as impatient:
        with pytest.raises(httpx.ReadTimeout):
            await impatient.post(f"salesOrders({order['id']})/Microsoft.NAV.shipAndInvoice")
    # THEN the posting happened anyway (in-doubt): the shipment is there and the order is gone
    shipments = (
        await bc.get("salesShipments", params={"$filter": f"orderNumber eq '{order['number']}'"})
    ).json()
    assert [s["number"] for s in shipments["value"]] == ["S-SHPT102001"]
    assert_error(await bc.get(f"salesOrders({order['id']})"), 404, "Internal_RecordNotFound")


async def test_faults_can_target_the_token_endpoint_and_a_single_method(sim: BcSim) -> None:
    token_path = f"/{sim.config.tenant}/oauth2/v2.0/token"
    sim.faults.set(
        FaultPlan(rules=[FaultRule(method="POST", path=token_path, error_rate=1, error_status=504, times=1)])
    )
    form = {
        "grant_type": "client_credentials",
        "client_id": sim.config.client_id,
        "client_secret": sim.config.client_secret,
        "scope": sim.config.scope,
    }
    async with httpx.AsyncClient() as client:
        first = await client.post(sim.token_url, data=form)
        second = await client.post(sim.token_url, data=form)
    assert (first.status_code, second.status_code) == (504, 200)
    assert sim.faults.snapshot()["injected"] == [1]


async def test_the_fault_plan_is_set_and_cleared_through_the_control_surface(
    sim: BcSim, control: httpx.AsyncClient, bc: httpx.AsyncClient
) -> None:
    plan = {"seed": 3, "rules": [{"method": "GET", "path": "*/items", "errorRate": 1}]}
    refused = await control.put("faults", json=plan)  # field names are the model's (snake_case)
    accepted = await control.put(
        "faults", json={"seed": 3, "rules": [{"method": "GET", "path": "*/items", "error_rate": 1}]}
    )
    failing = await bc.get("items")
    cleared = await control.delete("faults")
    assert refused.status_code == 400
    assert (accepted.status_code, failing.status_code) == (200, 503)
    assert (cleared.json()["plan"]["rules"], (await bc.get("items")).status_code) == ([], 200)
    too_much = await control.put("faults", json={"rules": [{"error_rate": 0.6, "drop_rate": 0.6}]})
    assert too_much.status_code == 400


async def test_a_request_slower_than_the_gateway_timeout_gets_504_and_is_not_handled(
    make_sim: SimFactory,
) -> None:
    sim = await make_sim(gateway_timeout_seconds=0.1)
    sim.faults.set(FaultPlan(rules=[FaultRule(method="POST", path=ITEMS, latency_ms=300)]))
    async with api_client(sim) as bc:
        started = time.perf_counter()
        reply = await bc.post("items", json={"number": "SLOW-1"})
        elapsed = time.perf_counter() - started
        found = (await bc.get("items", params={"$filter": "number eq 'SLOW-1'"})).json()["value"]
    assert_error(reply, 504, "Internal_ServerError")
    assert 0.1 <= elapsed < 0.3
    assert found == []
    assert _faults(sim, f"POST {ITEMS}") == {"gateway_timeout": 1}
