"""The Scend event intake: refusals enqueue nothing, valid events reach their flow's queue once,
webhooks from the simulator are applied, and a lost webhook is applied through the feed."""

from __future__ import annotations

import json
import uuid

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from local.scend_sim.faults import WebhookFaults
from shared.messaging.envelope import Envelope
from shared.scend.models import Receipt, Return, Shipment, StockAdjustment
from shared.settings import WriteBackMode
from tests.flows.warehouse.intake import MAX_BODY, Intake, event_body, served, subscribe
from tests.flows.warehouse.support import SHIPMENTS, Warehouse

SHIPMENT = {
    "id": "shp_1", "order_id": "ord_1", "client_reference": "SO-1-6F1C2B9A-R1",
    "despatched_at": "2026-11-27T10:00:00Z", "carrier": "dpd", "service": "DPD_NEXT_DAY",
    "is_final_for_order": True,
    "parcels": [{"parcel_id": "prc_1", "tracking_number": "15501234567890",
                 "lines": [{"line_ref": "10000", "sku": "TEE-BLK-S", "quantity": 1}]}],
}  # fmt: skip
VALID = event_body("evt_1", "shipment.despatched", SHIPMENT)
RETURN = {
    "id": "ret_1",
    "order_reference": "SO-1-6F1C2B9A-R1",
    "status": "inspected",
    "lines": [{"sku": "TEE-BLK-S", "quantity": 1, "condition": "DAMAGED", "disposition": "DISPOSED"}],
}
VALID_DATA = {
    "shipment.despatched": SHIPMENT,
    "return.received": RETURN | {"status": "received"},
    "return.inspected": RETURN,
    "stock.changed": {
        "changes": [
            {"seq": 7, "sku": "TEE-BLK-S", "delta": -1, "on_hand_after": 9, "movement_type": "despatch"}
        ],
        "from_seq": 7,
        "to_seq": 7,
    },
    "stock.adjusted": {
        "id": "adj_1",
        "sku": "TEE-BLK-S",
        "quantity_delta": -2,
        "reason_code": "WRITE_OFF",
        "occurred_at": "2026-11-27T10:00:00Z",
    },
    "receipt.created": {
        "id": "rcp_1",
        "asn_id": "asn_1",
        "asn_reference": "PO-1",
        "is_final": True,
        "received_at": "2026-11-27T10:00:00Z",
        "lines": [{"line_ref": "10000", "sku": "TEE-BLK-S", "qty_received": 5}],
    },
    "order.status_changed": {"id": "ord_1", "status": "picking"},
}


@pytest.fixture
def mode() -> WriteBackMode:
    """The intake does not depend on the write-back mode: one run is enough."""
    return WriteBackMode.STANDARD


async def test_a_signed_despatch_is_enqueued_once_and_its_repeat_is_a_duplicate(intake: Intake) -> None:
    reply = await intake.post(VALID, intake.signed(VALID, "evt_1"))
    assert reply.status == 202
    assert json.loads(reply.body)["messages"] == ["shipment:shp_1"]
    again = await intake.post(VALID, intake.signed(VALID, "evt_1"))
    assert (again.status, json.loads(again.body)["status"]) == (202, "duplicate")
    assert (await intake.queued())[SHIPMENTS] == 1


@pytest.mark.parametrize(
    ("case", "status"),
    [
        ("unsigned", 401), ("wrong secret", 401), ("stale", 401), ("future", 401), ("tampered", 401),
        ("oversized", 413), ("not json", 400), ("not an event", 400), ("id not the signed id", 400),
        ("data not a shipment", 400), ("get", 405),
    ],
)  # fmt: skip
async def test_refused_requests_get_a_clear_4xx_and_enqueue_nothing(
    intake: Intake, case: str, status: int
) -> None:
    body, headers, method = VALID, intake.signed(VALID, "evt_1"), "POST"
    match case:
        case "unsigned":
            headers = {"Content-Type": "application/json"}
        case "wrong secret":
            headers = intake.signed(VALID, "evt_1", secrets=["whsec_" + "QUFBQUFBQUFBQUFBQUFBQQ=="])
        case "stale":
            headers = intake.signed(VALID, "evt_1", timestamp=intake.now() - 301)
        case "future":
            headers = intake.signed(VALID, "evt_1", timestamp=intake.now() + 301)
        case "tampered":
            body = VALID.replace(b"TEE-BLK-S", b"TEE-BLK-M")
        case "oversized":
            body = VALID + b" " * MAX_BODY
            headers = intake.signed(body, "evt_1")
        case "not json":
            body = b"{not json"
            headers = intake.signed(body, "evt_1")
        case "not an event":
            body = b'{"hello": "world"}'
            headers = intake.signed(body, "evt_1")
        case "id not the signed id":
            headers = intake.signed(VALID, "evt_2")
        case "data not a shipment":
            body = event_body("evt_1", "shipment.despatched", {"id": "shp_1"})
            headers = intake.signed(body, "evt_1")
        case "get":
            method = "GET"
    reply = await intake.post(body, headers, method)
    assert reply.status == status, reply.body
    assert set((await intake.queued()).values()) == {0}
    assert "TEE-BLK" not in reply.body  # the answer never echoes the body


async def test_events_with_no_work_here_are_acknowledged_and_ignored(intake: Intake) -> None:
    body = event_body("evt_9", "order.status_changed", {"id": "ord_1", "status": "picking"})
    reply = await intake.post(body, intake.signed(body, "evt_9", event_type="order.status_changed"))
    assert (reply.status, json.loads(reply.body)["status"]) == (202, "ignored")
    assert set((await intake.queued()).values()) == {0}


async def test_a_secret_rotation_accepts_either_secret(intake: Intake) -> None:
    new = "whsec_" + "bmV3LXNlY3JldC1uZXctc2VjcmV0LTEyMzQ="
    intake.trust(new, intake.adapter._secrets[0])
    reply = await intake.post(VALID, intake.signed(VALID, "evt_1", secrets=[new]))
    assert reply.status == 202


async def test_despatches_and_returns_delivered_by_scend_are_applied_once(
    warehouse: Warehouse, intake: Intake
) -> None:
    # GIVEN the intake served on loopback and subscribed at Scend; deliveries are duplicated
    async with served(intake) as url:
        intake.trust(await subscribe(intake, url))
        warehouse.world.scend_sim.set_faults(webhooks=WebhookFaults(duplicate_rate=1.0))
        cat = await warehouse.catalogue(1)
        order = await warehouse.sent_order(cat, [(cat.items[0], 2)])
        # WHEN Scend despatches it and the customer returns one, and the webhooks are delivered
        warehouse.despatch(order)
        await warehouse.world.scend_sim.flush_webhooks()
        await warehouse.drain_shipments()
        return_id = warehouse.customer_returns(order, [(cat.items[0], 1)])
        warehouse.inspect(return_id)
        flushed = await warehouse.world.scend_sim.flush_webhooks()
        assert flushed.failed == 0
        await warehouse.drain_returns()
    # THEN BC shipped it once and holds one draft credit memo, without any feed poll
    assert warehouse.posted_shipments(order) == 1
    assert warehouse.shipped(order) == order.lines
    assert len(warehouse.credit_memos(return_id)) == 1
    deliveries = warehouse.world.scend_sim.webhooks.log
    assert {d.status_code for d in deliveries if d.status_code is not None} == {202}


async def test_a_webhook_lost_on_purpose_is_applied_through_the_feed(
    warehouse: Warehouse, intake: Intake
) -> None:
    async with served(intake) as url:
        intake.trust(await subscribe(intake, url))
        warehouse.world.scend_sim.set_faults(webhooks=WebhookFaults(lost_rate=1.0))
        cat = await warehouse.catalogue(1)
        order = await warehouse.sent_order(cat, [(cat.items[0], 2)])
        warehouse.despatch(order)
        await warehouse.world.scend_sim.flush_webhooks()
        assert (await intake.queued())[SHIPMENTS] == 0  # the webhook never came
        # WHEN the feed backstop runs
        assert (await warehouse.poll("shipments")).read == 1
        await warehouse.drain_shipments()
    assert warehouse.shipped(order) == order.lines


RECORDS = {"shipment": Shipment, "return": Return,
           "stock-adjustment": StockAdjustment, "receipt": Receipt}  # fmt: skip
EVENT_TYPES = [*VALID_DATA, "asn.status_changed", "no.such.event"]
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)


@st.composite
def deliveries(draw: st.DrawFn, intake: Intake) -> tuple[bytes, dict[str, str], str]:
    """A delivery somewhere between perfect and hostile: event type, data, body, size, signature, clock."""
    event_id = draw(st.sampled_from(["evt_" + uuid.uuid4().hex[:8]] * 6 + ["", " ", "x" * 300, "evt_\u00e9"]))
    event_type = draw(st.sampled_from(EVENT_TYPES))
    shape = draw(st.sampled_from(["valid"] * 6 + ["empty", "random", "another type's"]))
    if shape == "valid":
        data = VALID_DATA.get(event_type, {})
    elif shape == "random":
        data = draw(st.dictionaries(st.text(max_size=8), json_values))
    elif shape == "another type's":
        data = draw(st.sampled_from(list(VALID_DATA.values())))
    else:
        data = {}
    body = event_body(event_id, event_type, data)
    mutation = draw(st.sampled_from(["as is"] * 6 + ["truncated", "padded", "garbage", "huge"]))
    if mutation == "truncated":
        body = body[: draw(st.integers(0, len(body)))]
    elif mutation == "padded":
        body = body + b" " * draw(st.integers(0, 64))
    elif mutation == "garbage":
        body = draw(st.binary(max_size=200))
    elif mutation == "huge":
        body = body + b" " * MAX_BODY
    skew = draw(st.sampled_from([0] * 6 + [299, -299, 301, -301, 10**6]))
    signing = draw(st.sampled_from(["ours"] * 6 + ["other", "none", "header garbage"]))
    headers = intake.signed(body, event_id or "evt_empty", timestamp=intake.now() + skew)
    if signing == "other":
        headers = intake.signed(body, event_id or "evt_empty", secrets=["whsec_QUFBQUFBQUFBQUFBQUFBQQ=="])
    elif signing == "none":
        headers = {"Content-Type": "application/json"}
    elif signing == "header garbage":
        headers["Scend-Webhook-Signature"] = draw(st.text(max_size=40))
        headers["Scend-Webhook-Timestamp"] = draw(st.text(max_size=12))
    return body, headers, draw(st.sampled_from(["POST"] * 9 + ["PUT"]))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
async def test_fuzzed_deliveries_never_get_a_5xx_and_never_enqueue_an_invalid_event(
    intake: Intake, data: st.DataObject
) -> None:
    body, headers, method = data.draw(deliveries(intake))
    before = await intake.queued()
    reply = await intake.post(body, headers, method)
    assert reply.status in {202, 400, 401, 405, 413}, reply.body
    event(f"{reply.status} {json.loads(reply.body).get('status') or json.loads(reply.body).get('error')}")
    after = await intake.queued()
    if reply.status != 202 or json.loads(reply.body)["status"] != "accepted":
        assert after == before
        return
    # every message enqueued is a well-formed envelope holding the record its kind promises
    transport = intake.warehouse.world.transport
    for queue, count in after.items():
        if count == before[queue]:
            continue
        async with transport.receiver(queue, max_wait=0) as receiver:
            assert receiver is not None
            for message in await receiver.receive(max_messages=50, max_wait=0):
                envelope = Envelope.from_bytes(message.body)
                RECORDS[envelope.kind].model_validate(envelope.payload)
                await receiver.complete(message)
