"""Running calls: reads and PUTs repeated, POSTs exactly once by in-doubt resolution.

How a write can still happen twice, and what stops it here:

1. POST /orders for SO-1042-R1 reaches Scend and commits; the answer is lost (timeout, 5xx).
2. A naive client sends it again, and Scend now holds two orders for one sales order.

So after a POST goes unanswered (or answers 5xx) the runner first looks the record up by
`client_reference`; only when Scend has no such record is the POST sent again, with the same
`Idempotency-Key`. If the lookup fails too, the outcome is unknown and it raises `InDoubt`: the
message is retried later and the next attempt goes through the same steps. A 409
`DUPLICATE_REFERENCE` (the write had landed after all) is success: the existing record is fetched.

Keys are derived from the business key, so every retry in every process sends the same one. Scend
keeps the first answer to a key, refusals included; when it replays a refusal (an order refused for
an unknown SKU, re-driven after the item export), the key is spent and the write asks again under
the next key of its deterministic chain (`next_idempotency_key`).
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from pydantic import BaseModel, ValidationError

from shared.errors import InDoubt, RateLimited, TransientError
from shared.ratelimit import Sleep
from shared.retry import Backoff
from shared.scend.http import Call, ScendHttp, Unanswered, next_idempotency_key
from shared.scend.outcomes import Action, Answer, Resource, UnexpectedResponse, describe, error_for

MAX_KEYS_SPENT = 20  # each is one earlier refusal of this very write; more means a loop

# In-call retries: a few quick attempts; a Retry-After over 30 s goes back to the trigger shell.
SCEND_BACKOFF = Backoff(attempts=4, base_seconds=0.25, max_seconds=4.0, max_wait_seconds=30.0)


class CallRunner:
    """Sends calls through `ScendHttp` under one backoff; the adapter never retries itself."""

    def __init__(self, http: ScendHttp, backoff: Backoff, sleep: Sleep, rng: random.Random) -> None:
        self._http = http
        self._backoff = backoff
        self._sleep = sleep
        self._rng = rng

    async def repeatable(self, call: Call) -> Answer:
        """A call that may simply be sent again (GET, PUT): bounded in-call retries with jitter."""
        attempt = 0
        while True:
            attempt += 1
            try:
                answer = await self._http.exchange(call)
            except Unanswered as error:
                await self._before_next(attempt, None, TransientError(f"{error} for {call.doc_key}"))
                continue
            if answer.rule.action not in (Action.RETRY, Action.RATE_LIMITED):
                return answer
            await self._before_next(
                attempt, answer, error_for(answer, Resource.READ, call.operation, call.doc_key)
            )

    async def write[T](
        self,
        call: Call,
        resource: Resource,
        *,
        on_success: Callable[[Answer], Awaitable[T]],
        lookup: Callable[[], Awaitable[T | None]],
        fetch: Callable[[str], Awaitable[T | None]] | None = None,
    ) -> T:
        """A POST that must happen once: look up before any resend (see the module docstring)."""
        attempt = 0
        keys_spent = 0
        while True:
            attempt += 1
            try:
                answer = await self._http.exchange(call)
            except Unanswered as error:
                if error.sent and (found := await self._resolve_in_doubt(call, lookup)) is not None:
                    return found
                exhausted = InDoubt if error.sent else TransientError
                await self._before_next(attempt, None, exhausted(f"{error} for {call.doc_key}"))
                continue
            match answer.rule.action:
                case Action.SUCCESS:
                    return await on_success(answer)
                case Action.RESOLVE_DUPLICATE:
                    return await self._resolve_duplicate(call, answer, lookup, fetch)
                case Action.RETRY:  # a 5xx can come after the write committed
                    if (found := await self._resolve_in_doubt(call, lookup)) is not None:
                        return found
                case Action.RATE_LIMITED:  # refused before it was processed: same key again
                    pass
                case Action.KEY_SPENT if keys_spent < MAX_KEYS_SPENT and call.idempotency_key:
                    keys_spent += 1
                    attempt -= 1  # not a failure: a fresh question, asked at once
                    call = replace(call, idempotency_key=next_idempotency_key(call.idempotency_key))
                    continue
                case _:
                    raise error_for(answer, resource, call.operation, call.doc_key)
            await self._before_next(
                attempt, answer, error_for(answer, resource, call.operation, call.doc_key)
            )

    async def _resolve_in_doubt[T](self, call: Call, lookup: Callable[[], Awaitable[T | None]]) -> T | None:
        """Did the unanswered write land? The record if so, None if not; InDoubt if we cannot tell."""
        try:
            return await lookup()
        except TransientError as error:
            raise InDoubt(
                f"{call.operation} for {call.doc_key} got no answer and the lookup failed "
                f"({type(error).__name__}); look it up again before writing",
                retry_after=error.retry_after,
            ) from None

    async def _resolve_duplicate[T](
        self,
        call: Call,
        answer: Answer,
        lookup: Callable[[], Awaitable[T | None]],
        fetch: Callable[[str], Awaitable[T | None]] | None,
    ) -> T:
        existing_id = answer.problem.existing_id if answer.problem else None
        found = await fetch(existing_id) if fetch and existing_id else None
        if found is None:
            found = await self._resolve_in_doubt(call, lookup)
        if found is None:
            detail = describe(call.operation, call.doc_key, answer.status, answer.problem)
            raise InDoubt(f"{detail}; but the existing record cannot be read yet")
        return found

    async def _before_next(self, attempt: int, answer: Answer | None, exhausted: Exception) -> None:
        """Sleep before the next attempt, or raise `exhausted` when attempts are spent; a Retry-After
        longer than a call waits goes back to the trigger shell as RateLimited."""
        retry_after = answer.retry_after if answer else None
        if not self._backoff.gives_up(attempt, retry_after):
            await self._sleep(self._backoff.delay(attempt, retry_after, self._rng))
            return
        if attempt < self._backoff.attempts and not isinstance(exhausted, RateLimited):
            raise RateLimited(str(exhausted), retry_after=retry_after)  # attempts left, pause too long
        raise exhausted


def expect(answer: Answer, resource: Resource, call: Call) -> dict[str, Any]:
    """The JSON object of a successful answer; anything else becomes its error."""
    if answer.rule.action is not Action.SUCCESS:
        raise error_for(answer, resource, call.operation, call.doc_key)
    if not isinstance(answer.body, dict):
        raise UnexpectedResponse(f"{call.operation} answered {answer.status} without a JSON object")
    return answer.body


def parse[T: BaseModel](model: type[T], body: Any, call: Call) -> T:
    try:
        return model.model_validate(body)
    except ValidationError as error:
        raise UnexpectedResponse(
            f"{call.operation} answered a {model.__name__} that does not fit: {field_places(error)}"
        ) from None


def parse_list[T: BaseModel](model: type[T], body: dict[str, Any], call: Call) -> list[T]:
    data = body.get("data")
    if not isinstance(data, list):
        raise UnexpectedResponse(f"{call.operation} answered without a data list")
    return [parse(model, item, call) for item in data]


def field_places(error: ValidationError) -> str:
    """Which fields did not fit, never their values (a body may hold personal data)."""
    return ", ".join(sorted({".".join(str(p) for p in item["loc"]) or "body" for item in error.errors()}))
