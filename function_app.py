"""Every trigger of the integration, thin: parse, call one flow, return. The app's table of contents."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta

import azure.functions as func

from shared import __version__
from shared.flows.bc_notifications import NotificationRequest, receive_bc_notification
from shared.flows.bc_subscriptions import keep_subscriptions
from shared.runtime import get_runtime
from shared.settings import SettingsError, get_settings
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
