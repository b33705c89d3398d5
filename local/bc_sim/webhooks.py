"""BC webhooks (reference §4): subscriptions with the validationToken handshake, 3-day expiry,
notifications delayed and batched per notification URL, one `collection` notice above the
threshold, retries on 408/429/5xx and deletion of the subscription on any other reply.

Deliveries go to loopback URLs only. The background loop delivers what is due by the simulator's
clock; `flush` delivers everything at once and `/_sim/clock/advance` makes batches due, so tests
never wait the 30 s.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import urllib.parse
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx

from local.bc_sim import errors
from local.bc_sim.clock import wire_datetime
from local.bc_sim.config import CUSTOM_API, STANDARD_API, BcSimConfig
from local.bc_sim.errors import BcError
from local.bc_sim.model import Change, Row, SimState, etag_for
from local.bc_sim.schema import ALL_SETS

log = logging.getLogger("bc_sim.webhooks")
MAX_SUBSCRIPTIONS = 200  # per environment (reference §6)
MAX_DELIVERY_LOG = 1000
COLLECTION_LOOKBACK = timedelta(milliseconds=50)


@dataclass
class Subscription:
    row: Row
    version: int
    api: str
    entity_set: str


@dataclass
class _Batch:
    """Notices waiting for one notification URL: subscription id -> entity id -> (changeType, when)."""

    due_at: datetime
    notices: dict[str, dict[str, tuple[str, datetime]]] = field(default_factory=dict)
    first_change: dict[str, datetime] = field(default_factory=dict)
    attempts: int = 0

    def add(self, subscription_id: str, entity_id: str, change_type: str, at: datetime) -> None:
        per_sub = self.notices.setdefault(subscription_id, {})
        self.first_change.setdefault(subscription_id, at)
        previous = per_sub.get(entity_id)
        if previous is not None and previous[0] == "created" and change_type == "updated":
            change_type = "created"
        per_sub[entity_id] = (change_type, at)

    def merge(self, other: _Batch) -> None:
        for sub_id, notices in other.notices.items():
            for entity_id, (change_type, at) in notices.items():
                self.add(sub_id, entity_id, change_type, at)
            self.first_change[sub_id] = min(self.first_change[sub_id], other.first_change[sub_id])


@dataclass(frozen=True)
class Delivery:
    """One POST to a notification URL and what became of it (delivered, retry, gave-up, deleted)."""

    url: str
    at: str
    status: int | None
    outcome: str
    notifications: list[dict[str, Any]]

    def as_json(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "at": self.at,
            "status": self.status,
            "outcome": self.outcome,
            "notifications": self.notifications,
        }


class Webhooks:
    def __init__(self, state: SimState, config: BcSimConfig, company_id: str) -> None:
        self.state = state
        self.config = config
        self.company_id = company_id
        self.clock = config.clock
        self.subscriptions: dict[str, Subscription] = {}
        self.pending: dict[str, _Batch] = {}
        self.deliveries: list[Delivery] = []
        self._version = 0
        self._sending = asyncio.Lock()
        state.listeners.append(self.on_changes)

    def reset(self) -> None:
        self.subscriptions.clear()
        self.pending.clear()
        self.deliveries.clear()

    # --- subscriptions -----------------------------------------------------------------------------
    def all(self) -> list[Subscription]:
        self._purge_expired()
        return list(self.subscriptions.values())

    def get(self, subscription_id: str) -> Subscription:
        self._purge_expired()
        sub = self.subscriptions.get(subscription_id)
        if sub is None:
            raise errors.record_not_found("API Webhook Subscription", subscription_id)
        return sub

    def etag(self, sub: Subscription) -> str:
        return etag_for(sub.version)

    async def create(self, body: dict[str, Any], principal: str) -> Subscription:
        values = self._fields(body, creating=True)
        if len(self.all()) >= MAX_SUBSCRIPTIONS:
            raise errors.dialog(f"You cannot have more than {MAX_SUBSCRIPTIONS} subscriptions.")
        url = values["notificationUrl"]
        api, entity_set = self._resource(values["resource"])
        await self._handshake(url)
        now = self.clock.now()
        row = {
            "subscriptionId": uuid.uuid4().hex,
            "notificationUrl": url,
            "resource": values["resource"],
            "userId": str(uuid.uuid5(uuid.NAMESPACE_URL, principal)),
            "lastModifiedDateTime": wire_datetime(now),
            "clientState": values.get("clientState", ""),
            "expirationDateTime": wire_datetime(
                now + timedelta(seconds=self.config.subscription_lifetime_seconds)
            ),
            "systemCreatedAt": wire_datetime(now),
        }
        sub = Subscription(row, self._bump(), api, entity_set)
        self.subscriptions[row["subscriptionId"]] = sub
        return sub

    async def renew(self, subscription_id: str, body: dict[str, Any]) -> Subscription:
        """PATCH: repeats the handshake, then extends the expiry by the full lifetime."""
        sub = self.get(subscription_id)
        values = self._fields(body, creating=False)
        if "resource" in values and values["resource"] != sub.row["resource"]:
            raise errors.read_only("resource")
        url = values.get("notificationUrl") or str(sub.row["notificationUrl"])
        await self._handshake(url)
        now = self.clock.now()
        expiry = now + timedelta(seconds=self.config.subscription_lifetime_seconds)
        sub.row.update(
            values, lastModifiedDateTime=wire_datetime(now), expirationDateTime=wire_datetime(expiry)
        )
        sub.version = self._bump()
        return sub

    def delete(self, subscription_id: str) -> None:
        self.get(subscription_id)
        self.subscriptions.pop(subscription_id, None)

    def _fields(self, body: dict[str, Any], *, creating: bool) -> dict[str, str]:
        if not isinstance(body, dict):
            raise BcError(400, "BadRequest", "Invalid Request Body")
        es = ALL_SETS["subscriptions"]
        values: dict[str, str] = {}
        for name, value in body.items():
            if name.startswith("@odata."):
                continue
            f = es.by_name.get(name)
            if f is None:
                raise BcError(
                    400,
                    "BadRequest",
                    f"The property '{name}' does not exist on type 'Microsoft.NAV.subscription'.",
                )
            if f.read_only:
                raise errors.read_only(name)
            if not isinstance(value, str):
                raise BcError(400, "BadRequest", f"Cannot convert the value of '{name}' to a string.")
            if f.max_length is not None and len(value) > f.max_length:
                raise BcError(400, "Application_StringExceededLength", f"The value of '{name}' is too long.")
            values[name] = value
        if creating and not (values.get("notificationUrl") and values.get("resource")):
            raise BcError(
                400, "BadRequest_RequiredParamNotProvided", "notificationUrl and resource are required."
            )
        if "notificationUrl" in values:
            self._check_url(values["notificationUrl"])
        return values

    def _check_url(self, url: str) -> None:
        parsed = urllib.parse.urlsplit(url)
        if (
            parsed.scheme not in ("http", "https")
            or parsed.hostname not in self.config.allowed_notification_hosts
        ):
            raise errors.dialog(
                f"The notification URL '{url}' is not allowed: the simulator calls loopback URLs only."
            )

    def _resource(self, resource: str) -> tuple[str, str]:
        """(api, entity set) of a subscription resource, an absolute URL or a path:
        `.../api/{api}/companies(id)/set`."""
        path = urllib.parse.urlsplit(resource).path
        marker = path.find("api/")
        rest = path[marker + 4 :] if marker >= 0 else ""
        for api in (STANDARD_API, CUSTOM_API):
            if rest.startswith(api + "/"):
                parts = rest[len(api) + 1 :].split("/")
                expected = f"companies({self.company_id})"
                if len(parts) == 2 and parts[0].lower() == expected and ALL_SETS.get(parts[1]) is not None:
                    es = ALL_SETS[parts[1]]
                    if es.api == api and es.webhook_capable and es.name in self.config.webhook_entity_sets:
                        return api, es.name
                    raise errors.dialog(f"The entity set '{parts[1]}' does not support webhooks.")
        raise errors.dialog(f"The resource '{resource}' is not a valid subscription resource.")

    async def _handshake(self, url: str) -> None:
        """BC's validation call: the receiver must answer 200 with the token as the body in time."""
        token = uuid.uuid4().hex
        separator = "&" if urllib.parse.urlsplit(url).query else "?"
        failure = ""
        try:
            async with _loopback_client(self.config.handshake_timeout_seconds) as client:
                reply = await client.post(f"{url}{separator}validationToken={token}")
            if reply.status_code != 200:
                failure = f"it answered {reply.status_code}"
            elif reply.text.strip() not in (token, json.dumps(token)):
                failure = "it did not echo the validation token"
        except httpx.HTTPError as error:
            failure = f"it could not be reached ({type(error).__name__})"
        if failure:
            raise errors.dialog(f"The notification URL '{url}' failed the validation handshake: {failure}.")

    # --- notifications -----------------------------------------------------------------------------
    def on_changes(self, changes: Sequence[Change]) -> None:
        """State listener: queue a notice per (subscription, record) for every committed change."""
        if not self.subscriptions:
            return
        self._purge_expired()
        delay = timedelta(seconds=self.config.webhook_delay_seconds)
        for change in changes:
            for sub in self.subscriptions.values():
                if sub.entity_set == change.entity_set:
                    url = sub.row["notificationUrl"]
                    batch = self.pending.setdefault(url, _Batch(due_at=change.at + delay))
                    batch.add(sub.row["subscriptionId"], change.id, change.change_type, change.at)

    async def deliver_due(self, *, everything: bool = False) -> list[Delivery]:
        """Send every batch whose delay has passed (or all of them); returns what happened."""
        async with self._sending:
            now = self.clock.now()
            due = [url for url, batch in self.pending.items() if everything or batch.due_at <= now]
            results = []
            for url in due:
                batch = self.pending.pop(url, None)
                payload = self._payload(batch) if batch is not None else []
                if batch is not None and payload:  # empty when its subscriptions are gone
                    results.append(await self._send(url, batch, payload))
            return results

    async def run(self) -> None:
        """The background sender (BC's job queue); stops when cancelled."""
        while True:
            await asyncio.sleep(self.config.dispatcher_interval_seconds)
            try:
                await self.deliver_due()
            except Exception:  # a defect must not stop later deliveries; it is logged with its traceback
                log.exception("webhook delivery failed")

    async def _send(self, url: str, batch: _Batch, payload: list[dict[str, Any]]) -> Delivery:
        status: int | None = None
        try:
            async with _loopback_client(self.config.delivery_timeout_seconds) as client:
                reply = await client.post(
                    url,
                    json={"value": payload},
                    headers={"clientRequestId": str(uuid.uuid4()), "x-ms-correlation-id": str(uuid.uuid4())},
                )
            status = reply.status_code
        except httpx.HTTPError:
            status = None
        if status is not None and 200 <= status < 300:
            outcome = "delivered"
        elif status is None or status in (408, 429) or status >= 500:
            outcome = self._retry(url, batch)
        else:
            outcome = "subscription-deleted"
            for sub_id in batch.notices:
                self.subscriptions.pop(sub_id, None)
        delivery = Delivery(url, wire_datetime(self.clock.now()), status, outcome, payload)
        self.deliveries.append(delivery)
        del self.deliveries[:-MAX_DELIVERY_LOG]
        return delivery

    def _retry(self, url: str, batch: _Batch) -> str:
        delays = self.config.delivery_retry_delays_seconds
        if batch.attempts >= len(delays):
            return "gave-up"
        batch.due_at = self.clock.now() + timedelta(seconds=delays[batch.attempts])
        batch.attempts += 1
        newer = self.pending.get(url)
        if newer is not None:
            batch.merge(newer)
        self.pending[url] = batch
        return "retry"

    def _payload(self, batch: _Batch) -> list[dict[str, Any]]:
        notices: list[dict[str, Any]] = []
        for sub_id, per_entity in batch.notices.items():
            sub = self.subscriptions.get(sub_id)
            if sub is None:
                continue
            api_path = f"/api/{sub.api}/companies({self.company_id})/{sub.entity_set}"
            common = {
                "subscriptionId": sub_id,
                "clientState": sub.row["clientState"],
                "expirationDateTime": sub.row["expirationDateTime"],
            }
            if len(per_entity) > self.config.collection_threshold:
                since = wire_datetime(batch.first_change[sub_id] - COLLECTION_LOOKBACK)
                notices.append(
                    {
                        **common,
                        "resource": f"{api_path}?$filter=lastModifiedDateTime gt {since}",
                        "changeType": "collection",
                        "lastModifiedDateTime": wire_datetime(self.clock.now()),
                    }
                )
                continue
            for entity_id, (change_type, at) in per_entity.items():
                notices.append(
                    {
                        **common,
                        "resource": f"{api_path}({entity_id})",
                        "changeType": change_type,
                        "lastModifiedDateTime": wire_datetime(at),
                    }
                )
        return notices

    def _purge_expired(self) -> None:
        now = wire_datetime(self.clock.now())
        for sub_id in [k for k, s in self.subscriptions.items() if s.row["expirationDateTime"] <= now]:
            del self.subscriptions[sub_id]

    def _bump(self) -> int:
        self._version += 1
        return 10**9 + self._version

    def snapshot(self) -> dict[str, Any]:
        return {
            "subscriptions": [dict(s.row) for s in self.all()],
            "pending": {
                url: {
                    "dueAt": wire_datetime(b.due_at),
                    "attempts": b.attempts,
                    "notices": sum(len(n) for n in b.notices.values()),
                }
                for url, b in self.pending.items()
            },
            "deliveries": [d.as_json() for d in self.deliveries],
        }


def _loopback_client(timeout: float) -> httpx.AsyncClient:
    """Handshakes and notifications go to loopback URLs only (checked when a URL is set), so the
    receiver's certificate, if it serves TLS at all, is not verified."""
    return httpx.AsyncClient(timeout=timeout, verify=False)  # noqa: S501


async def stop_task(task: asyncio.Task[None] | None) -> None:
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
