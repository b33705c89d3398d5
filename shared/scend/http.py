"""One HTTP exchange with Scend: budget, bearer key (refreshed once), span, and its classified answer.

Retrying is not done here: `rest.py` decides, from the answer's rule, whether a call may simply be
sent again (reads, PUT) or must first look itself up (POST).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import httpx

from shared.ratelimit import SlidingWindowBudget
from shared.retry import parse_retry_after
from shared.scend.outcomes import Action, Answer, Problem, rule_for
from shared.telemetry import outbound_span

log = logging.getLogger(__name__)

# A fixed namespace: the same logical write maps to the same key in every process, forever.
_IDEMPOTENCY_NAMESPACE = uuid.UUID("6f1d7f3e-5a0b-4c1e-9a55-3c3d0b6f2a10")


REPLAYED_HEADER = "Idempotent-Replayed"


def idempotency_key(operation: str, *business_key: str) -> str:
    """The `Idempotency-Key` for one logical write: derived, never random.

    A random key per attempt would defeat the header: attempt 1 commits but times out, attempt 2
    carries a new key, and Scend cannot tell it is the same write. Derived from the operation and
    the business key, every retry (in this call, a later message, another process) sends the same.
    """
    return str(uuid.uuid5(_IDEMPOTENCY_NAMESPACE, "\x1f".join((operation, *business_key))))


def next_idempotency_key(key: str) -> str:
    """The next key of a write's chain, used once Scend says the current one is spent (KEY_SPENT).

    Deterministic too, so every process walks the same chain: key 0 (refused, replayed) → key 1
    (committed by another attempt, replayed as success) → done; nothing is written twice, and
    `client_reference` uniqueness backs that up (409 DUPLICATE_REFERENCE).
    """
    return str(uuid.uuid5(_IDEMPOTENCY_NAMESPACE, f"next\x1f{key}"))


class ApiKeySource(Protocol):
    """Where the bearer key comes from; `refresh=True` after a 401/403 asks for a fresh one."""

    async def get(self, *, refresh: bool = False) -> str: ...


@dataclass(frozen=True, slots=True)
class StaticApiKey:
    """The key from SCEND_API_KEY (a Key Vault reference in Azure): refreshing returns the same."""

    key: str

    async def get(self, *, refresh: bool = False) -> str:
        return self.key


@dataclass(frozen=True, slots=True)
class Call:
    """One request. `route` is the template (`/orders/{id}`) that names the span; `doc_key` the
    document it is about. Neither a body nor a query value ever reaches telemetry or logs."""

    method: str
    route: str
    path: str
    params: Mapping[str, str] | None = None
    body: Any = None
    idempotency_key: str | None = None
    doc_key: str | None = None

    @property
    def operation(self) -> str:
        return f"{self.method} {self.route}"


class Unanswered(Exception):
    """No HTTP answer came back. `sent` says whether Scend may have received (and acted on) it."""

    def __init__(self, call: Call, cause: BaseException, *, sent: bool) -> None:
        super().__init__(f"no answer to {call.operation} ({type(cause).__name__})")
        self.sent = sent


# Raised before any byte left: safe to send again without asking whether it arrived.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)


class ScendHttp:
    """Sends one `Call` and returns its classified `Answer`, or raises `Unanswered`."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        keys: ApiKeySource,
        budget: SlidingWindowBudget,
        clock: Callable[[], datetime],
    ) -> None:
        self._client = client
        self._keys = keys
        self._budget = budget
        self._clock = clock

    async def exchange(self, call: Call) -> Answer:
        """Send once; after a 401/403, once more only if a refreshed key differs from the one used."""
        key = await self._keys.get()
        answer = await self._send(call, key)
        if answer.rule.action is Action.REFRESH_CREDENTIAL:
            fresh = await self._keys.get(refresh=True)
            if fresh != key:
                answer = await self._send(call, fresh)
        return answer

    async def _send(self, call: Call, key: str) -> Answer:
        await self._budget.take()
        headers = {"Authorization": f"Bearer {key}", "Accept": "application/json"}
        if call.idempotency_key:
            headers["Idempotency-Key"] = call.idempotency_key
        with outbound_span(
            "scend", call.operation, **{"doc.key": call.doc_key, "http.request.method": call.method}
        ) as span:
            try:
                response = await self._client.request(
                    call.method, call.path, params=call.params, json=call.body, headers=headers
                )
            except _NOT_SENT as error:
                raise Unanswered(call, error, sent=False) from None
            except httpx.TransportError as error:  # read/write timeouts, dropped connections
                raise Unanswered(call, error, sent=True) from None
            answer = _classify(response, self._clock())
            span.set_attribute("http.response.status_code", answer.status)
            span.set_attribute("outcome", answer.rule.action.value)
        if answer.rule.action is Action.RATE_LIMITED and answer.retry_after:
            self._budget.pause(answer.retry_after)
        if answer.rule.action is not Action.SUCCESS:
            log.info(
                "scend %s answered %s (%s)",
                call.operation,
                answer.status,
                answer.problem.code if answer.problem else "no code",
            )
        return answer


def _classify(response: httpx.Response, now: datetime) -> Answer:
    body: Any = None
    if response.content:
        try:
            body = response.json()
        except ValueError:
            body = None
    problem = None if response.is_success else Problem.from_body(body)
    replayed = response.headers.get(REPLAYED_HEADER, "").strip().lower() == "true"
    return Answer(
        status=response.status_code,
        body=body,
        rule=rule_for(response.status_code, problem.code if problem else None, replayed=replayed),
        problem=problem,
        retry_after=parse_retry_after(response.headers.get("Retry-After"), now),
        replayed=replayed,
    )
