"""The Transport port: what flows, the dev host and the ops tools need from a message broker.

Two adapters implement it with the same semantics (one contract suite runs against both):
`servicebus.ServiceBusTransport` (azure-servicebus, aio) and `local.LocalTransport` (SQLite,
in-process or shared by the processes of the local stack).

Semantics, as Azure Service Bus defines them:
- **Peek-lock.** `receive` locks messages for the queue's lock duration and increments their
  delivery count. `complete` removes a message; `abandon` releases the lock at once; a lock that
  expires has the effect of `abandon`. A settled or expired lock cannot be settled again
  (`LockLost`).
- **Max delivery count.** A message abandoned (or whose lock expired) when its delivery count has
  reached the queue's `max_delivery_count` moves to the dead-letter sub-queue with reason
  `MaxDeliveryCountExceeded`.
- **Dead letters** keep their reason and description and can be peeked, counted and resubmitted.
  A resubmitted copy gets a new message id (`<id>#replay-<n>`): the original id is still inside the
  duplicate detection window, and the broker would silently drop it.
- **Duplicate detection.** A message whose `message_id` was sent to the same queue within the
  queue's window is accepted by `send` and silently dropped.
- **Scheduled delivery.** A message with `scheduled_enqueue_time` is invisible until then.
- **Sessions.** On a queue that requires sessions every message has a `session_id`; a receiver
  holds one session at a time, and that session's messages are delivered in send order to it alone.
  Each `receive` renews the session lock (as the Functions host's auto-renewal would); a session
  whose receiver is closed, or stops receiving for the lock duration, goes to the next receiver,
  with its unsettled messages counted as delivered. Plain queues reject a `session_id`, session
  queues require one (`SessionRequired`), although Service Bus itself ignores one on a plain queue.
- **Expiry.** A message whose time to live passes is dead-lettered with reason `TTLExpiredException`.
- **Delivery count** is the number of this delivery, 1 on the first (as .NET and the Functions host
  report it; the Python SDK's AMQP header counts earlier attempts only).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from shared.messaging.envelope import MAX_MESSAGE_ID_LENGTH

MAX_DELIVERY_COUNT_EXCEEDED = "MaxDeliveryCountExceeded"
TTL_EXPIRED = "TTLExpiredException"
REPLAY_SUFFIX = "#replay-"


class TransportError(Exception):
    """The broker refused an operation."""


class LockLost(TransportError):
    """The message's (or session's) lock expired or it was already settled."""


class SessionLockLost(LockLost):
    """The receiver's session lock expired or was taken over: receive the session again."""


class SessionRequired(TransportError):
    """A session queue was used without a session id, or a plain queue with one."""


class UnknownQueue(TransportError):
    """The queue is not one of the app's queues (`shared.messaging.queues`) or not on the broker."""


class MessageNotFound(TransportError):
    """No dead letter with that sequence number: it was resubmitted already, or never existed."""


@dataclass(frozen=True, slots=True)
class QueueSpec:
    """A queue's broker properties; Bicep and the local transport take them from here."""

    name: str
    requires_session: bool = False
    max_delivery_count: int = 10
    lock_duration: timedelta = timedelta(seconds=60)
    duplicate_detection_window: timedelta = timedelta(minutes=10)
    default_time_to_live: timedelta = timedelta(days=14)
    dead_lettering_on_expiration: bool = True


@dataclass(frozen=True, slots=True)
class OutboundMessage:
    body: bytes
    message_id: str
    session_id: str | None = None
    scheduled_enqueue_time: datetime | None = None
    time_to_live: timedelta | None = None
    correlation_id: str | None = None
    subject: str | None = None
    application_properties: dict[str, str | int | float | bool] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ReceivedMessage:
    """A locked (or, for `peek_dead_letters`, merely peeked) message.

    `raw` is whatever the adapter needs to settle it (the SDK's received message, or a lock token).
    """

    body: bytes
    message_id: str
    sequence_number: int
    delivery_count: int
    enqueued_time: datetime
    session_id: str | None = None
    correlation_id: str | None = None
    subject: str | None = None
    locked_until: datetime | None = None
    scheduled_enqueue_time: datetime | None = None
    dead_letter_reason: str | None = None
    dead_letter_error_description: str | None = None
    application_properties: dict[str, Any] = field(default_factory=dict)
    raw: Any = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class QueueCounts:
    active: int
    scheduled: int
    dead_letter: int


class Receiver(Protocol):
    """A peek-lock receiver on one queue (and, for session queues, one locked session)."""

    @property
    def session_id(self) -> str | None: ...

    async def receive(self, max_messages: int = 1, max_wait: float = 5.0) -> list[ReceivedMessage]: ...

    async def complete(self, message: ReceivedMessage) -> None: ...

    async def abandon(self, message: ReceivedMessage) -> None: ...

    async def dead_letter(self, message: ReceivedMessage, reason: str, description: str = "") -> None: ...


class Transport(Protocol):
    async def send(self, queue: str, messages: Sequence[OutboundMessage]) -> None:
        """Send a batch; duplicates (by message id, within the window) are dropped silently."""
        ...

    def receiver(
        self, queue: str, *, session: bool = False, max_wait: float = 5.0
    ) -> AbstractAsyncContextManager[Receiver | None]:
        """A peek-lock receiver; with `session=True` it first locks the next available session
        (waiting up to `max_wait`) and yields None when no session has messages."""
        ...

    async def peek_dead_letters(self, queue: str, max_messages: int = 100) -> list[ReceivedMessage]:
        """Dead letters in order, with their reason, without locking or removing them."""
        ...

    async def resubmit_dead_letter(self, queue: str, sequence_number: int) -> str:
        """Move one dead letter back to its queue as a copy with a new message id; return that id."""
        ...

    async def counts(self, queue: str) -> QueueCounts: ...

    async def close(self) -> None: ...


def find_spec(specs: Mapping[str, QueueSpec], queue: str, *, session: bool | None = None) -> QueueSpec:
    """The spec of `queue`; with `session` given, also check the caller uses sessions as the queue does."""
    spec = specs.get(queue)
    if spec is None:
        raise UnknownQueue(
            f"Queue {queue!r} is not configured; add it to shared/messaging/queues.py and the Bicep queues"
        )
    if session is not None and session != spec.requires_session:
        needs = "requires a session id" if spec.requires_session else "takes no session id"
        raise SessionRequired(f"Queue {queue!r} {needs}; fix the sender or the receiver, not the queue")
    return spec


def check_outbound(spec: QueueSpec, message: OutboundMessage) -> None:
    """Refuse what Service Bus would refuse (or silently misroute) before anything is sent."""
    find_spec({spec.name: spec}, spec.name, session=message.session_id is not None)
    for name, value in (("message id", message.message_id), ("session id", message.session_id or "")):
        if len(value) > MAX_MESSAGE_ID_LENGTH:
            raise TransportError(
                f"The {name} {value[:40]!r}... is longer than {MAX_MESSAGE_ID_LENGTH} characters;"
                " build it with envelope.message_id_for"
            )
    if not message.message_id:
        raise TransportError("A message needs a message id: duplicate detection keys on it")


def replay_message_id(message_id: str) -> str:
    """`<id>#replay-<n>`: the next replay of `message_id` (a replayed copy's own replay counts on).

    Deterministic on purpose: if a resubmit is interrupted between sending the copy and removing the
    dead letter, running it again sends the same id, and duplicate detection drops the second copy.
    """
    base, separator, count = message_id.rpartition(REPLAY_SUFFIX)
    if separator and count.isdigit():
        message_id, n = base, int(count) + 1
    else:
        n = 1
    suffix = f"{REPLAY_SUFFIX}{n}"
    return message_id[: MAX_MESSAGE_ID_LENGTH - len(suffix)] + suffix


def replay_copy(dead_letter: ReceivedMessage) -> OutboundMessage:
    """What a resubmitted dead letter is sent as: same body, session and properties, a replay id,
    no schedule, and the queue's default time to live."""
    return OutboundMessage(
        body=dead_letter.body,
        message_id=replay_message_id(dead_letter.message_id),
        session_id=dead_letter.session_id,
        correlation_id=dead_letter.correlation_id,
        subject=dead_letter.subject,
        application_properties=dict(dead_letter.application_properties),
    )
