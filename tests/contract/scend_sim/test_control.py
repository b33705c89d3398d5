"""The control surface: health, config, reset, seed, the clock, statistics."""

from __future__ import annotations

import httpx

from local.scend_sim import ScendSim
from tests.contract.scend_sim.support import key, ok, order_body


async def test_health_and_config(control: httpx.AsyncClient, sim: ScendSim) -> None:
    health = await ok(await control.get("/health"))
    assert (health["status"], health["now"], health["seed"]) == ("ok", "2026-01-05T08:00:00+00:00", 11)
    config = await ok(await control.get("/config"))
    assert config["api_key"] == sim.api_key
    assert config["service_codes"]["DPD_NEXT_DAY"] == {"carrier": "dpd", "service": "next_day"}
    assert config["policy"]["pick_after_minutes"] == 15


async def test_seed_then_reset_leaves_an_empty_tenant(
    api: httpx.AsyncClient, control: httpx.AsyncClient, sim: ScendSim
) -> None:
    seeded = await ok(
        await control.post(
            "/seed",
            json={
                "demo": True,
                "products": [{"sku": "X-1", "description": "x"}],
                "stock": [{"sku": "X-1", "available": 4, "damaged": 1}],
            },
        )
    )
    assert seeded == {"products": 7, "stock": 7}
    assert sim.state.ledger.level("X-1").on_hand == 5
    await ok(await api.post("/orders", json=order_body("SO-1", ("1", "X-1", 1)), headers=key()), 201)
    reset = await ok(await control.post("/reset", json={"seed": 99, "start_at": "2026-02-01T00:00:00Z"}))
    assert (reset["seed"], reset["now"]) == (99, "2026-02-01T00:00:00+00:00")
    assert (await ok(await api.get("/products")))["data"] == []
    assert (await ok(await api.get("/orders")))["data"] == []
    # The same Idempotency-Key after a reset is a new request
    assert sim.simulator.idempotency.replays == 0


async def test_the_clock_advances_and_can_follow_real_time(control: httpx.AsyncClient, sim: ScendSim) -> None:
    advanced = await ok(await control.post("/clock/advance", json={"minutes": 90}))
    assert advanced == {"now": "2026-01-05T09:30:00+00:00", "tasks_run": 0}
    assert (await control.post("/clock/advance", json={"minutes": 0})).status_code == 422
    on = await ok(await control.post("/clock/realtime", json={"enabled": True, "speed": 60}))
    assert (on["realtime"], on["speed"]) == (True, 60)
    off = await ok(await control.post("/clock/realtime", json={"enabled": False}))
    assert off["realtime"] is False


async def test_statistics_count_routes_and_can_be_cleared(
    api: httpx.AsyncClient, control: httpx.AsyncClient
) -> None:
    await api.get("/orders")
    await api.get("/orders/ord_1")
    report = await ok(await control.get("/stats", params={"references": "false"}))
    assert report["routes"]["GET /v1/orders"]["statuses"] == {"200": 1}
    assert report["routes"]["GET /v1/orders/{id}"]["statuses"] == {"404": 1}
    assert "by_client_reference" not in report["resources"]["orders"]
    assert (await control.delete("/stats")).status_code == 204
    assert (await ok(await control.get("/stats")))["routes"] == {}


async def test_control_errors_are_problems(control: httpx.AsyncClient) -> None:
    missing = await control.post("/orders/ord_404/despatch", json={})
    assert (missing.status_code, missing.headers["content-type"]) == (404, "application/problem+json")
    assert (await control.post("/adjustments", content=b"nope")).status_code == 400
