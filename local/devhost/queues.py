"""Service Bus triggers: feeding each queue function from a Transport and settling like the host."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime

from azure.functions.meta import Datum
from azure.functions.servicebus import ServiceBusMessage, ServiceBusMessageInConverter

from shared.messaging.transport import ReceivedMessage, Receiver, Transport

log = logging.getLogger("devhost")

Invoke = Callable[[ServiceBusMessage | Sequence[ServiceBusMessage]], Awaitable[object]]
ERROR_BACKOFF = 1.0


def to_function_message(message: ReceivedMessage, function_name: str) -> ServiceBusMessage:
    """The `ServiceBusMessage` the Python worker would build, from the trigger metadata the host sends."""
    metadata: dict[str, Datum] = {
        "MessageId": Datum(message.message_id, "string"),
        "DeliveryCount": Datum(message.delivery_count, "int"),
        "SequenceNumber": Datum(message.sequence_number, "int"),
        "EnqueuedTimeUtc": Datum(_timestamp(message.enqueued_time), "string"),
        "UserProperties": Datum(json.dumps(message.application_properties, default=str), "json"),
        "ApplicationProperties": Datum(json.dumps(message.application_properties, default=str), "json"),
        "sys": Datum(
            json.dumps({"MethodName": function_name, "UtcNow": _timestamp(datetime.now(UTC))}), "json"
        ),
    }
    optional = {
        "SessionId": message.session_id,
        "CorrelationId": message.correlation_id,
        "Subject": message.subject,
        "Label": message.subject,
        "LockedUntil": _timestamp(message.locked_until) if message.locked_until else None,
        "ScheduledEnqueueTimeUtc": (
            _timestamp(message.scheduled_enqueue_time) if message.scheduled_enqueue_time else None
        ),
    }
    metadata.update({key: Datum(value, "string") for key, value in optional.items() if value is not None})
    return ServiceBusMessageInConverter.decode_single_message(
        Datum(message.body, "bytes"), trigger_metadata=metadata
    )


def _timestamp(moment: datetime) -> str:
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class QueueListener:
    """Feeds one serviceBusTrigger function from its queue until `stopping` is set.

    Settlement is the host's with `autoCompleteMessages`: the function returns → complete; it
    raises → abandon, and the broker dead-letters the message once its delivery count reaches the
    queue's maximum. A failure to settle or receive is logged and the listener carries on.

    Plain queues: one receiver, up to `concurrency` messages in flight at once. Session queues:
    `concurrency` receivers, each holding one session and running its messages one at a time in
    order; a session is released after `session_idle` seconds without a message. Batch functions
    (`batch_size`, cardinality many, plain queues): up to `batch_size` messages per invocation, one
    batch at a time, every message of it completed when the function returns and abandoned when it
    raises.
    """

    def __init__(
        self,
        function_name: str,
        queue: str,
        transport: Transport,
        invoke: Invoke,
        *,
        sessions: bool,
        concurrency: int,
        session_idle: float,
        receive_wait: float,
        auto_complete: bool = True,
        batch_size: int | None = None,
    ) -> None:
        self.function_name = function_name
        self.queue = queue
        self.sessions = sessions
        self.transport = transport
        self._invoke = invoke
        self._concurrency = concurrency
        self._session_idle = session_idle
        self._wait = receive_wait
        self._auto_complete = auto_complete
        self._batch_size = batch_size

    async def run(self, stopping: asyncio.Event) -> None:
        if self._batch_size is not None:
            await self._batch_worker(stopping, self._batch_size)
        elif self.sessions:
            async with asyncio.TaskGroup() as group:
                for _ in range(self._concurrency):
                    group.create_task(self._session_worker(stopping))
        else:
            await self._plain_worker(stopping)

    async def _plain_worker(self, stopping: asyncio.Event) -> None:
        running: set[asyncio.Task[None]] = set()
        while not stopping.is_set():
            try:
                async with self.transport.receiver(self.queue, max_wait=self._wait) as receiver:
                    if receiver is None:  # only a session receiver may be None
                        raise RuntimeError(f"the transport gave no receiver for queue {self.queue}")
                    try:
                        while not stopping.is_set():
                            if len(running) >= self._concurrency:
                                await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                                continue
                            free = self._concurrency - len(running)
                            for message in await receiver.receive(max_messages=free, max_wait=self._wait):
                                task = asyncio.create_task(self._handle(receiver, message))
                                running.add(task)
                                task.add_done_callback(running.discard)
                    finally:
                        if running:  # settle what is in flight while the receiver is still open
                            await asyncio.wait(running)
            except Exception:
                await self._recover()

    async def _batch_worker(self, stopping: asyncio.Event, size: int) -> None:
        while not stopping.is_set():
            try:
                async with self.transport.receiver(self.queue, max_wait=self._wait) as receiver:
                    if receiver is None:
                        raise RuntimeError(f"the transport gave no receiver for queue {self.queue}")
                    while not stopping.is_set():
                        batch = await receiver.receive(max_messages=size, max_wait=self._wait)
                        if batch:
                            await self._handle_batch(receiver, batch)
            except Exception:
                await self._recover()

    async def _handle_batch(self, receiver: Receiver, batch: list[ReceivedMessage]) -> None:
        try:
            converted = [to_function_message(message, self.function_name) for message in batch]
            await self._invoke(converted)
            succeeded = True
        except Exception:  # logged by the invoker (or a message that cannot be converted); the host abandons
            succeeded = False
        for message in batch:
            await self._settle(receiver, message, succeeded)

    async def _session_worker(self, stopping: asyncio.Event) -> None:
        loop = asyncio.get_running_loop()
        while not stopping.is_set():
            try:
                async with self.transport.receiver(self.queue, session=True, max_wait=self._wait) as receiver:
                    if receiver is None:  # no session has messages just now
                        continue
                    idle_since = loop.time()
                    while not stopping.is_set() and loop.time() - idle_since < self._session_idle:
                        for message in await receiver.receive(max_messages=1, max_wait=self._wait):
                            await self._handle(receiver, message)
                            idle_since = loop.time()
            except Exception:
                await self._recover()

    async def _handle(self, receiver: Receiver, message: ReceivedMessage) -> None:
        """One invocation and its settlement; nothing here may end the listener."""
        await self._settle(receiver, message, await self._run_function(message))

    async def _settle(self, receiver: Receiver, message: ReceivedMessage, succeeded: bool) -> None:
        """As the host with autoCompleteMessages: complete or abandon; a failure to settle is logged."""
        if not self._auto_complete:
            return
        try:
            await (receiver.complete(message) if succeeded else receiver.abandon(message))
        except Exception as error:
            log.warning(
                "Settling message %s on %s failed (%s); the broker redelivers it when its lock expires",
                message.message_id,
                self.queue,
                type(error).__name__,
            )

    async def _run_function(self, message: ReceivedMessage) -> bool:
        try:
            function_message = to_function_message(message, self.function_name)
        except Exception:
            log.exception("Message %s on %s cannot be converted", message.message_id, self.queue)
            return False
        try:
            await self._invoke(function_message)
        except Exception:  # logged by the invoker; the host abandons
            return False
        return True

    async def _recover(self) -> None:
        log.warning(
            "Receiving from %s for %s failed; retrying in %.0f s",
            self.queue,
            self.function_name,
            ERROR_BACKOFF,
            exc_info=True,
        )
        await asyncio.sleep(ERROR_BACKOFF)
