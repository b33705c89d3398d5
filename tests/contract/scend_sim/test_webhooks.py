"""Webhooks: subscriptions, Standard Webhooks signatures checked independently, every event type,
retries, and each delivery fault (lost, duplicate, out of order, delayed)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from local.scend_sim import ScendSim, WebhookFaults
from tests.contract.scend_sim.conftest import Start
from tests.contract.scend_sim.support import (
    FakeTime,
    Receiver,
    asn_body,
    clients,
    expected_signature,
    key,
    ok,
    order_body,
)

pytestmark = pytest.mark.usefixtures("stocked")
ALL_EVENTS = [
    "order.status_changed",
    "order.cancelled",
    "shipment.despatched",
    "stock.changed",
    "stock.adjusted",
    "asn.status_changed",
    "receipt.created",
    "return.received",
    "return.inspected",
]


async def _subscribe(api: httpx.AsyncClient, url: str, events: list[str]) -> Any:
    return await ok(await api.post("/webhooks", json={"url": url, "events": events}, headers=key()), 201)


async def _order(api: httpx.AsyncClient, reference: str) -> Any:
    return await ok(
        await api.post("/orders", json=order_body(reference, ("1", "CAP-NVY", 1)), headers=key()), 201
    )


async def test_a_subscription_shows_its_secret_once(api: httpx.AsyncClient, receiver: Receiver) -> None:
    created = await _subscribe(api, receiver.url, ["shipment.despatched"])
    assert created["secret"].startswith("whsec_")
    assert created["status"] == "active"
    read = await ok(await api.get(f"/webhooks/{created['id']}"))
    assert "secret" not in read
    assert read == {k: v for k, v in created.items() if k != "secret"}
    assert (await ok(await api.get("/webhooks")))["data"] == [read]
    assert (await api.delete(f"/webhooks/{created['id']}")).status_code == 204
    assert (await api.get(f"/webhooks/{created['id']}")).status_code == 404


@pytest.mark.parametrize(
    "url", ["http://example.com/hook", "ftp://127.0.0.1/x", "http://10.0.0.1/x", "not a url"]
)
async def test_only_loopback_urls_can_subscribe(api: httpx.AsyncClient, url: str) -> None:
    problem = await ok(
        await api.post("/webhooks", json={"url": url, "events": ALL_EVENTS}, headers=key()), 422
    )
    assert problem["errors"][0]["field"] == "url"


async def test_a_delivery_is_signed_as_standard_webhooks_say(
    api: httpx.AsyncClient, sim: ScendSim, receiver: Receiver, time: FakeTime
) -> None:
    # GIVEN a subscription to order status changes
    subscription = await _subscribe(api, receiver.url, ["order.status_changed"])
    # WHEN an order is accepted and pending webhooks are flushed
    order = await _order(api, "SO-1")
    flushed = await sim.flush_webhooks()
    # THEN one delivery, signed with the subscription's secret over id.timestamp.body
    assert (flushed.attempted, flushed.delivered, flushed.pending) == (1, 1, 0)
    [delivery] = receiver.received
    headers = delivery.headers
    assert headers["scend-event-type"] == "order.status_changed"
    assert headers["scend-webhook-timestamp"] == str(int(time.wall_now))
    assert headers["content-type"] == "application/json"
    assert headers["scend-webhook-signature"] == expected_signature(
        subscription["secret"], headers["scend-webhook-id"], headers["scend-webhook-timestamp"], delivery.body
    )
    event = json.loads(delivery.body)
    assert event["id"] == headers["scend-webhook-id"]
    assert event["id"].startswith("evt_")
    assert (event["type"], event["api_version"], event["created_at"]) == (
        "order.status_changed",
        "1",
        "2026-01-05T08:00:00Z",
    )
    assert event["resource_url"] == f"/v1/orders/{order['id']}"
    assert event["data"] == order


async def test_while_secrets_rotate_each_one_signs(
    api: httpx.AsyncClient, control: httpx.AsyncClient, sim: ScendSim, receiver: Receiver
) -> None:
    subscription = await _subscribe(api, receiver.url, ["order.status_changed"])
    rotated = await ok(await control.post(f"/webhooks/{subscription['id']}/rotate", json={}))
    assert rotated["secrets"] == [subscription["secret"], rotated["secret"]]
    assert sim.webhook_secrets(subscription["id"]) == rotated["secrets"]
    await _order(api, "SO-2")
    await sim.flush_webhooks()
    [delivery] = receiver.received
    values = delivery.headers["scend-webhook-signature"].split(" ")
    expected = [
        expected_signature(s, delivery.id, delivery.headers["scend-webhook-timestamp"], delivery.body)
        for s in rotated["secrets"]
    ]
    assert values == expected
    await ok(
        await control.put(f"/webhooks/{subscription['id']}/secrets", json={"secrets": [rotated["secret"]]})
    )
    assert sim.webhook_secret(subscription["id"]) == rotated["secret"]
    bad = await control.put(f"/webhooks/{subscription['id']}/secrets", json={"secrets": ["plain"]})
    assert bad.status_code == 422


async def test_every_event_type_is_delivered(
    api: httpx.AsyncClient, control: httpx.AsyncClient, sim: ScendSim, receiver: Receiver
) -> None:
    await _subscribe(api, receiver.url, ALL_EVENTS)
    shipped = await _order(api, "SO-3")
    cancelled = await _order(api, "SO-4")
    await ok(await api.post(f"/orders/{cancelled['id']}/cancel", headers=key()))
    await ok(await control.post(f"/orders/{shipped['id']}/despatch", json={}))
    asn = await ok(await api.post("/asns", json=asn_body("PO-1", ("1", "MUG-WHT", 2)), headers=key()), 201)
    await ok(await control.post(f"/asns/{asn['id']}/receipts", json={}))
    ret = await ok(
        await control.post("/returns", json={"rma": "RMA-1", "lines": [{"sku": "CAP-NVY", "quantity": 1}]})
    )
    await ok(await control.post(f"/returns/{ret['id']}/inspect", json={}))
    await ok(
        await control.post("/adjustments", json={"sku": "CAP-NVY", "reason_code": "FOUND", "quantity": 1})
    )
    await sim.flush_webhooks()
    assert set(receiver.types()) == set(ALL_EVENTS)
    stock_event = next(json.loads(r.body) for r in receiver.received if r.type == "stock.changed")
    assert stock_event["resource_url"].startswith("/v1/stock/changes?since_cursor=")
    assert stock_event["data"]["changes"][0]["seq"] == stock_event["data"]["from_seq"]


async def test_an_event_nobody_wants_is_not_sent(
    api: httpx.AsyncClient, sim: ScendSim, receiver: Receiver
) -> None:
    await _subscribe(api, receiver.url, ["shipment.despatched"])
    await _order(api, "SO-5")
    assert (await sim.flush_webhooks()).attempted == 0
    assert receiver.received == []


async def test_a_failed_delivery_is_retried_with_the_same_id_until_it_lands(
    api: httpx.AsyncClient, control: httpx.AsyncClient, sim: ScendSim, receiver: Receiver
) -> None:
    await _subscribe(api, receiver.url, ["order.status_changed"])
    receiver.statuses = [500, 503]
    await _order(api, "SO-6")
    outcomes = [await sim.flush_webhooks() for _ in range(3)]
    assert [(o.delivered, o.pending) for o in outcomes] == [(0, 1), (0, 1), (1, 0)]
    assert len({r.id for r in receiver.received}) == 1
    assert len(receiver.received) == 3
    log = await ok(await control.get("/webhooks/deliveries"))
    assert [(a["attempt"], a["status_code"], a["outcome"]) for a in log] == [
        (1, 500, "retrying"),
        (2, 503, "retrying"),
        (3, 204, "delivered"),
    ]


async def test_the_background_worker_waits_out_the_backoff(
    start_sim: Start, time: FakeTime, receiver: Receiver
) -> None:
    sim = await start_sim(webhook_backoff_seconds=(10.0,))
    async with clients(sim) as (api, control):
        await ok(await control.post("/seed", json={"demo": True}))
        await _subscribe(api, receiver.url, ["order.status_changed"])
        receiver.statuses = [500]
        await _order(api, "SO-7")
        delivery = next(iter(sim.webhooks.pending.values()))
        await sim.flush_webhooks()
        assert delivery.due == time.now + 10.0  # due again after the backoff, on the real clock


async def test_a_delivery_that_never_lands_disables_the_subscription(
    start_sim: Start, receiver: Receiver
) -> None:
    sim = await start_sim(webhook_backoff_seconds=(1.0, 2.0))
    async with clients(sim) as (api, control):
        await ok(await control.post("/seed", json={"demo": True}))
        subscription = await _subscribe(api, receiver.url, ["order.status_changed"])
        receiver.statuses = [500, 500, 500]
        await _order(api, "SO-8")
        outcomes = [await sim.flush_webhooks() for _ in range(3)]
        assert [o.failed for o in outcomes] == [0, 0, 1]
        assert (await ok(await api.get(f"/webhooks/{subscription['id']}")))["status"] == "disabled"
        await _order(api, "SO-9")
        assert (await sim.flush_webhooks()).attempted == 0
        # AND the feed-less record is still there to be read
        assert (await ok(await api.get("/orders", params={"client_reference": "SO-8"})))["data"]
        await ok(await control.post(f"/webhooks/{subscription['id']}/enable"))
        await _order(api, "SO-10")
        assert (await sim.flush_webhooks()).delivered == 1


async def test_lost_deliveries_never_arrive_but_the_feed_has_everything(
    api: httpx.AsyncClient, control: httpx.AsyncClient, sim: ScendSim, receiver: Receiver
) -> None:
    sim.set_faults(webhooks=WebhookFaults(lost_rate=1.0))
    await _subscribe(api, receiver.url, ["shipment.despatched"])
    order = await _order(api, "SO-11")
    await ok(await control.post(f"/orders/{order['id']}/despatch", json={}))
    assert (await sim.flush_webhooks(release_delayed=True)).attempted == 0
    assert receiver.received == []
    assert [a["outcome"] for a in await ok(await control.get("/webhooks/deliveries"))] == ["lost"]
    [shipment] = (await ok(await api.get("/shipments")))["data"]
    assert shipment["order_id"] == order["id"]


async def test_duplicated_deliveries_arrive_twice_with_one_id(
    api: httpx.AsyncClient, sim: ScendSim, receiver: Receiver
) -> None:
    sim.set_faults(webhooks=WebhookFaults(duplicate_rate=1.0))
    await _subscribe(api, receiver.url, ["order.status_changed"])
    await _order(api, "SO-12")
    await sim.flush_webhooks()
    first, second = receiver.received
    assert first.id == second.id
    assert first.body == second.body


async def test_out_of_order_deliveries_swap_places(
    api: httpx.AsyncClient, sim: ScendSim, receiver: Receiver
) -> None:
    sim.set_faults(webhooks=WebhookFaults(out_of_order_rate=1.0))
    await _subscribe(api, receiver.url, ["order.status_changed"])
    a, b = await _order(api, "SO-13"), await _order(api, "SO-14")
    await sim.flush_webhooks()
    assert [json.loads(r.body)["data"]["id"] for r in receiver.received] == [b["id"], a["id"]]


async def test_delayed_deliveries_wait_for_their_time(
    api: httpx.AsyncClient, control: httpx.AsyncClient, sim: ScendSim, receiver: Receiver, time: FakeTime
) -> None:
    await ok(await control.put("/faults", json={"webhooks": {"delay_rate": 1.0, "delay_seconds": 30}}))
    await _subscribe(api, receiver.url, ["order.status_changed"])
    await _order(api, "SO-15")
    held = await ok(await control.post("/webhooks/flush", json={}))
    assert held == {"attempted": 0, "delivered": 0, "failed": 0, "pending": 1, "held": 1}
    time.advance(31)
    assert (await sim.flush_webhooks()).delivered == 1
    await _order(api, "SO-16")
    released = await ok(await control.post("/webhooks/flush", json={"release_delayed": True}))
    assert released["delivered"] == 1


async def test_webhook_faults_are_seeded(start_sim: Start, receiver: Receiver) -> None:
    patterns = []
    for _ in range(2):
        sim = await start_sim()
        sim.set_faults(webhooks=WebhookFaults(lost_rate=0.5))
        async with clients(sim) as (api, control):
            await ok(await control.post("/seed", json={"demo": True}))
            await _subscribe(api, receiver.url, ["order.status_changed"])
            for n in range(12):
                await _order(api, f"SO-S{n}")
            patterns.append(
                [a["outcome"] == "lost" for a in await ok(await control.get("/webhooks/deliveries"))]
            )
    assert patterns[0] == patterns[1]
    assert 0 < sum(patterns[0]) < 12


async def test_with_auto_delivery_webhooks_arrive_by_themselves(start_sim: Start, receiver: Receiver) -> None:
    from local.scend_sim import RealTime

    sim = await start_sim(webhook_auto_deliver=True, time=RealTime())
    async with clients(sim) as (api, control):
        await ok(await control.post("/seed", json={"demo": True}))
        await _subscribe(api, receiver.url, ["order.status_changed"])
        await _order(api, "SO-17")
        for _ in range(100):
            if receiver.received:
                break
            await asyncio.sleep(0.01)
    assert receiver.types() == ["order.status_changed"]
