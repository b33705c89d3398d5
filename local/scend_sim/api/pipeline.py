"""What every contract request goes through, in order, around its handler:

statistics → injected faults (latency; error, 429, 503 or a dropped connection) → bearer API key
(401) → rate limit (429) → Idempotency-Key (POST: replay, or 422 for a reused key) → the handler
(its Problem becomes problem+json) → the answer stored for replay → faults after commit (hang,
drop or 5xx) → X-Request-Id and X-RateLimit-* headers.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response

from local.scend_sim.core import Simulator
from local.scend_sim.faults import HttpFault
from local.scend_sim.feeds import FeedSlice, ListSlice
from local.scend_sim.idempotency import HEADER, Stored, check_key, fingerprint
from local.scend_sim.limits import Quota
from local.scend_sim.problems import PROBLEM_MEDIA_TYPE, Problem, field_error, validation_problem

JSON = "application/json"
RAW_SEND = "scend_sim.raw_send"
DEFAULT_LIMIT = 100
MAX_BODY_BYTES = 1 << 20


@dataclass(slots=True)
class Reply:
    status: int
    body: BaseModel | bytes | None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Call:
    sim: Simulator
    path_params: Mapping[str, str]
    query: QueryParams
    body: bytes

    def parse[M: BaseModel](self, model: type[M], *, empty_is: bytes | None = None) -> M:
        """The body as `model`, or 400 (not JSON) / 422 (not the schema) VALIDATION_FAILED."""
        raw = self.body if self.body.strip() or empty_is is None else empty_is
        try:
            return model.model_validate_json(raw)
        except ValidationError as error:
            raise validation_problem(error) from None

    def limit(self) -> int:
        return query_int(self.query, "limit", DEFAULT_LIMIT, 1, self.sim.config.max_page_size)


Handler = Callable[[Call], Reply]


class ConnectionDropped(Exception):
    """The connection was closed on purpose, without an answer (a `drop` fault in-process)."""


def query_int(query: QueryParams, name: str, default: int, low: int, high: int) -> int:
    text = query.get(name)
    if text is None:
        return default
    if not (text.isascii() and text.isdigit()) or not low <= int(text) <= high:
        raise Problem(
            400,
            "VALIDATION_FAILED",
            f"{name} must be a whole number from {low} to {high}",
            errors=[field_error(name, "OUT_OF_RANGE", f"{low}..{high}")],
        )
    return int(text)


def page_body[T: BaseModel](page: ListSlice[T]) -> bytes:
    return _list_body(page.records, {"next_cursor": page.next_cursor})


def feed_body[T: BaseModel](page: FeedSlice[T]) -> bytes:
    return _list_body(page.records, {"next_cursor": page.next_cursor, "has_more": page.has_more})


def _list_body(records: Sequence[BaseModel], rest: dict[str, Any]) -> bytes:
    items = b",".join(record.model_dump_json().encode() for record in records)
    return b'{"data":[' + items + b"]," + json.dumps(rest, separators=(",", ":")).encode()[1:]


def render(reply: Reply) -> Response:
    if reply.body is None:
        return Response(status_code=reply.status, headers=reply.headers)
    content = reply.body if isinstance(reply.body, bytes) else reply.body.model_dump_json().encode()
    return Response(content, status_code=reply.status, headers=reply.headers, media_type=JSON)


def problem_response(problem: Problem, request_id: str, headers: Mapping[str, str] | None = None) -> Response:
    return Response(
        problem.render(request_id),
        status_code=problem.status,
        headers={**problem.headers, **(headers or {})},
        media_type=PROBLEM_MEDIA_TYPE,
    )


def contract_endpoint(
    sim: Simulator, method: str, route: str, handler: Handler, query: frozenset[str] = frozenset()
) -> Callable[[Request], Awaitable[Response]]:
    """The pipeline around `handler`; query parameters other than `query` (or repeated) are 400."""
    key = f"{method} {route}"

    async def endpoint(request: Request) -> Response:
        request_id = sim.request_id()
        stats = sim.stats.route(key)
        stats.requests += 1
        injection = sim.faults.decide(method, request.url.path, route)
        for kind in injection.fired:
            stats.faults[kind] += 1
        if injection.latency_seconds:
            await sim.config.time.sleep(injection.latency_seconds)
        if injection.before is not None:
            response = await _fault_before(request, injection.before, request_id)
            stats.statuses[str(response.status_code)] += 1
            return response
        quota: Quota | None = None
        try:
            api_key = _authorise(request, sim.config.api_key)
            quota = sim.limiter.take(api_key)
            if quota is not None and not quota.allowed:
                raise Problem(
                    429,
                    "RATE_LIMITED",
                    f"more than {quota.limit} requests a minute",
                    headers={"Retry-After": str(quota.retry_after)},
                )
            _check_query(request.query_params, query)
            response, replayed = await _handle(sim, request, method, handler, api_key, request_id)
            stats.replays += replayed
        except Problem as problem:
            response = problem_response(problem, request_id)
        response.headers["X-Request-Id"] = request_id
        if quota is not None:
            response.headers.update(quota.headers())
        if injection.after is not None:
            response = await _fault_after(sim, request, injection.after, request_id)
        stats.statuses[str(response.status_code)] += 1
        return response

    return endpoint


async def _handle(
    sim: Simulator, request: Request, method: str, handler: Handler, api_key: str, request_id: str
) -> tuple[Response, bool]:
    length = request.headers.get("content-length", "0")
    if length.isdigit() and int(length) > MAX_BODY_BYTES:
        raise Problem(413, "PAYLOAD_TOO_LARGE", f"bodies are at most {MAX_BODY_BYTES} bytes")
    body = await request.body() if method in ("POST", "PUT") else b""
    idempotency_key = request.headers.get(HEADER) if method == "POST" else None
    if method == "POST":
        check_key(idempotency_key, sim.config.require_idempotency_key)
    print_ = fingerprint(method, request.url.path, body)
    if idempotency_key is not None:
        stored = sim.idempotency.recall(api_key, idempotency_key, print_)
        if stored is not None:
            headers = dict(stored.headers) | {"Idempotent-Replayed": "true"}
            return Response(stored.body, stored.status, headers, stored.media_type), True
    call = Call(sim, request.path_params, request.query_params, body)
    try:
        response = render(handler(call))
    except Problem as problem:
        response = problem_response(problem, request_id)
    if idempotency_key is not None:
        kept = tuple((k, v) for k, v in response.headers.items() if k.lower() in ("location",))
        media_type = response.headers.get("content-type", JSON)
        stored = Stored(print_, response.status_code, bytes(response.body), media_type, kept)
        sim.idempotency.keep(api_key, idempotency_key, stored)
    return response, False


def _check_query(params: QueryParams, allowed: frozenset[str]) -> None:
    """Unknown or repeated parameters are refused: a misspelt `since_cursor` must not silently read
    a feed from the beginning."""
    errors = [
        field_error(name or "(empty)", "UNKNOWN_PARAMETER", "not a parameter here")
        for name in params
        if name not in allowed
    ]
    errors += [
        field_error(name, "REPEATED", "give it once") for name in allowed if len(params.getlist(name)) > 1
    ]
    if errors:
        raise Problem(400, "VALIDATION_FAILED", "unknown or repeated query parameters", errors=errors)


def _authorise(request: Request, api_key: str) -> str:
    scheme, _, presented = request.headers.get("authorization", "").partition(" ")
    presented = presented.strip()
    if (
        scheme.lower() != "bearer"
        or not presented
        or not hmac.compare_digest(presented.encode(errors="replace"), api_key.encode())
    ):
        raise Problem(
            401,
            "UNAUTHORIZED",
            "send Authorization: Bearer <api key>",
            headers={"WWW-Authenticate": 'Bearer realm="scend"'},
        )
    return presented


async def _fault_before(request: Request, fault: HttpFault, request_id: str) -> Response:
    match fault.kind:
        case "drop":
            return await drop_connection(request)
        case "rate_limit":
            problem = Problem(
                429,
                "RATE_LIMITED",
                "too many requests (injected)",
                headers={"Retry-After": str(fault.retry_after)},
            )
        case "maintenance":
            problem = Problem(
                503,
                "UNAVAILABLE",
                "down for maintenance (injected)",
                headers={"Retry-After": str(fault.retry_after)},
            )
        case _:
            problem = _server_error(fault)
    return problem_response(problem, request_id, {"X-Request-Id": request_id})


async def _fault_after(sim: Simulator, request: Request, fault: HttpFault, request_id: str) -> Response:
    """The write is stored; the client learns nothing (hang, then drop) or gets a 5xx."""
    if fault.mode == "error":
        return problem_response(_server_error(fault), request_id, {"X-Request-Id": request_id})
    if fault.mode == "hang":
        await _hang(request, fault.hang_seconds, sim.closing)
    return await drop_connection(request)


def _server_error(fault: HttpFault) -> Problem:
    if fault.status == 500:
        return Problem(500, "INTERNAL", "internal error (injected)")
    headers = {"Retry-After": str(fault.retry_after)} if fault.status == 503 else {}
    return Problem(fault.status, "UNAVAILABLE", "upstream unavailable (injected)", headers=headers)


async def _hang(request: Request, seconds: float, closing: asyncio.Event) -> None:
    """Answer nothing for `seconds`, or until the client hangs up or the simulator stops."""

    async def client_gone() -> None:
        while (await request.receive())["type"] != "http.disconnect":
            pass

    waiters = [asyncio.ensure_future(client_gone()), asyncio.ensure_future(closing.wait())]
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await waiter


async def drop_connection(request: Request) -> Response:
    """Close the TCP connection without an answer; in-process (no socket), raise instead."""
    send = request.scope.get(RAW_SEND)
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    if transport is None:
        raise ConnectionDropped("connection dropped by an injected fault")
    transport.abort()
    for _ in range(3):  # let the server see the connection is gone before anything is sent
        await asyncio.sleep(0)
    return Response(status_code=499)
