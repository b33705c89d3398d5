"""The DevHost: runs a v2-model FunctionApp (timers, HTTP routes, queue triggers) in one process."""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path
from types import TracebackType
from typing import Any

import azure.functions as func

from local.devhost.auth import Keys
from local.devhost.errors import StartupError
from local.devhost.hostconfig import read_host_config
from local.devhost.invoker import Invoker
from local.devhost.loader import FunctionDef, HttpBinding, QueueBinding, TimerBinding, load_functions
from local.devhost.schedule import Clock, Sleep, check_schedule, utc_now
from local.devhost.settings import DEFAULT_SETTINGS_HOOK, load_local_settings, run_settings_hook
from local.devhost.triggers import Triggers
from local.devhost.web import build_app
from local.serving import LoopbackServer, ServingError
from shared.messaging.transport import Transport

log = logging.getLogger("devhost")

DEFAULT_PORT = 7071


class DevHost:
    """Runs the app the way `func start` would, from the app's own binding metadata.

    Start-up, in order: local.settings.json `Values` into `os.environ` (never over a variable
    already set), the settings hook, host.json, the app and its `%NAME%` expressions, the transport
    (when a queue trigger needs one), timers and queue listeners, and last the HTTP server, so
    `GET /admin/host/status` answering means everything runs. Any failure is a `StartupError`.

    `stop()` stops timers, listeners and the server, waits up to `drain_timeout` seconds for
    running invocations, and closes a transport it created (an injected one stays open).
    """

    def __init__(
        self,
        app: str = "function_app",
        *,
        port: int | None = None,
        settings_file: str | Path | None = None,
        host_json: str | Path = "host.json",
        settings_hook: str | None = DEFAULT_SETTINGS_HOOK,
        transport: Transport | None = None,
        timers: bool = True,
        clock: Clock = utc_now,
        sleep: Sleep = asyncio.sleep,
        receive_wait: float = 1.0,
        drain_timeout: float = 10.0,
    ) -> None:
        self.app = app
        self.state = "Stopped"
        self.functions: list[FunctionDef] = []
        self._port = port
        self._settings_file = Path(settings_file) if settings_file else None
        self._host_json = Path(host_json)
        self._settings_hook = settings_hook
        self._transport = transport
        self._owns_transport = False
        self._run_timers = timers
        self._clock = clock
        self._sleep = sleep
        self._receive_wait = receive_wait
        self._drain_timeout = drain_timeout
        self._triggers: Triggers | None = None
        self._server: LoopbackServer | None = None
        self._stopped: asyncio.Future[None] | None = None

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the dev host has not started")
        return self._server.port

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def __aenter__(self) -> DevHost:
        await self.start()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    async def start(self) -> None:
        """Start everything, or raise `StartupError` after undoing what had started."""
        self.state = "Starting"
        try:
            await self._start()
        except BaseException:
            await self.stop()
            raise
        self.state = "Running"

    async def _start(self) -> None:
        local = load_local_settings(self._settings_file, os.environ, required=self._settings_file is not None)
        settings = run_settings_hook(self._settings_hook) if self._settings_hook else None
        config = read_host_config(self._host_json)
        port = self._port if self._port is not None else local.local_http_port or DEFAULT_PORT
        self._server = LoopbackServer(port, grace=self._drain_timeout)
        try:
            self._server.bind()
        except ServingError as error:
            raise StartupError(str(error)) from None
        self.functions = load_functions(self.app, os.environ)
        for fn in self.functions:
            if isinstance(fn.binding, TimerBinding):
                check_schedule(fn.binding.schedule, where=f"function {fn.name}")
        if any(isinstance(f.binding, QueueBinding) for f in self.functions) and self._transport is None:
            self._transport = _create_transport(settings)
            self._owns_transport = True
        keys = Keys.from_settings(os.environ)
        keyed = [f.name for f in self.functions if _needs_key(f)]
        if keyed and not keys.function_keys and not keys.master_key:
            unset = "DEVHOST_FUNCTION_KEY and DEVHOST_MASTER_KEY are unset"
            log.warning("%s: %s answer 401 to every call", unset, ", ".join(keyed))
        invoker = Invoker()
        self._triggers = Triggers(
            self.functions,
            invoker,
            config,
            self._transport,
            clock=self._clock,
            sleep=self._sleep,
            receive_wait=self._receive_wait,
        )
        await self._triggers.check_queues()
        self._triggers.start(timers=self._run_timers)
        app = build_app(
            self.functions,
            route_prefix=config.route_prefix,
            keys=keys,
            invoke=invoker.invoke,
            run_function=self._run_function,
            status=self.status,
        )
        try:
            await self._server.start(app)
        except ServingError as error:
            raise StartupError(str(error)) from None
        log.info("Dev host running %s on %s\n%s", self.app, self.base_url, self._listing(config.route_prefix))

    async def stop(self) -> None:
        """Take no new work, let running invocations finish (bounded), release what the host owns.

        A second call (a signal during `async with`) waits for the first one instead of repeating it.
        """
        if self._stopped is None:
            self._stopped = asyncio.ensure_future(self._stop())
        await asyncio.shield(self._stopped)

    async def _stop(self) -> None:
        if self.state == "Stopped":
            return
        self.state = "Stopping"
        stopping = [self._server.stop()] if self._server else []
        if self._triggers:
            stopping.append(self._triggers.stop(self._drain_timeout))
        await asyncio.gather(*stopping)
        if self._owns_transport and self._transport is not None:
            await self._transport.close()
        if self._triggers is not None:
            log.info("Dev host stopped")
        self.state = "Stopped"

    def status(self) -> dict[str, Any]:
        """What `GET /admin/host/status` answers."""
        return {"state": self.state, "version": "devhost", "functions": [f.name for f in self.functions]}

    async def _run_function(self, name: str, input: str) -> int:
        return self._triggers.run_now(name, input) if self._triggers else 503

    def _listing(self, prefix: str) -> str:
        """Every function and how it is triggered, like `func start` prints at start-up."""
        lines = []
        for fn in self.functions:
            binding = fn.binding
            if isinstance(binding, HttpBinding):
                methods = ",".join(sorted(binding.methods)) if binding.methods else "ALL"
                path = "/".join(p for p in (prefix, binding.route.strip("/")) if p)
                lines.append(f"  {fn.name}: [{methods}] {self.base_url}/{path} ({binding.auth_level.value})")
            elif isinstance(binding, TimerBinding):
                lines.append(f"  {fn.name}: timerTrigger {binding.schedule!r}")
            else:
                sessions = " (sessions)" if binding.sessions else ""
                lines.append(f"  {fn.name}: serviceBusTrigger {binding.queue}{sessions}")
        return "\n".join(lines)


def _needs_key(fn: FunctionDef) -> bool:
    return isinstance(fn.binding, HttpBinding) and fn.binding.auth_level is not func.AuthLevel.ANONYMOUS


def _create_transport(settings: Any) -> Transport:
    """The transport the app's settings choose: `shared.messaging.factory.create_transport`."""
    if settings is None:
        raise StartupError("queue triggers need the settings hook: the transport is built from the settings")
    from shared.messaging.factory import create_transport  # the Service Bus SDK only when needed

    try:
        return create_transport(settings)
    except Exception as error:
        raise StartupError(f"cannot create the transport: {' '.join(str(error).split())}") from None
