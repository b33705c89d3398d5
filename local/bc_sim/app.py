"""The simulator's ASGI app: the gateway every request passes (statistics, bearer check, limits,
injected faults) and the routes behind it (token endpoint, OIDC metadata, the two API roots,
`$batch`, `/openapi.json`, `/_sim/`).
"""

from __future__ import annotations

import asyncio
import json
import urllib.parse
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from local.bc_sim import control
from local.bc_sim.api import JSON_TYPE, Call, Reply
from local.bc_sim.auth import TokenError
from local.bc_sim.batch import InnerFaults, run_batch
from local.bc_sim.errors import BcError
from local.bc_sim.faults import Decision

if TYPE_CHECKING:
    from local.bc_sim.server import BcSim

ANONYMOUS = "anonymous"
PRINCIPAL_KEY = "bc_sim.principal"
BATCH_FAULTS_KEY = "bc_sim.batch_faults"  # the InnerFaults of a $batch, read back by the Gateway
UNCHECKED = ("/_sim/", "/openapi.json")
DROP_WAIT_STEPS = 200


class ConnectionDropped(ConnectionError):
    """Raised to an in-process (non-socket) caller where a real server would close the connection."""


def build_app(sim: BcSim) -> ASGIApp:
    async def api_endpoint(request: Request) -> Response:
        call = Call(
            method=request.method,
            path=request.url.path,
            query=dict(request.query_params),
            headers={k.lower(): v for k, v in request.headers.items()},
            body=await request.body(),
            base_url=_base_url(request.scope),
            principal=request.scope.get(PRINCIPAL_KEY, ANONYMOUS),
        )
        if call.method == "POST" and call.path.endswith("/$batch"):
            try:
                root, _ = sim.api.target(call)
            except BcError as error:
                return reply_response(Reply.error(error))
            faults = InnerFaults(decide=sim.inner_fault, record=sim.record_inner_fault(call.principal))
            request.scope[BATCH_FAULTS_KEY] = faults
            return reply_response(await run_batch(sim.api, call, root, faults))
        return reply_response(await sim.api.handle(call))

    async def token(request: Request) -> Response:
        if "application/x-www-form-urlencoded" not in request.headers.get("content-type", ""):
            error = TokenError(400, "invalid_request", 900144, "The request body must be form-urlencoded.")
            return JSONResponse(error.body(sim.clock), error.status)
        form = dict(urllib.parse.parse_qsl((await request.body()).decode("utf-8", "replace")))
        tenant = request.path_params["tenant"]
        try:
            reply = sim.auth.issue(tenant, form, f"{_base_url(request.scope)}/{tenant}/oauth2/v2.0/token")
        except TokenError as error:
            return JSONResponse(error.body(sim.clock), error.status)
        return JSONResponse(reply, headers={"Cache-Control": "no-store"})

    async def openid(request: Request) -> Response:
        if request.path_params["tenant"].casefold() != sim.config.tenant.casefold():
            error = TokenError(
                400, "invalid_tenant", 90002, f"Tenant '{request.path_params['tenant']}' not found."
            )
            return JSONResponse(error.body(sim.clock), error.status)
        return JSONResponse(sim.auth.openid_configuration(_base_url(request.scope)))

    async def openapi(request: Request) -> Response:
        return JSONResponse(sim.openapi_document())

    every = ["GET", "POST", "PATCH", "PUT", "DELETE"]
    app = Starlette(
        routes=[
            Route("/{tenant}/oauth2/v2.0/token", token, methods=["POST"]),
            Route("/{tenant}/v2.0/.well-known/openid-configuration", openid, methods=["GET"]),
            Route("/openapi.json", openapi, methods=["GET"]),
            *control.routes(sim),
            Route("/v2.0/{rest:path}", api_endpoint, methods=every),
        ]
    )
    return Gateway(sim, app)


def reply_response(reply: Reply) -> Response:
    if reply.body is None:
        return Response(status_code=reply.status, headers=reply.headers)
    if isinstance(reply.body, str):
        return Response(
            reply.body, reply.status, {"OData-Version": "4.0", **reply.headers}, "application/xml"
        )
    content = json.dumps(reply.body, separators=(",", ":"), ensure_ascii=False).encode()
    headers = {"OData-Version": "4.0", "Content-Type": JSON_TYPE, **reply.headers}
    return Response(content, reply.status, headers)


class Gateway:
    """What every request meets before its handler, in BC's order: authentication, the principal's
    limits, then injected faults; and what statistics count afterwards."""

    def __init__(self, sim: BcSim, app: ASGIApp) -> None:
        self.sim = sim
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(UNCHECKED):
            await self.app(scope, receive, send)
            return
        sim = self.sim
        method = scope["method"]
        is_api, template, relative = sim.classify(scope["path"])
        route = f"{method} {template}"
        principal = ANONYMOUS
        if is_api:
            try:
                principal = sim.auth.authenticate(Headers(scope=scope).get("authorization"), _base_url(scope))
            except BcError as error:
                await reply_response(Reply.error(error))(scope, receive, send)
                sim.stats.record(ANONYMOUS, route, error.status)
                return
            try:
                await sim.limits.acquire(principal)
            except BcError as error:
                await reply_response(Reply.error(error))(scope, receive, send)
                sim.stats.record(principal, route, error.status, throttled=error.status == 429)
                return
        try:
            status, fault = await self._serve(
                {**scope, PRINCIPAL_KEY: principal}, receive, send, method, template, relative
            )
        finally:
            if is_api:
                sim.limits.release(principal)
        sim.stats.record(principal, route, status, fault=fault)

    async def _serve(
        self, scope: Scope, receive: Receive, send: Send, method: str, template: str, relative: str
    ) -> tuple[int | None, str | None]:
        """Run the handler under the route's fault decision; returns (status sent or None, fault)."""
        decision = self.sim.faults.decide(method, template, relative)
        if decision is None and relative.endswith("/$batch"):
            return await _run_batch(self.app, scope, receive, send)
        if decision is None:
            return await _run(self.app, scope, receive, send), None
        if decision.latency >= self.sim.config.gateway_timeout_seconds:
            # Slower than the gateway allows: BC's gateway answers 504 and the request is not handled.
            await asyncio.sleep(self.sim.config.gateway_timeout_seconds)
            await reply_response(Reply.error(_gateway_timeout()))(scope, receive, send)
            return 504, "gateway_timeout"
        if decision.latency:
            await asyncio.sleep(decision.latency)
        match decision.action:
            case None:
                return await _run(self.app, scope, receive, send), "latency" if decision.latency else None
            case "drop":
                await _drop(send)
                return None, "drop"
            case "error" | "throttle":
                await _fault_reply(decision)(scope, receive, send)
                return decision.status, decision.action
            case "commit_then_drop" | "commit_then_hang":
                await _run(self.app, scope, receive, _discard)
                if decision.action == "commit_then_hang":
                    await asyncio.sleep(decision.hang_seconds)
                await _drop(send)
                return None, decision.action


async def _run(app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> int | None:
    status: list[int] = []

    async def watch(message: Message) -> None:
        if message["type"] == "http.response.start":
            status.append(int(message["status"]))
        await send(message)

    await app(scope, receive, watch)
    return status[0] if status else None


async def _run_batch(
    app: ASGIApp, scope: Scope, receive: Receive, send: Send
) -> tuple[int | None, str | None]:
    """A `$batch` whose answer is held back until it has run: an operation inside it may say the
    connection is lost after the commit (`InnerFaults.lose_answer`)."""
    held: list[Message] = []

    async def hold(message: Message) -> None:
        held.append(message)

    await app(scope, receive, hold)
    faults = scope.get(BATCH_FAULTS_KEY)
    lost = faults.lose_answer if isinstance(faults, InnerFaults) else None
    if lost is not None:
        await _drop(send)
        return None, None
    for message in held:
        await send(message)
    starts = [m for m in held if m["type"] == "http.response.start"]
    return (int(starts[0]["status"]) if starts else None), None


async def _discard(message: Message) -> None:
    """The reply of a committed write whose connection is about to be lost."""


def _gateway_timeout() -> BcError:
    return BcError(504, "Internal_ServerError", "The request did not complete within the gateway timeout.")


def _fault_reply(decision: Decision) -> Response:
    if decision.action == "throttle":
        error = BcError(429, "Application_TooManyRequests", "Too many requests (injected fault).")
        error.headers["Retry-After"] = str(decision.retry_after)
    else:
        messages = {
            500: "Internal server error",
            502: "Bad gateway",
            503: "Service unavailable",
            504: "Gateway timeout",
        }
        error = BcError(
            decision.status, "Internal_ServerError", f"{messages[decision.status]} (injected fault)."
        )
        if decision.status in (502, 503):
            error.headers["Retry-After"] = str(decision.retry_after)
    return reply_response(Reply.error(error))


async def _drop(send: Send) -> None:
    """Close the connection without a response. uvicorn's `send` is bound to its request cycle, whose
    transport we abort; once the cycle sees the disconnect it sends nothing more."""
    cycle: Any = getattr(send, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is None:
        raise ConnectionDropped("connection dropped (injected fault)")
    transport.abort()
    for _ in range(DROP_WAIT_STEPS):
        if cycle.disconnected:
            return
        await asyncio.sleep(0.001)


def _base_url(scope: Scope) -> str:
    headers = Headers(scope=scope)
    host = headers.get("host")
    if host is None:
        server = scope.get("server") or ("127.0.0.1", 80)
        host = f"{server[0]}:{server[1]}"
    return f"{scope.get('scheme', 'http')}://{host}"
