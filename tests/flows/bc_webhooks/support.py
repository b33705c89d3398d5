"""The doorbell served the way the trigger shell serves it, notification bodies, and the queue read back."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from shared.flows.bc_notifications import NotificationRequest, receive_bc_notification
from shared.messaging.envelope import Envelope
from shared.messaging.local import LocalTransport
from shared.messaging.queues import queue_specs
from shared.messaging.transport import QueueSpec, ReceivedMessage
from shared.settings import Settings
from tests.contract.bc.support import EXAMPLE

CLIENT_STATE = "flows-test-client-state-0001"
FUNCTION_KEY = "flows-test-function-key"
COMPANY = "1f2e3d4c-5b6a-4789-9abc-def012345678"


def poll_requests_spec() -> QueueSpec:
    """The app's own `poll-requests` queue (its 1-minute duplicate window), from the example settings."""
    values = {k.lower(): v for k, v in json.loads(EXAMPLE.read_text())["Values"].items() if v != ""}
    values.pop("servicebusconnection", None)
    settings = Settings.model_validate(values)
    (spec,) = [s for s in queue_specs(settings) if s.name == settings.poll_requests_queue]
    return spec


POLL_REQUESTS = poll_requests_spec().name


@dataclass
class Doorbell:
    """Our notification endpoint on loopback: the function key check the Functions host makes,
    then the real handler. `down` makes it answer 503 to everything (the app is not running)."""

    transport: LocalTransport
    clock: Callable[[], datetime]
    client_state: str = CLIENT_STATE
    base_url: str = ""
    down: bool = False
    handshakes: int = 0
    statuses: list[int] = field(default_factory=list)

    @property
    def url(self) -> str:
        """The notification URL as BC_NOTIFICATION_URL holds it: with the function key."""
        return f"{self.base_url}/api/bc/notifications?code={FUNCTION_KEY}"

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/api/bc/notifications", self._serve, methods=["GET", "POST"])])

    async def _serve(self, request: Request) -> Response:
        self.handshakes += "validationToken" in request.query_params
        if self.down:
            response: Response = PlainTextResponse("unavailable", status_code=503)
        elif request.query_params.get("code") != FUNCTION_KEY:
            response = PlainTextResponse("", status_code=401)
        else:
            reply = await receive_bc_notification(
                NotificationRequest(
                    method=request.method,
                    query=dict(request.query_params),
                    headers=dict(request.headers),
                    body=await request.body(),
                ),
                client_state=self.client_state,
                transport=self.transport,
                queue=POLL_REQUESTS,
                clock=self.clock,
            )
            response = Response(
                reply.body,
                status_code=reply.status,
                media_type=reply.content_type,
                headers=dict(reply.headers),
            )
        self.statuses.append(response.status_code)
        return response


def notice(
    entity_set: str = "salesOrders",
    *,
    change_type: str = "updated",
    client_state: str | None = CLIENT_STATE,
    key: str = "6b1f0c7e-0000-4000-8000-000000000001",
) -> dict[str, Any]:
    """One notification as BC sends it (reference §4)."""
    body: dict[str, Any] = {
        "subscriptionId": "4f3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d",
        "expirationDateTime": "2026-11-30T09:00:00Z",
        "resource": f"api/v2.0/companies({COMPANY})/{entity_set}({key})",
        "changeType": change_type,
        "lastModifiedDateTime": "2026-11-27T09:00:00.123Z",
    }
    if client_state is not None:
        body["clientState"] = client_state
    return body


def collection_notice(entity_set: str = "salesOrders") -> dict[str, Any]:
    """BC's notice for more than 1,000 changes in its 30-second window: the set with a filter."""
    return {
        **notice(entity_set, change_type="collection"),
        "resource": f"api/v2.0/companies({COMPANY})/{entity_set}"
        "?$filter=lastModifiedDateTime gt 2026-11-27T08:59:30.950Z",
    }


def body_of(notices: Sequence[dict[str, Any]]) -> bytes:
    return json.dumps({"value": list(notices)}).encode()


@dataclass(frozen=True)
class Queued:
    message_id: str
    scheduled_for: datetime | None
    envelope: Envelope


async def queued(transport: LocalTransport) -> list[Queued]:
    """Every poll request on the queue, scheduled ones included, in send order (nothing is locked)."""
    async with transport.receiver(POLL_REQUESTS) as receiver:
        assert receiver is not None
        messages: list[ReceivedMessage] = await receiver.peek(max_messages=1000)
    return [Queued(m.message_id, m.scheduled_enqueue_time, Envelope.from_bytes(m.body)) for m in messages]
