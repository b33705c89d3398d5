"""The Service Bus Transport: the port over azure-servicebus (aio), translating to and from the SDK.

The broker enforces the semantics (lock duration, max delivery count, duplicate detection, TTL,
sessions are queue properties set by Bicep from `shared.messaging.queues`); this adapter translates
calls and results, maps SDK errors onto the port's, and checks sends against the same `QueueSpec`s
so a mistake fails here as it would on the local transport.

SDK details it absorbs:
- the AMQP header's `delivery_count` counts *earlier* attempts (0 on the first delivery); the port
  counts this one, as .NET and the Functions host do;
- received `application_properties` have bytes keys and bytes string values, and on dead letters
  also carry the broker's `DeadLetterReason` and `DeadLetterErrorDescription`;
- a message received on a session has no `locked_until_utc` of its own: the session's lock is it;
- a session receiver that finds no session raises `OperationTimeoutError` when it opens;
- the async administration client (only `counts` uses it) and `DefaultAzureCredential` (aio) need
  the `aiohttp` package, so the administration client is made on first use.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager, contextmanager, suppress
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from azure.core.exceptions import ResourceNotFoundError
from azure.servicebus import (
    NEXT_AVAILABLE_SESSION,
    ServiceBusMessage,
    ServiceBusReceivedMessage,
    ServiceBusReceiveMode,
    ServiceBusSubQueue,
)
from azure.servicebus.aio import ServiceBusClient, ServiceBusReceiver, ServiceBusSender
from azure.servicebus.exceptions import (
    MessageAlreadySettled,
    MessageLockLostError,
    MessageSizeExceededError,
    MessagingEntityNotFoundError,
    OperationTimeoutError,
    ServiceBusError,
    SessionCannotBeLockedError,
    SessionLockLostError,
)

from shared.messaging.transport import (
    LockLost,
    MessageNotFound,
    OutboundMessage,
    QueueCounts,
    QueueSpec,
    ReceivedMessage,
    SessionLockLost,
    TransportError,
    UnknownQueue,
    check_outbound,
    find_spec,
    replay_copy,
)

if TYPE_CHECKING:
    from azure.core.credentials_async import AsyncTokenCredential
    from azure.servicebus.aio.management import ServiceBusAdministrationClient

MIN_WAIT_SECONDS = 0.001  # the SDK refuses a wait of 0
DEAD_LETTER_SEARCH_WAIT = 5.0  # how long resubmit waits for the dead-letter queue to hand over more
DEAD_LETTER_SEARCH_BATCH = 50
_BROKER_PROPERTIES = frozenset({b"DeadLetterReason", b"DeadLetterErrorDescription"})
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class ServiceBusTransport:
    """The Transport port on Azure Service Bus; takes its SDK clients by injection.

    `admin` makes the administration client when `counts` first needs it.
    """

    def __init__(
        self,
        client: ServiceBusClient,
        specs: Sequence[QueueSpec],
        *,
        admin: Callable[[], ServiceBusAdministrationClient],
        credential: AsyncTokenCredential | None = None,
    ) -> None:
        self._client = client
        self._specs = {spec.name: spec for spec in specs}
        self._make_admin = admin
        self._admin: ServiceBusAdministrationClient | None = None
        self._credential = credential  # closed with the transport: it was made for it
        self._senders: dict[str, ServiceBusSender] = {}
        self._send_locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)

    @classmethod
    def from_connection_string(
        cls, connection_string: str, specs: Sequence[QueueSpec]
    ) -> ServiceBusTransport:
        def admin() -> ServiceBusAdministrationClient:
            from azure.servicebus.aio.management import ServiceBusAdministrationClient

            return ServiceBusAdministrationClient.from_connection_string(connection_string)

        return cls(ServiceBusClient.from_connection_string(connection_string), specs, admin=admin)

    @classmethod
    def from_namespace(
        cls,
        fully_qualified_namespace: str,
        specs: Sequence[QueueSpec],
        credential: AsyncTokenCredential | None = None,
    ) -> ServiceBusTransport:
        """With a managed identity (`DefaultAzureCredential` unless a credential is given)."""
        if credential is None:
            try:
                from azure.identity.aio import DefaultAzureCredential

                credential = DefaultAzureCredential()
            except ImportError as error:
                raise TransportError(f"{error}; install requirements.txt, which pins aiohttp") from error
        token_credential = credential

        def admin() -> ServiceBusAdministrationClient:
            from azure.servicebus.aio.management import ServiceBusAdministrationClient

            return ServiceBusAdministrationClient(fully_qualified_namespace, token_credential)

        client = ServiceBusClient(fully_qualified_namespace, token_credential)
        return cls(client, specs, admin=admin, credential=token_credential)

    async def send(self, queue: str, messages: Sequence[OutboundMessage]) -> None:
        """Send on the queue's sender, kept open between calls (each opens its own AMQP connection).

        The race the per-queue lock prevents: two flows send to one queue at once; both find the
        sender's link closed, both open one, and one link is leaked. With the lock the second send
        waits for the first and finds the link open.
        """
        spec = find_spec(self._specs, queue)
        for message in messages:
            check_outbound(spec, message)
        if not messages:
            return
        async with self._send_locks[queue]:
            sender = self._senders.get(queue)
            if sender is None:
                sender = self._senders[queue] = self._client.get_queue_sender(queue)
            with _translated(queue):
                await _send_in_batches(sender, [_to_sdk(message) for message in messages])

    @asynccontextmanager
    async def receiver(
        self, queue: str, *, session: bool = False, max_wait: float = 5.0
    ) -> AsyncIterator[_Receiver | None]:
        find_spec(self._specs, queue, session=session)
        sdk_receiver = self._client.get_queue_receiver(
            queue,
            session_id=NEXT_AVAILABLE_SESSION if session else None,
            receive_mode=ServiceBusReceiveMode.PEEK_LOCK,
            max_wait_time=max(max_wait, MIN_WAIT_SECONDS),
        )
        with _translated(queue):
            opened = await _open(sdk_receiver, queue)
        if not opened:
            yield None  # no session had messages within max_wait
            return
        try:
            yield _Receiver(sdk_receiver, queue)
        finally:
            await sdk_receiver.close()

    async def peek_dead_letters(self, queue: str, max_messages: int = 100) -> list[ReceivedMessage]:
        find_spec(self._specs, queue)
        found: list[ReceivedMessage] = []
        with _translated(queue):
            async with self._client.get_queue_receiver(
                queue, sub_queue=ServiceBusSubQueue.DEAD_LETTER
            ) as dlq:
                next_sequence = 0
                while len(found) < max_messages:  # the broker may return fewer than asked per call
                    page = await dlq.peek_messages(
                        max_message_count=max_messages - len(found), sequence_number=next_sequence
                    )
                    if not page:
                        break
                    found.extend(_from_sdk(message, peeked=True) for message in page)
                    next_sequence = found[-1].sequence_number + 1
        return found

    async def resubmit_dead_letter(self, queue: str, sequence_number: int) -> str:
        """Find the dead letter by receiving (peek-lock) from the DLQ, send its copy, complete it.

        Races it handles: two operators replaying the same dead letter: the first holds its lock, so
        the second does not find it (`MessageNotFound`) rather than sending a second copy. A resubmit
        interrupted after the send leaves the dead letter in place; running it again sends the same
        replay id, which duplicate detection drops. Other dead letters received while searching are
        held until the end, not abandoned at once, or the search would receive them again.
        """
        find_spec(self._specs, queue)
        with _translated(queue):
            async with self._client.get_queue_receiver(
                queue,
                sub_queue=ServiceBusSubQueue.DEAD_LETTER,
                receive_mode=ServiceBusReceiveMode.PEEK_LOCK,
                max_wait_time=DEAD_LETTER_SEARCH_WAIT,
            ) as dlq:
                passed_over: list[ServiceBusReceivedMessage] = []
                try:
                    target = await _find(dlq, sequence_number, passed_over)
                    if target is None:
                        raise MessageNotFound(
                            f"No dead letter {sequence_number} on {queue!r} (or another replay holds it);"
                            " peek the dead letters again"
                        )
                    copy = replay_copy(_from_sdk(target, peeked=True))
                    await self.send(queue, [copy])
                    await dlq.complete_message(target)
                    return copy.message_id
                finally:
                    for message in passed_over:  # a failure here only delays them by the lock duration
                        with suppress(ServiceBusError, MessageAlreadySettled):
                            await dlq.abandon_message(message)

    async def counts(self, queue: str) -> QueueCounts:
        """The broker's counts; Service Bus updates them a few seconds behind the queue itself."""
        find_spec(self._specs, queue)
        if self._admin is None:
            self._admin = self._make_admin()
        try:
            runtime = await self._admin.get_queue_runtime_properties(queue)
        except ResourceNotFoundError as error:
            raise UnknownQueue(f"Queue {queue!r} does not exist on the namespace; deploy infra/") from error
        return QueueCounts(
            active=runtime.active_message_count or 0,
            scheduled=runtime.scheduled_message_count or 0,
            dead_letter=runtime.dead_letter_message_count or 0,
        )

    async def close(self) -> None:
        for sender in self._senders.values():
            await sender.close()
        self._senders.clear()
        await self._client.close()
        if self._admin is not None:
            await self._admin.close()
        if self._credential is not None:
            await self._credential.close()


class _Receiver:
    """A port Receiver over one open SDK receiver (on a queue, or one session of it)."""

    def __init__(self, sdk: ServiceBusReceiver, queue: str) -> None:
        self._sdk = sdk
        self._queue = queue

    @property
    def session_id(self) -> str | None:
        return None if self._sdk.session is None else self._sdk.session.session_id

    async def receive(self, max_messages: int = 1, max_wait: float = 5.0) -> list[ReceivedMessage]:
        with _translated(self._queue):
            session = self._sdk.session
            if session is not None:
                await session.renew_lock()  # the port renews on receive; see transport.py
            received = await self._sdk.receive_messages(
                max_message_count=max_messages, max_wait_time=max(max_wait, MIN_WAIT_SECONDS)
            )
            session_until = None if session is None else session.locked_until_utc
        return [_from_sdk(message, session_locked_until=session_until) for message in received]

    async def complete(self, message: ReceivedMessage) -> None:
        await self._settle(self._sdk.complete_message(message.raw))

    async def abandon(self, message: ReceivedMessage) -> None:
        await self._settle(self._sdk.abandon_message(message.raw))

    async def dead_letter(self, message: ReceivedMessage, reason: str, description: str = "") -> None:
        await self._settle(
            self._sdk.dead_letter_message(message.raw, reason=reason, error_description=description)
        )

    async def _settle(self, settlement: Awaitable[None]) -> None:
        try:
            with _translated(self._queue):
                await settlement
        except MessageAlreadySettled as error:  # a ValueError, raised before the broker is asked
            raise LockLost(f"{error} It will not be settled twice.") from error


@contextmanager
def _translated(queue: str) -> Iterator[None]:
    """Map SDK errors raised inside the block onto the port's errors."""
    try:
        yield
    except SessionLockLostError as error:
        raise SessionLockLost(f"{error} Receive the session again.") from error
    except MessageLockLostError as error:
        raise LockLost(f"{error} The message will be redelivered.") from error
    except MessagingEntityNotFoundError as error:
        raise UnknownQueue(f"Queue {queue!r} does not exist on the namespace; deploy infra/") from error
    except ServiceBusError as error:
        raise TransportError(f"Service Bus refused an operation on {queue!r}: {error}") from error


async def _open(receiver: ServiceBusReceiver, queue: str) -> bool:
    """Open the receiver; False when it waited for a session and none had messages."""
    try:
        await receiver.__aenter__()
    except (OperationTimeoutError, SessionCannotBeLockedError) as error:
        await receiver.close()
        if receiver.session is None:
            raise TransportError(f"Timed out opening a receiver on {queue!r}; is it reachable?") from error
        return False
    except BaseException:
        await receiver.close()
        raise
    return True


async def _send_in_batches(sender: ServiceBusSender, messages: list[ServiceBusMessage]) -> None:
    """Send as one batch; if it is over the broker's batch size, send it in two halves, in order."""
    try:
        await sender.send_messages(messages)
    except MessageSizeExceededError:
        if len(messages) == 1:
            raise
        half = len(messages) // 2
        await _send_in_batches(sender, messages[:half])
        await _send_in_batches(sender, messages[half:])


async def _find(
    dlq: ServiceBusReceiver, sequence_number: int, passed_over: list[ServiceBusReceivedMessage]
) -> ServiceBusReceivedMessage | None:
    """Receive dead letters until `sequence_number` comes; peek first, so a wrong one fails at once."""
    peeked = await dlq.peek_messages(max_message_count=1, sequence_number=sequence_number)
    if not peeked or peeked[0].sequence_number != sequence_number:
        return None
    while True:
        batch = await dlq.receive_messages(
            max_message_count=DEAD_LETTER_SEARCH_BATCH, max_wait_time=DEAD_LETTER_SEARCH_WAIT
        )
        if not batch:
            return None
        target = None
        for message in batch:
            if target is None and message.sequence_number == sequence_number:
                target = message
            else:
                passed_over.append(message)
        if target is not None:
            return target


def _to_sdk(message: OutboundMessage) -> ServiceBusMessage:
    properties: dict[str | bytes, Any] = {key: value for key, value in message.application_properties.items()}
    return ServiceBusMessage(
        message.body,
        message_id=message.message_id,
        session_id=message.session_id,
        scheduled_enqueue_time_utc=message.scheduled_enqueue_time,
        time_to_live=message.time_to_live,
        correlation_id=message.correlation_id,
        subject=message.subject,
        application_properties=properties or None,
    )


def _from_sdk(
    message: ServiceBusReceivedMessage, *, peeked: bool = False, session_locked_until: datetime | None = None
) -> ReceivedMessage:
    return ReceivedMessage(
        body=_body(message.body),
        message_id=message.message_id or "",
        sequence_number=message.sequence_number or 0,
        delivery_count=(message.delivery_count or 0) + 1,
        enqueued_time=message.enqueued_time_utc or _EPOCH,
        session_id=message.session_id,
        correlation_id=message.correlation_id,
        subject=message.subject,
        locked_until=None if peeked else (message.locked_until_utc or session_locked_until),
        scheduled_enqueue_time=message.scheduled_enqueue_time_utc,
        dead_letter_reason=message.dead_letter_reason,
        dead_letter_error_description=message.dead_letter_error_description,
        application_properties=_properties(message.application_properties or {}),
        raw=None if peeked else message,
    )


def _body(body: Any) -> bytes:
    """A data body arrives as an iterator of byte chunks; a value body (other senders) as itself."""
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode()
    return b"".join(chunk.encode() if isinstance(chunk, str) else bytes(chunk) for chunk in body)


def _properties(raw: Mapping[str | bytes, Any]) -> dict[str, Any]:
    return {
        _text(key): value.decode() if isinstance(value, bytes) else value
        for key, value in raw.items()
        if key not in _BROKER_PROPERTIES
    }


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value
