"""Sends one request to Business Central: token, limiter, span, and the retry loop over `outcomes`.

Each send runs inside a limiter slot and an `outbound_span("bc", "<METHOD> <entity set>")` whose
attributes are document keys only. What happens after a send is looked up in `outcomes.OUTCOMES`;
the loop here only carries out the action (send again after a pause, refresh the token once, or
raise the failure type). Pauses are taken outside the limiter, so a waiting request holds no slot.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

import httpx

from shared.bc.auth import TokenSource
from shared.bc.limits import Limiter
from shared.bc.outcomes import Action, Fault, failure, rule_for
from shared.retry import Backoff, parse_retry_after
from shared.telemetry import outbound_span

log = logging.getLogger(__name__)

REPEATABLE_METHODS = frozenset({"GET", "HEAD", "PUT", "PATCH", "DELETE"})  # PATCH/DELETE carry If-Match
_API_ROOT = re.compile(r"/api/(?:v2\.0|[^/]+/[^/]+/v\d+\.\d+)/(.*)$")
_KEY = re.compile(r"\(([^()]*)\)")

# A few quick sends; a Retry-After over 30 s fails at once and the trigger shell waits it out.
BC_BACKOFF = Backoff(attempts=4, base_seconds=0.5, max_seconds=8.0, max_wait_seconds=30.0)


@dataclass(frozen=True, slots=True)
class BcRequest:
    method: str
    url: str
    body: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)
    repeatable: bool | None = None  # None: by method (POST is once-only unless declared safe)
    business_key: str | None = None  # a document key for spans and errors (an order number)

    @property
    def safe_to_repeat(self) -> bool:
        return self.method.upper() in REPEATABLE_METHODS if self.repeatable is None else self.repeatable


def operation_name(method: str, url: str) -> str:
    """`POST salesOrders/shipAndInvoice`: the entity set or action, without keys or query."""
    path = unquote(urlsplit(url).path)
    match = _API_ROOT.search(path)
    rest = match.group(1) if match else path.rstrip("/").rsplit("/", 1)[-1]
    rest = re.sub(r"^companies\([^)]*\)/?", "", rest) or "companies"
    rest = _KEY.sub("", rest).replace("Microsoft.NAV.", "")
    return f"{method.upper()} {rest}"


def document_key(url: str) -> str | None:
    """The last key in the path (a GUID, or a subscription id): a document key, safe for telemetry."""
    path = re.sub(r"/companies\([^)]*\)", "/companies", unquote(urlsplit(url).path))
    keys = _KEY.findall(path)
    return keys[-1].strip("'") if keys else None


def _fault(error: httpx.TransportError) -> Fault | None:
    if isinstance(error, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout):
        return Fault.NOT_SENT
    if isinstance(error, httpx.TimeoutException):
        return Fault.TIMED_OUT
    if isinstance(error, httpx.NetworkError | httpx.RemoteProtocolError):
        return Fault.CONNECTION_LOST
    return None  # a local protocol or URL error is a defect, not an outcome


def error_code(response: httpx.Response) -> str | None:
    """BC's `error.code`, when the body is a BC error."""
    if response.is_success or not response.content:
        return None
    try:
        body = response.json()
    except ValueError:
        return None
    error = body.get("error") if isinstance(body, dict) else None
    code = error.get("code") if isinstance(error, dict) else None
    return code if isinstance(code, str) else None


class BcHttp:
    """The transport of one BC client: an httpx client, its token source, limiter and backoff."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        tokens: TokenSource,
        limiter: Limiter,
        *,
        backoff: Backoff | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.client = client
        self.tokens = tokens
        self.limiter = limiter
        self.backoff = backoff or BC_BACKOFF
        self._sleep = sleep
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not cryptography

    async def send(self, request: BcRequest) -> httpx.Response:
        """The response of the first successful send, or the failure type its outcome maps to."""
        operation = operation_name(request.method, request.url)
        key = request.business_key or document_key(request.url)
        token = await self.tokens.token()
        refreshed = False
        attempt = 0
        while True:
            attempt += 1
            async with self.limiter.slot():
                attributes = {"http.method": request.method, "attempt": attempt, "doc.key": key}
                with outbound_span("bc", operation, **attributes) as span:
                    result = await self._send_once(request, token)
                    response: httpx.Response | None = None
                    outcome: int | Fault
                    if isinstance(result, httpx.Response):
                        response, outcome = result, result.status_code
                        span.set_attribute("http.status_code", outcome)
                    else:
                        outcome = result
                    code = error_code(response) if response is not None else None
                    if code:
                        span.set_attribute("http.error_code", code)
                    rule = rule_for(outcome, code)
                    action = rule.action(request.safe_to_repeat)
                    span.set_attribute("outcome", action.value)
                    log.debug("bc %s attempt %d: %s → %s", operation, attempt, outcome, action)
                    if response is not None and action is Action.SUCCEED:
                        return response
                    retry_after = parse_retry_after(response.headers.get("Retry-After")) if response else None
                    if action is Action.REFRESH_TOKEN and not refreshed:
                        pause = None
                    elif action in (Action.RETRY, Action.RATE_LIMITED) and not self.backoff.gives_up(
                        attempt, retry_after
                    ):
                        pause = self.backoff.delay(attempt, retry_after, self._rng)
                    else:
                        raise failure(
                            rule,
                            action,
                            operation=operation,
                            outcome=outcome,
                            bc_code=code,
                            retry_after=retry_after,
                            business_key=request.business_key,
                        )
            # Outside the slot: a request waiting to go again holds no concurrency slot.
            if pause is None:
                refreshed = True
                token = await self.tokens.refresh(token)
            else:
                await self._sleep(pause)

    async def _send_once(self, request: BcRequest, token: str) -> httpx.Response | Fault:
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json", **request.headers}
        content = None
        if request.body is not None:
            content = json.dumps(request.body, separators=(",", ":")).encode()
            headers["Content-Type"] = "application/json"
        try:
            return await self.client.request(request.method, request.url, content=content, headers=headers)
        except httpx.TransportError as error:
            fault = _fault(error)
            if fault is None:
                raise
            return fault

    async def close(self) -> None:
        await self.client.aclose()
        await self.tokens.close()
