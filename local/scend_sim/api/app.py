"""The simulator's ASGI app: /openapi.json, the contract under /v1, the control surface under /_sim."""

from __future__ import annotations

import json
import logging

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from local.scend_sim.api.contract import contract_routes
from local.scend_sim.api.control import control_routes
from local.scend_sim.api.openapi import build_openapi
from local.scend_sim.api.pipeline import JSON, RAW_SEND, problem_response
from local.scend_sim.core import Simulator
from local.scend_sim.problems import Problem

log = logging.getLogger("scend_sim")

_HTTP_CODES = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}


def build_app(sim: Simulator) -> ASGIApp:
    document = json.dumps(build_openapi(sim.config)).encode()

    async def openapi(request: Request) -> Response:
        return Response(document, media_type=JSON)

    async def http_problem(request: Request, error: Exception) -> Response:
        assert isinstance(error, HTTPException)
        code = _HTTP_CODES.get(error.status_code, "VALIDATION_FAILED")
        problem = Problem(error.status_code, code, error.detail, headers=error.headers)
        return problem_response(problem, sim.request_id())

    async def internal(request: Request, error: Exception) -> Response:
        if isinstance(error, ClientDisconnect):  # the client went (a killed host): nobody to answer
            log.info("client gone during %s %s", request.method, request.url.path)
            return Response(status_code=499)
        log.error("scend simulator failed on %s %s", request.method, request.url.path, exc_info=error)
        return problem_response(Problem(500, "INTERNAL", "the simulator failed"), sim.request_id())

    routes = [Route("/openapi.json", openapi), *contract_routes(sim), *control_routes(sim)]
    app = Starlette(routes=routes, exception_handlers={HTTPException: http_problem, Exception: internal})
    return _KeepRawSend(app)


class _KeepRawSend:
    """Remembers the server's own `send`, so a fault can reach the socket and drop the connection."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope[RAW_SEND] = send
        await self._app(scope, receive, send)
