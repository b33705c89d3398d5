"""The one table that turns a Business Central outcome into an action and a failure type.

An outcome is an HTTP status, a BC error code from the body (`{"error": {"code": ...}}`), or a
fault with no response at all. BC's error code wins over the status when the table knows it.

Every row has two actions: one for requests that are safe to send again (reads, `If-Match`
updates and deletes, writes declared repeatable) and one for writes that are not. Why the second
column exists, the race it prevents:
  1. we POST a credit memo; BC commits it;
  2. the response is lost (timeout, dropped connection, 504 from the gateway);
  3. a blind resend creates a second credit memo.
So such an outcome on a once-only write is `IN_DOUBT`: the flow looks the document up by our
reference before it writes again. Only outcomes that prove nothing ran (401, 429, 503, a
connection that never opened) are resent.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from shared.bc.errors import BcAccessDenied, BcFailure, BcRecordNotFound, BcRequestRejected
from shared.errors import ConcurrencyConflict, InDoubt, IntegrationError, RateLimited, TransientError


class Action(StrEnum):
    SUCCEED = "succeed"
    RETRY = "retry"  # back off (never sooner than Retry-After) and send again
    RATE_LIMITED = "rate_limited"  # the same, and `RateLimited` once the attempts are spent
    REFRESH_TOKEN = "refresh_token"  # noqa: S105 - get a new token and send again, once
    CONFLICT = "conflict"  # stale ETag: re-read and decide again (the flow's job)
    FAIL = "fail"  # permanent: a person must fix something
    IN_DOUBT = "in_doubt"  # a once-only write may have committed: look it up before writing again


class Fault(StrEnum):
    """Outcomes without a response."""

    NOT_SENT = "not_sent"  # connect refused or timed out, no pooled connection: BC saw nothing
    TIMED_OUT = "timed_out"  # sent, no answer in time
    CONNECTION_LOST = "connection_lost"  # sent, the connection dropped before the answer


@dataclass(frozen=True, slots=True)
class Rule:
    repeatable: Action
    once_only: Action
    failure: type[IntegrationError]

    def action(self, repeatable: bool) -> Action:
        return self.repeatable if repeatable else self.once_only


A = Action
_OK = Rule(A.SUCCEED, A.SUCCEED, IntegrationError)
_REJECTED = Rule(A.FAIL, A.FAIL, BcRequestRejected)
_SERVER = Rule(A.RETRY, A.IN_DOUBT, TransientError)

OUTCOMES: dict[int | Fault | str, Rule] = {
    # HTTP status
    401: Rule(A.REFRESH_TOKEN, A.REFRESH_TOKEN, BcAccessDenied),
    403: Rule(A.FAIL, A.FAIL, BcAccessDenied),
    404: Rule(A.FAIL, A.FAIL, BcRecordNotFound),
    400: _REJECTED,
    405: _REJECTED,
    413: _REJECTED,  # page or body too large: the request must change
    422: _REJECTED,
    408: _SERVER,  # BC cancelled the session after 8 min: a posting may have committed
    409: Rule(A.CONFLICT, A.CONFLICT, ConcurrencyConflict),
    412: Rule(A.CONFLICT, A.CONFLICT, ConcurrencyConflict),
    429: Rule(A.RATE_LIMITED, A.RATE_LIMITED, RateLimited),  # refused before it ran
    500: _SERVER,  # posting code commits part-way, so a 500 does not prove a rollback
    502: _SERVER,
    503: Rule(A.RATE_LIMITED, A.RATE_LIMITED, RateLimited),  # queued too long / unavailable: never ran
    504: _SERVER,
    # No response
    Fault.NOT_SENT: Rule(A.RETRY, A.RETRY, TransientError),
    Fault.TIMED_OUT: _SERVER,
    Fault.CONNECTION_LOST: _SERVER,
    # BC error codes (reference §5, §6), ahead of the status
    "Request_EntityChanged": Rule(A.CONFLICT, A.CONFLICT, ConcurrencyConflict),
    "BadRequest_InvalidToken": _REJECTED,  # an update without If-Match: a defect in the caller
    "Internal_EntityWithSameKeyExists": _REJECTED,
    "Authentication_*": Rule(A.REFRESH_TOKEN, A.REFRESH_TOKEN, BcAccessDenied),
    "Authorization_*": Rule(A.FAIL, A.FAIL, BcAccessDenied),
}


def rule_for(outcome: int | Fault, bc_code: str | None = None) -> Rule:
    """The row for an outcome: BC's error code (exact, then its category), else the status or fault."""
    if bc_code:
        for key in (bc_code, bc_code.split("_", 1)[0] + "_*"):
            if key in OUTCOMES:
                return OUTCOMES[key]
    if outcome in OUTCOMES:
        return OUTCOMES[outcome]
    if isinstance(outcome, int) and 200 <= outcome < 300:
        return _OK
    if isinstance(outcome, int) and outcome >= 500:
        return _SERVER
    return _REJECTED


def failure(
    rule: Rule,
    action: Action,
    *,
    operation: str,
    outcome: int | Fault,
    bc_code: str | None,
    retry_after: float | None = None,
    business_key: str | None = None,
) -> IntegrationError:
    """The exception to raise when `action` ends the request without success."""
    status = outcome if isinstance(outcome, int) else None
    what = f"{operation} → {f'HTTP {outcome}' if status is not None else str(outcome)}"
    if bc_code:
        what += f" {bc_code}"
    if action is Action.IN_DOUBT:
        return InDoubt(f"{what}: the write may have committed; look it up before writing again")
    if issubclass(rule.failure, BcFailure):
        return rule.failure(operation, status, bc_code, business_key=business_key)
    if issubclass(rule.failure, TransientError):
        return rule.failure(what, retry_after=retry_after)
    return rule.failure(what)
