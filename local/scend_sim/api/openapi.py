"""The OpenAPI 3.1 document of the contract as simulated (`GET /openapi.json`).

Schemas come from the same pydantic models the handlers validate with and answer from, so the
document cannot drift from the behaviour; this module only adds paths, parameters, headers and
which problem answers each operation can give.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from local.scend_sim.config import ScendSimConfig
from local.scend_sim.models.common import FeedPage, Page
from local.scend_sim.models.inbound import Asn, AsnCancelIn, AsnIn, Receipt
from local.scend_sim.models.orders import CancelIn, Order, OrderIn
from local.scend_sim.models.products import Product, ProductIn
from local.scend_sim.models.returns import Return, ReturnIn
from local.scend_sim.models.shipments import Shipment
from local.scend_sim.models.stock import Adjustment, StockChange, StockLevel
from local.scend_sim.models.webhooks import Webhook, WebhookCreated, WebhookIn
from local.scend_sim.problems import PROBLEM_MEDIA_TYPE, ProblemBody

REF = "#/components/schemas/{model}"
_PRINTABLE = r"^[ -~]+$"


@dataclass(frozen=True, slots=True)
class Op:
    summary: str
    answer: type[BaseModel] | None
    status: int = 200
    body: type[BaseModel] | None = None
    body_required: bool = True
    query: Sequence[str] = ()
    errors: Sequence[int] = ()
    description: str = ""
    tags: Sequence[str] = field(default=())


_LIST = ("limit", "cursor")
_FEED = ("limit", "since_cursor")

OPERATIONS: dict[tuple[str, str], Op] = {
    ("GET", "/products"): Op("List products", Page[Product], query=_LIST, errors=(400,)),
    ("PUT", "/products/{sku}"): Op(
        "Create or replace a product",
        Product,
        body=ProductIn,
        errors=(400, 422),
        description="201 when created, 200 when replaced (the same content again changes nothing).",
    ),
    ("GET", "/products/{sku}"): Op("Read a product", Product, errors=(404,)),
    ("POST", "/orders"): Op(
        "Create a released sales order",
        Order,
        201,
        body=OrderIn,
        errors=(400, 409, 422),
        description=(
            "409 DUPLICATE_REFERENCE (with existing_id) when client_reference is taken; 422 "
            "VALIDATION_FAILED, UNKNOWN_SERVICE_CODE, INVALID_ADDRESS or SKU_NOT_FOUND. Orders "
            "cannot be amended: cancel and create again with a new client_reference."
        ),
    ),
    ("GET", "/orders"): Op(
        "List orders, or find one by client_reference",
        Page[Order],
        query=(*_LIST, "client_reference"),
        errors=(400,),
    ),
    ("GET", "/orders/{id}"): Op("Read an order", Order, errors=(404,)),
    ("POST", "/orders/{id}/cancel"): Op(
        "Cancel an order, or some units of some lines",
        Order,
        body=CancelIn,
        body_required=False,
        errors=(400, 404, 409, 422),
        description=(
            "Allowed while the order is accepted or partially_despatched; 409 ORDER_NOT_CANCELLABLE "
            "(with current_status) once picking has started. Cancelling a cancelled order answers it."
        ),
    ),
    ("GET", "/orders/{id}/shipments"): Op(
        "Shipments of an order", Page[Shipment], query=_LIST, errors=(400, 404)
    ),
    ("GET", "/shipments"): Op("Despatch confirmations feed", FeedPage[Shipment], query=_FEED, errors=(400,)),
    ("GET", "/shipments/{id}"): Op("Read a shipment", Shipment, errors=(404,)),
    ("GET", "/stock"): Op("Stock snapshot, every SKU", Page[StockLevel], query=_LIST, errors=(400,)),
    ("GET", "/stock/changes"): Op("Stock movements feed", FeedPage[StockChange], query=_FEED, errors=(400,)),
    ("GET", "/stock-adjustments"): Op(
        "Stock adjustments feed", FeedPage[Adjustment], query=_FEED, errors=(400,)
    ),
    ("GET", "/stock-adjustments/{id}"): Op("Read a stock adjustment", Adjustment, errors=(404,)),
    ("POST", "/asns"): Op("Create an advance shipping notice", Asn, 201, body=AsnIn, errors=(400, 409, 422)),
    ("GET", "/asns"): Op(
        "List ASNs, or find one by client_reference",
        Page[Asn],
        query=(*_LIST, "client_reference"),
        errors=(400,),
    ),
    ("GET", "/asns/{id}"): Op("Read an ASN", Asn, errors=(404,)),
    ("POST", "/asns/{id}/cancel"): Op(
        "Cancel an ASN",
        Asn,
        body=AsnCancelIn,
        body_required=False,
        errors=(400, 404, 409, 422),
        description="Allowed while created or awaiting_delivery; else 409 ASN_NOT_CANCELLABLE.",
    ),
    ("GET", "/receipts"): Op("Inbound receipts feed", FeedPage[Receipt], query=_FEED, errors=(400,)),
    ("GET", "/receipts/{id}"): Op("Read a receipt", Receipt, errors=(404,)),
    ("POST", "/returns"): Op("Pre-advise a return (RMA)", Return, 201, body=ReturnIn, errors=(400, 409, 422)),
    ("GET", "/returns"): Op(
        "Returns feed: a snapshot at every status change", FeedPage[Return], query=_FEED, errors=(400,)
    ),
    ("GET", "/returns/{id}"): Op("Read a return", Return, errors=(404,)),
    ("POST", "/webhooks"): Op(
        "Subscribe to events (the secret is shown only here)",
        WebhookCreated,
        201,
        body=WebhookIn,
        errors=(400, 422),
    ),
    ("GET", "/webhooks"): Op("List subscriptions", Page[Webhook], query=_LIST, errors=(400,)),
    ("GET", "/webhooks/{id}"): Op("Read a subscription", Webhook, errors=(404,)),
    ("DELETE", "/webhooks/{id}"): Op("Unsubscribe", None, 204, errors=(404,)),
}

# Where a created record can be used next: lets readers (and schemathesis' stateful phase) follow on.
_LINKS: dict[tuple[str, str], dict[str, tuple[str, str]]] = {
    ("PUT", "/products/{sku}"): {"GetProduct": ("GET", "/products/{sku}")},
    ("POST", "/orders"): {
        "GetOrder": ("GET", "/orders/{id}"),
        "CancelOrder": ("POST", "/orders/{id}/cancel"),
        "OrderShipments": ("GET", "/orders/{id}/shipments"),
    },
    ("POST", "/asns"): {"GetAsn": ("GET", "/asns/{id}"), "CancelAsn": ("POST", "/asns/{id}/cancel")},
    ("POST", "/returns"): {"GetReturn": ("GET", "/returns/{id}")},
    ("POST", "/webhooks"): {
        "GetWebhook": ("GET", "/webhooks/{id}"),
        "DeleteWebhook": ("DELETE", "/webhooks/{id}"),
    },
}

_ERRORS = {
    400: "VALIDATION_FAILED: malformed JSON, a bad query parameter or cursor, no Idempotency-Key",
    401: "UNAUTHORIZED: no or wrong bearer API key",
    404: "NOT_FOUND",
    409: "DUPLICATE_REFERENCE (+existing_id), ORDER_NOT_CANCELLABLE / ASN_NOT_CANCELLABLE (+current_status)",
    422: "VALIDATION_FAILED, SKU_NOT_FOUND, INVALID_ADDRESS, UNKNOWN_SERVICE_CODE, IDEMPOTENCY_KEY_REUSED",
    429: "RATE_LIMITED: wait Retry-After seconds",
    500: "INTERNAL",
    503: "UNAVAILABLE: maintenance; wait Retry-After seconds",
}


def _header(description: str, schema: dict[str, Any], required: bool = False) -> dict[str, Any]:
    return {"description": description, "required": required, "schema": schema}


_COMMON_HEADERS = {
    "X-Request-Id": _header("this request's id (also in problem bodies)", {"type": "string"}, True),
    "X-RateLimit-Limit": _header("requests allowed a minute", {"type": "integer"}),
    "X-RateLimit-Remaining": _header("requests left in this minute", {"type": "integer"}),
}
_RETRY_AFTER = {"Retry-After": _header("seconds to wait", {"type": "integer", "minimum": 0}, True)}

_PARAMETERS: dict[str, dict[str, Any]] = {
    "limit": {
        "name": "limit",
        "in": "query",
        "required": False,
        "description": "page size (default 100)",
        "schema": {"type": "integer", "minimum": 1, "default": 100},
    },
    "cursor": {
        "name": "cursor",
        "in": "query",
        "required": False,
        "description": "next_cursor of the previous page",
        "schema": {"type": "string"},
    },
    "since_cursor": {
        "name": "since_cursor",
        "in": "query",
        "required": False,
        "description": "a next_cursor this feed gave out; leave out to read from the beginning",
        "schema": {"type": "string"},
    },
    "client_reference": {
        "name": "client_reference",
        "in": "query",
        "required": False,
        "description": "exact client_reference; at most one record matches",
        "schema": {"type": "string"},
    },
}


def build_openapi(config: ScendSimConfig, server_url: str = "/v1") -> dict[str, Any]:
    schemas, names = _schemas()
    paths: dict[str, dict[str, Any]] = {}
    for (method, path), op in OPERATIONS.items():
        paths.setdefault(path, {})[method.lower()] = _operation(method, path, op, config, names)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Scend warehouse API (simulated)",
            "version": "1",
            "description": "The contract of reference §3 as the local simulator implements it.",
        },
        "servers": [{"url": server_url}],
        "security": [{"bearerAuth": []}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
        },
    }


def _operation(method: str, path: str, op: Op, config: ScendSimConfig, names: _Names) -> dict[str, Any]:
    parameters: list[dict[str, Any]] = []
    for name in ("id", "sku"):
        if "{" + name + "}" in path:
            schema: dict[str, Any] = {"type": "string", "minLength": 1}
            if name == "sku":
                schema |= {"maxLength": 50, "pattern": r"^[A-Za-z0-9][A-Za-z0-9._-]*$"}
            parameters.append({"name": name, "in": "path", "required": True, "schema": schema})
    parameters += [dict(_PARAMETERS[name]) for name in op.query]
    for parameter in parameters:
        if parameter["name"] == "limit":
            parameter["schema"] = parameter["schema"] | {"maximum": config.max_page_size}
    if method == "POST":
        parameters.append(
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": config.require_idempotency_key,
                "description": "same key + same body replays the first answer; a different body is 422",
                "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": _PRINTABLE},
            }
        )
    success: dict[str, Any] = {"description": op.summary, "headers": dict(_COMMON_HEADERS)}
    if op.answer is not None:
        success["content"] = {
            "application/json": {"schema": {"$ref": REF.format(model=names[(op.answer, "serialization")])}}
        }
    if op.status == 201:
        success["headers"]["Location"] = _header("the new record's URL", {"type": "string"}, True)
    if method == "POST":
        success["headers"]["Idempotent-Replayed"] = _header("true on a replayed answer", {"type": "string"})
    links = _LINKS.get((method, path), {})
    if links:
        success["links"] = {
            name: {
                "operationId": _operation_id(*target),
                "parameters": {
                    param: f"$response.body#/{param}"
                    for param in ("id", "sku")
                    if "{" + param + "}" in target[1]
                },
            }
            for name, target in links.items()
        }
    responses: dict[str, Any] = {str(op.status): success}
    if method == "PUT" and op.status == 200:
        responses["201"] = success
    for status in sorted({*op.errors, 401, 429, 500, 503}):
        headers = dict(_COMMON_HEADERS)
        if status in (429, 503):
            headers |= _RETRY_AFTER
        if status == 401:
            headers["WWW-Authenticate"] = _header("Bearer", {"type": "string"}, True)
        responses[str(status)] = {
            "description": _ERRORS[status],
            "headers": headers,
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": REF.format(model="ProblemBody")}}},
        }
    operation: dict[str, Any] = {
        "operationId": _operation_id(method, path),
        "summary": op.summary,
        "parameters": parameters,
        "responses": responses,
    }
    if op.description:
        operation["description"] = op.description
    if op.body is not None:
        operation["requestBody"] = {
            "required": op.body_required,
            "content": {
                "application/json": {"schema": {"$ref": REF.format(model=names[(op.body, "validation")])}}
            },
        }
    return operation


def _operation_id(method: str, path: str) -> str:
    words = [part.strip("{}").replace("-", "_") for part in path.split("/") if part]
    return method.lower() + "_" + "_".join(words)


_Names = dict[tuple[type[BaseModel], str], str]


def _schemas() -> tuple[dict[str, Any], _Names]:
    """Every model's schema under components/schemas, and the name each (model, mode) got."""
    inputs = [op.body for op in OPERATIONS.values() if op.body is not None]
    outputs = [op.answer for op in OPERATIONS.values() if op.answer is not None] + [ProblemBody]
    pairs: list[tuple[type[BaseModel], JsonSchemaMode]] = [(m, "validation") for m in dict.fromkeys(inputs)]
    pairs += [(m, "serialization") for m in dict.fromkeys(outputs)]
    keys, definitions = models_json_schema(pairs, ref_template=REF)
    names: _Names = {}
    for (model, mode), schema in keys.items():
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            raise TypeError(f"not a pydantic model: {model!r}")
        names[(model, mode)] = str(schema["$ref"]).rsplit("/", 1)[-1]
    return dict(definitions.get("$defs", {})), names
