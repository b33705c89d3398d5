"""Scend event intake: `POST /api/scend/events`, verified on the raw body, routed, answered fast.

Order of checks, each with its answer; nothing is enqueued for any refusal:

| check                                                         | answer |
|---------------------------------------------------------------|--------|
| not a POST                                                    | 405    |
| body over `max_body_bytes` (256 KB)                           | 413    |
| signature headers missing or malformed, timestamp more than   | 401    |
| 300 s off, or no signature matching a current secret          |        |
| body not a Scend event, its id not the signed webhook id, or  | 400    |
| its `data` not the record its type promises                   |        |
| webhook id seen before (ProcessedEvents)                      | 202 duplicate |
| a type with no work here (`order.status_changed`, …, unknown) | 202 ignored   |
| the queue cannot take it now                                  | 503 + Retry-After: Scend retries |
| otherwise: one message per record on its flow's queue         | 202    |

The messages are built by the same functions as the feed polls' (`scend_feeds`), so a webhook and
the feed record it announces share one `message_id`. Webhooks are doorbells with the record on
them; the feeds stay the source of truth, so a lost or refused webhook costs nothing.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from pydantic import BaseModel, ValidationError

from shared.errors import InvalidMessage, TransientError
from shared.flows.scend_feeds import (
    adjustment_message,
    receipt_message,
    return_message,
    shipment_message,
)
from shared.messaging.transport import OutboundMessage, Transport
from shared.scend.calls import field_places
from shared.scend.models import Receipt, Return, Shipment, StockAdjustment, WebhookEvent
from shared.scend.signatures import ID_HEADER, BadSignature
from shared.store.processed import ProcessedEventStore

log = logging.getLogger(__name__)

WEBHOOK_KIND = "scend-webhook"
JSON = "application/json"


@dataclass(frozen=True, slots=True)
class EventRequest:
    method: str
    headers: Mapping[str, str]
    body: bytes


@dataclass(frozen=True, slots=True)
class EventReply:
    status: int
    body: str
    headers: Mapping[str, str]
    content_type: str = JSON


@dataclass(frozen=True, slots=True)
class Route:
    queue_setting: str  # the Settings field naming the queue
    messages: Callable[[dict[str, Any]], list[OutboundMessage]]


def _one[T: BaseModel](model: type[T], to_message: Callable[[T], OutboundMessage]) -> Callable[..., Any]:
    return lambda data: [to_message(model.model_validate(data))]


ROUTES: dict[str, Route] = {
    "shipment.despatched": Route("shipments_queue", _one(Shipment, shipment_message)),
    "return.received": Route("returns_queue", _one(Return, return_message)),
    "return.inspected": Route("returns_queue", _one(Return, return_message)),
    "stock.adjusted": Route("stock_queue", _one(StockAdjustment, adjustment_message)),
    "receipt.created": Route("receipts_queue", _one(Receipt, receipt_message)),
}
"""Event types with work behind them. Order and ASN status events need none: the integration
learns those states from its own writes and the despatch and receipt records. Nor does
`stock.changed`: a stock movement is work only as the document behind it (a despatch, a receipt,
an adjustment, a return), each with its own event and feed; the reconciliation reads the levels."""


async def receive_scend_event(
    request: EventRequest,
    *,
    verify: Callable[[Mapping[str, str], bytes], WebhookEvent],
    transport: Transport,
    queues: Mapping[str, str],
    processed: ProcessedEventStore,
    max_body_bytes: int,
    retention: timedelta,
) -> EventReply:
    """Answer one webhook delivery; see the module docstring for every answer.

    `queues` maps a route's queue setting (`shipments_queue`) to the queue name.
    """
    if request.method.upper() != "POST":
        return _reply(405, {"error": "method_not_allowed"}, Allow="POST")
    if len(request.body) > max_body_bytes:
        return _reply(413, {"error": "payload_too_large", "max_bytes": max_body_bytes})
    try:
        event = verify(request.headers, request.body)
    except BadSignature as refused:
        log.warning("Scend webhook refused: %s", refused.reason)
        return _reply(401, {"error": "bad_signature", "reason": refused.reason})
    except InvalidMessage as invalid:
        return _reply(400, {"error": "invalid_event", "reason": invalid.detail})
    signed_id = {k.lower(): v for k, v in request.headers.items()}.get(ID_HEADER, "").strip()
    if event.id != signed_id:
        return _reply(400, {"error": "invalid_event", "reason": "the event id is not the signed webhook id"})
    if await processed.get(WEBHOOK_KIND, event.id) is not None:
        return _reply(202, {"status": "duplicate", "id": event.id})
    route = ROUTES.get(event.type)
    if route is None:
        await processed.record(WEBHOOK_KIND, event.id, "ignored", retention)
        return _reply(202, {"status": "ignored", "id": event.id, "type": event.type})
    try:
        messages = route.messages(event.data)
    except ValidationError as error:
        reason = f"{event.type} data is not a valid record: {field_places(error)}"
        return _reply(400, {"error": "invalid_event", "reason": reason})
    if not messages:
        await processed.record(WEBHOOK_KIND, event.id, "nothing to do", retention)
        return _reply(202, {"status": "ignored", "id": event.id, "type": event.type})
    try:
        await transport.send(queues[route.queue_setting], messages)
    except TransientError as busy:
        return _reply(503, {"error": "unavailable"}, **{"Retry-After": str(int(busy.retry_after or 5))})
    await processed.record(WEBHOOK_KIND, event.id, f"enqueued {len(messages)}", retention)
    return _reply(202, {"status": "accepted", "id": event.id, "messages": _ids(messages)})


def _ids(messages: Sequence[OutboundMessage]) -> list[str]:
    return [m.message_id for m in messages]


def _reply(status: int, body: dict[str, Any], **headers: str) -> EventReply:
    return EventReply(status, json.dumps(body), {"X-Content-Type-Options": "nosniff", **headers})
