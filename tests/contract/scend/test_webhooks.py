"""Webhooks from the simulator, verified by the adapter: signatures, duplicates, rotation."""

from __future__ import annotations

import httpx
import pytest

from local.scend_sim import ScendSim, WebhookFaults
from shared.scend.rest import ContractRestAdapter
from shared.scend.signatures import BadSignature
from tests.contract.scend.conftest import MakeAdapter
from tests.contract.scend.support import Received, SharedTime, order, webhook_receiver

EVENTS = ["order.status_changed", "shipment.despatched"]


async def subscribe(sim: ScendSim, url: str) -> tuple[str, str]:
    async with httpx.AsyncClient(base_url=sim.base_url, trust_env=False) as raw:
        answer = await raw.post(
            "/webhooks",
            json={"url": url, "events": EVENTS},
            headers={"Authorization": f"Bearer {sim.api_key}", "Idempotency-Key": f"subscribe {url}"},
        )
    answer.raise_for_status()
    return str(answer.json()["id"]), str(answer.json()["secret"])


async def deliveries(
    sim: ScendSim, scend: ContractRestAdapter, reference: str, received: list[Received]
) -> list[Received]:
    """Release and despatch one order; the webhook requests that arrived for it."""
    before = len(received)
    await scend.create_order(order(reference))
    sim.warehouse.advance(120)
    await sim.flush_webhooks()
    return received[before:]


async def test_every_delivery_verifies_and_duplicates_share_their_webhook_id(
    sim: ScendSim, make_adapter: MakeAdapter, stocked: list[str]
) -> None:
    async with webhook_receiver() as receiver:
        _, secret = await subscribe(sim, receiver.url)
        sim.set_faults(webhooks=WebhookFaults(duplicate_rate=1.0))
        scend = make_adapter(webhook_secrets=[secret])
        arrived = await deliveries(sim, scend, "SO-1-R1", receiver.requests)
    events = [scend.verify_webhook(r.headers, r.body) for r in arrived]
    # THEN each event came twice, both copies under one id (the intake's de-duplication key)
    assert len(events) == 2 * len({e.id for e in events}) > 0
    assert {e.id for e in events} == {r.headers["scend-webhook-id"] for r in arrived}
    shipped = [e for e in events if e.type == "shipment.despatched"]
    assert shipped
    assert shipped[0].resource_url == f"/v1/shipments/{shipped[0].data['id']}"


async def test_a_delivery_changed_by_a_byte_signed_by_a_stranger_or_replayed_late_is_refused(
    sim: ScendSim, make_adapter: MakeAdapter, stocked: list[str], shared_time: SharedTime
) -> None:
    async with webhook_receiver() as receiver:
        _, secret = await subscribe(sim, receiver.url)
        scend = make_adapter(webhook_secrets=[secret])
        (first, *_) = await deliveries(sim, scend, "SO-2-R1", receiver.requests)
    tampered = first.body.replace(b"SO-2-R1", b"SO-3-R1")
    with pytest.raises(BadSignature):
        scend.verify_webhook(first.headers, tampered)
    stranger = make_adapter(webhook_secrets=["whsec_" + "c29tZW9uZS1lbHNlcy1zZWNyZXQ="])
    with pytest.raises(BadSignature):
        stranger.verify_webhook(first.headers, first.body)
    await shared_time.sleep(301)  # the same request, replayed five minutes later
    with pytest.raises(BadSignature, match="too old"):
        scend.verify_webhook(first.headers, first.body)


async def test_a_rotation_keeps_both_secrets_working_until_the_old_one_is_retired(
    sim: ScendSim, make_adapter: MakeAdapter, stocked: list[str]
) -> None:
    async with webhook_receiver() as receiver:
        subscription, old = await subscribe(sim, receiver.url)
        holding_old = make_adapter(webhook_secrets=[old])
        # GIVEN Scend rotates: deliveries are signed with the old and the new secret
        new = sim.webhooks.subscriptions.rotate(subscription)
        holding_new = make_adapter(webhook_secrets=[new, old])
        during = await deliveries(sim, holding_old, "SO-4-R1", receiver.requests)
        # WHEN Scend retires the old secret
        sim.webhooks.subscriptions.set_secrets(subscription, [new])
        after = await deliveries(sim, holding_old, "SO-5-R1", receiver.requests)
    # THEN during the rotation either side's secrets verify every delivery (two signatures each)
    assert during
    assert all(len(r.headers["scend-webhook-signature"].split()) == 2 for r in during)
    for r in during:
        assert holding_old.verify_webhook(r.headers, r.body).id == r.headers["scend-webhook-id"]
        assert holding_new.verify_webhook(r.headers, r.body).id == r.headers["scend-webhook-id"]
    # AND afterwards only the new secret verifies
    assert after
    for r in after:
        assert holding_new.verify_webhook(r.headers, r.body).id == r.headers["scend-webhook-id"]
        with pytest.raises(BadSignature):
            holding_old.verify_webhook(r.headers, r.body)
