"""Running user functions: async awaited, sync in a thread, one log line each, in-flight tracked."""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
import time
import uuid
from typing import Any

from local.devhost.context import InvocationContext
from local.devhost.loader import FunctionDef

log = logging.getLogger("devhost")


class Invoker:
    """Invokes functions and knows which invocations are still running, so a stop can wait for them.

    Each invocation runs in its own task and callers await it through `asyncio.shield`: when a
    timer loop or a queue listener is cancelled at shutdown, the invocation it started still
    finishes (and is waited for by `drain`) instead of being cut off half way through a flow.
    """

    def __init__(self) -> None:
        self._running: set[asyncio.Task[Any]] = set()

    @property
    def in_flight(self) -> int:
        return len(self._running)

    async def invoke(self, fn: FunctionDef, trigger_value: Any) -> Any:
        """Run `fn` with its trigger argument; return its result or raise what it raised."""
        task = asyncio.ensure_future(self._run(fn, trigger_value))
        self._running.add(task)
        task.add_done_callback(self._running.discard)
        return await asyncio.shield(task)

    async def drain(self, grace: float) -> int:
        """Wait up to `grace` seconds for running invocations; cancel the rest and return how many."""
        if not self._running:
            return 0
        _, pending = await asyncio.wait(set(self._running), timeout=grace)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending, timeout=1.0)
        return len(pending)

    async def _run(self, fn: FunctionDef, trigger_value: Any) -> Any:
        invocation_id = str(uuid.uuid4())
        kwargs: dict[str, Any] = {fn.arg_name: trigger_value}
        if fn.wants_context:
            kwargs["context"] = InvocationContext(fn.name, invocation_id, fn.directory)
        started = time.perf_counter()
        try:
            if inspect.iscoroutinefunction(fn.call):
                result = await fn.call(**kwargs)
            else:
                result = await asyncio.to_thread(functools.partial(fn.call, **kwargs))
        except BaseException as error:
            _summary(fn, invocation_id, started, f"Failed: {type(error).__name__}", logging.ERROR)
            if isinstance(error, Exception):
                log.error("Function %s (Id=%s) raised", fn.name, invocation_id, exc_info=error)
            raise
        _summary(fn, invocation_id, started, "Succeeded", logging.INFO)
        return result


def _summary(fn: FunctionDef, invocation_id: str, started: float, outcome: str, level: int) -> None:
    """The one line per invocation: never a body, header or key, which may carry personal data."""
    duration_ms = (time.perf_counter() - started) * 1000
    log.log(
        level,
        "Executed 'Functions.%s' (%s, trigger=%s, Id=%s, Duration=%.0fms)",
        fn.name,
        outcome,
        fn.trigger_type,
        invocation_id,
        duration_ms,
    )
