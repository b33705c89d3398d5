"""A loopback HTTP server (uvicorn) for an ASGI app: the dev host and the simulators serve on it."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Generator
from pathlib import Path

import uvicorn
from starlette.types import ASGIApp


class ServingError(RuntimeError):
    """The server cannot listen or did not start; the message says where."""


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling: the owner decides when to stop."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None]:
        yield


class LoopbackServer:
    """Serves an ASGI app on 127.0.0.1. `bind` early (port 0 picks a free port), `start` when ready.

    With `ssl_certfile` and `ssl_keyfile` (PEM) it serves HTTPS instead (see local/certs.py).
    """

    def __init__(
        self,
        port: int = 0,
        *,
        grace: float = 1.0,
        ssl_certfile: Path | str | None = None,
        ssl_keyfile: Path | str | None = None,
    ) -> None:
        if (ssl_certfile is None) != (ssl_keyfile is None):
            raise ValueError("ssl_certfile and ssl_keyfile go together")
        self.port = port
        self._grace = grace
        self._ssl_certfile = ssl_certfile
        self._ssl_keyfile = ssl_keyfile
        self._socket: socket.socket | None = None
        self._server: _Server | None = None
        self._task: asyncio.Task[None] | None = None

    def bind(self) -> None:
        """Take the port now, so a port in use fails start-up before any trigger has run."""
        # With the protocol given explicitly asyncio sets TCP_NODELAY on accepted connections; without it
        # every small response waits ~40 ms for delayed ACKs.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", self.port))
        except OSError as error:
            sock.close()
            raise ServingError(f"cannot listen on 127.0.0.1:{self.port}: {error.strerror}") from None
        self.port = int(sock.getsockname()[1])
        self._socket = sock

    async def start(self, app: ASGIApp) -> None:
        if self._socket is None:
            self.bind()
        assert self._socket is not None
        config = uvicorn.Config(
            app,
            log_config=None,
            log_level="warning",
            access_log=False,  # a URL may carry a function key in `code`
            lifespan="off",
            timeout_graceful_shutdown=int(max(1, self._grace)),
            ssl_certfile=self._ssl_certfile,
            ssl_keyfile=self._ssl_keyfile,
        )
        self._server = _Server(config)
        self._task = asyncio.create_task(self._server.serve(sockets=[self._socket]))
        while not self._server.started:
            if self._task.done():
                self._task.result()
                raise ServingError(f"the HTTP server on 127.0.0.1:{self.port} did not start")
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        """Stop accepting, let requests in progress finish (uvicorn's graceful shutdown), close."""
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            await self._task
        elif self._socket is not None:
            self._socket.close()

    @property
    def base_url(self) -> str:
        scheme = "https" if self._ssl_certfile is not None else "http"
        return f"{scheme}://127.0.0.1:{self.port}"
