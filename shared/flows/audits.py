"""Audits (`run_audits`, every 15 minutes): what no single message can notice, raised to its owner.

- `ORDER_NOT_IN_WMS` (customer services): a released BC order not at Scend
  `ORDER_ACCEPT_SLA_MINUTES` after its release, and not held for a known reason;
- `DESPATCH_OVERDUE` (warehouse ops): an order at Scend with nothing despatched
  `DESPATCH_CUTOFF_HOURS` after Scend accepted it;
- `WATERMARK_STALE` (IT): a poll or feed whose last good read is older than
  `WATERMARK_STALE_MINUTES`;
- `DEAD_LETTERS` (IT): messages waiting in a queue's dead-letter queue;
- `SUBSCRIPTION_LOST` (IT): a BC webhook subscription expiring within 12 hours (the upkeep renews
  a day ahead, so it failed).

Each exception is one row per (type, document), counted again while it stays true, and resolved by
the first audit that finds it no longer true (a watermark moving again, a queue drained, an order
accepted or despatched). `TRACKING_MISSING` is raised by the despatch flow itself, at once.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.bc.client import BcClient
from shared.flows.order_holds import ORDER_KIND
from shared.messaging.transport import QueueSpec, Transport
from shared.store.crossrefs import CrossReferenceStore
from shared.store.exceptions import ExceptionStatus, ExceptionStore
from shared.store.watermarks import WatermarkStore

log = logging.getLogger(__name__)

ORDER_NOT_IN_WMS, DESPATCH_OVERDUE = "ORDER_NOT_IN_WMS", "DESPATCH_OVERDUE"
WATERMARK_STALE, DEAD_LETTERS, SUBSCRIPTION_LOST = "WATERMARK_STALE", "DEAD_LETTERS", "SUBSCRIPTION_LOST"
RELEASED_LOOKBACK = timedelta(days=14)  # released orders older than this are history, not news
SUBSCRIPTION_WARNING = timedelta(hours=12)
EXPIRY_KIND = "subscription-expiry"  # apart from the upkeep's own SUBSCRIPTION_LOST rows, which it resolves


@dataclass(frozen=True, slots=True)
class AuditThresholds:
    accept_sla: timedelta
    despatch_cutoff: timedelta
    watermark_stale: timedelta


@dataclass
class Audits:
    bc: BcClient
    cross_references: CrossReferenceStore
    watermarks: WatermarkStore
    exceptions: ExceptionStore
    transport: Transport
    queues: Sequence[QueueSpec]
    thresholds: AuditThresholds
    clock: Callable[[], datetime]

    async def run(self) -> Counter[str]:
        """Every check; returns how many findings each raised (for the log line)."""
        found: Counter[str] = Counter()
        found[ORDER_NOT_IN_WMS] = await self.orders_not_in_wms()
        found[DESPATCH_OVERDUE] = await self.despatch_overdue()
        found[WATERMARK_STALE] = await self.stale_watermarks()
        found[DEAD_LETTERS] = await self.dead_letters()
        found[SUBSCRIPTION_LOST] = await self.subscriptions_expiring()
        log.info("run_audits: %s", dict(found))
        return found

    async def _flag(self, kind: str, exception_type: str, key: str, detail: str, raised: set[str]) -> None:
        await self.exceptions.record(kind, exception_type, key, detail=detail)
        raised.add(key)

    async def _resolve_others(self, kind: str, exception_type: str, raised: set[str], why: str) -> None:
        """Resolve the open findings of this check that this run did not find again."""
        continuation: str | None = None
        while True:
            page = await self.exceptions.list_page(
                status=ExceptionStatus.OPEN,
                kind=kind,
                type=exception_type,
                page_size=500,
                continuation=continuation,
            )
            for row in page.items:
                if row.business_key not in raised:
                    await self.exceptions.resolve(kind, exception_type, row.business_key, why)
            continuation = page.continuation
            if continuation is None:
                return

    async def orders_not_in_wms(self) -> int:
        now, raised = self.clock(), set[str]()
        since = now - RELEASED_LOOKBACK
        async for order in self.bc.sales.iter_released_orders(changed_since=since):
            released_at = order.last_modified_date_time
            if released_at is None or now - released_at < self.thresholds.accept_sla:
                continue
            ref = await self.cross_references.get_by_bc(ORDER_KIND, str(order.id))
            if ref is not None and (ref.state in ("sent", "held", "withdrawn") or ref.tracked().get("held")):
                continue  # at Scend, or held with its own exception saying why
            await self._flag(
                ORDER_KIND, ORDER_NOT_IN_WMS, str(order.id),
                f"order {order.number} was released at {released_at:%d %b %H:%M} UTC and is not at Scend"
                f" {int((now - released_at).total_seconds() // 60)} minutes later",
                raised,
            )  # fmt: skip
        await self._resolve_others(ORDER_KIND, ORDER_NOT_IN_WMS, raised, "the order reached Scend")
        return len(raised)

    async def despatch_overdue(self) -> int:
        now, raised = self.clock(), set[str]()
        continuation: str | None = None
        while True:
            page = await self.cross_references.list_page(ORDER_KIND, page_size=500, continuation=continuation)
            for ref in page.items:
                track = ref.tracked()
                accepted = track.get("accepted_at")
                if ref.state != "sent" or track.get("despatch") or not isinstance(accepted, str):
                    continue
                waited = now - datetime.fromisoformat(accepted)
                if waited >= self.thresholds.despatch_cutoff:
                    await self._flag(
                        ORDER_KIND, DESPATCH_OVERDUE, ref.bc_id,
                        f"order {ref.bc_number}: Scend accepted it {int(waited.total_seconds() // 3600)}"
                        " hours ago and nothing has been despatched",
                        raised,
                    )  # fmt: skip
            continuation = page.continuation
            if continuation is None:
                break
        await self._resolve_others(ORDER_KIND, DESPATCH_OVERDUE, raised, "despatched, or no longer at Scend")
        return len(raised)

    async def stale_watermarks(self) -> int:
        now, raised = self.clock(), set[str]()
        for mark in await self.watermarks.list_all():
            if mark.last_success is None or now - mark.last_success >= self.thresholds.watermark_stale:
                when = f"{mark.last_success:%d %b %H:%M} UTC" if mark.last_success else "never"
                await self._flag(
                    "watermark", WATERMARK_STALE, f"{mark.flow}/{mark.source}",
                    f"{mark.flow} has not read {mark.source} since {when}", raised,
                )  # fmt: skip
        await self._resolve_others("watermark", WATERMARK_STALE, raised, "reading again")
        return len(raised)

    async def dead_letters(self) -> int:
        raised: set[str] = set()
        for spec in self.queues:
            waiting = (await self.transport.counts(spec.name)).dead_letter
            if waiting:
                await self._flag(
                    "queue", DEAD_LETTERS, spec.name,
                    f"{waiting} message(s) in the dead-letter queue of {spec.name}", raised,
                )  # fmt: skip
        await self._resolve_others("queue", DEAD_LETTERS, raised, "the dead-letter queue is empty")
        return len(raised)

    async def subscriptions_expiring(self) -> int:
        now, raised = self.clock(), set[str]()
        for subscription in await self.bc.subscriptions.list():
            expires = subscription.expiration_date_time
            if expires is not None and expires - now < SUBSCRIPTION_WARNING:
                await self._flag(
                    EXPIRY_KIND, SUBSCRIPTION_LOST, subscription.resource,
                    f"the BC webhook subscription for {subscription.resource.rsplit('/', 1)[-1]} expires at"
                    f" {expires:%d %b %H:%M} UTC and was not renewed",
                    raised,
                )  # fmt: skip
        await self._resolve_others(EXPIRY_KIND, SUBSCRIPTION_LOST, raised, "renewed")
        return len(raised)
