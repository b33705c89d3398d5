"""Timer triggers on a real clock, the admin endpoint that runs one at once, and the host status."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx

from local.devhost import DevHost
from tests.e2e.devhost import fixture_app
from tests.e2e.devhost.conftest import FUNCTION_KEY, MASTER_KEY
from tests.e2e.devhost.helpers import eventually

LATENCY = timedelta(milliseconds=300)


async def test_timer_fires_on_every_second_of_its_schedule(host: DevHost) -> None:
    # GIVEN the timer `tick` on "* * * * * *" (from %FIXTURE_TICK_SCHEDULE%)
    start = datetime.now(UTC)
    # WHEN 1.3 s pass
    await asyncio.sleep(1.3)
    end = datetime.now(UTC)
    # (a fire belongs to the whole second just before it; the one at or before `start` is not counted)
    fired = [at for at, _ in fixture_app.calls["tick"] if start < at.replace(microsecond=0) <= end]
    seconds = [at.replace(microsecond=0) for at in fired]
    expected: list[datetime] = []
    second = start.replace(microsecond=0) + timedelta(seconds=1)
    while second + LATENCY <= end:
        expected.append(second)
        second += timedelta(seconds=1)
    assert seconds[: len(expected)] == expected
    assert len(seconds) <= len(expected) + 1
    assert all(at - boundary < LATENCY for at, boundary in zip(fired, seconds, strict=True))
    assert not any(past_due for _, past_due in fixture_app.calls["tick"])


async def test_admin_endpoint_runs_a_timer_at_once(client: httpx.AsyncClient) -> None:
    # GIVEN `nightly` at 03:00, which will not fire during the test
    before = len(fixture_app.calls["nightly"])
    # WHEN the admin endpoint is called with the master key
    reply = await client.post(
        "/admin/functions/nightly", json={"input": ""}, headers={"x-functions-key": MASTER_KEY}
    )
    # THEN it is accepted at once and the timer runs once, not past due
    assert reply.status_code == 202

    async def ran() -> bool:
        return len(fixture_app.calls["nightly"]) > before

    await eventually(ran)
    assert fixture_app.calls["nightly"][before:] == [False]


async def test_admin_endpoint_refuses_without_the_master_key(client: httpx.AsyncClient) -> None:
    before = len(fixture_app.calls["nightly"])
    no_key = await client.post("/admin/functions/nightly", json={"input": ""})
    function_key = await client.post(
        "/admin/functions/nightly", json={"input": ""}, headers={"x-functions-key": FUNCTION_KEY}
    )
    assert (no_key.status_code, function_key.status_code) == (401, 401)
    await asyncio.sleep(0.05)
    assert len(fixture_app.calls["nightly"]) == before


async def test_admin_endpoint_answers_404_and_400_for_unknown_and_http_functions(
    client: httpx.AsyncClient,
) -> None:
    master = {"x-functions-key": MASTER_KEY}
    unknown = await client.post("/admin/functions/nope", json={"input": ""}, headers=master)
    http_function = await client.post("/admin/functions/hello", json={"input": ""}, headers=master)
    bad_body = await client.post("/admin/functions/nightly", content=b"not json", headers=master)
    assert (unknown.status_code, http_function.status_code, bad_body.status_code) == (404, 400, 400)


async def test_host_status_lists_every_function(client: httpx.AsyncClient) -> None:
    status = (await client.get("/admin/host/status")).json()
    assert status["state"] == "Running"
    http = ["hello", "keyed", "admin_only", "item", "echo", "boom", "slow"]
    assert sorted(status["functions"]) == sorted([*http, "tick", "nightly", "plain", "batched", "ordered"])
