"""The outcome table itself: every status and code the contract names maps to one action."""

from __future__ import annotations

import pytest

from shared.ops.catalogue import CATALOGUE
from shared.scend.outcomes import (
    OUTCOMES,
    REJECTED_AS,
    Action,
    Problem,
    describe,
    rule_for,
)


@pytest.mark.parametrize(
    ("status", "code", "action", "exception_type"),
    [
        (200, None, Action.SUCCESS, None),
        (201, None, Action.SUCCESS, None),
        (400, "VALIDATION_FAILED", Action.REJECTED, None),
        (422, "VALIDATION_FAILED", Action.REJECTED, None),
        (422, "INVALID_ADDRESS", Action.REJECTED, None),
        (422, "SKU_NOT_FOUND", Action.REJECTED, "SKU_NOT_IN_WMS"),
        (422, "UNKNOWN_SERVICE_CODE", Action.REJECTED, "MAPPING_MISSING"),
        (401, "UNAUTHORIZED", Action.REFRESH_CREDENTIAL, "SCEND_AUTH_FAILED"),
        (403, "FORBIDDEN", Action.REFRESH_CREDENTIAL, "SCEND_AUTH_FAILED"),
        (404, "NOT_FOUND", Action.NOT_FOUND, None),
        (409, "DUPLICATE_REFERENCE", Action.RESOLVE_DUPLICATE, None),
        (409, "ORDER_NOT_CANCELLABLE", Action.NOT_CANCELLABLE, "ORDER_NOT_CANCELLABLE"),
        (409, "IDEMPOTENCY_KEY_IN_FLIGHT", Action.RETRY, None),
        (429, "RATE_LIMITED", Action.RATE_LIMITED, None),
        (503, "UNAVAILABLE", Action.RATE_LIMITED, None),
        (500, "INTERNAL", Action.RETRY, None),
        (502, None, Action.RETRY, None),
        (504, None, Action.RETRY, None),
        (408, None, Action.RETRY, None),
        (302, None, Action.UNEXPECTED, None),
        (405, "METHOD_NOT_ALLOWED", Action.UNEXPECTED, None),
    ],
)
def test_each_outcome_has_one_action(
    status: int, code: str | None, action: Action, exception_type: str | None
) -> None:
    rule = rule_for(status, code)
    assert (rule.action, rule.exception_type) == (action, exception_type)


def test_every_code_the_table_can_raise_is_in_the_catalogue() -> None:
    raised = {r.exception_type for r in OUTCOMES.values() if r.exception_type}
    raised |= set(REJECTED_AS.values()) | {"ORDER_NOT_IN_WMS"}
    assert raised - set(CATALOGUE) == set()


def test_a_description_names_codes_fields_and_request_but_never_text() -> None:
    problem = Problem.model_validate(
        {
            "status": 422,
            "code": "VALIDATION_FAILED",
            "title": "Ada's order",
            "detail": "phone +44 20 7946 0000 is not valid",
            "errors": [{"field": "ship_to.phone", "code": "INVALID", "message": "+44 20 7946 0000"}],
            "request_id": "req-9",
        }
    )
    text = describe("POST /orders", "SO-1", 422, problem)
    assert text == (
        "Scend answered 422 (VALIDATION_FAILED) to POST /orders for SO-1; "
        "fields: ship_to.phone=INVALID; request req-9"
    )


def test_a_body_that_is_not_a_problem_is_none() -> None:
    assert Problem.from_body("<html>Bad gateway</html>") is None
    assert Problem.from_body({"status": "not a number"}) is None
