"""The outcome table: every HTTP outcome, BC error code and fault has one action and one failure type."""

from __future__ import annotations

import pytest

from shared.bc.errors import (
    BcAccessDenied,
    BcFailure,
    BcRecordNotFound,
    BcRequestRejected,
)
from shared.bc.outcomes import OUTCOMES, Action, Fault, failure, rule_for
from shared.errors import ConcurrencyConflict, InDoubt, PermanentError, RateLimited, TransientError
from shared.ops.catalogue import CATALOGUE

A = Action


@pytest.mark.parametrize(
    ("outcome", "code", "read", "write", "failure_type"),
    [
        (200, None, A.SUCCEED, A.SUCCEED, None),
        (201, None, A.SUCCEED, A.SUCCEED, None),
        (204, None, A.SUCCEED, A.SUCCEED, None),
        (401, "Authentication_InvalidCredentials", A.REFRESH_TOKEN, A.REFRESH_TOKEN, BcAccessDenied),
        (401, None, A.REFRESH_TOKEN, A.REFRESH_TOKEN, BcAccessDenied),
        (403, "Authorization_InsufficientPermissions", A.FAIL, A.FAIL, BcAccessDenied),
        (400, "Application_DialogException", A.FAIL, A.FAIL, BcRequestRejected),
        (400, "BadRequest_InvalidToken", A.FAIL, A.FAIL, BcRequestRejected),
        (400, "Internal_EntityWithSameKeyExists", A.FAIL, A.FAIL, BcRequestRejected),
        (404, "Internal_RecordNotFound", A.FAIL, A.FAIL, BcRecordNotFound),
        (404, "BadRequest_ResourceNotFound", A.FAIL, A.FAIL, BcRecordNotFound),
        (422, None, A.FAIL, A.FAIL, BcRequestRejected),
        (409, "Request_EntityChanged", A.CONFLICT, A.CONFLICT, ConcurrencyConflict),
        (412, None, A.CONFLICT, A.CONFLICT, ConcurrencyConflict),
        (400, "Request_EntityChanged", A.CONFLICT, A.CONFLICT, ConcurrencyConflict),  # the code wins
        (408, None, A.RETRY, A.IN_DOUBT, TransientError),
        (429, None, A.RATE_LIMITED, A.RATE_LIMITED, RateLimited),
        (500, "Internal_ServerError", A.RETRY, A.IN_DOUBT, TransientError),
        (502, None, A.RETRY, A.IN_DOUBT, TransientError),
        (503, None, A.RATE_LIMITED, A.RATE_LIMITED, RateLimited),
        (504, None, A.RETRY, A.IN_DOUBT, TransientError),
        (507, None, A.RETRY, A.IN_DOUBT, TransientError),  # any other 5xx
        (418, None, A.FAIL, A.FAIL, BcRequestRejected),  # any other 4xx
        (Fault.NOT_SENT, None, A.RETRY, A.RETRY, TransientError),
        (Fault.TIMED_OUT, None, A.RETRY, A.IN_DOUBT, TransientError),
        (Fault.CONNECTION_LOST, None, A.RETRY, A.IN_DOUBT, TransientError),
    ],
)
def test_each_outcome_has_one_action_for_reads_one_for_once_only_writes_and_a_failure_type(
    outcome: int | Fault, code: str | None, read: Action, write: Action, failure_type: type[Exception] | None
) -> None:
    rule = rule_for(outcome, code)
    assert (rule.action(repeatable=True), rule.action(repeatable=False)) == (read, write)
    if failure_type is not None:
        assert rule.failure is failure_type


def test_a_once_only_write_in_doubt_fails_as_in_doubt_naming_the_operation_not_the_payload() -> None:
    rule = rule_for(Fault.TIMED_OUT)
    error = failure(
        rule, Action.IN_DOUBT, operation="POST salesCreditMemos", outcome=Fault.TIMED_OUT, bc_code=None
    )
    assert isinstance(error, InDoubt)
    assert str(error).startswith("POST salesCreditMemos → timed_out")


def test_a_bc_failure_carries_status_and_error_code_but_never_bcs_message() -> None:
    rule = rule_for(400, "Application_DialogException")
    error = failure(
        rule,
        Action.FAIL,
        operation="POST salesCreditMemos",
        outcome=400,
        bc_code="Application_DialogException",
        business_key="RET-1",
    )
    assert isinstance(error, BcRequestRejected)
    assert isinstance(error, PermanentError)
    assert (error.status, error.bc_code, error.business_key) == (400, "Application_DialogException", "RET-1")
    assert error.exception_type == "BC_REQUEST_REJECTED"
    assert str(error) == "BC_REQUEST_REJECTED: POST salesCreditMemos → HTTP 400 Application_DialogException"


def test_a_rate_limit_failure_keeps_retry_after_for_the_trigger_shell() -> None:
    error = failure(
        rule_for(429), Action.RATE_LIMITED, operation="GET items", outcome=429, bc_code=None, retry_after=42
    )
    assert isinstance(error, RateLimited)
    assert error.retry_after == 42


def test_every_permanent_failure_type_has_a_catalogue_entry_or_a_proposed_one() -> None:
    known = set(CATALOGUE)
    failure_types = {rule.failure for rule in OUTCOMES.values()} | {BcFailure}
    codes = {t.code for t in failure_types if issubclass(t, BcFailure)}
    assert codes == {"BC_REQUEST_REJECTED", "BC_RECORD_NOT_FOUND", "BC_ACCESS_DENIED"}
    assert codes <= known
