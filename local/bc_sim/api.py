"""The OData request handler: one call per request (HTTP or a `$batch` operation) from method, target,
query, headers and body to a `Reply` in BC's wire format: `@odata.context`, `@odata.etag` on every
entity, `@odata.nextLink` server paging, If-Match on PATCH/DELETE, bound actions.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from local.bc_sim import custom_api, errors
from local.bc_sim.config import BcSimConfig
from local.bc_sim.documents import Documents
from local.bc_sim.errors import BcError
from local.bc_sim.filters import equalities
from local.bc_sim.metadata import csdl
from local.bc_sim.model import Row, SimState, Table, etag_for
from local.bc_sim.odata import Query, parse_query
from local.bc_sim.paging import next_link, page
from local.bc_sim.posting import Poster
from local.bc_sim.routing import ApiRoot, Target, resolve, split_root
from local.bc_sim.schema import ALL_SETS, EMPTY_GUID, EntitySet
from local.bc_sim.webhooks import Subscription, Webhooks

JSON_TYPE = (
    "application/json; odata.metadata=minimal; odata.streaming=true; IEEE754Compatible=false; charset=utf-8"
)
_MAX_PAGE = re.compile(r"odata\.maxpagesize\s*=\s*(\d+)")


@dataclass
class Reply:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def error(cls, error: BcError) -> Reply:
        return cls(error.status, error.body(), dict(error.headers))


@dataclass(frozen=True)
class Call:
    """One request, from HTTP or from a `$batch` operation."""

    method: str
    path: str  # absolute path, e.g. /v2.0/{tenant}/{env}/api/v2.0/companies(...)/items
    query: Mapping[str, str]
    headers: Mapping[str, str]  # lower-case names
    body: bytes
    base_url: str  # scheme://host:port the client called
    principal: str


class Api:
    def __init__(self, config: BcSimConfig, state: SimState, docs: Documents, webhooks: Webhooks) -> None:
        self.config = config
        self.state = state
        self.docs = docs
        self.webhooks = webhooks
        self.poster = Poster(docs)

    def target(self, call: Call) -> tuple[ApiRoot, Target]:
        root = split_root(call.path, self.config)
        if root is None:
            raise errors.segment_not_found(call.path.strip("/").split("/")[0])
        hint = call.query.get("company") or call.headers.get("company")
        return root, resolve(root, self._company_id(hint) if hint else None)

    async def handle(self, call: Call) -> Reply:
        try:
            root, target = self.target(call)
            return await self._dispatch(call, root, target)
        except BcError as error:
            return Reply.error(error)

    async def _dispatch(self, call: Call, root: ApiRoot, target: Target) -> Reply:
        service = call.base_url + root.prefix
        method = call.method
        if target.company_id is not None and target.company_id != self.config.company_id:
            raise BcError(
                404, "Internal_CompanyNotFound", f"The company '{target.company_id}' does not exist."
            )
        match target.kind, method:
            case "service", "GET":
                return self._service_document(service, root.api)
            case "metadata", "GET":
                return Reply(200, csdl(root.api))
            case "companies", "GET":
                return Reply(
                    200, {"@odata.context": f"{service}/$metadata#companies", "value": [self._company()]}
                )
            case "company", "GET":
                return Reply(
                    200, {"@odata.context": f"{service}/$metadata#companies/$entity", **self._company()}
                )
            case (("subscriptions" | "subscription"), _):
                return await self._subscriptions(call, service, target)
            case "collection", "GET":
                return self._list(call, service, target)
            case "collection", "POST":
                return self._create(call, service, target)
            case "entity", "GET":
                return self._read(call, service, target)
            case "entity", "PATCH":
                return self._modify(call, service, target)
            case "entity", "DELETE":
                row, es = self._row(target)
                self._check_if_match(call, self.state.etag(es.name, row["id"]))
                self.docs.remove(es.name, row["id"])
                return Reply(204)
            case "action", "POST":
                return self._action(call, service, target)
        raise errors.method_not_allowed(method, target.es.name if target.es else target.kind)

    # --- reads -------------------------------------------------------------------------------------
    def _list(self, call: Call, service: str, target: Target) -> Reply:
        es = target.es
        assert es is not None
        query = parse_query(es, call.query)
        if target.parent is not None:
            parent_es, parent_id = target.parent
            self._require(parent_es, parent_id)
            source: list[Row] | Table = self.state.lines(es.name, parent_id)
        else:
            source = self._source(es, query)
        page_size = self._page_size(call)
        rows, next_token, count = page(source, query, page_size, call.query.get("$skiptoken"))
        body: dict[str, Any] = {"@odata.context": self._context(service, target, query.select)}
        if count is not None:
            body["@odata.count"] = count
        body["value"] = [self.render(es, row, query) for row in rows]
        headers = {}
        if next_token is not None:
            body["@odata.nextLink"] = next_link(call.base_url, call.path, call.query, next_token)
        if page_size < self.config.page_size:
            headers["Preference-Applied"] = f"odata.maxpagesize={page_size}"
        return Reply(200, body, headers)

    def _source(self, es: EntitySet, query: Query) -> list[Row] | Table:
        """The rows to scan, narrowed by an index where the filter allows; BC's line-filter rule."""
        equal = equalities(query.filter_node)
        if es.needs_document_filter and "id" not in equal and "documentId" not in equal:
            raise errors.dialog("You must specify an Id or a Document Id to get the lines.")
        table = self.state.table(es.name)
        if isinstance(equal.get("id"), str):
            row = self.state.get(es.name, equal["id"])
            return [row] if row else []
        if es.parent is not None and isinstance(equal.get("documentId"), str):
            return self.state.lines(es.name, equal["documentId"].lower())
        for name in table.unique:
            if isinstance(equal.get(name), str):
                row = table.lookup(name, equal[name])
                return [row] if row else []
        return table

    def _read(self, call: Call, service: str, target: Target) -> Reply:
        row, es = self._row(target)
        query = parse_query(es, {k: v for k, v in call.query.items() if k in ("$select", "$expand")})
        body = {"@odata.context": self._entity_context(service, target), **self.render(es, row, query)}
        return Reply(200, body, {"ETag": body["@odata.etag"]})

    def render(self, es: EntitySet, row: Row, query: Query | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {"@odata.etag": self.state.etag(es.name, row["id"])}
        if query is not None and query.select is not None:
            out.update((name, row[name]) for name in query.select)
        else:
            out.update(row)
        for name, nested in query.expand if query is not None else ():
            nav = es.nav_by_name[name]
            target = ALL_SETS[nav.target]
            if nav.kind == "one":
                related = self.state.get(target.name, row[nav.via]) if row[nav.via] != EMPTY_GUID else None
                out[name] = None if related is None else self.render(target, related, nested)
            else:
                lines = self.state.lines(target.name, row["id"])
                found, _, _ = page(lines, nested, len(lines) + 1, None)
                out[name] = [self.render(target, line, nested) for line in found]
        return out

    # --- writes ------------------------------------------------------------------------------------
    def _create(self, call: Call, service: str, target: Target) -> Reply:
        es = target.es
        assert es is not None
        body = _json_body(call)
        parent_id = None
        if target.parent is not None:
            parent_es, parent_id = target.parent
            self._require(parent_es, parent_id)
        row = self.docs.create(es.name, body, parent_id=parent_id)
        query = parse_query(es, {k: v for k, v in call.query.items() if k in ("$select", "$expand")})
        rendered = self.render(es, row, query)
        location = f"{service}/companies({self.config.company_id})/{es.name}({row['id']})"
        context = f"{service}/$metadata#companies({self.config.company_id})/{es.name}/$entity"
        return Reply(
            201,
            {"@odata.context": context, **rendered},
            {"ETag": rendered["@odata.etag"], "Location": location},
        )

    def _modify(self, call: Call, service: str, target: Target) -> Reply:
        row, es = self._row(target)
        self._check_if_match(call, self.state.etag(es.name, row["id"]))
        row = self.docs.modify(es.name, row["id"], _json_body(call))
        rendered = self.render(es, row)
        return Reply(
            200,
            {"@odata.context": self._entity_context(service, target), **rendered},
            {"ETag": rendered["@odata.etag"]},
        )

    def _action(self, call: Call, service: str, target: Target) -> Reply:
        es = target.es
        assert es is not None
        assert target.key is not None
        self._require(es, target.key)
        if target.action == "shipAndInvoice":
            self.poster.ship_and_invoice(target.key)
            return Reply(204)
        if target.action == "receiveAndInvoice":
            self.poster.receive_and_invoice(target.key)
            return Reply(204)
        row = custom_api.post(self.docs, es.name, target.key)
        context = f"{service}/$metadata#companies({self.config.company_id})/{es.name}/$entity"
        rendered = self.render(es, row)
        return Reply(200, {"@odata.context": context, **rendered}, {"ETag": rendered["@odata.etag"]})

    async def _subscriptions(self, call: Call, service: str, target: Target) -> Reply:
        context = f"{service}/$metadata#subscriptions"
        match target.kind, call.method, target.key:
            case "subscriptions", "GET", _:
                return Reply(
                    200, {"@odata.context": context, "value": [self._sub(s) for s in self.webhooks.all()]}
                )
            case "subscriptions", "POST", _:
                return self._one_sub(
                    context, await self.webhooks.create(_json_body(call), call.principal), 201
                )
            case "subscription", "GET", str(key):
                return self._one_sub(context, self.webhooks.get(key), 200)
            case "subscription", "DELETE", str(key):
                self._check_if_match(call, self.webhooks.etag(self.webhooks.get(key)))
                self.webhooks.delete(key)
                return Reply(204)
            case "subscription", "PATCH", str(key):
                self._check_if_match(call, self.webhooks.etag(self.webhooks.get(key)))
                return self._one_sub(context, await self.webhooks.renew(key, _json_body(call)), 200)
        raise errors.method_not_allowed(call.method, "subscriptions")

    def _one_sub(self, context: str, sub: Subscription, status: int) -> Reply:
        body = {"@odata.context": context + "/$entity", **self._sub(sub)}
        return Reply(status, body, {"ETag": body["@odata.etag"]})

    # --- helpers -----------------------------------------------------------------------------------
    def _row(self, target: Target) -> tuple[Row, EntitySet]:
        es = target.es
        assert es is not None
        if target.parent is not None:
            parent_es, parent_id = target.parent
            parent = self._require(parent_es, parent_id)
            if target.single_nav is not None:
                related_id = parent[target.single_nav.via]
                row = self.state.get(es.name, related_id) if related_id != EMPTY_GUID else None
                if row is None:
                    raise errors.record_not_found(es.entity, related_id)
                return row, es
            assert target.key is not None
            row = self._require(es, target.key)
            if row.get("documentId") != parent_id:
                raise errors.record_not_found(es.entity, target.key)
            return row, es
        assert target.key is not None
        return self._require(es, target.key), es

    def _require(self, es: EntitySet, key: str) -> Row:
        row = self.state.get(es.name, key)
        if row is None:
            raise errors.record_not_found(es.entity, key)
        return row

    @staticmethod
    def _check_if_match(call: Call, current: str) -> None:
        presented = call.headers.get("if-match")
        if not presented:
            raise errors.missing_if_match()
        if presented.strip() != "*" and current not in (tag.strip() for tag in presented.split(",")):
            raise errors.entity_changed()

    def _page_size(self, call: Call) -> int:
        match = _MAX_PAGE.search(call.headers.get("prefer", ""))
        wanted = int(match.group(1)) if match else self.config.page_size
        return max(1, min(wanted, self.config.page_size))

    def _company_id(self, hint: str) -> str:
        if hint.casefold() in (self.config.company_name.casefold(), self.config.company_id):
            return self.config.company_id
        return hint

    def _company(self) -> dict[str, Any]:
        return {
            "@odata.etag": etag_for(0),
            "id": self.config.company_id,
            "systemVersion": "27.0.38460.41860",
            "timestamp": 1,
            "name": self.config.company_name,
            "displayName": self.config.company_name,
            "businessProfileId": "",
            "systemCreatedAt": "2026-01-01T00:00:00Z",
            "systemModifiedAt": "2026-01-01T00:00:00Z",
        }

    def _sub(self, sub: Subscription) -> dict[str, Any]:
        return {"@odata.etag": self.webhooks.etag(sub), **sub.row}

    def _context(self, service: str, target: Target, select: list[str] | None) -> str:
        assert target.es is not None
        company = f"companies({self.config.company_id})"
        if target.parent is not None:
            parent_es, parent_id = target.parent
            path = f"{company}/{parent_es.name}({parent_id})/{target.es.name}"
        else:
            path = f"{company}/{target.es.name}"
        return f"{service}/$metadata#{path}" + (f"({','.join(select)})" if select else "")

    def _entity_context(self, service: str, target: Target) -> str:
        assert target.es is not None
        return f"{service}/$metadata#companies({self.config.company_id})/{target.es.name}/$entity"

    def _service_document(self, service: str, api: str) -> Reply:
        names = ["companies", "subscriptions"] if api == "v2.0" else ["companies"]
        return Reply(
            200,
            {
                "@odata.context": f"{service}/$metadata",
                "value": [{"name": n, "kind": "EntitySet", "url": n} for n in names],
            },
        )


def _json_body(call: Call) -> dict[str, Any]:
    try:
        body = json.loads(call.body or b"{}")
    except ValueError:
        raise BcError(400, "BadRequest", "Invalid Request Body") from None
    if not isinstance(body, dict):
        raise BcError(400, "BadRequest", "Invalid Request Body")
    return body
