"""HTTP faults, per route, seeded and countable; and the real rate limit. Each ends in an exact
outcome: what the client saw, and what the simulator holds."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from local.scend_sim import HttpFault, ScendSim
from tests.contract.scend_sim.conftest import Start
from tests.contract.scend_sim.support import FakeTime, clients, key, ok, order_body

pytestmark = pytest.mark.usefixtures("stocked")
BODY = order_body("SO-1-R1", ("1", "CAP-NVY", 1))


def _fault(**fields: Any) -> HttpFault:
    return HttpFault.model_validate(fields)


async def _stats(control: httpx.AsyncClient) -> Any:
    return await ok(await control.get("/stats"))


async def test_latency_is_added_before_the_answer(
    api: httpx.AsyncClient, sim: ScendSim, time: FakeTime
) -> None:
    sim.set_faults([_fault(kind="latency", method="GET", path="/v1/orders", latency_ms=250)])
    await ok(await api.get("/orders"))
    await ok(await api.get("/stock"))
    assert time.sleeps == [0.25]


async def test_fail_once_then_succeed_stores_nothing_for_the_failure(
    api: httpx.AsyncClient, control: httpx.AsyncClient, sim: ScendSim
) -> None:
    # GIVEN POST /orders fails once with 503
    sim.set_faults(
        [_fault(kind="error", method="POST", path="/v1/orders", status=503, retry_after=4, times=1)]
    )
    headers = key()
    # WHEN the client sends, then retries with the same key
    first = await api.post("/orders", json=BODY, headers=headers)
    second = await api.post("/orders", json=BODY, headers=headers)
    # THEN a 503 with Retry-After, then the order: created by the retry, not replayed
    problem = await ok(first, 503)
    assert (problem["code"], first.headers["retry-after"]) == ("UNAVAILABLE", "4")
    await ok(second, 201)
    assert "idempotent-replayed" not in second.headers
    assert len(sim.state.orders) == 1
    route = (await _stats(control))["routes"]["POST /v1/orders"]
    assert route == {"requests": 2, "statuses": {"503": 1, "201": 1}, "faults": {"error": 1}, "replays": 0}


async def test_fail_twice_then_succeed(api: httpx.AsyncClient, sim: ScendSim) -> None:
    sim.set_faults([_fault(kind="error", path="/v1/stock", times=2)])
    statuses = [(await api.get("/stock")).status_code for _ in range(3)]
    assert statuses == [500, 500, 200]


async def test_skip_lets_the_first_requests_through(api: httpx.AsyncClient, sim: ScendSim) -> None:
    sim.set_faults([_fault(kind="error", path="/v1/stock", skip=2, times=1, status=502)])
    assert [(await api.get("/stock")).status_code for _ in range(4)] == [200, 200, 502, 200]


async def test_a_429_burst_carries_retry_after(api: httpx.AsyncClient, sim: ScendSim) -> None:
    sim.set_faults([_fault(kind="rate_limit", path="/v1/*", times=3, retry_after=7)])
    answers = [await api.get("/shipments") for _ in range(4)]
    assert [a.status_code for a in answers] == [429, 429, 429, 200]
    assert {a.headers["retry-after"] for a in answers[:3]} == {"7"}
    assert answers[0].json()["code"] == "RATE_LIMITED"


async def test_maintenance_is_503_with_retry_after(api: httpx.AsyncClient, sim: ScendSim) -> None:
    sim.set_faults([_fault(kind="maintenance", retry_after=120)])
    answer = await api.get("/orders")
    assert (answer.status_code, answer.headers["retry-after"], answer.json()["code"]) == (
        503,
        "120",
        "UNAVAILABLE",
    )


async def test_a_dropped_connection_gets_no_answer_and_stores_nothing(
    api: httpx.AsyncClient, sim: ScendSim
) -> None:
    sim.set_faults([_fault(kind="drop", method="POST", path="/v1/orders", times=1)])
    with pytest.raises(httpx.RemoteProtocolError):
        await api.post("/orders", json=BODY, headers=key())
    assert sim.state.orders == {}
    await ok(await api.post("/orders", json=BODY, headers=key()), 201)


async def test_a_timeout_after_commit_leaves_exactly_one_order_whatever_the_client_does_next(
    api: httpx.AsyncClient, control: httpx.AsyncClient, sim: ScendSim
) -> None:
    # GIVEN the first POST /orders commits and then hangs past the client's timeout
    sim.set_faults([_fault(kind="timeout_after_commit", method="POST", path="/v1/orders", times=1)])
    headers = key()
    with pytest.raises(httpx.ReadTimeout):
        await api.post("/orders", json=BODY, headers=headers, timeout=0.2)
    # THEN the order is there, found by its reference
    found = (await ok(await api.get("/orders", params={"client_reference": "SO-1-R1"})))["data"]
    assert len(found) == 1
    # AND a retry with the same key replays the stored 201; one with a new key is a 409 naming it
    replay = await api.post("/orders", json=BODY, headers=headers)
    assert (replay.status_code, replay.headers["idempotent-replayed"]) == (201, "true")
    assert replay.json()["id"] == found[0]["id"]
    duplicate = await ok(await api.post("/orders", json=BODY, headers=key()), 409)
    assert duplicate["existing_id"] == found[0]["id"]
    orders = (await _stats(control))["resources"]["orders"]
    assert orders["by_client_reference"] == {"SO-1-R1": 1}
    assert orders["references_held_twice"] == []


@pytest.mark.parametrize(("mode", "raised"), [("drop", httpx.RemoteProtocolError), ("error", None)])
async def test_other_endings_after_commit(
    api: httpx.AsyncClient, sim: ScendSim, mode: str, raised: type[Exception] | None
) -> None:
    sim.set_faults([_fault(kind="timeout_after_commit", path="/v1/orders", mode=mode, times=1)])
    if raised is not None:
        with pytest.raises(raised):
            await api.post("/orders", json=BODY, headers=key())
    else:
        assert (await api.post("/orders", json=BODY, headers=key())).status_code == 500
    assert [o.client_reference for o in sim.state.orders.values()] == ["SO-1-R1"]


async def test_a_route_template_pattern_matches_only_that_route(
    api: httpx.AsyncClient, sim: ScendSim
) -> None:
    sim.set_faults([_fault(kind="error", method="POST", path="/v1/orders/{id}/cancel")])
    order = await ok(await api.post("/orders", json=BODY, headers=key()), 201)
    assert (await api.post(f"/orders/{order['id']}/cancel", headers=key())).status_code == 500
    assert (await api.get(f"/orders/{order['id']}")).status_code == 200


async def test_probabilistic_faults_repeat_with_the_seed(start_sim: Start) -> None:
    patterns = []
    for seed in (1, 1, 2):
        sim = await start_sim(seed=seed)
        sim.set_faults([_fault(kind="error", path="/v1/stock", probability=0.5)])
        async with clients(sim) as (api, _):
            patterns.append([(await api.get("/stock")).status_code for _ in range(16)])
    assert patterns[0] == patterns[1]
    assert patterns[0] != patterns[2]
    assert 0 < patterns[0].count(500) < 16


async def test_faults_are_set_read_and_cleared_on_the_control_surface(
    api: httpx.AsyncClient, control: httpx.AsyncClient
) -> None:
    plan = {"http": [{"kind": "error", "path": "/v1/stock", "times": 1}], "webhooks": {"lost_rate": 0.25}}
    await ok(await control.put("/faults", json=plan))
    await api.get("/stock")
    described = await ok(await control.get("/faults"))
    assert (described["http"][0]["seen"], described["http"][0]["fired"]) == (1, 1)
    assert described["webhooks"]["lost_rate"] == 0.25
    await ok(await control.post("/faults/http", json={"kind": "rate_limit", "times": 1}))
    assert (await api.get("/stock")).status_code == 429
    await ok(await control.delete("/faults"))
    assert (await api.get("/stock")).status_code == 200
    assert (await control.put("/faults", json={"http": [{"kind": "nonsense"}]})).status_code == 422


async def test_the_rate_limit_counts_per_key_and_opens_again_after_a_minute(
    start_sim: Start, time: FakeTime
) -> None:
    sim = await start_sim(rate_limit_per_minute=3)
    async with clients(sim) as (api, _):
        answers = [await api.get("/orders") for _ in range(4)]
        assert [a.status_code for a in answers] == [200, 200, 200, 429]
        assert [a.headers["x-ratelimit-remaining"] for a in answers] == ["2", "1", "0", "0"]
        assert {a.headers["x-ratelimit-limit"] for a in answers} == {"3"}
        assert answers[3].headers["retry-after"] == "60"
        time.advance(45)
        assert (await api.get("/orders")).headers["retry-after"] == "15"
        time.advance(15)
        assert (await api.get("/orders")).status_code == 200
