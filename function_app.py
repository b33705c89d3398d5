"""Every trigger of the integration, thin: parse, call one flow, return. The app's table of contents."""

from __future__ import annotations

import json
import logging

import azure.functions as func

from shared import __version__
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
