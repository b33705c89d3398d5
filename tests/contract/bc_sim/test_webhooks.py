"""BC webhooks (reference §4): the validationToken handshake, expiry and renewal, the delay and
batching of notifications, the collection notice, retries, and deletion on a non-retryable reply."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from local.bc_sim import BcSim, SimClock
from tests.contract.bc_sim.conftest import SimFactory, api_client
from tests.contract.bc_sim.support import Catalogue, Receiver, assert_error, receiver, sales_order

CLIENT_STATE = "a-secret-only-we-know"


@pytest.fixture
async def hook() -> AsyncIterator[Receiver]:
    async with receiver() as target:
        yield target


@pytest.fixture
async def root(sim: BcSim) -> AsyncIterator[httpx.AsyncClient]:
    """The standard API root, where subscriptions live."""
    async with api_client(sim, sim.api_url) as client:
        yield client


def refresh(sim: BcSim, *clients: httpx.AsyncClient) -> None:
    """New tokens after the clock jumped past their hour."""
    for client in clients:
        client.headers["Authorization"] = f"Bearer {sim.access_token()}"


def resource(sim: BcSim, entity_set: str) -> str:
    return f"/api/v2.0/companies({sim.config.company_id})/{entity_set}"


async def subscribe(root: httpx.AsyncClient, sim: BcSim, hook: Receiver, entity_set: str) -> dict[str, Any]:
    body = {"notificationUrl": hook.url, "resource": resource(sim, entity_set), "clientState": CLIENT_STATE}
    reply = await root.post("subscriptions", json=body)
    assert reply.status_code == 201, reply.text
    created: dict[str, Any] = reply.json()
    return created


async def advance(control: httpx.AsyncClient, seconds: float) -> list[dict[str, Any]]:
    deliveries: list[dict[str, Any]] = (
        await control.post("clock/advance", json={"seconds": seconds})
    ).json()["deliveries"]
    return deliveries


async def test_a_subscription_is_created_only_after_the_handshake(
    sim: BcSim, root: httpx.AsyncClient, hook: Receiver
) -> None:
    # GIVEN a receiver that echoes the validation token
    created = await subscribe(root, sim, hook, "items")
    # THEN BC called it once and the subscription expires in three days
    assert len(hook.handshakes) == 1
    assert (created["clientState"], created["expirationDateTime"], created["resource"]) == (
        CLIENT_STATE,
        "2026-08-06T09:00:00.000Z",
        resource(sim, "items"),
    )
    # GIVEN receivers that do not echo, fail, or are not loopback, or an entity without webhooks
    hook.echo_token = False
    wrong_token = await root.post(
        "subscriptions", json={"notificationUrl": hook.url, "resource": resource(sim, "items")}
    )
    hook.echo_token, hook.handshake_status = True, 500
    failing = await root.post(
        "subscriptions", json={"notificationUrl": hook.url, "resource": resource(sim, "items")}
    )
    remote = await root.post(
        "subscriptions",
        json={"notificationUrl": "https://example.com/hook", "resource": resource(sim, "items")},
    )
    unsupported = await root.post(
        "subscriptions", json={"notificationUrl": hook.url, "resource": resource(sim, "purchaseOrders")}
    )
    # THEN each create fails and only the first subscription exists
    for reply in (wrong_token, failing, remote, unsupported):
        assert_error(reply, 400, "Application_DialogException")
    listed = (await root.get("subscriptions")).json()["value"]
    assert [s["subscriptionId"] for s in listed] == [created["subscriptionId"]]


async def test_notifications_wait_for_the_delay_and_arrive_batched_per_url(
    sim: BcSim,
    root: httpx.AsyncClient,
    bc: httpx.AsyncClient,
    control: httpx.AsyncClient,
    hook: Receiver,
    shop: Catalogue,
) -> None:
    # GIVEN subscriptions to items and customers at one URL
    items = await subscribe(root, sim, hook, "items")
    customers = await subscribe(root, sim, hook, "customers")
    # WHEN an item is created and then changed, and a customer changed, all within 30 s
    item = (await bc.post("items", json={"number": "NEW-1", "displayName": "New"})).json()
    sim.clock.advance(5)
    await bc.patch(f"items({item['id']})", json={"displayName": "Newer"}, headers={"If-Match": "*"})
    await bc.patch(f"customers({shop.customer['id']})", json={"city": "York"}, headers={"If-Match": "*"})
    # THEN nothing is sent before 30 s after the first change
    assert await advance(control, 24) == []
    assert hook.notifications == []
    # AND at 30 s one POST carries one notice per record, the item's two changes folded into `created`
    deliveries = await advance(control, 1)
    assert [(d["status"], d["outcome"]) for d in deliveries] == [(200, "delivered")]
    assert hook.notifications == [
        {
            "value": [
                {
                    "subscriptionId": items["subscriptionId"],
                    "clientState": CLIENT_STATE,
                    "expirationDateTime": "2026-08-06T09:00:00.000Z",
                    "resource": f"{resource(sim, 'items')}({item['id']})",
                    "changeType": "created",
                    "lastModifiedDateTime": "2026-08-03T09:00:05.000Z",
                },
                {
                    "subscriptionId": customers["subscriptionId"],
                    "clientState": CLIENT_STATE,
                    "expirationDateTime": "2026-08-06T09:00:00.000Z",
                    "resource": f"{resource(sim, 'customers')}({shop.customer['id']})",
                    "changeType": "updated",
                    "lastModifiedDateTime": "2026-08-03T09:00:05.000Z",
                },
            ]
        }
    ]


async def test_more_changes_than_the_threshold_become_one_collection_notice(
    make_sim: SimFactory, hook: Receiver
) -> None:
    # GIVEN a collection threshold of 3 and a subscription to items
    sim = await make_sim(collection_threshold=3)
    async with api_client(sim, sim.api_url) as root, api_client(sim) as bc:
        await subscribe(root, sim, hook, "items")
        # WHEN four items change in one window
        for n in range(4):
            await bc.post("items", json={"number": f"I{n}"})
        await sim.webhooks.deliver_due(everything=True)
    # THEN one `collection` notice points at the entity set filtered from 50 ms before the first change
    (notice,) = hook.notifications[0]["value"]
    assert (notice["changeType"], notice["resource"]) == (
        "collection",
        f"{resource(sim, 'items')}?$filter=lastModifiedDateTime gt 2026-08-03T08:59:59.950Z",
    )


async def test_a_non_retryable_reply_deletes_the_subscription(
    sim: BcSim,
    root: httpx.AsyncClient,
    bc: httpx.AsyncClient,
    control: httpx.AsyncClient,
    hook: Receiver,
    shop: Catalogue,
) -> None:
    await subscribe(root, sim, hook, "items")
    hook.replies = [404]
    await bc.patch(f"items({shop.item_a['id']})", json={"displayName": "x"}, headers={"If-Match": "*"})
    deliveries = (await control.post("webhooks/flush")).json()["deliveries"]
    assert [(d["status"], d["outcome"]) for d in deliveries] == [(404, "subscription-deleted")]
    assert (await root.get("subscriptions")).json()["value"] == []
    await bc.patch(f"items({shop.item_a['id']})", json={"displayName": "y"}, headers={"If-Match": "*"})
    assert (await control.get("webhooks")).json()["pending"] == {}


async def test_retryable_replies_are_retried_with_bc_delays(
    sim: BcSim,
    root: httpx.AsyncClient,
    bc: httpx.AsyncClient,
    control: httpx.AsyncClient,
    hook: Receiver,
    shop: Catalogue,
) -> None:
    # GIVEN a receiver that answers 503, then 429, then 200
    await subscribe(root, sim, hook, "items")
    hook.replies = [503, 429]
    await bc.patch(f"items({shop.item_a['id']})", json={"displayName": "x"}, headers={"If-Match": "*"})
    # WHEN time passes: the first attempt at 30 s, retries a minute apart (BC's 1, 1, 1, 10, 100 min)
    outcomes = []
    for seconds in (30, 59, 1, 60):
        outcomes += [(d["status"], d["outcome"]) for d in await advance(control, seconds)]
    # THEN the same notice arrives three times, and the subscription stays
    assert outcomes == [(503, "retry"), (429, "retry"), (200, "delivered")]
    assert [n["value"][0]["changeType"] for n in hook.notifications] == ["updated"] * 3
    assert len((await root.get("subscriptions")).json()["value"]) == 1


async def test_renewal_needs_if_match_repeats_the_handshake_and_extends_the_expiry(
    sim: BcSim, root: httpx.AsyncClient, hook: Receiver
) -> None:
    created = await subscribe(root, sim, hook, "items")
    url = f"subscriptions('{created['subscriptionId']}')"
    sim.clock.advance(24 * 3600)
    refresh(sim, root)
    missing = await root.patch(url, json={})
    renewed = await root.patch(url, json={}, headers={"If-Match": created["@odata.etag"]})
    stale = await root.patch(url, json={}, headers={"If-Match": created["@odata.etag"]})
    assert_error(missing, 400, "BadRequest_InvalidToken")
    assert (renewed.status_code, renewed.json()["expirationDateTime"]) == (200, "2026-08-07T09:00:00.000Z")
    assert_error(stale, 409, "Request_EntityChanged")
    assert len(hook.handshakes) == 2
    deleted = await root.delete(url, headers={"If-Match": renewed.json()["@odata.etag"]})
    assert (deleted.status_code, (await root.get("subscriptions")).json()["value"]) == (204, [])


async def test_a_subscription_lapses_after_three_days_without_renewal(
    sim: BcSim, root: httpx.AsyncClient, bc: httpx.AsyncClient, hook: Receiver, shop: Catalogue
) -> None:
    await subscribe(root, sim, hook, "items")
    sim.clock.advance(3 * 24 * 3600)
    refresh(sim, root, bc)
    await bc.patch(f"items({shop.item_a['id']})", json={"displayName": "x"}, headers={"If-Match": "*"})
    assert (await root.get("subscriptions")).json()["value"] == []
    assert await sim.webhooks.deliver_due(everything=True) == []


async def test_a_line_change_notifies_its_order_and_a_stock_movement_notifies_no_item(
    sim: BcSim,
    root: httpx.AsyncClient,
    bc: httpx.AsyncClient,
    ext: httpx.AsyncClient,
    hook: Receiver,
    shop: Catalogue,
) -> None:
    order = (
        await bc.post("salesOrders?$expand=salesOrderLines", json=sales_order(shop, (shop.item_a, 2)))
    ).json()
    await subscribe(root, sim, hook, "salesOrders")
    await subscribe(root, sim, hook, "items")
    line = order["salesOrderLines"][0]
    await bc.patch(f"salesOrderLines({line['id']})", json={"quantity": 3}, headers={"If-Match": "*"})
    adjustment = {
        "scendAdjustmentId": "ADJ-1",
        "stockAdjustmentLines": [{"itemId": shop.item_a["id"], "locationCode": "SCEND", "quantity": -1}],
    }
    created = (await ext.post("stockAdjustments", json=adjustment)).json()
    await ext.post(f"stockAdjustments({created['id']})/Microsoft.NAV.post")
    await sim.webhooks.deliver_due(everything=True)
    notices = [(n["resource"].split("/")[-1], n["changeType"]) for n in hook.notifications[0]["value"]]
    assert notices == [(f"salesOrders({order['id']})", "updated")]


async def test_the_background_sender_delivers_on_its_own(make_sim: SimFactory, hook: Receiver) -> None:
    # GIVEN a running clock and a 50 ms delay (the sender's own loop, no flush)
    sim = await make_sim(clock=SimClock(), webhook_delay_seconds=0.05)
    async with api_client(sim, sim.api_url) as root, api_client(sim) as bc:
        await subscribe(root, sim, hook, "items")
        await bc.post("items", json={"number": "LIVE-1"})
        for _ in range(100):
            if hook.notifications:
                break
            await asyncio.sleep(0.01)
    assert [n["changeType"] for n in hook.notifications[0]["value"]] == ["created"]
