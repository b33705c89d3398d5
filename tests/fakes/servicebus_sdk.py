"""Fakes of the azure-servicebus (aio) objects ServiceBusTransport touches, with a LocalTransport as broker.

The broker's state and rules (locks, delivery counts, sessions, dead letters, duplicate detection)
are the LocalTransport's; these classes only reproduce the SDK's surface over it: the real method
names and parameters, the real attribute names and types of received messages (bytes keys, a body
of byte chunks, the AMQP delivery count), and the real exception classes where the SDK raises them.

Each fake method is `@mirrors(...)` the real one: a call the real method would refuse (a keyword it
does not name, a missing argument) raises TypeError here too, so the adapter is exercised against
the SDK's surface and not against the fake's idea of it. A fake may leave out optional parameters
the adapter does not use (`timeout`); `tests/contract/messaging/test_sdk_fakes.py` checks the rest.
"""

from __future__ import annotations

import ast
import functools
import inspect
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import azure.servicebus.aio
from azure.core.exceptions import ResourceNotFoundError
from azure.servicebus import (
    NEXT_AVAILABLE_SESSION,
    ServiceBusMessage,
    ServiceBusReceivedMessage,
    ServiceBusReceiveMode,
    ServiceBusSubQueue,
)
from azure.servicebus.aio import ServiceBusClient, ServiceBusReceiver, ServiceBusSender, ServiceBusSession
from azure.servicebus.exceptions import (
    MessageAlreadySettled,
    MessageLockLostError,
    MessageSizeExceededError,
    MessagingEntityNotFoundError,
    OperationTimeoutError,
    ServiceBusError,
    SessionLockLostError,
)
from azure.servicebus.management import QueueRuntimeProperties

from shared.messaging.local import LocalReceiver, LocalTransport
from shared.messaging.transport import (
    LockLost,
    OutboundMessage,
    ReceivedMessage,
    SessionLockLost,
    SessionRequired,
    UnknownQueue,
)

MAX_BATCH_BYTES = 256 * 1024  # Standard tier: one message, and one batch, at most 256 KB
BODY_CHUNK_BYTES = 16  # received bodies come as several data sections, so the adapter must join them
DEFAULT_RECEIVE_WAIT = 60.0  # the SDK's bound when neither call nor receiver sets max_wait_time
DEFAULT_SESSION_WAIT = 65.0  # the service's wait for a next available session


# -- the real SDK surface ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RealMethod:
    """A real SDK method's name, parameters and async-ness, taken from the SDK itself."""

    qualname: str
    signature: inspect.Signature
    is_async: bool

    @classmethod
    def of(cls, function: Callable[..., Any]) -> RealMethod:
        return cls(function.__qualname__, inspect.signature(function), inspect.iscoroutinefunction(function))

    @classmethod
    def from_source(cls, path: Path, class_name: str, name: str) -> RealMethod:
        """Read a method's parameters from the SDK's source, for a module that cannot be imported."""
        node = _methods(path, class_name)[name]
        return cls(f"{class_name}.{name}", _signature(node.args), isinstance(node, ast.AsyncFunctionDef))

    def check_call(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        """Raise TypeError where the real method would, or would swallow a keyword in **kwargs."""
        named = {
            name
            for name, parameter in self.signature.parameters.items()
            if parameter.kind not in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD)
        }
        if unknown := sorted(set(kwargs) - named):
            raise TypeError(f"{self.qualname}() names no parameter {unknown}")
        self.signature.bind(*args, **kwargs)


def _methods(path: Path, class_name: str) -> dict[str, ast.FunctionDef | ast.AsyncFunctionDef]:
    tree = ast.parse(path.read_text())
    owner = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == class_name)
    return {n.name: n for n in owner.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}


def _signature(args: ast.arguments) -> inspect.Signature:
    """An inspect.Signature from a def's arguments (defaults kept as their source text)."""
    P = inspect.Parameter
    positional = [*args.posonlyargs, *args.args]
    defaults: list[Any] = [P.empty] * (len(positional) - len(args.defaults)) + [
        ast.unparse(d) for d in args.defaults
    ]
    parameters = [
        P(a.arg, P.POSITIONAL_ONLY if i < len(args.posonlyargs) else P.POSITIONAL_OR_KEYWORD, default=d)
        for i, (a, d) in enumerate(zip(positional, defaults, strict=True))
    ]
    if args.vararg:
        parameters.append(P(args.vararg.arg, P.VAR_POSITIONAL))
    parameters += [
        P(a.arg, P.KEYWORD_ONLY, default=P.empty if d is None else ast.unparse(d))
        for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True)
    ]
    if args.kwarg:
        parameters.append(P(args.kwarg.arg, P.VAR_KEYWORD))
    return inspect.Signature(parameters)


# The aio administration client's module imports aiohttp at import time; where it is not installed,
# its signatures are read from the SDK's source instead.
ADMIN_SOURCE = Path(azure.servicebus.aio.__file__).parent / "management" / "_management_client_async.py"


def real_admin_method(name: str) -> RealMethod:
    try:
        from azure.servicebus.aio.management import ServiceBusAdministrationClient
    except ImportError:
        return RealMethod.from_source(ADMIN_SOURCE, "ServiceBusAdministrationClient", name)
    return RealMethod.of(getattr(ServiceBusAdministrationClient, name))


def real_admin_members() -> set[str]:
    try:
        from azure.servicebus.aio.management import ServiceBusAdministrationClient
    except ImportError:
        return set(_methods(ADMIN_SOURCE, "ServiceBusAdministrationClient"))
    return set(dir(ServiceBusAdministrationClient))


def mirrors[F: Callable[..., Any]](real: Callable[..., Any] | RealMethod) -> Callable[[F], F]:
    """Make a fake method refuse any call its real counterpart would refuse."""
    reference = real if isinstance(real, RealMethod) else RealMethod.of(real)

    def decorate(fake: F) -> F:
        if inspect.iscoroutinefunction(fake):

            @functools.wraps(fake)
            async def checked_async(*args: Any, **kwargs: Any) -> Any:
                reference.check_call(args, kwargs)
                return await fake(*args, **kwargs)

            wrapper: Any = checked_async
        else:

            @functools.wraps(fake)
            def checked(*args: Any, **kwargs: Any) -> Any:
                reference.check_call(args, kwargs)
                return fake(*args, **kwargs)

            wrapper = checked
        wrapper.__mirrors__ = reference
        return wrapper

    return decorate


# -- the fakes ---------------------------------------------------------------------------------


class FakeServiceBus:
    """One fake namespace: a client and an administration client over one broker."""

    def __init__(self, broker: LocalTransport) -> None:
        self.broker = broker
        self.client = FakeServiceBusClient(broker)
        self.admin = FakeServiceBusAdministrationClient(broker)


class FakeServiceBusClient:
    def __init__(self, broker: LocalTransport) -> None:
        self._broker = broker
        self._handlers: list[FakeServiceBusSender | FakeServiceBusReceiver] = []

    @mirrors(ServiceBusClient.get_queue_sender)
    def get_queue_sender(self, queue_name: str) -> FakeServiceBusSender:
        sender = FakeServiceBusSender(self._broker, queue_name)
        self._handlers.append(sender)
        return sender

    @mirrors(ServiceBusClient.get_queue_receiver)
    def get_queue_receiver(
        self,
        queue_name: str,
        *,
        session_id: Any = None,
        sub_queue: ServiceBusSubQueue | str | None = None,
        receive_mode: ServiceBusReceiveMode | str = ServiceBusReceiveMode.PEEK_LOCK,
        max_wait_time: float | None = None,
    ) -> FakeServiceBusReceiver:
        if sub_queue and session_id:
            raise ValueError("session_id and sub_queue can not be specified simultaneously.")
        if max_wait_time is not None and max_wait_time <= 0:
            raise ValueError("The max_wait_time must be greater than 0.")
        if ServiceBusReceiveMode(receive_mode) is not ServiceBusReceiveMode.PEEK_LOCK:
            raise NotImplementedError("the fake receives in PEEK_LOCK mode only")
        if session_id not in (None, NEXT_AVAILABLE_SESSION):
            raise NotImplementedError("the fake takes the next available session only")
        if sub_queue is not None and ServiceBusSubQueue(sub_queue) is not ServiceBusSubQueue.DEAD_LETTER:
            raise NotImplementedError("the fake has no transfer dead-letter queue")
        receiver = FakeServiceBusReceiver(
            self._broker,
            queue_name,
            session=session_id is not None,
            dead_letters=sub_queue is not None,
            max_wait_time=max_wait_time,
        )
        self._handlers.append(receiver)
        return receiver

    @mirrors(ServiceBusClient.close)
    async def close(self) -> None:
        for handler in self._handlers:
            await handler.close()
        self._handlers.clear()

    @mirrors(ServiceBusClient.__aenter__)
    async def __aenter__(self) -> FakeServiceBusClient:
        return self

    @mirrors(ServiceBusClient.__aexit__)
    async def __aexit__(self, *args: Any) -> None:
        await self.close()


class FakeServiceBusSender:
    def __init__(self, broker: LocalTransport, queue_name: str) -> None:
        self._broker = broker
        self._queue = queue_name
        self._shutdown = False

    @mirrors(ServiceBusSender.send_messages)
    async def send_messages(self, message: Any) -> None:
        await self._enqueue(_as_list(message), scheduled=None)

    @mirrors(ServiceBusSender.schedule_messages)
    async def schedule_messages(self, messages: Any, schedule_time_utc: datetime) -> list[int]:
        return await self._enqueue(_as_list(messages), scheduled=schedule_time_utc)

    @mirrors(ServiceBusSender.close)
    async def close(self) -> None:
        self._shutdown = True

    @mirrors(ServiceBusSender.__aenter__)
    async def __aenter__(self) -> FakeServiceBusSender:
        return self

    @mirrors(ServiceBusSender.__aexit__)
    async def __aexit__(self, *args: Any) -> None:
        await self.close()

    async def _enqueue(self, messages: list[ServiceBusMessage], scheduled: datetime | None) -> list[int]:
        if self._shutdown:
            raise ValueError("The handler has already been shutdown.")
        outbound = [_outbound(m, scheduled) for m in messages]
        if sum(len(m.body) for m in outbound) > MAX_BATCH_BYTES:
            raise MessageSizeExceededError(message="The batch is larger than the service allows.")
        spec = self._broker.specs.get(self._queue)
        if spec is not None and not spec.requires_session:  # the service ignores them there
            outbound = [_without_session(m) for m in outbound]
        try:
            sequence_numbers = await self._broker.enqueue(self._queue, outbound)
        except UnknownQueue as error:
            raise MessagingEntityNotFoundError(message=str(error)) from error
        except SessionRequired as error:
            raise ServiceBusError(str(error)) from error
        return [number or 0 for number in sequence_numbers]


class FakeServiceBusSession:
    def __init__(self) -> None:
        self._session_id: Any = NEXT_AVAILABLE_SESSION  # the real one shows the filter until it opens
        self._locked_until_utc: datetime | None = None
        self._receiver: LocalReceiver | None = None

    @property
    def session_id(self) -> str:
        return self._session_id

    @property
    def locked_until_utc(self) -> datetime | None:
        """As on the real session: what the service said at open or at the last renewal."""
        return self._locked_until_utc

    @mirrors(ServiceBusSession.renew_lock)
    async def renew_lock(self) -> datetime:
        if self._receiver is None:
            raise ValueError("The session is not open.")
        try:
            self._locked_until_utc = await self._receiver.renew_session_lock()
        except SessionLockLost as error:
            raise SessionLockLostError() from error
        return self._locked_until_utc


class FakeServiceBusReceiver:
    def __init__(
        self,
        broker: LocalTransport,
        queue_name: str,
        *,
        session: bool,
        dead_letters: bool,
        max_wait_time: float | None,
    ) -> None:
        self._broker = broker
        self._queue = queue_name
        self._session = FakeServiceBusSession() if session else None
        self._dead_letters = dead_letters
        self._max_wait_time = max_wait_time
        self._context: AbstractAsyncContextManager[LocalReceiver | None] | None = None
        self._local: LocalReceiver | None = None
        self._running = False
        self._shutdown = False
        self._last_received_sequence_number = 0

    @property
    def session(self) -> FakeServiceBusSession | None:
        return self._session

    @mirrors(ServiceBusReceiver.__aenter__)
    async def __aenter__(self) -> FakeServiceBusReceiver:
        if self._shutdown:
            raise ValueError("The handler has already been shutdown.")
        await self._open()
        return self

    @mirrors(ServiceBusReceiver.__aexit__)
    async def __aexit__(self, *args: Any) -> None:
        await self.close()

    @mirrors(ServiceBusReceiver.close)
    async def close(self) -> None:
        context, self._context, self._local = self._context, None, None
        self._running = False
        self._shutdown = True
        if context is not None:
            await context.__aexit__(None, None, None)

    @mirrors(ServiceBusReceiver.receive_messages)
    async def receive_messages(
        self, max_message_count: int | None = 1, max_wait_time: float | None = None
    ) -> list[FakeServiceBusReceivedMessage]:
        self._check_live()
        if max_wait_time is not None and max_wait_time <= 0:
            raise ValueError("The max_wait_time must be greater than 0.")
        if max_message_count is not None and max_message_count <= 0:
            raise ValueError("The max_message_count must be greater than 0")
        if max_message_count is None:  # prefetch_count (0) is then the bound
            return []
        local = await self._open()
        wait = max_wait_time or self._max_wait_time or DEFAULT_RECEIVE_WAIT
        try:
            received = await local.receive(max_message_count, wait)
        except SessionLockLost as error:
            raise SessionLockLostError() from error
        if received:
            self._last_received_sequence_number = received[-1].sequence_number
        return [FakeServiceBusReceivedMessage(m, self) for m in received]

    @mirrors(ServiceBusReceiver.peek_messages)
    async def peek_messages(
        self, max_message_count: int = 1, *, sequence_number: int = 0
    ) -> list[FakeServiceBusReceivedMessage]:
        self._check_live()
        if max_message_count < 0:
            raise ValueError("max_message_count must be 1 or greater.")
        local = await self._open()
        start = sequence_number or self._last_received_sequence_number + 1
        peeked = await local.peek(max_message_count, start)
        return [FakeServiceBusReceivedMessage(m, self, peeked=True) for m in peeked]

    @mirrors(ServiceBusReceiver.complete_message)
    async def complete_message(self, message: FakeServiceBusReceivedMessage) -> None:
        await self._settle(message, "complete", lambda local, m: local.complete(m))

    @mirrors(ServiceBusReceiver.abandon_message)
    async def abandon_message(self, message: FakeServiceBusReceivedMessage) -> None:
        await self._settle(message, "abandon", lambda local, m: local.abandon(m))

    @mirrors(ServiceBusReceiver.dead_letter_message)
    async def dead_letter_message(
        self,
        message: FakeServiceBusReceivedMessage,
        reason: str | None = None,
        error_description: str | None = None,
    ) -> None:
        await self._settle(
            message,
            "dead-letter",
            lambda local, m: local.dead_letter(m, reason or "", error_description or ""),
        )

    async def _open(self) -> LocalReceiver:
        if self._local is not None:
            return self._local
        if self._dead_letters:
            context: AbstractAsyncContextManager[LocalReceiver | None] = self._broker.dead_letter_receiver(
                self._queue
            )
        else:
            wait = self._max_wait_time or (DEFAULT_SESSION_WAIT if self._session else DEFAULT_RECEIVE_WAIT)
            context = self._broker.receiver(self._queue, session=self._session is not None, max_wait=wait)
        try:
            local = await context.__aenter__()
        except UnknownQueue as error:
            raise MessagingEntityNotFoundError(message=str(error)) from error
        except SessionRequired as error:  # the service refuses to attach such a link
            raise ServiceBusError(str(error)) from error
        if local is None:
            await context.__aexit__(None, None, None)
            raise OperationTimeoutError(message="Timed out waiting for the next available session.")
        self._context, self._local, self._running = context, local, True
        if self._session is not None:
            self._session._receiver = local
            self._session._session_id = local.session_id
            self._session._locked_until_utc = local.session_locked_until()
        return local

    def _check_live(self) -> None:
        if self._shutdown:
            raise ValueError("The handler has already been shutdown.")
        if (
            self._session is not None
            and self._local is not None
            and self._local.session_locked_until() is None
        ):
            raise SessionLockLostError()

    async def _settle(
        self,
        message: FakeServiceBusReceivedMessage,
        action: str,
        settle: Callable[[LocalReceiver, ReceivedMessage], Any],
    ) -> None:
        self._check_live()
        if message._is_peeked_message:
            raise ValueError(f"The operation {action} is not supported for peeked messages.")
        if message._settled:
            raise MessageAlreadySettled(action=action)
        if self._local is None:
            raise ValueError(f"Failed to {action} the message as the handler has already been shutdown.")
        try:
            await settle(self._local, message._local)
        except SessionLockLost as error:
            raise SessionLockLostError() from error
        except LockLost as error:
            raise MessageLockLostError() from error
        message._settled = True


class FakeServiceBusReceivedMessage:
    """A received (or peeked) message with the real class's attribute names and value types."""

    def __init__(
        self, local: ReceivedMessage, receiver: FakeServiceBusReceiver, *, peeked: bool = False
    ) -> None:
        self._local = local
        self._receiver = receiver
        self._settled = False
        self._is_peeked_message = peeked
        self._lock_token = None if peeked else uuid.uuid4()
        properties: dict[bytes, Any] = {
            key.encode(): value.encode() if isinstance(value, str) else value
            for key, value in local.application_properties.items()
        }
        if local.dead_letter_reason is not None:
            properties[b"DeadLetterReason"] = local.dead_letter_reason.encode()
        if local.dead_letter_error_description is not None:
            properties[b"DeadLetterErrorDescription"] = local.dead_letter_error_description.encode()
        self._application_properties = properties or None

    def __str__(self) -> str:
        return self._local.body.decode()

    @property
    def body(self) -> Iterator[bytes]:
        body = self._local.body
        return (body[i : i + BODY_CHUNK_BYTES] for i in range(0, len(body), BODY_CHUNK_BYTES))

    @property
    def application_properties(self) -> dict[bytes, Any] | None:
        return self._application_properties

    @property
    def message_id(self) -> str:
        return self._local.message_id

    @property
    def session_id(self) -> str | None:
        return self._local.session_id

    @property
    def correlation_id(self) -> str | None:
        return self._local.correlation_id

    @property
    def subject(self) -> str | None:
        return self._local.subject

    @property
    def sequence_number(self) -> int:
        return self._local.sequence_number

    @property
    def delivery_count(self) -> int:
        """The AMQP header's count: earlier deliveries only, so 0 on the first."""
        return max(self._local.delivery_count - 1, 0)

    @property
    def enqueued_time_utc(self) -> datetime:
        return self._local.enqueued_time

    @property
    def scheduled_enqueue_time_utc(self) -> datetime | None:
        return self._local.scheduled_enqueue_time

    @property
    def locked_until_utc(self) -> datetime | None:
        """None once settled, and always on a session: a session message's lock is the session's."""
        if self._settled or self._receiver.session is not None:
            return None
        return self._local.locked_until

    @property
    def lock_token(self) -> uuid.UUID | None:
        return None if self._settled else self._lock_token

    @property
    def dead_letter_reason(self) -> str | None:
        return _decoded((self._application_properties or {}).get(b"DeadLetterReason"))

    @property
    def dead_letter_error_description(self) -> str | None:
        return _decoded((self._application_properties or {}).get(b"DeadLetterErrorDescription"))


class FakeQueueRuntimeProperties:
    def __init__(self, name: str, active: int, scheduled: int, dead_letter: int) -> None:
        self.name = name
        self.active_message_count = active
        self.scheduled_message_count = scheduled
        self.dead_letter_message_count = dead_letter
        self.total_message_count = active + scheduled + dead_letter
        self.transfer_message_count = 0
        self.transfer_dead_letter_message_count = 0


class FakeServiceBusAdministrationClient:
    def __init__(self, broker: LocalTransport) -> None:
        self._broker = broker
        self._closed = False

    @mirrors(real_admin_method("get_queue_runtime_properties"))
    async def get_queue_runtime_properties(self, queue_name: str) -> FakeQueueRuntimeProperties:
        try:
            counts = await self._broker.counts(queue_name)
        except UnknownQueue as error:
            raise ResourceNotFoundError(f"Queue {queue_name} does not exist") from error
        return FakeQueueRuntimeProperties(queue_name, counts.active, counts.scheduled, counts.dead_letter)

    @mirrors(real_admin_method("close"))
    async def close(self) -> None:
        self._closed = True

    @mirrors(real_admin_method("__aenter__"))
    async def __aenter__(self) -> FakeServiceBusAdministrationClient:
        return self

    @mirrors(real_admin_method("__aexit__"))
    async def __aexit__(self, *exc_details: Any) -> None:
        await self.close()


# The real class each fake stands for (test_sdk_fakes checks every public name against it).
REAL_CLASSES: dict[type, type | None] = {
    FakeServiceBusClient: ServiceBusClient,
    FakeServiceBusSender: ServiceBusSender,
    FakeServiceBusReceiver: ServiceBusReceiver,
    FakeServiceBusSession: ServiceBusSession,
    FakeServiceBusReceivedMessage: ServiceBusReceivedMessage,
    FakeQueueRuntimeProperties: QueueRuntimeProperties,
    FakeServiceBusAdministrationClient: None,  # see real_admin_members
}


# -- helpers -----------------------------------------------------------------------------------


def _as_list(message: Any) -> list[ServiceBusMessage]:
    if isinstance(message, ServiceBusMessage):
        return [message]
    messages = list(message)
    if not all(isinstance(m, ServiceBusMessage) for m in messages):
        raise TypeError("the fake sends ServiceBusMessage objects only")
    return messages


def _outbound(message: ServiceBusMessage, scheduled: datetime | None) -> OutboundMessage:
    properties = {
        _decoded(key) or "": _decoded(value) if isinstance(value, bytes) else value
        for key, value in (message.application_properties or {}).items()
    }
    ttl: timedelta | None = message.time_to_live
    return OutboundMessage(
        body=b"".join(message.body),
        message_id=message.message_id or uuid.uuid4().hex,  # the service makes one up
        session_id=message.session_id,
        scheduled_enqueue_time=scheduled or message.scheduled_enqueue_time_utc,
        time_to_live=ttl,
        correlation_id=message.correlation_id,
        subject=message.subject,
        application_properties=properties,
    )


def _without_session(message: OutboundMessage) -> OutboundMessage:
    return OutboundMessage(**{**_fields(message), "session_id": None})


def _fields(message: OutboundMessage) -> dict[str, Any]:
    return {name: getattr(message, name) for name in OutboundMessage.__dataclass_fields__}


def _decoded(value: Any) -> str | None:
    if value is None:
        return None
    return value.decode() if isinstance(value, bytes) else str(value)
