"""Request bodies are bounded on every route that reads one, through the dev host over loopback HTTP.

`POST /api/bc/notifications` (BC_MAX_NOTIFICATION_BODY_BYTES) and `POST /api/scend/events`
(MAX_WEBHOOK_BODY_BYTES) accept a valid body of exactly their limit and answer 413 to one byte more,
with or without a Content-Length, enqueueing nothing. The limits here are not the defaults, so the
answers prove the settings are read. The bodies over the limit are otherwise valid (the right
clientState, a correct signature): only the size check can refuse them.

The ops routes: `retry` does not read its body; `resolve` reads a `{"reason": …}` of at most 4 KiB
(413 above) and answers 400, never 500, to anything else.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from local.azurite import Azurite
from local.devhost import DevHost
from shared.messaging.local import LocalTransport
from shared.messaging.queues import queue_specs
from shared.runtime import reset_runtime
from shared.settings import Settings, get_settings
from tests.e2e.app.test_health import APP_SETTINGS
from tests.e2e.devhost.conftest import restored_environ, write_settings

NOTIFICATION_LIMIT = 65_536  # the least the setting allows; the default is 4 MiB
WEBHOOK_LIMIT = 2_048  # the default is 256 KiB
KEY = {"x-functions-key": APP_SETTINGS["DEVHOST_FUNCTION_KEY"]}
CLIENT_STATE = APP_SETTINGS["BC_WEBHOOK_CLIENT_STATE"]
WEBHOOK_SECRET = APP_SETTINGS["SCEND_WEBHOOK_SECRETS"]


def padded(document: dict[str, object], size: int | None) -> bytes:
    """The document as JSON, with an ignored `padding` field making it exactly `size` bytes."""
    body = json.dumps({**document, "padding": ""}, separators=(",", ":")).encode()
    if size is None:
        return body
    assert size >= len(body), (size, len(body))
    return body.replace(b'"padding":""', b'"padding":"' + b"x" * (size - len(body)) + b'"')


def notification(resource: str, size: int | None = None) -> bytes:
    """A notification batch BC could send, with our clientState: accepted unless too large."""
    notice = {"subscriptionId": "sub-1", "clientState": CLIENT_STATE, "resource": resource,
              "changeType": "updated", "lastModifiedDateTime": "2026-11-27T09:00:00Z"}  # fmt: skip
    return padded({"value": [notice]}, size)


def shipment_event(
    event_id: str, *, secret: str = WEBHOOK_SECRET, size: int | None = None, timestamp: int | None = None
) -> tuple[bytes, dict[str, str]]:
    """A `shipment.despatched` webhook and its Standard Webhooks signature headers, signed here
    (hmac + base64) with `secret`, never with the code under test."""
    shipment = {"id": f"shp_{event_id}", "order_id": "ord_1", "client_reference": "SO-1042-R1",
                "despatched_at": "2026-11-27T09:00:00Z", "carrier": "DPD",
                "is_final_for_order": True}  # fmt: skip
    body = padded(
        {
            "id": event_id,
            "type": "shipment.despatched",
            "created_at": "2026-11-27T09:00:00Z",
            "data": shipment,
        },
        size,
    )
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    key = base64.b64decode(secret.removeprefix("whsec_"))
    mac = hmac.new(key, f"{event_id}.{stamp}.".encode() + body, hashlib.sha256).digest()
    return body, {
        "Content-Type": "application/json",
        "Scend-Webhook-Id": event_id,
        "Scend-Webhook-Timestamp": stamp,
        "Scend-Webhook-Signature": "v1," + base64.b64encode(mac).decode(),
    }


@dataclass
class Served:
    http: httpx.AsyncClient
    queues: LocalTransport

    async def enqueued(self) -> int:
        """Messages on all the app's queues: active, scheduled (a poll request waits for its
        bucket's end) or dead-lettered."""
        total = 0
        for name in self.queues.specs:
            counts = await self.queues.counts(name)
            total += counts.active + counts.scheduled + counts.dead_letter
        return total


@pytest.fixture(scope="module")
def module_tmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("limits")


@pytest.fixture(scope="module")
def environ() -> Iterator[None]:
    with restored_environ():
        yield


@pytest.fixture(scope="module")
async def app(azurite: Azurite, module_tmp: Path, environ: None) -> AsyncIterator[Served]:
    """The app on the dev host, its limits lowered; its queue triggers listen on another queue file,
    so what a route enqueues stays where `enqueued()` counts it."""
    for name in APP_SETTINGS:
        os.environ.pop(name, None)
    values = {
        **APP_SETTINGS,
        "TABLES_CONNECTION_STRING": azurite.connection_string,
        "LOCAL_TRANSPORT_PATH": str(module_tmp / "transport.sqlite3"),
        "BC_MAX_NOTIFICATION_BODY_BYTES": str(NOTIFICATION_LIMIT),
        "MAX_WEBHOOK_BODY_BYTES": str(WEBHOOK_LIMIT),
    }
    settings_file = write_settings(module_tmp / "local.settings.json", values)
    get_settings.cache_clear()
    await reset_runtime()
    specs = queue_specs(Settings.model_construct())  # the default queue names, as in the example
    listened = LocalTransport(str(module_tmp / "listened.sqlite3"), specs)
    queues = LocalTransport(values["LOCAL_TRANSPORT_PATH"], specs)
    host = DevHost("function_app", port=0, settings_file=settings_file, timers=False, transport=listened)
    try:
        async with host, httpx.AsyncClient(base_url=host.base_url, timeout=10.0) as http:
            yield Served(http, queues)
    finally:
        await queues.close()
        await listened.close()
        await reset_runtime()
        get_settings.cache_clear()


async def chunks(body: bytes, size: int = 1024) -> AsyncIterator[bytes]:
    """The body sent chunked: no Content-Length to judge it by."""
    for start in range(0, len(body), size):
        yield body[start : start + size]


# ── BC notifications ────────────────────────────────────────────────────────────────────────────


async def test_a_notification_of_exactly_the_limit_is_accepted_and_enqueues_its_poll(app: Served) -> None:
    before = await app.enqueued()
    reply = await app.http.post(
        "/api/bc/notifications", headers=KEY, content=notification("items", NOTIFICATION_LIMIT)
    )
    assert reply.status_code == 202, reply.text
    assert await app.enqueued() == before + 1


@pytest.mark.parametrize(
    ("size", "chunked"),
    [(NOTIFICATION_LIMIT + 1, False), (NOTIFICATION_LIMIT + 1, True), (16 * NOTIFICATION_LIMIT, False)],
    ids=["one byte over", "one byte over, chunked", "16 times over"],
)
async def test_a_notification_over_the_limit_answers_413_and_enqueues_nothing(
    app: Served, size: int, chunked: bool
) -> None:
    body = notification("salesOrders", size)
    before = await app.enqueued()
    reply = await app.http.post(
        "/api/bc/notifications", headers=KEY, content=chunks(body) if chunked else body
    )
    assert (reply.status_code, reply.text) == (413, "body too large")
    assert await app.enqueued() == before


# ── Scend events ────────────────────────────────────────────────────────────────────────────────


async def test_a_signed_event_of_exactly_the_limit_is_accepted_and_enqueued(app: Served) -> None:
    body, headers = shipment_event("evt_at_limit", size=WEBHOOK_LIMIT)
    before = await app.enqueued()
    reply = await app.http.post("/api/scend/events", headers=headers, content=body)
    assert reply.status_code == 202, reply.text
    assert reply.json()["status"] == "accepted"
    assert await app.enqueued() == before + 1


@pytest.mark.parametrize(
    ("size", "chunked"),
    [(WEBHOOK_LIMIT + 1, False), (WEBHOOK_LIMIT + 1, True), (64 * WEBHOOK_LIMIT, False)],
    ids=["one byte over", "one byte over, chunked", "64 times over"],
)
async def test_a_signed_event_over_the_limit_answers_413_enqueues_nothing_and_is_not_recorded(
    app: Served, size: int, chunked: bool
) -> None:
    event_id = f"evt_over_{size}_{chunked}".lower()
    body, headers = shipment_event(event_id, size=size)
    before = await app.enqueued()
    reply = await app.http.post(
        "/api/scend/events", headers=headers, content=chunks(body) if chunked else body
    )
    assert reply.status_code == 413
    assert reply.json() == {"error": "payload_too_large", "max_bytes": WEBHOOK_LIMIT}
    assert await app.enqueued() == before
    # Not recorded as processed either: the same event, small enough, is new (not a duplicate).
    body, headers = shipment_event(event_id)
    again = await app.http.post("/api/scend/events", headers=headers, content=body)
    assert (again.status_code, again.json()["status"]) == (202, "accepted")


async def test_the_size_is_checked_before_the_signature(app: Served) -> None:
    """An unsigned body over the limit is refused for its size, without the HMAC over it."""
    before = await app.enqueued()
    reply = await app.http.post("/api/scend/events", content=b"x" * (WEBHOOK_LIMIT + 1))
    assert reply.status_code == 413
    assert await app.enqueued() == before


# ── Operations routes ───────────────────────────────────────────────────────────────────────────

EXCEPTION = "/api/ops/exceptions/order/ORDER_REJECTED/SO-1"  # no such exception


async def test_retry_does_not_read_its_body(app: Served) -> None:
    """A megabyte of broken JSON posted to retry changes nothing: the answer is the one without a
    body (the shell hands retry no body; a parse would have answered 400)."""
    url = f"{EXCEPTION}/retry"
    bare = await app.http.post(url, headers=KEY)
    loaded = await app.http.post(url, headers=KEY, content=b"{" * 1_048_576)
    assert (
        (loaded.status_code, loaded.json())
        == (bare.status_code, bare.json())
        == (404, {"error": "no such exception"})
    )


async def test_resolve_refuses_a_body_far_beyond_any_reason(app: Served) -> None:
    body = json.dumps({"reason": "x" * 1_048_576}).encode()
    reply = await app.http.post(f"{EXCEPTION}/resolve", headers=KEY, content=body)
    assert reply.status_code == 413


async def test_resolve_answers_a_deeply_nested_body_with_400_not_500(app: Served) -> None:
    body = b'{"reason":' + b"[" * 2_000 + b"]" * 2_000 + b"}"  # deep, and within the 4 KiB
    reply = await app.http.post(f"{EXCEPTION}/resolve", headers=KEY, content=body)
    assert reply.status_code == 400
