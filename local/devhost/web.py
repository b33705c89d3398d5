"""The dev host's HTTP app: every httpTrigger route, with auth levels, and the admin endpoints."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import azure.functions as func
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from local.devhost.auth import Keys, is_authorised, is_master, presented_key
from local.devhost.loader import FunctionDef, HttpBinding
from local.devhost.routes import Matched, MethodNotAllowed, RouteTable

log = logging.getLogger("devhost")

Invoke = Callable[[FunctionDef, Any], Awaitable[Any]]
RunFunction = Callable[[str, str], Awaitable[int]]  # (name, input) -> HTTP status for the caller
Status = Callable[[], dict[str, Any]]


def build_app(
    functions: Sequence[FunctionDef],
    *,
    route_prefix: str,
    keys: Keys,
    invoke: Invoke,
    run_function: RunFunction,
    status: Status,
) -> Starlette:
    """A Starlette app answering every httpTrigger route plus `/admin/...` like the Functions host."""
    table = RouteTable(
        route_prefix,
        [(f.binding.route, f.binding.methods, f) for f in functions if isinstance(f.binding, HttpBinding)],
    )

    async def dispatch(request: Request) -> Response:
        resolved = table.resolve(request.url.path, request.method)
        if resolved is None:
            return Response(status_code=404)
        if isinstance(resolved, MethodNotAllowed):
            return Response(status_code=405, headers={"Allow": ", ".join(sorted(resolved.allowed))})
        return await _call(request, resolved, keys, invoke)

    async def host_status(request: Request) -> Response:
        return JSONResponse(status())

    async def admin_invoke(request: Request) -> Response:
        if not is_master(presented_key(request.headers, request.query_params), keys):
            return Response(status_code=401)
        try:
            body = json.loads(await request.body() or b"{}")
            text = body.get("input", "") if isinstance(body, dict) else None
        except ValueError:
            text = None
        if not isinstance(text, str):
            return JSONResponse({"error": 'the body must be {"input": "<string>"}'}, status_code=400)
        return Response(status_code=await run_function(request.path_params["name"], text))

    return Starlette(
        routes=[
            Route("/admin/host/status", host_status, methods=["GET"]),
            Route("/admin/functions/{name}", admin_invoke, methods=["POST"]),
            Route("/{path:path}", _EveryMethod(dispatch)),
        ]
    )


class _EveryMethod:
    """An ASGI endpoint: Starlette limits a plain function endpoint to GET and HEAD, and the
    function routes decide their methods themselves (405 with `Allow`)."""

    def __init__(self, handler: Callable[[Request], Awaitable[Response]]) -> None:
        self._handler = handler

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = await self._handler(Request(scope, receive))
        await response(scope, receive, send)


async def _call(request: Request, matched: Matched[FunctionDef], keys: Keys, invoke: Invoke) -> Response:
    fn = matched.target
    assert isinstance(fn.binding, HttpBinding)
    if not is_authorised(fn.binding.auth_level, presented_key(request.headers, request.query_params), keys):
        return Response(status_code=401)
    function_request = func.HttpRequest(
        method=request.method,
        url=str(request.url),
        headers={name: ", ".join(request.headers.getlist(name)) for name in request.headers},
        params=dict(request.query_params),
        route_params=matched.route_params,
        body=await request.body(),
    )
    try:
        result = await invoke(fn, function_request)
    except Exception:  # logged by the invoker, with its traceback; never sent to the caller
        return Response(status_code=500)
    return to_reply(fn.name, result)


def to_reply(function_name: str, result: Any) -> Response:
    """An HttpResponse (or a str, as the worker allows) as the HTTP reply: status, headers, body."""
    if isinstance(result, str):
        result = func.HttpResponse(result)
    if not isinstance(result, func.HttpResponse):
        log.error("Function %s returned %s, not an HttpResponse", function_name, type(result).__name__)
        return Response(status_code=500)
    reply = Response(content=result.get_body(), status_code=int(result.status_code))
    headers: list[tuple[str, str]] = list(result.headers.items())
    if not any(name.lower() == "content-type" for name, _ in headers):
        # The worker's rule: text types carry their charset.
        mimetype, charset = str(result.mimetype), str(result.charset)
        content_type = f"{mimetype}; charset={charset}" if mimetype.startswith("text/") else mimetype
        headers.append(("content-type", content_type))
    reply.raw_headers.extend(
        (name.lower().encode("latin-1"), str(value).encode("latin-1"))
        for name, value in headers
        if name.lower() != "content-length"
    )
    return reply
