"""The OpenAPI 3.1 document of every HTTP route of the app, served at `GET /api/ops/openapi.json`.

`OPERATIONS` holds one entry per (method, path); a test keeps it equal to the routes
`function_app.py` registers, so the document cannot drift from the app.
"""

from __future__ import annotations

from typing import Any

from shared import __version__

FUNCTION_KEY: list[dict[str, list[str]]] = [{"functionKey": []}]
_ERROR = {
    "description": "refused",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
}


def _json(description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": schema or {"type": "object"}}},
    }


def _path_params(*names: str) -> list[dict[str, Any]]:
    return [{"name": n, "in": "path", "required": True, "schema": {"type": "string"}} for n in names]


def _query(name: str, description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": schema or {"type": "string"}}  # fmt: skip


EXCEPTION_KEY = _path_params("kind", "type", "key")

OPERATIONS: dict[tuple[str, str], dict[str, Any]] = {
    ("GET", "/api/health"): {
        "summary": "Liveness: version, and whether the settings loaded (no key)",
        "security": [],
        "responses": {
            "200": _json("healthy"),
            "503": _json("a setting is missing or invalid (named, never its value)"),
        },
    },
    ("GET", "/api/bc/notifications"): {
        "summary": "Business Central's validationToken handshake on subscription create and renew",
        "parameters": [_query("validationToken", "echoed back as text/plain")],
        "responses": {
            "200": {"description": "the token", "content": {"text/plain": {"schema": {"type": "string"}}}},
            "400": {"description": "invalid validationToken"},
            "405": {"description": "not GET or POST"},
        },
    },
    ("POST", "/api/bc/notifications"): {
        "summary": "BC webhook notifications: a doorbell for the matching poll (clientState checked)",
        "parameters": [_query("validationToken", "present on a handshake")],
        "requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}},
        "responses": {
            "202": {"description": "a poll request was enqueued"},
            "200": {
                "description": "the handshake token",
                "content": {"text/plain": {"schema": {"type": "string"}}},
            },
            "400": {"description": "not a notification batch"},
            "401": {"description": "clientState differs"},
            "413": {"description": "body too large"},
            "503": {"description": "queue unavailable"},
        },
    },
    ("POST", "/api/scend/events"): {
        "summary": "Scend webhooks, HMAC-signed (Scend-Webhook-Id, -Timestamp, -Signature); no key",
        "security": [],
        "requestBody": {"required": True, "content": {"application/json": {"schema": {"type": "object"}}}},
        "responses": {
            "202": _json("accepted, duplicate or ignored"),
            "400": _ERROR,
            "401": _ERROR,
            "405": _ERROR,
            "413": _ERROR,
            "503": _ERROR,
        },
    },
    ("GET", "/api/ops/exceptions"): {
        "summary": "Exceptions with owner, meaning, fix hint and BC link, a page at a time",
        "parameters": [
            _query(
                "status",
                "open (default), resolved or all",
                {"type": "string", "enum": ["open", "resolved", "all"]},
            ),
            _query("owner", "the owner team"),
            _query("kind", "the document kind"),
            _query("type", "the catalogue code"),
            _query("page_size", "1 to 200 (default 50)", {"type": "integer", "minimum": 1, "maximum": 200}),
            _query("continuation", "from the previous page"),
        ],
        "responses": {"200": _json("a page", {"$ref": "#/components/schemas/ExceptionPage"}), "400": _ERROR},
    },
    ("POST", "/api/ops/exceptions/{kind}/{type}/{key}/retry"): {
        "summary": "Send the exception's document back through its flow (its success resolves it)",
        "parameters": EXCEPTION_KEY,
        "responses": {"202": _json("re-queued"), "404": _ERROR, "409": _ERROR},
    },
    ("POST", "/api/ops/exceptions/{kind}/{type}/{key}/resolve"): {
        "summary": "Close an exception by hand, saying why",
        "parameters": EXCEPTION_KEY,
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "required": ["reason"],
                        "properties": {"reason": {"type": "string", "minLength": 1, "maxLength": 1000}},
                    }
                }
            },
        },
        "responses": {"200": _json("resolved"), "400": _ERROR, "404": _ERROR, "413": _ERROR},
    },
    ("GET", "/api/ops/orders/{number}/timeline"): {
        "summary": "An order's timeline by BC number: released, accepted, despatched, invoiced, returns",
        "parameters": _path_params("number"),
        "responses": {"200": _json("the steps, oldest first"), "404": _ERROR},
    },
    ("GET", "/api/ops/reconciliations/latest"): {
        "summary": "The latest stock reconciliation and its unexplained differences",
        "responses": {"200": _json("the run"), "404": _ERROR},
    },
    ("GET", "/api/ops/health"): {
        "summary": "Deep health: BC and Scend reachable, queue depths, dead letters, watermark ages",
        "responses": {"200": _json("healthy"), "503": _json("something is unreachable")},
    },
    ("GET", "/api/ops/dashboard"): {
        "summary": "The operations dashboard (server-rendered HTML)",
        "responses": {
            "200": {"description": "the page", "content": {"text/html": {"schema": {"type": "string"}}}}
        },
    },
    ("GET", "/api/ops/openapi.json"): {
        "summary": "This document",
        "responses": {"200": _json("OpenAPI 3.1")},
    },
}


def openapi_document() -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for (method, path), operation in sorted(OPERATIONS.items()):
        op_id = method.lower() + path.replace("/api", "").replace("/", "_").replace("{", "").replace("}", "")
        paths.setdefault(path, {})[method.lower()] = {"operationId": op_id, **operation}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Business Central ↔ Scend integration", "version": __version__},
        "paths": paths,
        "security": FUNCTION_KEY,
        "components": {
            "securitySchemes": {"functionKey": {"type": "apiKey", "in": "header", "name": "x-functions-key"}},
            "schemas": {
                "Error": {"type": "object", "properties": {"error": {"type": "string"}}},
                "ExceptionPage": {
                    "type": "object",
                    "required": ["items", "continuation"],
                    "properties": {
                        "items": {"type": "array", "items": {"type": "object"}},
                        "continuation": {"type": ["string", "null"]},
                    },
                },
            },
        },
    }
