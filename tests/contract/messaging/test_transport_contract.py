"""The Transport contract: every semantic of the port, run against both adapters on the same broker.

`transport` is the LocalTransport itself, then ServiceBusTransport over the SDK fakes (whose broker
is that LocalTransport), so the second run checks the adapter's translation to and from the SDK.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from shared.messaging.transport import (
    MAX_DELIVERY_COUNT_EXCEEDED,
    LockLost,
    MessageNotFound,
    QueueCounts,
    ReceivedMessage,
    Receiver,
    SessionLockLost,
    SessionRequired,
    Transport,
    TransportError,
    UnknownQueue,
)
from tests.contract.messaging.support import (
    DUPLICATE_WINDOW,
    LOCK,
    MAX_DELIVERIES,
    NOTHING_WAIT,
    ORDERS,
    WORK,
    Clock,
    message,
)


async def receive_one(receiver: Receiver | None) -> ReceivedMessage:
    assert receiver is not None
    received = await receiver.receive(max_messages=1, max_wait=NOTHING_WAIT)
    assert len(received) == 1, f"expected one message, got {received}"
    return received[0]


async def settle(receiver: Receiver, how: str, received: ReceivedMessage) -> None:
    if how == "dead_letter":
        await receiver.dead_letter(received, "TEST", "settled by the test")
    else:
        await getattr(receiver, how)(received)


async def test_a_sent_message_is_received_under_lock_and_gone_once_completed(
    transport: Transport, clock: Clock
) -> None:
    # GIVEN a message with every field the port carries, and a body longer than one AMQP data chunk
    body = b'{"kind": "item", "key": "1000-BLU", "payload": {"gtin": "5012345678900"}}'
    properties = {"attempt": 2, "source": "bc", "urgent": True, "weight": 1.5}
    await transport.send(
        WORK,
        [
            message(
                "item:1000-BLU:v1",
                body,
                correlation_id="c-1",
                subject="item",
                application_properties=properties,
            )
        ],
    )
    async with transport.receiver(WORK) as receiver:
        # WHEN it is received
        got = await receive_one(receiver)
        # THEN it arrives whole, locked for the queue's lock duration, on its first delivery
        assert (got.body, got.message_id, got.correlation_id, got.subject) == (
            body,
            "item:1000-BLU:v1",
            "c-1",
            "item",
        )
        assert got.application_properties == properties
        assert (got.delivery_count, got.enqueued_time, got.locked_until) == (1, clock.now, clock.now + LOCK)
        assert (got.session_id, got.scheduled_enqueue_time, got.dead_letter_reason) == (None, None, None)
        # WHEN it is completed THEN it is gone
        await receiver.complete(got)
        assert await receiver.receive(max_wait=NOTHING_WAIT) == []
    assert await transport.counts(WORK) == QueueCounts(active=0, scheduled=0, dead_letter=0)


async def test_an_abandoned_message_comes_back_at_once_with_its_delivery_count_incremented(
    transport: Transport,
) -> None:
    # GIVEN a received message
    await transport.send(WORK, [message("m1"), message("m2")])
    async with transport.receiver(WORK) as receiver:
        first = await receive_one(receiver)
        # WHEN it is abandoned
        await receiver.abandon(first)
        # THEN it is the next message delivered, as its second delivery
        again = await receive_one(receiver)
    assert (again.message_id, again.sequence_number, again.delivery_count) == ("m1", first.sequence_number, 2)


async def test_a_message_abandoned_on_its_last_allowed_delivery_is_dead_lettered(
    transport: Transport,
) -> None:
    # GIVEN a queue that allows MAX_DELIVERIES deliveries, and a message that fails every time
    await transport.send(WORK, [message("m1")])
    async with transport.receiver(WORK) as receiver:
        for delivery in range(1, MAX_DELIVERIES + 1):
            got = await receive_one(receiver)
            assert got.delivery_count == delivery
            # WHEN the last allowed delivery is abandoned too
            await receiver.abandon(got)
        # THEN it is not delivered again but dead-lettered with the broker's reason
        assert await receiver.receive(max_wait=NOTHING_WAIT) == []
    [dead] = await transport.peek_dead_letters(WORK)
    assert (dead.message_id, dead.body, dead.delivery_count) == ("m1", b"body of m1", MAX_DELIVERIES)
    assert dead.dead_letter_reason == MAX_DELIVERY_COUNT_EXCEEDED
    assert dead.dead_letter_error_description == "Message could not be consumed after 3 delivery attempts."
    assert await transport.counts(WORK) == QueueCounts(active=0, scheduled=0, dead_letter=1)


async def test_an_explicit_dead_letter_keeps_its_reason_description_and_properties(
    transport: Transport,
) -> None:
    # GIVEN a received message with application properties
    await transport.send(WORK, [message("m1", application_properties={"attempt": 1, "flow": "items"})])
    async with transport.receiver(WORK) as receiver:
        got = await receive_one(receiver)
        # WHEN it is dead-lettered with a reason and a description
        await receiver.dead_letter(got, "SKU_NOT_IN_WMS", "Create item 1000-BLU in Scend, then press Retry")
    # THEN the dead letter carries exactly those, and its own properties unchanged
    [dead] = await transport.peek_dead_letters(WORK)
    assert (dead.message_id, dead.dead_letter_reason, dead.dead_letter_error_description) == (
        "m1",
        "SKU_NOT_IN_WMS",
        "Create item 1000-BLU in Scend, then press Retry",
    )
    assert dead.application_properties == {"attempt": 1, "flow": "items"}
    assert await transport.counts(WORK) == QueueCounts(active=0, scheduled=0, dead_letter=1)


async def test_a_duplicate_message_id_is_dropped_inside_the_window_and_accepted_after_it(
    transport: Transport, clock: Clock
) -> None:
    # GIVEN a message sent, received and completed
    await transport.send(WORK, [message("order:42:v1", b"first")])
    # WHEN the same id is sent again at once, and again just before the window closes
    await transport.send(WORK, [message("order:42:v1", b"second")])
    async with transport.receiver(WORK) as receiver:
        await receiver.complete(await receive_one(receiver))
        clock.advance(DUPLICATE_WINDOW - timedelta(seconds=1))
        await transport.send(WORK, [message("order:42:v1", b"third")])
        # THEN both are accepted and dropped
        assert await receiver.receive(max_wait=NOTHING_WAIT) == []
        assert await transport.counts(WORK) == QueueCounts(active=0, scheduled=0, dead_letter=0)
        # WHEN it is sent once the window since the first send has passed THEN it is delivered
        clock.advance(timedelta(seconds=1))
        await transport.send(WORK, [message("order:42:v1", b"fourth")])
        assert (await receive_one(receiver)).body == b"fourth"


async def test_a_scheduled_message_is_invisible_until_its_time(transport: Transport, clock: Clock) -> None:
    # GIVEN a message scheduled five minutes ahead
    due = clock.now + timedelta(minutes=5)
    await transport.send(WORK, [message("retry:1", scheduled_enqueue_time=due)])
    async with transport.receiver(WORK) as receiver:
        # WHEN it is not yet time THEN it is counted as scheduled and cannot be received
        clock.advance(timedelta(minutes=5) - timedelta(seconds=1))
        assert await transport.counts(WORK) == QueueCounts(active=0, scheduled=1, dead_letter=0)
        assert await receiver.receive(max_wait=NOTHING_WAIT) == []
        # WHEN its time comes THEN it is active and delivered, telling when it was scheduled for
        clock.advance(timedelta(seconds=1))
        assert await transport.counts(WORK) == QueueCounts(active=1, scheduled=0, dead_letter=0)
        got = await receive_one(receiver)
    assert (got.message_id, got.scheduled_enqueue_time, got.delivery_count) == ("retry:1", due, 1)


async def test_an_expired_lock_redelivers_the_message_and_its_first_holder_cannot_settle_it(
    transport: Transport, clock: Clock
) -> None:
    # GIVEN a message received by one receiver and never settled
    await transport.send(WORK, [message("m1")])
    async with transport.receiver(WORK) as first, transport.receiver(WORK) as second:
        held = await receive_one(first)
        assert await second.receive(max_wait=NOTHING_WAIT) == []
        # WHEN its lock duration passes
        clock.advance(LOCK)
        # THEN another receiver gets it as its second delivery, and the first holder's lock is lost
        again = await receive_one(second)
        assert (again.message_id, again.delivery_count) == ("m1", 2)
        with pytest.raises(LockLost):
            await first.complete(held)
        await second.complete(again)
    assert await transport.counts(WORK) == QueueCounts(active=0, scheduled=0, dead_letter=0)


@pytest.mark.parametrize(
    ("first", "second"),
    [("complete", "complete"), ("complete", "abandon"), ("abandon", "complete"), ("dead_letter", "complete")],
)
async def test_a_settled_message_cannot_be_settled_again(
    transport: Transport, first: str, second: str
) -> None:
    # GIVEN a message received and settled once
    await transport.send(WORK, [message("m1")])
    async with transport.receiver(WORK) as receiver:
        assert receiver is not None
        got = await receive_one(receiver)
        await settle(receiver, first, got)
        # WHEN it is settled again THEN the lock is lost
        with pytest.raises(LockLost):
            await settle(receiver, second, got)


async def test_each_session_goes_to_one_receiver_that_gets_its_messages_in_send_order(
    transport: Transport,
) -> None:
    # GIVEN two orders' messages sent interleaved
    sent = [("A", 1), ("B", 1), ("A", 2), ("B", 2), ("A", 3)]
    for session, n in sent:
        await transport.send(ORDERS, [message(f"{session}{n}", session_id=session)])
    # WHEN two session receivers open
    async with (
        transport.receiver(ORDERS, session=True, max_wait=NOTHING_WAIT) as a,
        transport.receiver(ORDERS, session=True, max_wait=NOTHING_WAIT) as b,
    ):
        assert a is not None
        assert b is not None
        # THEN the first holds the session of the oldest message, the second the other
        assert (a.session_id, b.session_id) == ("A", "B")
        # AND each gets only its own session's messages, in the order they were sent
        a_messages = await a.receive(max_messages=10, max_wait=NOTHING_WAIT)
        b_messages = await b.receive(max_messages=10, max_wait=NOTHING_WAIT)
        assert [m.message_id for m in a_messages] == ["A1", "A2", "A3"]
        assert [m.message_id for m in b_messages] == ["B1", "B2"]
        assert {m.session_id for m in a_messages} == {"A"}
        # AND while both are held, a third receiver gets no session, even once B is drained
        for got in b_messages:
            await b.complete(got)
        async with transport.receiver(ORDERS, session=True, max_wait=NOTHING_WAIT) as third:
            assert third is None
        for got in a_messages:
            await a.complete(got)
    assert await transport.counts(ORDERS) == QueueCounts(active=0, scheduled=0, dead_letter=0)


async def test_a_closed_session_goes_to_the_next_receiver_with_its_unsettled_message_counted(
    transport: Transport,
) -> None:
    # GIVEN session A with three messages, the first completed and the second left unsettled
    await transport.send(ORDERS, [message(f"A{n}", session_id="A") for n in (1, 2, 3)])
    async with transport.receiver(ORDERS, session=True, max_wait=NOTHING_WAIT) as first:
        await first.complete(await receive_one(first))
        unsettled = await receive_one(first)
        assert (unsettled.message_id, unsettled.delivery_count) == ("A2", 1)
    # WHEN its receiver closes THEN the next receiver gets A, from the unsettled message on, in order
    async with transport.receiver(ORDERS, session=True, max_wait=NOTHING_WAIT) as second:
        assert second is not None
        assert second.session_id == "A"
        rest = await second.receive(max_messages=10, max_wait=NOTHING_WAIT)
    assert [(m.message_id, m.delivery_count) for m in rest] == [("A2", 2), ("A3", 1)]


async def test_a_session_whose_lock_expires_goes_to_another_receiver(
    transport: Transport, clock: Clock
) -> None:
    # GIVEN session A held by a receiver that stopped receiving, with A1 unsettled
    await transport.send(ORDERS, [message("A1", session_id="A")])
    async with transport.receiver(ORDERS, session=True, max_wait=NOTHING_WAIT) as stalled:
        held = await receive_one(stalled)
        assert held.locked_until == clock.now + LOCK
        # WHEN the lock duration passes
        clock.advance(LOCK)
        # THEN another receiver takes A and gets A1 as its second delivery
        async with transport.receiver(ORDERS, session=True, max_wait=NOTHING_WAIT) as taker:
            assert taker is not None
            assert taker.session_id == "A"
            again = await receive_one(taker)
            assert (again.message_id, again.delivery_count) == ("A1", 2)
            # AND the stalled receiver can neither settle nor receive
            with pytest.raises(SessionLockLost):
                await stalled.complete(held)
            with pytest.raises(SessionLockLost):
                await stalled.receive(max_wait=NOTHING_WAIT)
            await taker.complete(again)


async def test_receiving_renews_the_session_lock(transport: Transport, clock: Clock) -> None:
    # GIVEN session A locked, and a receive on it two thirds into the lock duration
    await transport.send(ORDERS, [message(f"A{n}", session_id="A") for n in (1, 2)])
    async with transport.receiver(ORDERS, session=True, max_wait=NOTHING_WAIT) as holder:
        clock.advance(LOCK * 2 / 3)
        got = await receive_one(holder)
        assert got.locked_until == clock.now + LOCK
        # WHEN more than the lock duration has passed since the session was locked
        clock.advance(LOCK * 2 / 3)
        # THEN it is still held: no other receiver gets it, and the holder settles fine
        async with transport.receiver(ORDERS, session=True, max_wait=NOTHING_WAIT) as other:
            assert other is None
        await holder.complete(got)


async def test_a_session_receiver_yields_none_when_no_session_has_messages(
    transport: Transport, clock: Clock
) -> None:
    # GIVEN a session queue holding only a message scheduled for later
    later = clock.now + timedelta(minutes=1)
    await transport.send(ORDERS, [message("A1", session_id="A", scheduled_enqueue_time=later)])
    # WHEN a session receiver opens THEN it yields None after max_wait
    async with transport.receiver(ORDERS, session=True, max_wait=NOTHING_WAIT) as receiver:
        assert receiver is None


async def test_a_resubmitted_dead_letter_returns_under_a_replay_id_and_leaves_the_dead_letters(
    transport: Transport,
) -> None:
    # GIVEN a dead letter with properties
    await transport.send(WORK, [message("m1", application_properties={"flow": "items"})])
    async with transport.receiver(WORK) as receiver:
        await receiver.dead_letter(await receive_one(receiver), "DEFECT", "KeyError: 'sku'")
        [dead] = await transport.peek_dead_letters(WORK)
        # WHEN it is resubmitted
        replay_id = await transport.resubmit_dead_letter(WORK, dead.sequence_number)
        # THEN a copy with a new id is delivered afresh and the dead letter is gone
        assert replay_id == "m1#replay-1"
        assert await transport.peek_dead_letters(WORK) == []
        copy = await receive_one(receiver)
        assert (copy.message_id, copy.body, copy.delivery_count) == ("m1#replay-1", b"body of m1", 1)
        assert copy.application_properties == {"flow": "items"}
        # AND a replay that dies and is resubmitted again counts on
        await receiver.dead_letter(copy, "DEFECT", "again")
        [dead_again] = await transport.peek_dead_letters(WORK)
        assert await transport.resubmit_dead_letter(WORK, dead_again.sequence_number) == "m1#replay-2"
    assert await transport.counts(WORK) == QueueCounts(active=1, scheduled=0, dead_letter=0)


async def test_a_resubmitted_session_dead_letter_goes_back_to_its_session(transport: Transport) -> None:
    # GIVEN a dead letter of session A
    await transport.send(ORDERS, [message("A1", session_id="A")])
    async with transport.receiver(ORDERS, session=True, max_wait=NOTHING_WAIT) as receiver:
        await receiver.dead_letter(await receive_one(receiver), "DEFECT")
    [dead] = await transport.peek_dead_letters(ORDERS)
    # WHEN it is resubmitted THEN its copy is in session A again
    assert await transport.resubmit_dead_letter(ORDERS, dead.sequence_number) == "A1#replay-1"
    async with transport.receiver(ORDERS, session=True, max_wait=NOTHING_WAIT) as receiver:
        assert receiver is not None
        assert receiver.session_id == "A"
        assert (await receive_one(receiver)).message_id == "A1#replay-1"


async def test_resubmitting_a_dead_letter_that_is_not_there_raises_message_not_found(
    transport: Transport,
) -> None:
    # GIVEN a dead letter resubmitted once
    await transport.send(WORK, [message("m1")])
    async with transport.receiver(WORK) as receiver:
        await receiver.dead_letter(await receive_one(receiver), "DEFECT")
    [dead] = await transport.peek_dead_letters(WORK)
    await transport.resubmit_dead_letter(WORK, dead.sequence_number)
    # WHEN it, or a sequence number never used, is resubmitted THEN nothing is sent
    for sequence_number in (dead.sequence_number, 999):
        with pytest.raises(MessageNotFound):
            await transport.resubmit_dead_letter(WORK, sequence_number)
    assert await transport.counts(WORK) == QueueCounts(active=1, scheduled=0, dead_letter=0)


async def test_counts_tell_active_scheduled_and_dead_letter_apart(transport: Transport, clock: Clock) -> None:
    # GIVEN three messages due now (one locked, one dead-lettered) and two scheduled for later
    await transport.send(WORK, [message(f"now-{n}") for n in (1, 2, 3)])
    later = clock.now + timedelta(hours=1)
    await transport.send(WORK, [message(f"later-{n}", scheduled_enqueue_time=later) for n in (1, 2)])
    async with transport.receiver(WORK) as receiver:
        await receiver.dead_letter(await receive_one(receiver), "DEFECT")
        await receive_one(receiver)
        # WHEN counted THEN a locked message is still active
        assert await transport.counts(WORK) == QueueCounts(active=2, scheduled=2, dead_letter=1)


async def test_a_batch_larger_than_the_broker_takes_at_once_arrives_whole_and_in_order(
    transport: Transport,
) -> None:
    # GIVEN five messages of 100 KB: more than one Service Bus batch of 256 KB
    await transport.send(WORK, [message(f"big-{n}", bytes([n]) * 100_000) for n in range(5)])
    # WHEN they are received THEN all five arrive in send order, bodies intact
    async with transport.receiver(WORK) as receiver:
        got = await receiver.receive(max_messages=10, max_wait=NOTHING_WAIT)
    assert [(m.message_id, m.body) for m in got] == [(f"big-{n}", bytes([n]) * 100_000) for n in range(5)]


async def test_misuse_of_queues_and_sessions_is_refused(transport: Transport) -> None:
    # GIVEN the test queues WHEN used wrongly THEN each use is refused with the port's error
    with pytest.raises(UnknownQueue):
        await transport.send("no-such-queue", [message("m1")])
    with pytest.raises(UnknownQueue):
        await transport.counts("no-such-queue")
    with pytest.raises(UnknownQueue):
        await transport.peek_dead_letters("no-such-queue")
    with pytest.raises(SessionRequired):
        await transport.send(ORDERS, [message("m1")])
    with pytest.raises(SessionRequired):
        await transport.send(WORK, [message("m1", session_id="A")])
    for queue, session in ((WORK, True), (ORDERS, False)):
        with pytest.raises(SessionRequired):
            async with transport.receiver(queue, session=session, max_wait=NOTHING_WAIT):
                pass
    with pytest.raises(TransportError):
        await transport.send(WORK, [message("x" * 129)])
    assert await transport.counts(WORK) == QueueCounts(active=0, scheduled=0, dead_letter=0)
