"""Webhook delivery: at least once, unordered, signed, retried with backoff, and faulted on demand.

Each published event becomes one delivery per active subscription that wants its type. The
webhook faults are drawn then, from a seeded generator: a lost delivery is never sent; a
duplicated one is sent twice (same id, same body); a delayed one is held `delay_seconds`; an
out-of-order one swaps places with the delivery after it (the background worker holds it
half a second, so the next event overtakes it). A non-2xx answer or no answer is
retried after `webhook_backoff_seconds[n]`; when the attempts are spent the delivery is given up
and its subscription disabled. The feeds keep every record, so nothing is lost to the integration.

`flush()` attempts every pending delivery once, now, ignoring backoff (held deliveries only with
`release_delayed`), so tests need not wait; with `webhook_auto_deliver` a background worker does
the same on the real clock.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
from pydantic import BaseModel

from local.scend_sim.config import RealTime, ScendSimConfig
from local.scend_sim.faults import WebhookFaults
from local.scend_sim.models.webhooks import Event, EventType
from local.scend_sim.webhooks.signing import signature_header
from local.scend_sim.webhooks.subscriptions import Subscription, Subscriptions, require_loopback

LOG_SIZE = 10_000
OUT_OF_ORDER_HOLD_SECONDS = 0.5  # on the real clock, long enough for the next event to overtake


@dataclass(slots=True)
class Delivery:
    id: str
    event_id: str
    event_type: EventType
    subscription_id: str
    body: bytes
    attempts: int = 0
    due: float = 0.0
    held_until: float | None = None
    copies: int = 1
    out_of_order: bool = False
    faults: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Attempt:
    """One request sent (or not: `lost`), as `GET /_sim/webhooks/deliveries` lists them."""

    delivery_id: str
    event_id: str
    event_type: str
    subscription_id: str
    attempt: int
    status_code: int | None
    error: str | None
    outcome: str  # delivered, retrying, failed, lost
    faults: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Flushed:
    attempted: int
    delivered: int
    failed: int
    pending: int
    held: int


class WebhookHub:
    """The simulator's event sink: publishes events as signed deliveries to the subscribers."""

    def __init__(self, config: ScendSimConfig, now: Callable[[], datetime]) -> None:
        self._now = now
        self._lock = asyncio.Lock()
        self._wake = asyncio.Event()
        self._client: httpx.AsyncClient | None = None
        self._timeout = config.webhook_timeout_seconds
        self.faults = WebhookFaults()
        self.configure(config)
        self.reset(config.seed)

    def configure(self, config: ScendSimConfig) -> None:
        self._realtime: RealTime = config.time
        self._backoff = config.webhook_backoff_seconds
        self.auto_deliver = config.webhook_auto_deliver
        if self._client is not None and self._timeout != config.webhook_timeout_seconds:
            self._client.timeout = httpx.Timeout(config.webhook_timeout_seconds)
        self._timeout = config.webhook_timeout_seconds
        self._wake.set()

    def reset(self, seed: int) -> None:
        self.subscriptions = Subscriptions(random.Random(f"{seed}:secrets"))
        self._rng = random.Random(f"{seed}:webhooks")
        self.pending: dict[str, Delivery] = {}
        self.log: collections.deque[Attempt] = collections.deque(maxlen=LOG_SIZE)
        self.counts: collections.Counter[str] = collections.Counter()
        self._events = 0
        self._deliveries = 0

    # EventSink

    def wants(self, event_type: EventType) -> bool:
        return bool(self.subscriptions.wanting(event_type))

    def publish(self, event_type: EventType, resource: BaseModel | dict[str, Any], url: str) -> None:
        subscribers = self.subscriptions.wanting(event_type)
        if not subscribers:
            return
        self._events += 1
        data = resource if isinstance(resource, dict) else resource.model_dump(mode="json")
        event = Event(
            id=f"evt_{self._events:010d}",
            type=event_type,
            created_at=self._now(),
            api_version="1",
            data=data,
            resource_url=url,
        )
        body = event.model_dump_json().encode()
        self.counts["events"] += 1
        for subscription in subscribers:
            self._enqueue(event, subscription, body)
        self._wake.set()

    def _enqueue(self, event: Event, subscription: Subscription, body: bytes) -> None:
        self._deliveries += 1
        delivery = Delivery(f"dlv_{self._deliveries:010d}", event.id, event.type, subscription.id, body)
        f = self.faults
        lost, duplicate, delayed, reordered = (self._rng.random() for _ in range(4))
        if lost < f.lost_rate:
            self.counts["lost"] += 1
            self.log.append(_attempt(delivery, None, None, "lost", ("lost",)))
            return
        now = self._realtime.monotonic()
        delivery.due = now
        if duplicate < f.duplicate_rate:
            delivery.copies = 2
            delivery.faults.append("duplicate")
            self.counts["duplicated"] += 1
        if delayed < f.delay_rate:
            delivery.held_until = now + f.delay_seconds
            delivery.faults.append("delayed")
            self.counts["delayed"] += 1
        if reordered < f.out_of_order_rate:
            delivery.out_of_order = True
            delivery.due = now + OUT_OF_ORDER_HOLD_SECONDS
            delivery.faults.append("out_of_order")
            self.counts["reordered"] += 1
        self.pending[delivery.id] = delivery

    # Sending

    async def flush(self, *, release_delayed: bool = False) -> Flushed:
        """Attempt every pending delivery once, now (held ones only when `release_delayed`)."""
        async with self._lock:
            now = self._realtime.monotonic()
            batch = [d for d in self.pending.values() if release_delayed or not _held(d, now)]
            return await self._send_batch(batch)

    async def run(self) -> None:
        """Deliver in the background on the real clock while `auto_deliver`, until cancelled."""
        while True:
            self._wake.clear()
            wait = None
            if self.auto_deliver:
                async with self._lock:
                    now = self._realtime.monotonic()
                    due = [d for d in self.pending.values() if d.due <= now and not _held(d, now)]
                    if due:
                        await self._send_batch(due)
                wait = self._next_wait()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=wait)

    def _next_wait(self) -> float | None:
        if not self.pending:
            return None
        now = self._realtime.monotonic()
        soonest = min(max(d.due, d.held_until or 0.0) for d in self.pending.values())
        return max(0.01, soonest - now)

    async def _send_batch(self, batch: list[Delivery]) -> Flushed:
        delivered = failed = 0
        for delivery in _reorder(batch):
            outcome = await self._attempt(delivery)
            delivered += outcome == "delivered"
            failed += outcome == "failed"
        now = self._realtime.monotonic()
        held = sum(1 for d in self.pending.values() if _held(d, now))
        return Flushed(len(batch), delivered, failed, len(self.pending), held)

    async def _attempt(self, delivery: Delivery) -> str:
        subscription = self.subscriptions.by_id.get(delivery.subscription_id)
        if subscription is None or subscription.status != "active":
            self.pending.pop(delivery.id, None)
            return "dropped"
        delivery.attempts += 1
        delivery.held_until = None
        copies, delivery.copies = delivery.copies, 1
        results = [await self._post(subscription, delivery) for _ in range(copies)]
        status = results[0][0]
        faults = tuple(delivery.faults)
        delivery.faults = []
        if status is not None and 200 <= status < 300:
            outcome = "delivered"
            self.pending.pop(delivery.id, None)
        elif delivery.attempts > len(self._backoff):
            outcome = "failed"
            self.pending.pop(delivery.id, None)
            subscription.status = "disabled"
        else:
            outcome = "retrying"
            delivery.due = self._realtime.monotonic() + self._backoff[delivery.attempts - 1]
        self.counts[outcome] += 1
        for index, (code, problem) in enumerate(results):
            note = faults if index == 0 else (*faults, "duplicate_copy")
            self.log.append(_attempt(delivery, code, problem, outcome, note))
        return outcome

    async def _post(self, subscription: Subscription, delivery: Delivery) -> tuple[int | None, str | None]:
        require_loopback(subscription.url)
        timestamp = int(self._realtime.wall())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "scend-sim/1",
            "Scend-Webhook-Id": delivery.event_id,
            "Scend-Webhook-Timestamp": str(timestamp),
            "Scend-Webhook-Signature": signature_header(
                subscription.secrets, delivery.event_id, timestamp, delivery.body
            ),
            "Scend-Event-Type": delivery.event_type,
        }
        self.counts["sent"] += 1
        try:
            response = await self._http().post(subscription.url, content=delivery.body, headers=headers)
        except httpx.HTTPError as error:
            return None, type(error).__name__
        return response.status_code, None

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self._timeout, trust_env=False)
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None


def _held(delivery: Delivery, now: float) -> bool:
    return delivery.held_until is not None and delivery.held_until > now


def _reorder(batch: list[Delivery]) -> list[Delivery]:
    """Deliveries in publication order, except that an out-of-order one swaps with the next."""
    ordered = sorted(batch, key=lambda d: d.id)
    index = 0
    while index < len(ordered) - 1:
        if ordered[index].out_of_order:
            ordered[index].out_of_order = False
            ordered[index], ordered[index + 1] = ordered[index + 1], ordered[index]
            index += 2
        else:
            index += 1
    for delivery in ordered:
        delivery.out_of_order = False
    return ordered


def _attempt(
    delivery: Delivery, status: int | None, error: str | None, outcome: str, faults: tuple[str, ...]
) -> Attempt:
    return Attempt(
        delivery.id,
        delivery.event_id,
        delivery.event_type,
        delivery.subscription_id,
        delivery.attempts,
        status,
        error,
        outcome,
        faults,
    )
