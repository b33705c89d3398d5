"""The contract's test queues, a movable clock and a message builder (no pytest: subprocesses import it)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from shared.messaging.transport import OutboundMessage, QueueSpec

WORK = "work"  # a plain queue
ORDERS = "orders"  # a session queue
EPHEMERAL = "ephemeral"  # a plain queue that drops expired messages instead of dead-lettering them
LOCK = timedelta(seconds=30)
MAX_DELIVERIES = 3
DUPLICATE_WINDOW = timedelta(minutes=10)
SPECS = [
    QueueSpec(
        WORK,
        max_delivery_count=MAX_DELIVERIES,
        lock_duration=LOCK,
        duplicate_detection_window=DUPLICATE_WINDOW,
    ),
    QueueSpec(ORDERS, requires_session=True, max_delivery_count=MAX_DELIVERIES, lock_duration=LOCK),
    QueueSpec(EPHEMERAL, default_time_to_live=timedelta(hours=1), dead_lettering_on_expiration=False),
]
NOTHING_WAIT = 0.05  # real seconds a receive waits when nothing is there to receive


class Clock:
    """The broker's time, moved by the test instead of slept through."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, by: timedelta) -> None:
        self.now += by


def message(message_id: str, body: bytes | None = None, **fields: Any) -> OutboundMessage:
    return OutboundMessage(body=body or f"body of {message_id}".encode(), message_id=message_id, **fields)
