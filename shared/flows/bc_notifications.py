"""The BC webhook doorbell: answer the handshake, check `clientState`, turn notifications into poll requests.

BC's notifications carry no data and no signature (reference §4), so they are only a doorbell:
this handler never reads BC, it enqueues one poll request per poll flow to `poll-requests`, and a
Service Bus function runs the same poll the timer runs. The poll reads by watermark, so a lost,
duplicated or `collection` notification costs nothing but latency.

What BC does with our reply decides what we answer:
- 2xx: delivered. 408, 429 and 5xx: BC tries again later. Anything else: BC **deletes the
  subscription** (reference §4). So a problem on our side (the broker is down) is a 503, never a
  4xx; a 4xx is kept for requests that cannot have come from our subscription (wrong `clientState`,
  a body BC never sends) — and if BC ever sent one, the subscription upkeep re-creates it.
"""

from __future__ import annotations

import hmac
import logging
import re
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel

from shared.messaging.envelope import Envelope
from shared.messaging.transport import OutboundMessage, Transport
from shared.telemetry import flow_span

log = logging.getLogger(__name__)

FLOW = "bc_notifications"
POLL_REQUEST_KIND = "poll-request"
# The entity sets whose notifications wake a poll, and the poll each one wakes.
POLL_FLOWS: Mapping[str, str] = MappingProxyType(
    {
        "items": "poll_bc_items",
        "salesOrders": "poll_bc_sales_orders",
        "purchaseOrders": "poll_bc_purchase_orders",
    }
)
BUCKET = timedelta(seconds=10)
# BC sends at most 1,000 notices per subscription and POST (more become one `collection` notice),
# about 350 bytes each with a short clientState; three subscriptions → ~1 MB. A 4xx here deletes
# the subscription, so the bound is generous: it only stops a body BC cannot have sent.
MAX_BODY_BYTES = 4 * 1024 * 1024
MAX_TOKEN_LENGTH = 1024
_SAFE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9]{0,63}")
_SAFE_CORRELATION = re.compile(r"[A-Za-z0-9-]{1,64}")
_CORRELATION_HEADERS = ("x-ms-correlation-id", "clientrequestid")
_FLOW_BY_NAME = {name.lower(): flow for name, flow in POLL_FLOWS.items()}
DELETION_KIND = "bc-deletion"
DELETABLE = frozenset({"salesOrders"})  # entity sets whose deletion a flow acts on
_RECORD_ID = re.compile(r"\(([0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12})\)$")
_NO_SNIFF = MappingProxyType({"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"})


@dataclass(frozen=True, slots=True)
class NotificationRequest:
    """What the handler needs of an HTTP request, whoever received it (the Functions host, a test).

    `body` is the raw body as received; the handler refuses it beyond its size bound.
    """

    method: str
    query: Mapping[str, str] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""


@dataclass(frozen=True, slots=True)
class NotificationReply:
    """The HTTP answer: the shell copies it onto its own response type."""

    status: int
    body: str = ""
    content_type: str = "text/plain"
    headers: Mapping[str, str] = _NO_SNIFF


class Notice(BaseModel):
    """One notification; only what the doorbell needs (BC sends more: `expirationDateTime`, …)."""

    model_config = ConfigDict(alias_generator=to_camel, validate_by_name=True, extra="ignore", frozen=True)

    client_state: str | None = Field(default=None, max_length=4096, repr=False)
    resource: str = Field(min_length=1, max_length=4096)
    change_type: str = Field(min_length=1, max_length=64)
    last_modified_date_time: datetime | None = None


class NoticeBatch(BaseModel):
    """The body BC posts: `{"value": [notice, …]}`, notices of one or more of our subscriptions."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    value: list[Notice] = Field(min_length=1)


async def receive_bc_notification(
    request: NotificationRequest,
    *,
    client_state: str,
    transport: Transport,
    queue: str,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    max_body_bytes: int = MAX_BODY_BYTES,
    bucket: timedelta = BUCKET,
) -> NotificationReply:
    """Answer one request to `/api/bc/notifications`: the handshake, or a batch of notifications.

    Order of the checks: handshake → method → size → shape → every notice's `clientState` →
    enqueue. Nothing is enqueued unless every check passed.
    """
    with flow_span(FLOW) as span:
        reply = await _answer(request, client_state, transport, queue, clock, max_body_bytes, bucket)
        span.set_attribute("http.status_code", reply.status)
        return reply


async def _answer(
    request: NotificationRequest,
    client_state: str,
    transport: Transport,
    queue: str,
    clock: Callable[[], datetime],
    max_body_bytes: int,
    bucket: timedelta,
) -> NotificationReply:
    if "validationToken" in request.query:
        return handshake(request.query["validationToken"])
    if request.method.upper() != "POST":
        return NotificationReply(405, "POST notifications here", headers={**_NO_SNIFF, "Allow": "GET, POST"})
    if len(request.body) > max_body_bytes:
        log.warning("bc notification refused: body of %d bytes is over %d", len(request.body), max_body_bytes)
        return NotificationReply(413, "body too large")
    try:
        batch = NoticeBatch.model_validate_json(request.body)
    except ValidationError:  # its text quotes the input: never logged or returned
        log.warning("bc notification refused: not a notification body (%d bytes)", len(request.body))
        return NotificationReply(400, 'expected JSON {"value": [notification, ...]}')
    if not all(_same_secret(notice.client_state, client_state) for notice in batch.value):
        log.warning("bc notification refused: clientState does not match (%d notices)", len(batch.value))
        return NotificationReply(401, "clientState does not match")
    flows = polls_for(batch.value)
    deletions = deletions_in(batch.value, clock())
    if flows or deletions:
        now, correlation_id = clock(), _correlation(request)
        messages = [poll_request(f, now, bucket=bucket, correlation_id=correlation_id) for f in flows]
        messages += [deletion.message() for deletion in deletions]
        try:
            await transport.send(queue, messages)
        except Exception as error:  # whatever broke, BC must try again (503), not delete the subscription
            log.error("bc notification not enqueued (%s); answered 503 so BC retries", type(error).__name__)
            return NotificationReply(503, "try again later", headers={**_NO_SNIFF, "Retry-After": "60"})
    log.info("bc notification: %d notices → poll requests %s", len(batch.value), ", ".join(flows) or "none")
    return NotificationReply(202)


def handshake(token: str) -> NotificationReply:
    """BC's validation call on create and renew: 200 with the exact token as the body.

    The token is the only thing ever echoed, and only when it is short printable ASCII, as
    `text/plain` with `nosniff`: the echo cannot be turned into a page in someone's browser.
    """
    if not (0 < len(token) <= MAX_TOKEN_LENGTH and token.isascii() and token.isprintable()):
        log.warning("bc handshake refused: the validation token is empty, too long or not printable")
        return NotificationReply(400, "invalid validationToken")
    log.info("bc handshake answered")
    return NotificationReply(200, token)


def polls_for(notices: Iterable[Notice]) -> list[str]:
    """The poll flows these notices wake, each once, in a stable order.

    A `collection` notice names the entity set too (its resource is the set with a
    `lastModifiedDateTime` filter); the poll reads by watermark, so it catches up everything.
    Notices for an entity set with no poll flow are ignored; its name (never a key) is logged.
    """
    flows: set[str] = set()
    for notice in notices:
        name = entity_set(notice.resource)
        flow = _FLOW_BY_NAME.get(name.lower()) if name else None
        if flow is None:
            log.warning("bc notification ignored: no poll flow for entity set %s", name or "<unrecognised>")
            continue
        flows.add(flow)
    return sorted(flows)


@dataclass(frozen=True, slots=True)
class Deletion:
    """A BC record deleted, from a `deleted` notice: the one change a watermark poll cannot see.

    It travels on the poll-requests queue (kind `bc-deletion`, one message per record, so the
    doorbell's per-bucket coalescing never swallows one) and the consumer turns it into the
    flow's own message (for a sales order: the deleted-order envelope in the order's session).
    """

    entity_set: str
    record_id: str
    deleted_at: datetime

    def message(self) -> OutboundMessage:
        envelope = Envelope(
            kind=DELETION_KIND,
            key=self.record_id,
            version=self.deleted_at.isoformat(),
            payload={"entity_set": self.entity_set},
        )
        return OutboundMessage(
            body=envelope.to_bytes(),
            message_id=envelope.idempotency_key,
            correlation_id=envelope.correlation_id,
            subject=DELETION_KIND,
        )


def deletions_in(notices: Iterable[Notice], now: datetime) -> list[Deletion]:
    """The deleted sales orders these notices name (a `deleted` notice's resource ends in `(<id>)`)."""
    found: dict[str, Deletion] = {}
    for notice in notices:
        if notice.change_type.lower() != "deleted" or (entity_set(notice.resource) or "") not in DELETABLE:
            continue
        match = _RECORD_ID.search(urlsplit(notice.resource).path)
        if match is None:
            log.warning("bc deletion notice ignored: no record id in its resource")
            continue
        record_id = match.group(1).lower()
        found[record_id] = Deletion(
            str(entity_set(notice.resource)), record_id, notice.last_modified_date_time or now
        )
    return list(found.values())


def entity_set(resource: str) -> str | None:
    """`items` of `api/v2.0/companies(…)/items(…)`, `/…/salesOrders?$filter=…` or an absolute URL."""
    segment = urlsplit(resource).path.rstrip("/").rsplit("/", 1)[-1].split("(", 1)[0]
    return segment if _SAFE_NAME.fullmatch(segment) else None


def poll_request(
    flow: str, now: datetime, *, bucket: timedelta = BUCKET, correlation_id: str | None = None
) -> OutboundMessage:
    """The poll request for `flow` in the time bucket of `now`, delivered at the bucket's end.

    Its message id is `poll-request:<flow>:<bucket start>`, so every notification of one bucket
    coalesces into one message through the queue's duplicate detection (its window must be at
    least the bucket). Why it waits for the bucket's end, the race it prevents:
      1. a notification at 10:00:01 enqueues `…:100000`, delivered at once; the poll runs at 10:00:02;
      2. BC commits another change at 10:00:03 and its notification arrives at 10:00:05;
      3. that send has the same message id, so the broker drops it;
      4. the change waits for the next timer poll, though its doorbell rang.
    Delivered at 10:00:10 instead, the one poll starts after every notification of its bucket
    arrived; a later notification falls in the next bucket and wakes another poll.
    """
    start = _bucket_start(now, bucket)
    envelope = Envelope(
        kind=POLL_REQUEST_KIND,
        key=flow,
        version=start.strftime("%Y%m%dT%H%M%SZ"),
        occurred_at=now,
        payload={"flow": flow, "source": "bc-notification"},
        correlation_id=correlation_id or uuid.uuid4().hex,
    )
    return OutboundMessage(
        body=envelope.to_bytes(),
        message_id=envelope.idempotency_key,
        scheduled_enqueue_time=start + bucket,
        correlation_id=envelope.correlation_id,
        subject=POLL_REQUEST_KIND,
    )


def _bucket_start(now: datetime, bucket: timedelta) -> datetime:
    seconds = bucket.total_seconds()
    if seconds <= 0:
        raise ValueError("the time bucket must be positive")
    return datetime.fromtimestamp(now.timestamp() // seconds * seconds, UTC)


def _same_secret(given: str | None, expected: str) -> bool:
    """Constant time, so the comparison's duration does not reveal how much of a guess was right."""
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


def _correlation(request: NotificationRequest) -> str | None:
    """BC's `x-ms-correlation-id` (or `clientRequestId`), kept only when it looks like an id."""
    headers = {name.lower(): value for name, value in request.headers.items()}
    for name in _CORRELATION_HEADERS:
        value = headers.get(name, "")
        if _SAFE_CORRELATION.fullmatch(value):
            return value
    return None
