"""Every trigger of the integration, thin: parse, call one flow, return. The app's table of contents."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta

import azure.functions as func

from shared import __version__, wiring
from shared.flows.asn_export import export_asn, purchase_order_reader
from shared.flows.bc_notifications import NotificationRequest, receive_bc_notification
from shared.flows.bc_subscriptions import keep_subscriptions
from shared.flows.item_export import export_item, is_warehouse_ready
from shared.flows.order_changes import order_reader
from shared.flows.order_holds import HeldOrders, WarehouseReady
from shared.flows.order_release import handle_order
from shared.flows.poll_requests import PollContext, handle_poll_request, run_poll
from shared.flows.reconciliation import reconcile_stock as run_stock_reconciliation
from shared.flows.reconciliation import write_reports
from shared.flows.rereads import reference_to
from shared.flows.scend_events import ROUTES, EventRequest, receive_scend_event
from shared.flows.scend_feeds import FEEDS, poll_scend_feed
from shared.messaging.envelope import Envelope
from shared.messaging.settlement import IncomingMessage
from shared.ops.api import OpsReply, ops_for
from shared.ops.dashboard import render_dashboard
from shared.ops.openapi import openapi_document
from shared.runtime import Runtime, get_runtime
from shared.settings import SettingsError, get_settings
from shared.store.crossrefs import CrossReferenceStore
from shared.telemetry import configure_telemetry

configure_telemetry()
log = logging.getLogger("function_app")

app = func.FunctionApp(http_auth_level=func.AuthLevel.FUNCTION)


# ── Health ────────────────────────────────────────────────────────────────────────────────────────


@app.route(route="health", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
async def health(req: func.HttpRequest) -> func.HttpResponse:
    """Liveness for load balancers and the local stack: version, and whether settings loaded.

    A settings problem is reported by setting name only (never a value), with 503, so a deployment
    with a missing Key Vault reference is visible at once.
    """
    body: dict[str, object] = {"status": "ok", "version": __version__, "settings_loaded": True}
    status = 200
    try:
        get_settings()
    except SettingsError as error:
        body.update(status="unhealthy", settings_loaded=False, settings_error=str(error))
        status = 503
    return func.HttpResponse(json.dumps(body), status_code=status, mimetype="application/json")


# ── Business Central webhooks: doorbells for the polls (design §2) ────────────────────────────────


@app.route(route="bc/notifications", methods=["GET", "POST"], auth_level=func.AuthLevel.FUNCTION)
async def bc_notifications(req: func.HttpRequest) -> func.HttpResponse:
    """BC's validationToken handshake, or a batch of notifications turned into one poll request."""
    runtime = get_runtime()
    settings = runtime.settings
    reply = await receive_bc_notification(
        NotificationRequest(
            method=req.method, query=dict(req.params), headers=dict(req.headers), body=req.get_body()
        ),
        client_state=settings.bc_webhook_client_state.get_secret_value(),
        transport=runtime.transport(),
        queue=settings.poll_requests_queue,
        max_body_bytes=settings.bc_max_notification_body_bytes,
    )
    return func.HttpResponse(
        reply.body, status_code=reply.status, mimetype=reply.content_type, headers=dict(reply.headers)
    )


@app.timer_trigger(schedule="%RENEW_BC_SUBSCRIPTIONS_SCHEDULE%", arg_name="timer", run_on_startup=False)
async def renew_bc_subscriptions(timer: func.TimerRequest) -> None:
    """Create and renew the items and salesOrders subscriptions before BC's 3-day expiry."""
    runtime = get_runtime()
    settings = runtime.settings
    stores = await runtime.stores()
    for upkeep in await keep_subscriptions(
        bc=runtime.bc(),
        exceptions=stores.exceptions,
        notification_url=str(settings.bc_notification_url),
        client_state=settings.bc_webhook_client_state.get_secret_value(),
        clock=lambda: datetime.now(UTC),
        resources=settings.bc_webhook_resource_list,
        renew_before=timedelta(hours=settings.bc_subscription_renew_before_hours),
    ):
        log.info("BC subscription %s: %s", upkeep.entity_set, upkeep.outcome)


# ── Polls and the item export (design §2: watermarks never lose a change) ─────────────────────────


def incoming(message: func.ServiceBusMessage, queue: str) -> IncomingMessage:
    """What the Settler needs of a Service Bus delivery."""
    return IncomingMessage(
        queue=queue,
        body=message.get_body(),
        message_id=message.message_id or "",
        session_id=message.session_id,
        delivery_count=message.delivery_count or 1,
        application_properties=dict(message.application_properties or {}),
    )


async def poll_context(runtime: Runtime) -> PollContext:
    stores = await runtime.stores()
    return PollContext(
        bc=runtime.bc(),
        watermarks=stores.watermarks,
        transport=runtime.transport(),
        settings=runtime.settings,
        clock=lambda: datetime.now(UTC),
    )


@app.timer_trigger(schedule="%POLL_BC_ITEMS_SCHEDULE%", arg_name="timer", run_on_startup=False)
async def poll_bc_items(timer: func.TimerRequest) -> None:
    """Enqueue every BC item changed since the watermark to the items queue; re-drive any order
    still held for SKUs Scend has confirmed since (the export's own re-drive can be missed)."""
    runtime = get_runtime()
    result = await run_poll("poll_bc_items", await poll_context(runtime))
    log.info("poll_bc_items: %s", result)
    released = await (await held_orders(runtime)).release_ready_sku_holds()
    if released:
        log.info("orders held for SKUs now in the warehouse re-driven by the sweep: %d", len(released))


@app.service_bus_queue_trigger(
    arg_name="message", queue_name="%ITEMS_QUEUE%", connection="ServiceBusConnection"
)
async def items_to_scend(message: func.ServiceBusMessage) -> None:
    """One item version to a Scend product; a rejection is parked for master data."""
    runtime = get_runtime()
    stores = await runtime.stores()

    async def handler(envelope: Envelope) -> None:
        await export_item(
            envelope,
            scend=runtime.scend(),
            cross_references=stores.cross_references,
            exceptions=stores.exceptions,
            lookups=runtime.lookups(),
            on_warehouse_ready=release_orders_waiting_for,
        )

    await (await runtime.settler()).run(
        "items_to_scend", incoming(message, runtime.settings.items_queue), handler
    )


@app.service_bus_queue_trigger(
    arg_name="message", queue_name="%POLL_REQUESTS_QUEUE%", connection="ServiceBusConnection"
)
async def poll_requests(message: func.ServiceBusMessage) -> None:
    """Run the poll a BC notification rang for (the doorbell's other half)."""
    runtime = get_runtime()
    context = await poll_context(runtime)

    async def handler(envelope: Envelope) -> None:
        await handle_poll_request(envelope, context=context)

    await (await runtime.settler()).run(
        "poll_requests", incoming(message, runtime.settings.poll_requests_queue), handler
    )


# ── Orders to Scend: release, amend, cancel (design §2: per-document ordering, dependencies wait) ──


def order_readiness(cross_references: CrossReferenceStore) -> WarehouseReady:
    """The release gate: a SKU is ready once the item export saw Scend confirm it."""

    async def ready(sku: str) -> bool:
        return await is_warehouse_ready(cross_references, sku)

    return ready


async def held_orders(runtime: Runtime) -> HeldOrders:
    stores = await runtime.stores()
    return HeldOrders(
        cross_references=stores.cross_references,
        exceptions=stores.exceptions,
        transport=runtime.transport(),
        queue=runtime.settings.orders_queue,
        is_warehouse_ready=order_readiness(stores.cross_references),
        clock=lambda: datetime.now(UTC),
    )


async def release_orders_waiting_for(sku: str) -> None:
    """The item export's `on_warehouse_ready` hook: re-drive the orders held for `sku`."""
    await (await held_orders(get_runtime())).release_for_sku(sku)


@app.timer_trigger(schedule="%POLL_BC_SALES_ORDERS_SCHEDULE%", arg_name="timer", run_on_startup=False)
async def poll_bc_sales_orders(timer: func.TimerRequest) -> None:
    """Enqueue every BC sales order changed since the watermark (any status) to the orders queue;
    re-drive the orders held for a mapping once the lookup table has changed."""
    runtime = get_runtime()
    result = await run_poll("poll_bc_sales_orders", await poll_context(runtime))
    log.info("poll_bc_sales_orders: %s", result)
    stores = await runtime.stores()
    holds = await held_orders(runtime)
    released = await holds.release_after_lookup_change(runtime.lookups_digest(), stores.watermarks)
    if released:
        log.info("orders held for a mapping re-driven after a lookup change: %d", len(released))


@app.service_bus_queue_trigger(
    arg_name="message",
    queue_name="%ORDERS_QUEUE%",
    connection="ServiceBusConnection",
    is_sessions_enabled=True,
)
async def orders_to_scend(message: func.ServiceBusMessage) -> None:
    """One sales order version to Scend: release, amend, cancel, or hold until its SKUs are ready.
    A parked order's exception row keeps its reference, never the order (names, addresses); Retry and
    the hold re-drive send that reference, which the handler reads from BC again."""
    runtime = get_runtime()
    stores = await runtime.stores()
    queue = runtime.settings.orders_queue

    async def handler(envelope: Envelope) -> None:
        await handle_order(
            envelope,
            scend=runtime.scend(),
            cross_references=stores.cross_references,
            exceptions=stores.exceptions,
            lookups=runtime.lookups(),
            is_warehouse_ready=order_readiness(stores.cross_references),
            clock=lambda: datetime.now(UTC),
            queue=queue,
            timeline=stores.timeline,
            reread=order_reader(runtime.bc()),
        )

    settler = await runtime.settler()
    await settler.run("orders_to_scend", incoming(message, queue), handler, parked_as=reference_to)


# ── Scend events: webhooks as doorbells, the feeds as the source of truth (design §2) ─────────────


@app.route(route="scend/events", methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS)
async def scend_events(req: func.HttpRequest) -> func.HttpResponse:
    """A signed Scend webhook: verified on the raw body, routed to its flow's queue, answered 202.

    Anonymous at the host on purpose: the HMAC signature is the authentication (a function key in
    the URL would add a second secret to rotate and nothing Scend's signature does not give)."""
    runtime = get_runtime()
    settings = runtime.settings
    stores = await runtime.stores()
    reply = await receive_scend_event(
        EventRequest(method=req.method, headers=dict(req.headers), body=req.get_body()),
        verify=runtime.scend().verify_webhook,
        transport=runtime.transport(),
        queues={route.queue_setting: getattr(settings, route.queue_setting) for route in ROUTES.values()},
        processed=stores.processed_events,
        max_body_bytes=settings.max_webhook_body_bytes,
        retention=timedelta(days=settings.processed_event_retention_days),
    )
    return func.HttpResponse(
        reply.body, status_code=reply.status, mimetype=reply.content_type, headers=dict(reply.headers)
    )


async def poll_feed(name: str) -> None:
    runtime = get_runtime()
    settings = runtime.settings
    stores = await runtime.stores()
    feed = FEEDS[name]
    result = await poll_scend_feed(
        feed,
        scend=runtime.scend(),
        watermarks=stores.watermarks,
        transport=runtime.transport(),
        queue=getattr(settings, feed.queue_setting),
        exceptions=stores.exceptions,
        clock=lambda: datetime.now(UTC),
        stale_after=timedelta(minutes=settings.watermark_stale_minutes),
    )
    log.info("%s: %s", feed.flow, result)


@app.timer_trigger(schedule="%POLL_SCEND_FEEDS_SCHEDULE%", arg_name="timer", run_on_startup=False)
async def poll_scend_shipments(timer: func.TimerRequest) -> None:
    """Every despatch since the cursor to `scend-shipments`: a lost webhook costs nothing."""
    await poll_feed("shipments")


@app.timer_trigger(schedule="%POLL_SCEND_FEEDS_SCHEDULE%", arg_name="timer", run_on_startup=False)
async def poll_scend_returns(timer: func.TimerRequest) -> None:
    """Every return status change since the cursor to `scend-returns`."""
    await poll_feed("returns")


@app.timer_trigger(schedule="%POLL_SCEND_FEEDS_SCHEDULE%", arg_name="timer", run_on_startup=False)
async def poll_scend_adjustments(timer: func.TimerRequest) -> None:
    """Every stock adjustment (damage, write-off, count, loss) since the cursor to `scend-stock`."""
    await poll_feed("adjustments")


@app.timer_trigger(schedule="%POLL_SCEND_FEEDS_SCHEDULE%", arg_name="timer", run_on_startup=False)
async def poll_scend_receipts(timer: func.TimerRequest) -> None:
    """Every inbound receipt since the cursor to `scend-receipts`."""
    await poll_feed("receipts")


# ── Despatches and returns back into Business Central ──────────────────────────────────────────────


@app.service_bus_queue_trigger(
    arg_name="messages",
    queue_name="%SHIPMENTS_QUEUE%",
    connection="ServiceBusConnection",
    cardinality=func.Cardinality.MANY,
)
async def scend_shipments(messages: list[func.ServiceBusMessage]) -> None:
    """Scend shipments shipped on their BC orders, exactly once, a batch at a time (a few `$batch`
    requests for up to 100 despatches), each message settled by its own answer."""
    runtime = get_runtime()
    flow = await wiring.despatches(runtime)
    settler = await runtime.settler()
    queue = runtime.settings.shipments_queue
    await settler.run_batch(
        "shipment_confirmation", [incoming(m, queue) for m in messages], flow.confirm_many
    )


@app.service_bus_queue_trigger(
    arg_name="message", queue_name="%RETURNS_QUEUE%", connection="ServiceBusConnection"
)
async def scend_returns(message: func.ServiceBusMessage) -> None:
    """One Scend return status: on the order's timeline; once inspected, one draft credit memo."""
    runtime = get_runtime()
    flow = await wiring.returns(runtime)
    settler = await runtime.settler()
    await settler.run("return_to_credit_memo", incoming(message, runtime.settings.returns_queue), flow.handle)


# ── Stock stays true: adjustments, inbound, reconciliation ──────────────────────────────────────────


@app.service_bus_queue_trigger(
    arg_name="message", queue_name="%STOCK_QUEUE%", connection="ServiceBusConnection"
)
async def scend_stock(message: func.ServiceBusMessage) -> None:
    """One Scend stock adjustment: posted (extension) or proposed to finance (standard), once."""
    runtime = get_runtime()
    flow = await wiring.stock_adjustments(runtime)
    settler = await runtime.settler()
    await settler.run("stock_adjustment", incoming(message, runtime.settings.stock_queue), flow.apply)


@app.timer_trigger(schedule="%POLL_BC_PURCHASE_ORDERS_SCHEDULE%", arg_name="timer", run_on_startup=False)
async def poll_bc_purchase_orders(timer: func.TimerRequest) -> None:
    """Enqueue every BC purchase order changed since the watermark to the purchase orders queue."""
    result = await run_poll("poll_bc_purchase_orders", await poll_context(get_runtime()))
    log.info("poll_bc_purchase_orders: %s", result)


@app.service_bus_queue_trigger(
    arg_name="message",
    queue_name="%PURCHASE_ORDERS_QUEUE%",
    connection="ServiceBusConnection",
    is_sessions_enabled=True,
)
async def purchase_orders_to_scend(message: func.ServiceBusMessage) -> None:
    """One purchase order version to a Scend ASN: create, amend (cancel and re-create) or cancel.
    A parked one's exception row keeps its reference, never the order (the vendor's name)."""
    runtime = get_runtime()
    settings = runtime.settings
    stores = await runtime.stores()

    async def handler(envelope: Envelope) -> None:
        await export_asn(
            envelope,
            scend=runtime.scend(),
            cross_references=stores.cross_references,
            exceptions=stores.exceptions,
            is_warehouse_ready=order_readiness(stores.cross_references),
            dependency_wait=timedelta(hours=settings.dependency_wait_hours),
            reread=purchase_order_reader(runtime.bc()),
        )

    await (await runtime.settler()).run(
        "asn_export", incoming(message, settings.purchase_orders_queue), handler, parked_as=reference_to
    )


@app.service_bus_queue_trigger(
    arg_name="message", queue_name="%RECEIPTS_QUEUE%", connection="ServiceBusConnection"
)
async def scend_receipts(message: func.ServiceBusMessage) -> None:
    """One Scend receipt received on its BC purchase order once; differences to purchasing."""
    runtime = get_runtime()
    flow = await wiring.receipts(runtime)
    settler = await runtime.settler()
    await settler.run(
        "receipt_confirmation", incoming(message, runtime.settings.receipts_queue), flow.confirm
    )


@app.timer_trigger(schedule="%RECONCILE_STOCK_SCHEDULE%", arg_name="timer", run_on_startup=False)
async def reconcile_stock(timer: func.TimerRequest) -> None:
    """Scend's stock against BC's inventory, SKU by SKU; the unexplained differences to finance."""
    runtime = get_runtime()
    stores = await runtime.stores()
    summary = await run_stock_reconciliation(
        scend=runtime.scend(),
        bc=runtime.bc(),
        watermarks=stores.watermarks,
        processed=stores.processed_events,
        exceptions=stores.exceptions,
        reconciliations=stores.reconciliations,
        clock=lambda: datetime.now(UTC),
    )
    if runtime.settings.reports_dir is not None:
        await write_reports(stores.reconciliations, summary, runtime.settings.reports_dir)
    log.info("reconcile_stock: %s", summary)


# ── Operations API (function key): exceptions, retry and resolve, timelines, stock, deep health ──────


def reply(answer: OpsReply) -> func.HttpResponse:
    return func.HttpResponse(
        answer.body,
        status_code=answer.status,
        mimetype=answer.content_type,
        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"},
    )


@app.route(route="ops/exceptions", methods=["GET"])
async def ops_exceptions(req: func.HttpRequest) -> func.HttpResponse:
    """Exceptions, filtered by status, owner, kind and type, a page at a time."""
    return reply(await (await ops_for(get_runtime())).list_exceptions(dict(req.params)))


@app.route(route="ops/exceptions/{kind}/{type}/{key}/retry", methods=["POST"])
async def ops_retry_exception(req: func.HttpRequest) -> func.HttpResponse:
    """Send the exception's document back through its flow."""
    p = req.route_params
    return reply(await (await ops_for(get_runtime())).retry(p["kind"], p["type"], p["key"]))


@app.route(route="ops/exceptions/{kind}/{type}/{key}/resolve", methods=["POST"])
async def ops_resolve_exception(req: func.HttpRequest) -> func.HttpResponse:
    """Close an exception by hand, with the reason."""
    p = req.route_params
    return reply(await (await ops_for(get_runtime())).resolve(p["kind"], p["type"], p["key"], req.get_body()))


@app.route(route="ops/orders/{number}/timeline", methods=["GET"])
async def ops_order_timeline(req: func.HttpRequest) -> func.HttpResponse:
    """An order's timeline by its BC number: released, accepted, despatched, invoiced, returns."""
    return reply(await (await ops_for(get_runtime())).timeline(req.route_params["number"]))


@app.route(route="ops/reconciliations/latest", methods=["GET"])
async def ops_latest_reconciliation(req: func.HttpRequest) -> func.HttpResponse:
    """The last stock reconciliation and its unexplained differences."""
    return reply(await (await ops_for(get_runtime())).latest_reconciliation())


@app.route(route="ops/health", methods=["GET"])
async def ops_health(req: func.HttpRequest) -> func.HttpResponse:
    """Deep health: BC and Scend reachable, queue depths, dead letters, watermark ages."""
    return reply(await (await ops_for(get_runtime())).deep_health())


@app.route(route="ops/dashboard", methods=["GET"])
async def ops_dashboard(req: func.HttpRequest) -> func.HttpResponse:
    """The operations dashboard (server-rendered)."""
    page = await render_dashboard(await ops_for(get_runtime()))
    return reply(OpsReply(200, page, "text/html"))


@app.route(route="ops/openapi.json", methods=["GET"])
async def ops_openapi(req: func.HttpRequest) -> func.HttpResponse:
    """The OpenAPI document of every HTTP route of this app."""
    return reply(OpsReply(200, json.dumps(openapi_document())))


@app.timer_trigger(schedule="%RUN_AUDITS_SCHEDULE%", arg_name="timer", run_on_startup=False)
async def run_audits(timer: func.TimerRequest) -> None:
    """Orders not at Scend in time, despatches overdue, stale watermarks, dead letters, expiring
    subscriptions: each raised to its owner, resolved when no longer true."""
    await (await wiring.audits(get_runtime())).run()
