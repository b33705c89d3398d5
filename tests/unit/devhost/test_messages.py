"""A received message as the function sees it: the ServiceBusMessage the Python worker builds."""

from __future__ import annotations

from datetime import UTC, datetime

from local.devhost.queues import to_function_message
from shared.messaging.transport import ReceivedMessage


def test_every_field_the_worker_fills_is_filled() -> None:
    # GIVEN a locked session message
    enqueued = datetime(2025, 3, 1, 12, 30, 15, 123456, tzinfo=UTC)
    locked = datetime(2025, 3, 1, 12, 31, 15, tzinfo=UTC)
    received = ReceivedMessage(
        body=b'{"kind": "order"}',
        message_id="order:SO-1:3",
        sequence_number=42,
        delivery_count=2,
        enqueued_time=enqueued,
        session_id="SO-1",
        correlation_id="corr-9",
        subject="order",
        locked_until=locked,
        application_properties={"attempt": 2},
    )
    # WHEN it becomes the function's message
    message = to_function_message(received, "release_order")
    # THEN the body and properties are as sent, and the metadata is the host's
    assert message.get_body() == b'{"kind": "order"}'
    assert (message.message_id, message.sequence_number, message.delivery_count) == ("order:SO-1:3", 42, 2)
    assert (message.session_id, message.correlation_id, message.subject, message.label) == (
        "SO-1",
        "corr-9",
        "order",
        "order",
    )
    assert message.enqueued_time_utc == enqueued
    assert message.locked_until == locked
    assert message.application_properties == message.user_properties == {"attempt": 2}
    assert message.metadata is not None
    assert message.metadata["DeliveryCount"] == 2
    assert message.metadata["sys"]["MethodName"] == "release_order"
