"""`$batch`: many operations in one request, at most 100 each (reference §5), results mapped per operation.

Every operation's status and error code go through the same outcome table as a single request
(`outcomes.rule_for`), so a 409 inside a batch is a `ConcurrencyConflict` like anywhere else.
A batch holding a write is once-only as a whole: a batch that timed out after it was sent is in
doubt, never resent (see `outcomes`). With `atomic=True` the batch carries `Isolation: snapshot`:
BC runs it in one transaction and rolls all of it back when one operation fails.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from shared.bc.http import BcHttp, BcRequest, operation_name
from shared.bc.outcomes import Action, failure, rule_for
from shared.errors import IntegrationError

MAX_OPERATIONS = 100


@dataclass(frozen=True, slots=True)
class BatchOperation:
    method: str
    url: str  # relative to the service root, e.g. `companies(…)/salesOrders(…)/salesOrderLines(…)`
    body: Mapping[str, Any] | None = None
    if_match: str | None = None
    business_key: str | None = None


@dataclass(frozen=True, slots=True)
class BatchResult:
    operation: BatchOperation
    status: int
    body: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)
    error: IntegrationError | None = None
    rolled_back: bool = False  # it ran, but another operation of its atomic batch failed

    @property
    def ok(self) -> bool:
        return self.error is None and not self.rolled_back


def chunked[T](items: Sequence[T], size: int = MAX_OPERATIONS) -> Iterator[Sequence[T]]:
    if size < 1 or size > MAX_OPERATIONS:
        raise ValueError(f"a batch holds 1 to {MAX_OPERATIONS} operations")
    for start in range(0, len(items), size):
        yield items[start : start + size]


def raise_first_error(results: Iterable[BatchResult]) -> None:
    """Raise the first operation's error, if any operation failed."""
    for result in results:
        if result.error is not None:
            raise result.error


async def run_batch(
    http: BcHttp,
    service_root: str,
    operations: Sequence[BatchOperation],
    *,
    atomic: bool = False,
    size: int = MAX_OPERATIONS,
    repeatable: bool | None = None,
) -> list[BatchResult]:
    """Send the operations in batches of at most `size`; one result per operation, in order.

    `atomic` applies per batch: with more than `size` operations, earlier batches stay committed
    when a later one fails. A batch is safe to resend when it only reads, or when the caller says
    every write in it is idempotent (`repeatable=True`: the companion extension's documents).
    """
    results: list[BatchResult] = []
    for chunk in chunked(operations, size):
        resend = all(op.method.upper() == "GET" for op in chunk) if repeatable is None else repeatable
        results.extend(await _send_chunk(http, service_root.rstrip("/"), chunk, atomic, resend))
    return results


async def _send_chunk(
    http: BcHttp, service_root: str, chunk: Sequence[BatchOperation], atomic: bool, repeatable: bool
) -> list[BatchResult]:
    requests = []
    for index, op in enumerate(chunk):
        headers = {"Content-Type": "application/json"} if op.body is not None else {}
        if op.if_match is not None:
            headers["If-Match"] = op.if_match
        request: dict[str, Any] = {"id": str(index), "method": op.method.upper(), "url": op.url}
        if headers:
            request["headers"] = headers
        if op.body is not None:
            request["body"] = op.body
        requests.append(request)
    response = await http.send(
        BcRequest(
            "POST",
            f"{service_root}/$batch",
            body={"requests": requests},
            headers={"Isolation": "snapshot"} if atomic else {},
            repeatable=repeatable,
        )
    )
    answers = {str(item.get("id")): item for item in response.json().get("responses", [])}
    results = [_result(op, answers.get(str(index))) for index, op in enumerate(chunk)]
    if atomic and any(r.error is not None for r in results):
        # BC answers every operation, but with one failure it rolled all of them back.
        results = [r if r.error is not None else replace(r, rolled_back=True) for r in results]
    return results


def _result(op: BatchOperation, answer: Mapping[str, Any] | None) -> BatchResult:
    operation = operation_name(op.method, "/api/v2.0/" + op.url)
    if answer is None:  # BC left it out: it did not run, or we cannot tell
        rule = rule_for(500)
        action = rule.action(op.method.upper() == "GET")
        error = failure(rule, action, operation=operation, outcome=500, bc_code="MissingBatchResponse")
        return BatchResult(op, 0, error=error)
    status = int(answer.get("status", 0))
    body = answer.get("body")
    headers = {str(k): str(v) for k, v in (answer.get("headers") or {}).items()}
    bc_code = _code(body)
    rule = rule_for(status, bc_code)
    action = rule.action(op.method.upper() in ("GET", "PATCH", "DELETE"))
    if action is Action.SUCCEED:
        return BatchResult(op, status, body, headers)
    error = failure(
        rule, action, operation=operation, outcome=status, bc_code=bc_code, business_key=op.business_key
    )
    return BatchResult(op, status, body, headers, error)


def _code(body: Any) -> str | None:
    error = body.get("error") if isinstance(body, dict) else None
    code = error.get("code") if isinstance(error, dict) else None
    return code if isinstance(code, str) else None
