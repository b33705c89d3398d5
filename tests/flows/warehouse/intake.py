"""The Scend event intake as Scend meets it: signed requests built here, or the simulator's own
deliveries to the intake served on loopback (a small ASGI shell standing in for the Functions host)."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from local.scend_sim.webhooks.signing import signature_header
from local.serving import LoopbackServer
from shared.flows.scend_events import ROUTES, EventReply, EventRequest, receive_scend_event
from shared.scend.rest import ContractRestAdapter
from tests.contract.scend.conftest import BACKOFF, TIMEOUT_SECONDS
from tests.flows.conftest import ScendTenant
from tests.flows.warehouse.support import SETTINGS, Warehouse

OUR_SECRET = "whsec_" + base64.b64encode(b"intake-test-secret-0123456789").decode()
QUEUES = {route.queue_setting: getattr(SETTINGS, route.queue_setting) for route in ROUTES.values()}
MAX_BODY = SETTINGS.max_webhook_body_bytes


@dataclass
class Intake:
    warehouse: Warehouse
    tenant: ScendTenant
    adapter: ContractRestAdapter  # verifies with the secrets Scend signs with

    def trust(self, *secrets: str) -> None:
        """Verify with these secrets from now on (SCEND_WEBHOOK_SECRETS)."""
        self.adapter = self.tenant.adapter(
            backoff=BACKOFF, timeout_seconds=TIMEOUT_SECONDS, webhook_secrets=list(secrets)
        )

    async def post(self, body: bytes, headers: dict[str, str], method: str = "POST") -> EventReply:
        return await receive_scend_event(
            EventRequest(method=method, headers=headers, body=body),
            verify=self.adapter.verify_webhook, transport=self.warehouse.world.transport, queues=QUEUES,
            processed=self.warehouse.processed, max_body_bytes=MAX_BODY, retention=timedelta(days=1),
        )  # fmt: skip

    def now(self) -> int:
        return int(self.tenant.time.wall())

    def signed(
        self,
        body: bytes,
        event_id: str,
        *,
        secrets: list[str] | None = None,
        timestamp: int | None = None,
        event_type: str = "shipment.despatched",
    ) -> dict[str, str]:
        stamp = self.now() if timestamp is None else timestamp
        return {
            "Content-Type": "application/json",
            "Scend-Webhook-Id": event_id,
            "Scend-Webhook-Timestamp": str(stamp),
            "Scend-Webhook-Signature": signature_header(secrets or [OUR_SECRET], event_id, stamp, body),
            "Scend-Event-Type": event_type,
        }

    async def queued(self) -> dict[str, int]:
        transport = self.warehouse.world.transport
        return {queue: (await transport.counts(queue)).active for queue in QUEUES.values()}


def event_body(event_id: str, event_type: str, data: dict[str, Any]) -> bytes:
    envelope = {"id": event_id, "type": event_type, "created_at": "2026-11-27T09:00:00Z", "api_version": "1",
                "data": data, "resource_url": None}  # fmt: skip
    return json.dumps(envelope).encode()


@asynccontextmanager
async def served(intake: Intake) -> AsyncIterator[str]:
    """The intake on a loopback port, as `POST /api/scend/events`; yields its URL."""

    async def endpoint(request: Request) -> Response:
        reply = await intake.post(await request.body(), dict(request.headers), request.method)
        return Response(reply.body, reply.status, dict(reply.headers), media_type=reply.content_type)

    server = LoopbackServer()
    await server.start(Starlette(routes=[Route("/api/scend/events", endpoint, methods=["POST"])]))
    try:
        yield f"{server.base_url}/api/scend/events"
    finally:
        await server.stop()


async def subscribe(intake: Intake, url: str) -> str:
    """Subscribe `url` at the Scend simulator to every event; the adapter then holds its secret."""
    sim = intake.warehouse.world.scend_sim
    async with httpx.AsyncClient() as client:
        answer = await client.post(
            f"{sim.base_url}/webhooks",
            headers={"Authorization": f"Bearer {sim.api_key}", "Idempotency-Key": "subscribe-intake"},
            json={"url": url, "events": ["shipment.despatched", "return.received", "return.inspected",
                                         "stock.changed", "stock.adjusted", "receipt.created",
                                         "order.status_changed"]},
        )  # fmt: skip
    answer.raise_for_status()
    return str(answer.json()["secret"])
