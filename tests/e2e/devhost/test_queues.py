"""Service Bus triggers fed from the LocalTransport: settlement, poison messages, sessions, metadata."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import azure.functions as func

from local.devhost import DevHost
from shared.messaging.local import LocalTransport
from shared.messaging.transport import MAX_DELIVERY_COUNT_EXCEEDED, OutboundMessage
from tests.e2e.devhost import fixture_app
from tests.e2e.devhost.conftest import BATCH_QUEUE, MAX_DELIVERY_COUNT, PLAIN_QUEUE, SESSION_QUEUE
from tests.e2e.devhost.helpers import eventually


def _deliveries(message_id: str) -> list[func.ServiceBusMessage]:
    return [m for m in fixture_app.calls["plain"] if m.message_id == message_id]


async def test_a_good_message_is_completed(host: DevHost, transport: LocalTransport) -> None:
    # GIVEN a message the function accepts, with properties the worker passes on
    sent_at = datetime.now(UTC)
    message = OutboundMessage(
        body=b'{"ok": true}',
        message_id="good-1",
        correlation_id="corr-1",
        subject="shipment",
        application_properties={"attempt": 2, "source": "scend"},
    )
    await transport.send(PLAIN_QUEUE, [message])

    # WHEN the dev host delivers it
    async def settled() -> bool:
        counts = await transport.counts(PLAIN_QUEUE)
        return bool(_deliveries("good-1")) and counts.active == 0

    await eventually(settled)
    # THEN the function ran once with the message as the worker builds it, and it was completed
    [received] = _deliveries("good-1")
    assert received.get_body() == b'{"ok": true}'
    assert (received.delivery_count, received.correlation_id, received.session_id) == (1, "corr-1", None)
    assert received.application_properties == received.user_properties == {"attempt": 2, "source": "scend"}
    assert isinstance(received.sequence_number, int)
    assert received.enqueued_time_utc is not None
    assert abs(received.enqueued_time_utc - sent_at) < timedelta(seconds=2)
    assert received.metadata is not None
    assert received.metadata["MessageId"] == "good-1"
    assert received.metadata["Subject"] == "shipment"
    assert (await transport.counts(PLAIN_QUEUE)).dead_letter == 0


async def test_a_poison_message_is_dead_lettered_after_max_delivery_count(
    host: DevHost, transport: LocalTransport
) -> None:
    # GIVEN a body the function always raises on, on a queue with max delivery count 3
    await transport.send(PLAIN_QUEUE, [OutboundMessage(body=b"poison", message_id="poison-1")])

    # WHEN the host abandons it after each failure
    async def dead_lettered() -> bool:
        return (await transport.counts(PLAIN_QUEUE)).dead_letter == 1

    await eventually(dead_lettered)
    # THEN it was delivered exactly max-delivery-count times, then dead-lettered with the reason
    assert [m.delivery_count for m in _deliveries("poison-1")] == list(range(1, MAX_DELIVERY_COUNT + 1))
    [dead] = await transport.peek_dead_letters(PLAIN_QUEUE)
    assert (dead.message_id, dead.dead_letter_reason) == ("poison-1", MAX_DELIVERY_COUNT_EXCEEDED)
    # AND the listener carries on with the next message
    await transport.send(PLAIN_QUEUE, [OutboundMessage(body=b"after", message_id="after-poison")])

    async def next_one_done() -> bool:
        return bool(_deliveries("after-poison")) and (await transport.counts(PLAIN_QUEUE)).active == 0

    await eventually(next_one_done)


async def test_session_messages_run_in_order_per_session_and_sessions_in_parallel(
    host: DevHost, transport: LocalTransport
) -> None:
    # GIVEN three orders' messages interleaved on a session queue
    sent: dict[str, list[str]] = {"order-A": [], "order-B": [], "order-C": []}
    batch = []
    for n in range(1, 6):
        for session in ("order-A", "order-B", "order-C") if n <= 3 else ("order-A", "order-B"):
            body = f"{session}:{n}"
            sent[session].append(body)
            batch.append(OutboundMessage(body=body.encode(), message_id=body, session_id=session))
    await transport.send(SESSION_QUEUE, batch)

    # WHEN the dev host runs them
    async def all_done() -> bool:
        counts = await transport.counts(SESSION_QUEUE)
        return len(fixture_app.calls["ordered"]) == len(batch) and counts.active == 0

    await eventually(all_done, within=3.0)
    # THEN each session's messages ran in send order, more than one session at a time
    by_session: dict[str, list[str]] = {session: [] for session in sent}
    for session_id, body, function_name in fixture_app.calls["ordered"]:
        by_session[session_id].append(body)
        assert function_name == "ordered"  # from the `context` parameter
    assert by_session == sent
    assert fixture_app.in_flight["ordered_max"] > 1


async def test_a_batch_function_gets_a_list_and_its_messages_settle_together(
    host: DevHost, transport: LocalTransport
) -> None:
    # GIVEN five messages on the queue of a function with cardinality many
    await transport.send(
        BATCH_QUEUE, [OutboundMessage(body=f"m{i}".encode(), message_id=f"batch-{i}") for i in range(5)]
    )

    async def completed() -> bool:
        seen = [body for batch in fixture_app.calls["batched"] for body in batch]
        return len(seen) == 5 and (await transport.counts(BATCH_QUEUE)).active == 0

    await eventually(completed)
    # THEN the function got lists holding each message once, and every one was completed
    seen = [body for batch in fixture_app.calls["batched"] for body in batch]
    assert sorted(seen) == [f"m{i}" for i in range(5)]
    assert len(fixture_app.calls["batched"]) <= 5
    # WHEN a batch holding a poison message raises, the host abandons the whole batch
    fixture_app.calls["batched"].clear()
    await transport.send(BATCH_QUEUE, [OutboundMessage(body=b"poison", message_id="batch-poison")])

    async def dead_lettered() -> bool:
        return (await transport.counts(BATCH_QUEUE)).dead_letter == 1

    await eventually(dead_lettered)
    assert len(fixture_app.calls["batched"]) == MAX_DELIVERY_COUNT
