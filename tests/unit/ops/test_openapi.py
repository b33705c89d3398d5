"""The OpenAPI document is true: every HTTP route the app registers is in it, nothing else is, and
it loads as an OpenAPI 3.1 document."""

from __future__ import annotations

from typing import Any

import schemathesis

import function_app
from shared.ops.openapi import OPERATIONS, openapi_document


def http_triggers() -> list[Any]:
    """The app's HTTP triggers (get_functions() refuses names it has seen: start a clean record,
    as the dev host does)."""
    function_app.app.functions_bindings = None  # type: ignore[assignment]
    triggers = [f.get_trigger() for f in function_app.app.get_functions()]
    return [t for t in triggers if t.type == "httpTrigger"]


def registered_routes() -> set[tuple[str, str]]:
    return {(str(m.value), f"/api/{t.route}") for t in http_triggers() for m in t.methods or ()}


def test_every_http_route_is_documented_and_every_documented_route_exists() -> None:
    assert registered_routes() == set(OPERATIONS)


def test_the_document_loads_as_openapi_with_one_operation_per_route() -> None:
    document = openapi_document()
    schema = schemathesis.openapi.from_dict(document)
    operations = {(op.method.upper(), op.path) for op in (r.ok() for r in schema.get_all_operations())}
    assert operations == set(OPERATIONS)
    ids = [op["operationId"] for path in document["paths"].values() for op in path.values()]
    assert len(ids) == len(set(ids))


def test_only_the_health_check_and_the_signed_scend_intake_go_without_a_function_key() -> None:
    open_routes = {key for key, operation in OPERATIONS.items() if operation.get("security") == []}
    assert open_routes == {("GET", "/api/health"), ("POST", "/api/scend/events")}
    anonymous = {
        (str(m.value), f"/api/{t.route}")
        for t in http_triggers()
        if str(t.auth_level.value).lower() == "anonymous"
        for m in t.methods or ()
    }
    assert anonymous == open_routes
