"""The OpenAPI 3 document of the simulator, generated from the entity definitions: both API roots
(entity sets, navigation, bound actions, `$batch`, `$metadata`), subscriptions, the token endpoint
and the `/_sim/` control surface."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from local.bc_sim.config import CUSTOM_API, STANDARD_API, BcSimConfig
from local.bc_sim.control import AdvanceRequest, ResetRequest
from local.bc_sim.faults import FaultPlan
from local.bc_sim.schema import ALL_SETS, SETS_BY_API, EntitySet, Field, T
from local.bc_sim.seed import SeedRequest

type Schema = dict[str, Any]
REF = "#/components/schemas/{model}"
QUERY_OPTIONS = ("$filter", "$select", "$expand", "$orderby", "$top", "$skip", "$count", "$skiptoken")


def field_schema(f: Field) -> Schema:
    by_type: dict[T, Schema] = {
        T.STRING: {"type": "string"},
        T.GUID: {"type": "string", "format": "uuid"},
        T.DATE: {"type": "string", "format": "date"},
        T.DATETIME: {"type": "string", "format": "date-time"},
        T.DECIMAL: {"type": "number"},
        T.INT: {"type": "integer"},
        T.BOOL: {"type": "boolean"},
        T.ENUM: {"type": "string", "enum": list(f.enum)},
    }
    schema = by_type[f.type]
    if f.max_length is not None:
        schema = {**schema, "maxLength": f.max_length}
    return schema


def _entity_schemas(es: EntitySet) -> dict[str, Schema]:
    read: Schema = {
        "type": "object",
        "properties": {"@odata.etag": {"type": "string"}, **{f.name: field_schema(f) for f in es.fields}},
    }
    schemas = {es.entity: read}
    writable = [f for f in es.fields if not f.read_only]
    if es.insert:
        create: Schema = {
            "type": "object",
            "additionalProperties": False,
            "properties": {f.name: field_schema(f) for f in writable},
            "required": [f.name for f in writable if f.required],
        }
        if es.lines:
            create["properties"][es.lines] = {
                "type": "array",
                "items": {"$ref": _ref(ALL_SETS[es.lines].entity + "Create")},
            }
        if not create["required"]:
            del create["required"]
        schemas[es.entity + "Create"] = create
    if es.modify:
        schemas[es.entity + "Update"] = {
            "type": "object",
            "additionalProperties": False,
            "properties": {f.name: field_schema(f) for f in writable if not f.insert_only},
        }
    return schemas


def _ref(name: str) -> str:
    return REF.format(model=name)


def _json(schema: Schema) -> Schema:
    return {"content": {"application/json": {"schema": schema}}}


def _ok(description: str, schema: Schema | None = None, status: str = "200") -> Schema:
    response: Schema = {"description": description}
    if schema is not None:
        response.update(_json(schema))
    return {status: response, "default": {"description": "BC error", **_json({"$ref": _ref("error")})}}


def _operation(
    summary: str,
    responses: Schema,
    *,
    params: list[Schema] | None = None,
    body: str | None = None,
    secured: bool = True,
    tags: tuple[str, ...] = (),
) -> Schema:
    operation: Schema = {"summary": summary, "responses": responses}
    if params:
        operation["parameters"] = params
    if body is not None:
        operation["requestBody"] = {"required": True, **_json({"$ref": _ref(body)})}
    if not secured:
        operation["security"] = []
    if tags:
        operation["tags"] = list(tags)
    return operation


def _api_paths(config: BcSimConfig, api: str, prefix: str) -> dict[str, Schema]:
    company: Schema = {
        "name": "companyId",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "format": "uuid", "enum": [config.company_id]},
    }
    key: Schema = {
        "name": "id",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "format": "uuid"},
    }
    if_match: Schema = {
        "name": "If-Match",
        "in": "header",
        "required": True,
        "schema": {"type": "string"},
        "description": "the entity's @odata.etag, or *",
    }
    prefer: Schema = {
        "name": "Prefer",
        "in": "header",
        "schema": {"type": "string"},
        "description": "odata.maxpagesize=N lowers the server page size",
    }
    options = [{"name": name, "in": "query", "schema": {"type": "string"}} for name in QUERY_OPTIONS]
    paths: dict[str, Schema] = {}
    tag = ("standard API",) if api == STANDARD_API else ("custom API (scendIntegration/warehouse/v1.0)",)
    base = f"{prefix}/companies({{companyId}})"
    for es in SETS_BY_API[api].values():
        if not es.company_scoped:
            continue
        listing = {
            "type": "object",
            "properties": {
                "value": {"type": "array", "items": {"$ref": _ref(es.entity)}},
                "@odata.nextLink": {"type": "string"},
            },
        }
        collection: Schema = {
            "get": _operation(
                f"List {es.name}", _ok("a page", listing), params=[company, prefer, *options], tags=tag
            )
        }
        if es.insert:
            collection["post"] = _operation(
                f"Create a {es.entity}" + (f" (deep insert of {es.lines})" if es.lines else ""),
                _ok("created", {"$ref": _ref(es.entity)}, "201"),
                params=[company],
                body=es.entity + "Create",
                tags=tag,
            )
        paths[f"{base}/{es.name}"] = collection
        entity: Schema = {
            "get": _operation(
                f"Read a {es.entity}",
                _ok("the entity", {"$ref": _ref(es.entity)}),
                params=[company, key],
                tags=tag,
            )
        }
        if es.modify:
            entity["patch"] = _operation(
                f"Update a {es.entity}",
                _ok("updated", {"$ref": _ref(es.entity)}),
                params=[company, key, if_match],
                body=es.entity + "Update",
                tags=tag,
            )
        if es.delete:
            entity["delete"] = _operation(
                f"Delete a {es.entity}",
                _ok("deleted", None, "204"),
                params=[company, key, if_match],
                tags=tag,
            )
        paths[f"{base}/{es.name}({{id}})"] = entity
        for nav in es.nav:
            target = ALL_SETS[nav.target]
            nav_path = f"{base}/{es.name}({{id}})/{nav.name}"
            if nav.kind == "one":
                paths[nav_path] = {
                    "get": _operation(
                        f"The {nav.name} of a {es.entity}",
                        _ok("the related entity", {"$ref": _ref(target.entity)}),
                        params=[company, key],
                        tags=tag,
                    )
                }
                continue
            item = {
                "type": "object",
                "properties": {"value": {"type": "array", "items": {"$ref": _ref(target.entity)}}},
            }
            nav_ops: Schema = {
                "get": _operation(
                    f"The {nav.name} of a {es.entity}",
                    _ok("lines", item),
                    params=[company, key, *options],
                    tags=tag,
                )
            }
            if target.insert:
                nav_ops["post"] = _operation(
                    f"Add a {target.entity}",
                    _ok("created", {"$ref": _ref(target.entity)}, "201"),
                    params=[company, key],
                    body=target.entity + "Create",
                    tags=tag,
                )
            paths[nav_path] = nav_ops
        for action in es.actions:
            result = (
                _ok("posted", None, "204")
                if api == STANDARD_API
                else _ok("the posted confirmation", {"$ref": _ref(es.entity)})
            )
            paths[f"{base}/{es.name}({{id}})/Microsoft.NAV.{action}"] = {
                "post": _operation(f"Bound action {action}", result, params=[company, key], tags=tag)
            }
    paths[f"{prefix}/$batch"] = {
        "post": _operation(
            "JSON batch of up to 100 operations; header Isolation: snapshot makes it all-or-nothing",
            _ok("one response per operation", {"$ref": _ref("batchResponse")}),
            params=[
                {"name": "Isolation", "in": "header", "schema": {"type": "string", "enum": ["snapshot"]}}
            ],
            body="batchRequest",
            tags=tag,
        )
    }
    paths[f"{prefix}/$metadata"] = {
        "get": _operation("CSDL metadata", {"200": {"description": "CSDL XML"}}, tags=tag)
    }
    return paths


def _subscription_paths(prefix: str) -> dict[str, Schema]:
    tag = ("webhooks",)
    sub_key: Schema = {"name": "subscriptionId", "in": "path", "required": True, "schema": {"type": "string"}}
    if_match: Schema = {"name": "If-Match", "in": "header", "required": True, "schema": {"type": "string"}}
    one = {"$ref": _ref("subscription")}
    return {
        f"{prefix}/subscriptions": {
            "get": _operation("List subscriptions", _ok("subscriptions", {"type": "object"}), tags=tag),
            "post": _operation(
                "Create a subscription (validationToken handshake first)",
                _ok("created", one, "201"),
                body="subscriptionCreate",
                tags=tag,
            ),
        },
        f"{prefix}/subscriptions('{{subscriptionId}}')": {
            "get": _operation(
                "Read a subscription", _ok("the subscription", one), params=[sub_key], tags=tag
            ),
            "patch": _operation(
                "Renew (handshake again, new expiry)",
                _ok("renewed", one),
                params=[sub_key, if_match],
                body="subscriptionUpdate",
                tags=tag,
            ),
            "delete": _operation(
                "Delete a subscription", _ok("deleted", None, "204"), params=[sub_key, if_match], tags=tag
            ),
        },
    }


def _model_schemas(models: dict[str, type[BaseModel]]) -> dict[str, Schema]:
    schemas: dict[str, Schema] = {}
    for name, model in models.items():
        schema = model.model_json_schema(ref_template=REF)
        schemas.update(schema.pop("$defs", {}))
        schemas[name] = schema
    return schemas


def _control_paths() -> dict[str, Schema]:
    tag = ("simulator control (/_sim/)",)

    def op(
        summary: str, body: str | None = None, status: str = "200", params: list[Schema] | None = None
    ) -> Schema:
        return _operation(
            summary,
            {status: {"description": summary}, "default": {"description": "error"}},
            params=params,
            body=body,
            secured=False,
            tags=tag,
        )

    order: list[Schema] = [
        {
            "name": "set",
            "in": "path",
            "required": True,
            "schema": {"type": "string", "enum": ["salesOrders", "purchaseOrders"]},
        },
        {
            "name": "key",
            "in": "path",
            "required": True,
            "schema": {"type": "string"},
            "description": "id or number",
        },
    ]
    return {
        "/_sim/reset": {"post": op("Empty the company (optionally seed it)", "ResetRequest")},
        "/_sim/seed": {"post": op("Seed a deterministic catalogue and explicit entities", "SeedRequest")},
        "/_sim/orders/{set}/{key}/release": {"post": op("Release an order (API status Open)", params=order)},
        "/_sim/orders/{set}/{key}/reopen": {"post": op("Reopen an order (API status Draft)", params=order)},
        "/_sim/orders/{set}/{key}": {"delete": op("Delete an order", status="204", params=order)},
        "/_sim/faults": {
            "get": op("The fault plan and counters"),
            "put": op("Replace the fault plan", "FaultPlan"),
            "delete": op("Clear all faults"),
        },
        "/_sim/stats": {
            "get": op("Request statistics and posted documents"),
            "delete": op("Clear request statistics"),
        },
        "/_sim/webhooks": {"get": op("Subscriptions, pending notifications, deliveries")},
        "/_sim/webhooks/flush": {"post": op("Deliver every pending notification now")},
        "/_sim/clock": {"get": op("The simulator's time")},
        "/_sim/clock/advance": {
            "post": op("Move the clock forward; deliver what became due", "AdvanceRequest")
        },
        "/_sim/inventory": {"get": op("Stock per item and location (not visible on API v2.0)")},
        "/_sim/config": {"get": op("Tenant, environment, company, client id and URLs")},
    }


def openapi_document(config: BcSimConfig) -> dict[str, Any]:
    tenant, env = config.tenant, config.environment
    standard = f"/v2.0/{tenant}/{env}/api/{STANDARD_API}"
    custom = f"/v2.0/{tenant}/{env}/api/{CUSTOM_API}"
    schemas: dict[str, Schema] = {}
    for es in ALL_SETS.values():
        schemas.update(_entity_schemas(es))
    schemas["subscriptionCreate"] = {
        "type": "object",
        "additionalProperties": False,
        "required": ["notificationUrl", "resource"],
        "properties": {name: {"type": "string"} for name in ("notificationUrl", "resource", "clientState")},
    }
    schemas["subscriptionUpdate"] = {
        "type": "object",
        "additionalProperties": False,
        "properties": {name: {"type": "string"} for name in ("notificationUrl", "clientState")},
    }
    schemas["error"] = {
        "type": "object",
        "properties": {
            "error": {
                "type": "object",
                "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
            }
        },
    }
    operation = {
        "type": "object",
        "required": ["method", "url"],
        "properties": {
            "id": {"type": "string"},
            "method": {"type": "string", "enum": ["GET", "POST", "PATCH", "DELETE"]},
            "url": {"type": "string"},
            "headers": {"type": "object", "additionalProperties": {"type": "string"}},
            "body": {"type": "object"},
        },
    }
    schemas["batchRequest"] = {
        "type": "object",
        "required": ["requests"],
        "properties": {
            "requests": {"type": "array", "maxItems": config.max_batch_operations, "items": operation}
        },
    }
    schemas["batchResponse"] = {
        "type": "object",
        "properties": {
            "responses": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "id": {},
                        "status": {"type": "integer"},
                        "headers": {"type": "object"},
                        "body": {},
                    },
                },
            }
        },
    }
    schemas["tokenRequest"] = {
        "type": "object",
        "required": ["grant_type", "scope"],
        "properties": {
            "grant_type": {"type": "string", "enum": ["client_credentials"]},
            "client_id": {"type": "string"},
            "client_secret": {"type": "string"},
            "scope": {"type": "string", "enum": [config.scope]},
            "client_assertion_type": {"type": "string"},
            "client_assertion": {"type": "string"},
        },
    }
    schemas.update(
        _model_schemas(
            {
                "ResetRequest": ResetRequest,
                "SeedRequest": SeedRequest,
                "FaultPlan": FaultPlan,
                "AdvanceRequest": AdvanceRequest,
            }
        )
    )
    paths: dict[str, Schema] = {
        f"/{tenant}/oauth2/v2.0/token": {
            "post": {
                "summary": "Entra client-credentials token endpoint (client secret or certificate assertion)",
                "tags": ["auth"],
                "security": [],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/x-www-form-urlencoded": {"schema": {"$ref": _ref("tokenRequest")}}
                    },
                },
                "responses": {"200": {"description": "token"}, "default": {"description": "Entra error"}},
            }
        },
        f"/{tenant}/v2.0/.well-known/openid-configuration": {
            "get": {
                "summary": "OIDC metadata (what MSAL reads)",
                "tags": ["auth"],
                "security": [],
                "responses": {"200": {"description": "metadata"}},
            }
        },
        f"{standard}/companies": {"get": _operation("List companies", _ok("companies", {"type": "object"}))},
        f"{standard}/companies({{companyId}})": {
            "get": _operation(
                "Read the company",
                _ok("the company", {"type": "object"}),
                params=[
                    {
                        "name": "companyId",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string", "format": "uuid"},
                    }
                ],
            )
        },
        **_api_paths(config, STANDARD_API, standard),
        **_subscription_paths(standard),
        **_api_paths(config, CUSTOM_API, custom),
        **_control_paths(),
    }
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Business Central simulator (API v2.0 + scendIntegration/warehouse/v1.0)",
            "version": "1.0",
            "description": "Loopback simulator of Business Central online; see local/bc_sim/README.md and"
            " docs/bc-extension-api.md.",
        },
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
        "security": [{"bearer": []}],
        "paths": paths,
    }
