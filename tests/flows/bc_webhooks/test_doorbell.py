"""The doorbell handler: BC's handshake, clientState, hostile bodies, and a burst coalescing into one poll.

Real components: the handler and the local broker (its `poll-requests` queue as the app declares it).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from shared.flows.bc_notifications import (
    MAX_BODY_BYTES,
    POLL_REQUEST_KIND,
    NotificationReply,
    NotificationRequest,
    receive_bc_notification,
)
from shared.messaging.local import LocalTransport
from shared.messaging.transport import OutboundMessage, TransportError
from tests.contract.messaging.support import Clock
from tests.flows.bc_webhooks.support import (
    CLIENT_STATE,
    POLL_REQUESTS,
    body_of,
    collection_notice,
    notice,
    queued,
)

BUCKET_START = datetime(2026, 11, 27, 9, 0, 0, tzinfo=UTC)


async def ring(
    transport: LocalTransport,
    clock: Clock,
    body: bytes = b"",
    *,
    method: str = "POST",
    query: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> NotificationReply:
    request = NotificationRequest(method=method, query=query or {}, headers=headers or {}, body=body)
    return await receive_bc_notification(
        request, client_state=CLIENT_STATE, transport=transport, queue=POLL_REQUESTS, clock=clock
    )


async def message_ids(transport: LocalTransport) -> list[str]:
    return [message.message_id for message in await queued(transport)]


# --- the handshake ------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["POST", "GET"])
async def test_the_handshake_echoes_the_validation_token_as_plain_text(
    transport: LocalTransport, clock: Clock, method: str
) -> None:
    # GIVEN BC's validation call on create or renew (its method is not documented: both are answered)
    token = "5f0c1a3e-Token_with.some+chars/="
    # WHEN it reaches the doorbell
    reply = await ring(transport, clock, method=method, query={"validationToken": token, "code": "k"})
    # THEN the answer is 200 with exactly the token, as text that no browser sniffs into a page
    assert (reply.status, reply.body, reply.content_type) == (200, token, "text/plain")
    assert reply.headers["X-Content-Type-Options"] == "nosniff"
    assert await message_ids(transport) == []


@pytest.mark.parametrize(
    "token", ["", "x" * 1025, "line\nbreak", "<script>\x00</script>", "caf\u00e9"], ids=repr
)
async def test_a_token_that_is_empty_too_long_or_not_printable_ascii_is_not_echoed(
    transport: LocalTransport, clock: Clock, token: str
) -> None:
    reply = await ring(transport, clock, query={"validationToken": token})
    assert (reply.status, reply.body) == (400, "invalid validationToken")


# --- refused requests: a clear 4xx and nothing enqueued -----------------------------------------


async def test_a_wrong_client_state_is_401_and_nothing_is_enqueued(
    transport: LocalTransport, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    # GIVEN a batch where one notice carries another clientState (the caller is not our subscription)
    forged = "forged-client-state-9999"
    body = body_of([notice("items"), notice("salesOrders", client_state=forged), notice("items")])
    # WHEN it rings
    with caplog.at_level(logging.DEBUG, logger="shared.flows"):
        reply = await ring(transport, clock, body)
    # THEN the whole batch is refused, nothing waits on the queue, and neither secret is logged
    assert (reply.status, reply.body) == (401, "clientState does not match")
    assert await message_ids(transport) == []
    assert "clientState does not match" in caplog.text
    assert forged not in caplog.text
    assert CLIENT_STATE not in caplog.text


async def test_a_notice_without_a_client_state_is_401(transport: LocalTransport, clock: Clock) -> None:
    reply = await ring(transport, clock, body_of([notice("items", client_state=None)]))
    assert reply.status == 401
    assert await message_ids(transport) == []


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"",
        b"[]",
        b"{}",
        b'{"value": []}',
        b'{"value": {"clientState": "x"}}',
        json.dumps({"value": [{**notice(), "clientState": 12345}]}).encode(),
        json.dumps({"value": [{k: v for k, v in notice().items() if k != "resource"}]}).encode(),
        b'{"value": [' + b"[" * 5000 + b"]" * 5000 + b"]}",
        b"\xff\xfe{}",
    ],
    ids=[
        "text", "empty", "array", "no value", "no notices", "value not a list", "clientState a number",
        "no resource", "deeply nested", "not utf-8",
    ],
)  # fmt: skip
async def test_a_malformed_body_is_400_and_nothing_is_enqueued(
    transport: LocalTransport, clock: Clock, body: bytes
) -> None:
    reply = await ring(transport, clock, body)
    assert (reply.status, reply.body) == (400, 'expected JSON {"value": [notification, ...]}')
    assert await message_ids(transport) == []


async def test_an_oversized_body_is_413_and_nothing_is_enqueued(
    transport: LocalTransport, clock: Clock
) -> None:
    # GIVEN a well-formed batch one byte over the bound
    body = body_of([notice()])
    body = body[:-1] + b" " * (MAX_BODY_BYTES - len(body) + 1) + b"}"
    assert len(body) == MAX_BODY_BYTES + 1
    reply = await ring(transport, clock, body)
    assert (reply.status, reply.body) == (413, "body too large")
    assert await message_ids(transport) == []


async def test_anything_but_a_post_or_a_handshake_is_405(transport: LocalTransport, clock: Clock) -> None:
    reply = await ring(transport, clock, body_of([notice()]), method="GET")
    assert (reply.status, reply.headers["Allow"]) == (405, "GET, POST")
    assert await message_ids(transport) == []


# --- notifications become poll requests ----------------------------------------------------------


async def test_a_burst_of_50_sales_order_notifications_enqueues_one_poll_request_per_bucket(
    transport: LocalTransport, clock: Clock
) -> None:
    # GIVEN 50 notifications for sales orders, 0.1 s apart, all inside the 10 s bucket from 09:00:00
    clock.now = BUCKET_START
    replies = []
    for n in range(50):
        replies.append(
            await ring(transport, clock, body_of([notice(key=f"00000000-0000-4000-8000-{n:012d}")]))
        )
        clock.advance(timedelta(seconds=0.1))
    # THEN each was accepted, and exactly one poll request waits, due at the bucket's end
    assert {reply.status for reply in replies} == {202}
    (request,) = await queued(transport)
    assert request.message_id == "poll-request:poll_bc_sales_orders:20261127T090000Z"
    assert request.scheduled_for == BUCKET_START + timedelta(seconds=10)
    # WHEN one more arrives in the next bucket
    clock.now = BUCKET_START + timedelta(seconds=10)
    await ring(transport, clock, body_of([notice()]))
    # THEN it wakes a second poll, after the first
    assert await message_ids(transport) == [
        "poll-request:poll_bc_sales_orders:20261127T090000Z",
        "poll-request:poll_bc_sales_orders:20261127T090010Z",
    ]


async def test_fifty_notices_in_one_body_enqueue_one_poll_request(
    transport: LocalTransport, clock: Clock
) -> None:
    body = body_of([notice(key=f"00000000-0000-4000-8000-{n:012d}") for n in range(50)])
    reply = await ring(transport, clock, body)
    assert reply.status == 202
    assert await message_ids(transport) == ["poll-request:poll_bc_sales_orders:20261127T090000Z"]


async def test_a_collection_notice_enqueues_one_poll_request(transport: LocalTransport, clock: Clock) -> None:
    # GIVEN BC's collection notice (more than 1,000 sales orders changed in its window)
    reply = await ring(transport, clock, body_of([collection_notice("salesOrders")]))
    # THEN the same poll is requested: it reads by watermark, so it catches up every change
    assert reply.status == 202
    (request,) = await queued(transport)
    assert request.envelope.kind == POLL_REQUEST_KIND
    assert (request.envelope.key, request.envelope.payload) == (
        "poll_bc_sales_orders",
        {"flow": "poll_bc_sales_orders", "source": "bc-notification"},
    )


async def test_notices_for_several_entity_sets_wake_each_poll_once_and_ignore_the_unknown(
    transport: LocalTransport, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    # GIVEN one body with item, sales order, purchase order, customer and unparseable resources
    customer = notice("customers")
    odd = {**notice(), "resource": "https://example.invalid/weird path/(%%)"}
    body = body_of([notice("items"), notice("salesOrders"), collection_notice("items"),
                    notice("purchaseOrders"), customer, odd])  # fmt: skip
    with caplog.at_level(logging.WARNING, logger="shared.flows"):
        reply = await ring(transport, clock, body)
    # THEN each poll with a notice is requested once; the rest are ignored, named by entity set only
    assert reply.status == 202
    assert await message_ids(transport) == [
        "poll-request:poll_bc_items:20261127T090000Z",
        "poll-request:poll_bc_purchase_orders:20261127T090000Z",
        "poll-request:poll_bc_sales_orders:20261127T090000Z",
    ]
    assert "no poll flow for entity set customers" in caplog.text
    assert "no poll flow for entity set <unrecognised>" in caplog.text
    assert COMPANY_ID not in caplog.text


COMPANY_ID = "1f2e3d4c-5b6a-4789-9abc-def012345678"


async def test_notices_for_unknown_entity_sets_only_are_accepted_and_wake_nothing(
    transport: LocalTransport, clock: Clock
) -> None:
    reply = await ring(transport, clock, body_of([notice("customers")]))
    assert reply.status == 202
    assert await message_ids(transport) == []


async def test_the_poll_request_carries_bcs_correlation_id_and_a_safe_one_only(
    transport: LocalTransport, clock: Clock
) -> None:
    await ring(transport, clock, body_of([notice("items")]), headers={"x-ms-correlation-id": "abc-123"})
    await ring(transport, clock, body_of([notice("salesOrders")]), headers={"x-ms-correlation-id": "<x>\n"})
    items, orders = await queued(transport)
    assert items.envelope.correlation_id == "abc-123"
    assert orders.envelope.correlation_id not in ("<x>\n", "")


class BrokenBroker:
    """A broker whose sends fail: Service Bus unreachable."""

    def __init__(self) -> None:
        self.sends = 0

    async def send(self, queue: str, messages: Sequence[OutboundMessage]) -> None:
        self.sends += 1
        raise TransportError("the namespace is unreachable")


async def test_a_broker_failure_is_503_so_bc_retries_instead_of_deleting_the_subscription(
    clock: Clock,
) -> None:
    # GIVEN a valid notification while the broker is down
    broker = BrokenBroker()
    request = NotificationRequest(method="POST", body=body_of([notice()]))
    # WHEN it rings
    reply = await receive_bc_notification(
        request,
        client_state=CLIENT_STATE,
        transport=broker,  # type: ignore[arg-type]  # only `send` is used
        queue=POLL_REQUESTS,
        clock=clock,
    )
    # THEN the answer is one BC retries (5xx), never a 4xx, which would delete the subscription
    assert (reply.status, reply.headers["Retry-After"], broker.sends) == (503, "60", 1)
