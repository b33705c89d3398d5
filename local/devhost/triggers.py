"""The non-HTTP triggers at run time: timer loops, queue listeners and runs asked for by an admin."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Coroutine, Sequence
from typing import Any

import azure.functions as func

from local.devhost.errors import StartupError
from local.devhost.hostconfig import HostConfig
from local.devhost.invoker import Invoker
from local.devhost.loader import FunctionDef, HttpBinding, QueueBinding, TimerBinding
from local.devhost.queues import QueueListener, to_function_message
from local.devhost.schedule import Clock, Sleep, TimerLoop
from shared.messaging.transport import ReceivedMessage, Transport, UnknownQueue

log = logging.getLogger("devhost")


class Triggers:
    """Starts and stops every timer and queue trigger of the app, and runs one on request."""

    def __init__(
        self,
        functions: Sequence[FunctionDef],
        invoker: Invoker,
        config: HostConfig,
        transport: Transport | None,
        *,
        clock: Clock,
        sleep: Sleep,
        receive_wait: float,
    ) -> None:
        self._functions = {f.name.lower(): f for f in functions}
        self._invoker = invoker
        self._clock = clock
        self._timers = {
            f.name.lower(): self._timer_loop(f, f.binding, clock, sleep)
            for f in functions
            if isinstance(f.binding, TimerBinding)
        }
        self._listeners = [
            self._listener(f, f.binding, config, transport, receive_wait)
            for f in functions
            if isinstance(f.binding, QueueBinding)
        ]
        self._stopping = asyncio.Event()
        self._background: set[asyncio.Task[Any]] = set()
        self._listening: set[asyncio.Task[None]] = set()

    async def check_queues(self) -> None:
        """A queue the broker does not know is a typo in a setting: fail start-up naming it, rather
        than log a receive failure every second. Other failures (say, no right to read counts on
        Service Bus) are left for the listener to report."""
        for listener in self._listeners:
            try:
                await listener.transport.counts(listener.queue)
            except UnknownQueue as error:
                raise StartupError(f"function {listener.function_name}: {error}") from None
            except Exception as error:
                log.debug("Could not check queue %s: %s", listener.queue, type(error).__name__)

    def start(self, *, timers: bool) -> None:
        """Listen on every queue; run the timers on their schedules unless `timers` is False."""
        if timers:
            for timer in self._timers.values():
                self._spawn(timer.run())
        self._listening = {asyncio.create_task(q.run(self._stopping)) for q in self._listeners}

    def run_now(self, name: str, input: str = "") -> int:
        """Run a non-HTTP function in the background; the status `POST /admin/functions/{name}` answers.

        A timer run still takes the timer's lock. A queue function gets `input` as the body of a
        message no broker delivered, so its outcome settles nothing.
        """
        fn = self._functions.get(name.lower())
        if fn is None:
            return 404
        if isinstance(fn.binding, HttpBinding):
            return 400
        if isinstance(fn.binding, TimerBinding):
            self._spawn(self._timers[fn.name.lower()].run_once())
            return 202
        message = ReceivedMessage(
            body=input.encode(),
            message_id=uuid.uuid4().hex,
            sequence_number=0,
            delivery_count=1,
            enqueued_time=self._clock(),
        )
        self._spawn(self._invoker.invoke(fn, to_function_message(message, fn.name)))
        return 202

    async def stop(self, grace: float) -> None:
        """Take no new work; give running invocations (and their settlement) `grace` seconds."""
        self._stopping.set()
        for task in self._background:
            task.cancel()  # timer loops and admin runs waiting for a lock; invocations are shielded
        loop = asyncio.get_running_loop()
        deadline = loop.time() + grace
        if self._listening:
            _, late = await asyncio.wait(self._listening, timeout=grace)
            for task in late:
                task.cancel()
        left = await self._invoker.drain(max(0.0, deadline - loop.time()))
        if left:
            log.warning("Cancelled %d invocation(s) still running after %.0f s", left, grace)
        await asyncio.gather(*self._background, *self._listening, return_exceptions=True)

    def _spawn(self, work: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.create_task(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def _timer_loop(self, fn: FunctionDef, binding: TimerBinding, clock: Clock, sleep: Sleep) -> TimerLoop:
        async def fire(request: func.TimerRequest) -> object:
            return await self._invoker.invoke(fn, request)

        return TimerLoop(
            fn.name, binding.schedule, fire, run_on_startup=binding.run_on_startup, clock=clock, sleep=sleep
        )

    def _listener(
        self,
        fn: FunctionDef,
        binding: QueueBinding,
        config: HostConfig,
        transport: Transport | None,
        receive_wait: float,
    ) -> QueueListener:
        if transport is None:
            raise ValueError("queue triggers need a transport")

        async def invoke(message: func.ServiceBusMessage | Sequence[func.ServiceBusMessage]) -> object:
            return await self._invoker.invoke(fn, message)

        return QueueListener(
            fn.name,
            binding.queue,
            transport,
            invoke,
            sessions=binding.sessions,
            concurrency=config.max_concurrent_sessions if binding.sessions else config.max_concurrent_calls,
            session_idle=config.session_idle_timeout,
            receive_wait=receive_wait,
            auto_complete=config.auto_complete_messages,
            batch_size=config.max_message_batch_size if binding.many else None,
        )
