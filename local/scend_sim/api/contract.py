"""The contract's routes (reference §3.2): one small handler each, under /v1.

Handlers are synchronous: each reads or changes the simulator's state in one step, so two
requests never interleave inside a rule (a duplicate reference cannot slip in between a check
and a write).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from local.scend_sim.api.openapi import OPERATIONS
from local.scend_sim.api.pipeline import Call, Handler, Reply, contract_endpoint, feed_body, page_body
from local.scend_sim.core import Simulator
from local.scend_sim.feeds import Feed, ListSlice, page_by_key
from local.scend_sim.models.common import Sku
from local.scend_sim.models.inbound import AsnCancelIn, AsnIn
from local.scend_sim.models.orders import CancelIn, OrderIn
from local.scend_sim.models.products import ProductIn
from local.scend_sim.models.returns import ReturnIn
from local.scend_sim.models.webhooks import WebhookCreated, WebhookIn
from local.scend_sim.problems import Problem, field_error, not_found

BASE = "/v1"
Endpoint = Callable[[Request], Awaitable[Response]]
_SKU = TypeAdapter(Sku)


def _sku(call: Call) -> str:
    sku = call.path_params["sku"]
    try:
        return _SKU.validate_python(sku)
    except ValidationError:
        raise Problem(
            422,
            "VALIDATION_FAILED",
            "not a SKU",
            errors=[field_error("sku", "INVALID_SKU", "1-50 of A-Z a-z 0-9 . _ -, starting alphanumeric")],
        ) from None


def _created(body: BaseModel, location: str) -> Reply:
    return Reply(201, body, {"Location": location})


def _found[T: BaseModel](records: dict[str, T], what: str, call: Call) -> Reply:
    record_id = call.path_params["id"]
    record = records.get(record_id)
    if record is None:
        raise not_found(what, record_id)
    return Reply(200, record)


def _feed[T: BaseModel](feed_of: Callable[[Simulator], Feed[T]]) -> Handler:
    def read(call: Call) -> Reply:
        since = call.query.get("since_cursor")
        return Reply(200, feed_body(feed_of(call.sim).read(since, call.limit())))

    return read


def _record_attempt(call: Call, resource: str, reference: str, work: Callable[[], Reply]) -> Reply:
    try:
        reply = work()
    except Problem as problem:
        call.sim.stats.create_attempt(resource, reference, duplicate=problem.code == "DUPLICATE_REFERENCE")
        raise
    call.sim.stats.create_attempt(resource, reference, duplicate=False)
    return reply


# Products


def put_product(call: Call) -> Reply:
    sku = _sku(call)
    product, created = call.sim.warehouse.upsert_product(sku, call.parse(ProductIn))
    return Reply(201 if created else 200, product, {"Location": f"{BASE}/products/{sku}"})


def get_product(call: Call) -> Reply:
    sku = call.path_params["sku"]
    product = call.sim.state.products.get(sku)
    if product is None:
        raise not_found("product", sku)
    return Reply(200, product)


def list_products(call: Call) -> Reply:
    products = sorted(call.sim.state.products.values(), key=lambda p: p.sku)
    page = page_by_key(products, lambda p: p.sku, call.query.get("cursor"), call.limit(), "products")
    return Reply(200, page_body(page))


# Orders


def create_order(call: Call) -> Reply:
    body = call.parse(OrderIn)

    def work() -> Reply:
        order = call.sim.warehouse.create_order(body)
        return _created(order, f"{BASE}/orders/{order.id}")

    return _record_attempt(call, "orders", body.client_reference, work)


def list_orders(call: Call) -> Reply:
    return _list_by_reference(call, call.sim.state.orders, call.sim.state.order_refs, "orders")


def get_order(call: Call) -> Reply:
    return _found(call.sim.state.orders, "order", call)


def cancel_order(call: Call) -> Reply:
    body = call.parse(CancelIn, empty_is=b"{}")
    return Reply(200, call.sim.warehouse.cancel_order(call.path_params["id"], body))


def order_shipments(call: Call) -> Reply:
    order = call.sim.warehouse.order(call.path_params["id"])
    shipments = [call.sim.state.shipments[shipment_id] for shipment_id in order.shipment_ids]
    page = page_by_key(shipments, lambda s: s.id, call.query.get("cursor"), call.limit(), "shipments")
    return Reply(200, page_body(page))


def get_shipment(call: Call) -> Reply:
    return _found(call.sim.state.shipments, "shipment", call)


# Stock


def stock_snapshot(call: Call) -> Reply:
    state = call.sim.state
    skus = sorted(set(state.products) | set(state.ledger.levels))
    page = page_by_key(skus, lambda sku: sku, call.query.get("cursor"), call.limit(), "stock")
    now = state.now()
    levels = [state.ledger.level(sku).snapshot(sku, now) for sku in page.records]
    return Reply(200, page_body(ListSlice(levels, page.next_cursor)))


def get_adjustment(call: Call) -> Reply:
    return _found(call.sim.state.adjustments, "stock adjustment", call)


# Inbound


def create_asn(call: Call) -> Reply:
    body = call.parse(AsnIn)

    def work() -> Reply:
        asn = call.sim.warehouse.create_asn(body)
        return _created(asn, f"{BASE}/asns/{asn.id}")

    return _record_attempt(call, "asns", body.client_reference, work)


def list_asns(call: Call) -> Reply:
    return _list_by_reference(call, call.sim.state.asns, call.sim.state.asn_refs, "asns")


def _list_by_reference(call: Call, records: Mapping[str, Any], refs: Mapping[str, str], kind: str) -> Reply:
    """A page of `records`; with `?client_reference=` the one record holding it, or none (never 404)."""
    reference = call.query.get("client_reference")
    if reference is not None:
        record_id = refs.get(reference)
        chosen = [records[record_id]] if record_id else []
    else:
        chosen = list(records.values())
    page = page_by_key(chosen, lambda r: r.id, call.query.get("cursor"), call.limit(), kind)
    return Reply(200, page_body(page))


def get_asn(call: Call) -> Reply:
    return _found(call.sim.state.asns, "ASN", call)


def cancel_asn(call: Call) -> Reply:
    call.parse(AsnCancelIn, empty_is=b"{}")
    return Reply(200, call.sim.warehouse.cancel_asn(call.path_params["id"]))


def get_receipt(call: Call) -> Reply:
    return _found(call.sim.state.receipts, "receipt", call)


# Returns


def create_return(call: Call) -> Reply:
    body = call.parse(ReturnIn)

    def work() -> Reply:
        ret = call.sim.warehouse.pre_advise_return(body)
        return _created(ret, f"{BASE}/returns/{ret.id}")

    return _record_attempt(call, "returns", body.client_reference, work)


def get_return(call: Call) -> Reply:
    return _found(call.sim.state.returns, "return", call)


# Webhooks


def create_webhook(call: Call) -> Reply:
    body = call.parse(WebhookIn)
    subscription, secret = call.sim.hub.subscriptions.add(body, call.sim.state.now())
    created = WebhookCreated(**subscription.resource().model_dump(), secret=secret)
    return _created(created, f"{BASE}/webhooks/{subscription.id}")


def list_webhooks(call: Call) -> Reply:
    subscriptions = [s.resource() for s in call.sim.hub.subscriptions.by_id.values()]
    page = page_by_key(subscriptions, lambda s: s.id, call.query.get("cursor"), call.limit(), "webhooks")
    return Reply(200, page_body(page))


def get_webhook(call: Call) -> Reply:
    return Reply(200, call.sim.hub.subscriptions.get(call.path_params["id"]).resource())


def delete_webhook(call: Call) -> Reply:
    call.sim.hub.subscriptions.remove(call.path_params["id"])
    return Reply(204, None)


ROUTES: tuple[tuple[str, str, Handler], ...] = (
    ("GET", "/products", list_products),
    ("PUT", "/products/{sku}", put_product),
    ("GET", "/products/{sku}", get_product),
    ("POST", "/orders", create_order),
    ("GET", "/orders", list_orders),
    ("GET", "/orders/{id}", get_order),
    ("POST", "/orders/{id}/cancel", cancel_order),
    ("GET", "/orders/{id}/shipments", order_shipments),
    ("GET", "/shipments", _feed(lambda sim: sim.state.feeds.shipments)),
    ("GET", "/shipments/{id}", get_shipment),
    ("GET", "/stock", stock_snapshot),
    ("GET", "/stock/changes", _feed(lambda sim: sim.state.feeds.stock_changes)),
    ("GET", "/stock-adjustments", _feed(lambda sim: sim.state.feeds.adjustments)),
    ("GET", "/stock-adjustments/{id}", get_adjustment),
    ("POST", "/asns", create_asn),
    ("GET", "/asns", list_asns),
    ("GET", "/asns/{id}", get_asn),
    ("POST", "/asns/{id}/cancel", cancel_asn),
    ("GET", "/receipts", _feed(lambda sim: sim.state.feeds.receipts)),
    ("GET", "/receipts/{id}", get_receipt),
    ("POST", "/returns", create_return),
    ("GET", "/returns", _feed(lambda sim: sim.state.feeds.returns)),
    ("GET", "/returns/{id}", get_return),
    ("POST", "/webhooks", create_webhook),
    ("GET", "/webhooks", list_webhooks),
    ("GET", "/webhooks/{id}", get_webhook),
    ("DELETE", "/webhooks/{id}", delete_webhook),
)


def contract_routes(sim: Simulator) -> list[Route]:
    """One Starlette route per path, its methods each through the pipeline."""
    by_path: dict[str, dict[str, Handler]] = {}
    for method, path, handler in ROUTES:
        by_path.setdefault(path, {})[method] = handler
    routes = []
    for path, handlers in by_path.items():
        template = BASE + path
        endpoints = {
            m: contract_endpoint(sim, m, template, h, frozenset(OPERATIONS[(m, path)].query))
            for m, h in handlers.items()
        }
        routes.append(Route(template, _by_method(endpoints), methods=list(endpoints)))
    return routes


def _by_method(endpoints: dict[str, Endpoint]) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        method = "GET" if request.method == "HEAD" else request.method
        return await endpoints[method](request)

    return endpoint
