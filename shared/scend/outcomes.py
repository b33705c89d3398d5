"""The one table from a Scend HTTP outcome to an action, and the errors the actions raise (§3.4).

The adapter asks `rule_for(status, code)` what to do and never branches on status codes itself.
Errors carry the status, Scend's code, the field paths Scend named and its request id: never a
message or a value from either body, since an order carries names, addresses, emails and phones.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from shared.errors import PermanentError, RateLimited, TransientError


class Action(StrEnum):
    SUCCESS = "success"
    NOT_FOUND = "not_found"  # a lookup answers None
    RESOLVE_DUPLICATE = "resolve_duplicate"  # the record exists already: fetch it, that is success
    NOT_CANCELLABLE = "not_cancellable"
    REFRESH_CREDENTIAL = "refresh_credential"  # once; then permanent
    REJECTED = "rejected"  # permanent: a person must fix the data first
    RATE_LIMITED = "rate_limited"  # wait at least Retry-After, same Idempotency-Key
    KEY_SPENT = "key_spent"  # a refusal replayed for an old key: ask again under the next key
    RETRY = "retry"  # transient; a write looks itself up before it is sent again
    UNEXPECTED = "unexpected"  # a defect on one side or the other


class Resource(StrEnum):
    """What a write was about: decides the catalogue code of a plain rejection."""

    PRODUCT = "product"
    ORDER = "order"
    CANCEL = "cancel"
    ASN = "asn"
    READ = "read"  # a lookup or a feed: a refusal means our request is wrong (a defect)


@dataclass(frozen=True, slots=True)
class Rule:
    action: Action
    exception_type: str | None = None  # a fixed catalogue code; None → the resource's own


REJECTED_AS: dict[Resource, str] = {
    Resource.PRODUCT: "ITEM_REJECTED_BY_WMS",
    Resource.ORDER: "ORDER_REJECTED_BY_WMS",
    Resource.CANCEL: "ORDER_REJECTED_BY_WMS",
    Resource.ASN: "ASN_REJECTED_BY_WMS",
}

_AUTH = Rule(Action.REFRESH_CREDENTIAL, "SCEND_AUTH_FAILED")
_RETRY = Rule(Action.RETRY)
_REJECTED = Rule(Action.REJECTED)

# (status, problem code) → rule; a code of None matches any code for that status.
OUTCOMES: Mapping[tuple[int, str | None], Rule] = {
    (400, None): _REJECTED,
    (400, "SKU_NOT_FOUND"): Rule(Action.REJECTED, "SKU_NOT_IN_WMS"),
    (400, "UNKNOWN_SERVICE_CODE"): Rule(Action.REJECTED, "MAPPING_MISSING"),
    (422, None): _REJECTED,  # VALIDATION_FAILED, INVALID_ADDRESS and any code not named here
    (422, "SKU_NOT_FOUND"): Rule(Action.REJECTED, "SKU_NOT_IN_WMS"),
    (422, "UNKNOWN_SERVICE_CODE"): Rule(Action.REJECTED, "MAPPING_MISSING"),
    (422, "IDEMPOTENCY_KEY_REUSED"): Rule(Action.KEY_SPENT),
    (401, None): _AUTH,
    (403, None): _AUTH,
    (404, None): Rule(Action.NOT_FOUND),
    (408, None): _RETRY,
    (409, "DUPLICATE_REFERENCE"): Rule(Action.RESOLVE_DUPLICATE),
    (409, "ORDER_NOT_CANCELLABLE"): Rule(Action.NOT_CANCELLABLE, "ORDER_NOT_CANCELLABLE"),
    (409, "ASN_NOT_CANCELLABLE"): Rule(Action.NOT_CANCELLABLE, "ASN_NOT_CANCELLABLE"),
    (409, None): _RETRY,  # e.g. the same Idempotency-Key still in flight
    (429, None): Rule(Action.RATE_LIMITED),
    (503, None): Rule(Action.RATE_LIMITED),  # maintenance, with Retry-After
}


def rule_for(status: int, code: str | None, *, replayed: bool = False) -> Rule:
    """The rule for an answer: exact (status, code), then (status, any code), then its class.

    `replayed`: Scend answered from its idempotency store (`Idempotent-Replayed: true`). A replayed
    refusal is history, not news: the order refused for an unknown SKU yesterday, re-driven today
    after the item export, would be refused again forever under the same key. So it means
    KEY_SPENT: ask again under the next key of the write's deterministic chain.
    """
    if 200 <= status < 300:
        return Rule(Action.SUCCESS)
    rule = OUTCOMES.get((status, code)) or OUTCOMES.get((status, None))
    if rule is None:
        rule = _RETRY if status >= 500 else Rule(Action.UNEXPECTED)
    if replayed and rule.action in (Action.REJECTED, Action.NOT_CANCELLABLE):
        return Rule(Action.KEY_SPENT)
    return rule


class FieldProblem(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    field: str | None = None
    code: str | None = None


class Problem(BaseModel):
    """An `application/problem+json` body; `detail`, `title` and messages are read, never repeated."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    status: int | None = None
    code: str | None = None
    errors: list[FieldProblem] = []
    request_id: str | None = None
    existing_id: str | None = None
    current_status: str | None = None

    @classmethod
    def from_body(cls, body: Any) -> Problem | None:
        if not isinstance(body, dict):
            return None
        try:
            return cls.model_validate(body)
        except ValidationError:
            return None


def describe(operation: str, doc_key: str | None, status: int, problem: Problem | None) -> str:
    """A detail line safe for logs and exception rows: codes, field paths and ids only."""
    code = problem.code if problem and problem.code else "no code"
    text = f"Scend answered {status} ({code}) to {operation}"
    if doc_key:
        text += f" for {doc_key}"
    if problem and problem.errors:
        fields = ", ".join(f"{p.field or '?'}={p.code or '?'}" for p in problem.errors)
        text += f"; fields: {fields}"
    if problem and problem.request_id:
        text += f"; request {problem.request_id}"
    return text


class ScendRejected(PermanentError):
    """Scend refused the request; sending it again unchanged cannot help.

    `exception_type` says who fixes it (catalogue); `fields` are the paths Scend named, such as
    `lines[1].sku`, so a flow can tell which of its own lines were refused without Scend's text.
    A flow treats `SKU_NOT_IN_WMS` as a dependency: hold the order until the item export confirms.
    """

    def __init__(
        self, exception_type: str, detail: str, *, status: int, code: str | None, fields: list[str]
    ) -> None:
        super().__init__(exception_type, detail)
        self.status = status
        self.code = code
        self.fields = fields


class OrderNotCancellable(ScendRejected):
    """Scend has started picking the order (or receiving the ASN), so it can no longer be
    cancelled or changed; `exception_type` says which (`ORDER_…` or `ASN_NOT_CANCELLABLE`)."""

    def __init__(
        self,
        detail: str,
        *,
        status: int,
        current_status: str | None,
        exception_type: str = "ORDER_NOT_CANCELLABLE",
    ) -> None:
        super().__init__(exception_type, detail, status=status, code=exception_type, fields=[])
        self.current_status = current_status


class UnexpectedResponse(RuntimeError):
    """Scend answered in a way the contract does not allow: a defect, not data.

    Deliberately outside the taxonomy, so it escapes the trigger shell and reaches the broker's
    dead-letter queue with a stack trace for IT.
    """


@dataclass(frozen=True, slots=True)
class Answer:
    """One HTTP answer from Scend, classified: what the table says to do with it."""

    status: int
    body: Any
    rule: Rule
    problem: Problem | None
    retry_after: float | None
    replayed: bool = False


def error_for(answer: Answer, resource: Resource, operation: str, doc_key: str | None) -> Exception:
    """The exception an answer becomes when the caller has no better use for it."""
    rule, status, problem = answer.rule, answer.status, answer.problem
    if rule.action is Action.KEY_SPENT:  # out of fresh keys: the refusal as it stands
        rule = rule_for(status, problem.code if problem else None)
    detail = describe(operation, doc_key, status, problem)
    code = problem.code if problem else None
    fields = [p.field for p in problem.errors if p.field] if problem else []
    if resource is Resource.READ and rule.action in (Action.REJECTED, Action.NOT_FOUND):
        return UnexpectedResponse(detail)
    match rule.action:
        case Action.NOT_CANCELLABLE:
            return OrderNotCancellable(
                detail,
                status=status,
                current_status=problem.current_status if problem else None,
                exception_type=rule.exception_type or "ORDER_NOT_CANCELLABLE",
            )
        case Action.REJECTED | Action.REFRESH_CREDENTIAL:
            exception_type = rule.exception_type or REJECTED_AS[resource]
            return ScendRejected(exception_type, detail, status=status, code=code, fields=fields)
        case Action.NOT_FOUND if resource is Resource.CANCEL:
            return ScendRejected("ORDER_NOT_IN_WMS", detail, status=status, code=code, fields=fields)
        case Action.NOT_FOUND:
            return ScendRejected(REJECTED_AS[resource], detail, status=status, code=code, fields=fields)
        case Action.RATE_LIMITED:
            return RateLimited(detail, retry_after=answer.retry_after)
        case Action.RETRY:
            return TransientError(detail, retry_after=answer.retry_after)
        case _:
            return UnexpectedResponse(detail)
