"""BC subscription upkeep: one live webhook subscription per watched entity set, or an open SUBSCRIPTION_LOST.

BC deletes a subscription 3 days after its last create or renew, and at once when our endpoint
answers a notification with anything but 2xx/408/429/5xx (reference §4). So every run of
`renew_bc_subscriptions` looks at what BC has, and per entity set:

- none of ours (same resource and notificationUrl), or only an expired one → create it (BC first
  performs the handshake against our URL);
- one expiring within `renew_before`, or carrying an old clientState → renew it (PATCH If-Match,
  a new handshake, 3 more days);
- one with longer to live → nothing;
- more than one → keep the one that lives longest, delete the others.

A failure BC will not change by itself (the handshake fails, access denied) opens SUBSCRIPTION_LOST
(kind `subscription`, business key = the entity set); so does a temporary failure that leaves the
entity set with no live subscription. A temporary failure while the old subscription still lives is
only logged: the next run (every 6 hours, so about four tries within a 24 h lead) tries again. The
next success resolves the exception. Polling runs either way, so a lost subscription delays changes;
it never loses one.

There is no table of our own for subscriptions: BC is the only place that knows whether one is still
alive (it deletes them by itself), and one list call tells us what a table would, without a copy to
go stale.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from shared.bc.client import BcClient
from shared.bc.errors import BcRecordNotFound
from shared.bc.models import Subscription
from shared.errors import ConcurrencyConflict, InDoubt, IntegrationError, PermanentError, TransientError
from shared.flows.bc_notifications import POLL_FLOWS
from shared.store.exceptions import ExceptionStore
from shared.telemetry import flow_span

log = logging.getLogger(__name__)

FLOW = "renew_bc_subscriptions"
KIND = "subscription"
SUBSCRIPTION_LOST = "SUBSCRIPTION_LOST"
DEFAULT_RESOURCES = ("items", "salesOrders")
RENEW_BEFORE = timedelta(hours=24)
_NEVER = datetime.min.replace(tzinfo=UTC)


class Outcome(StrEnum):
    KEPT = "kept"  # live, not due: nothing sent to BC
    CREATED = "created"  # there was none
    RECREATED = "recreated"  # there was one, but it had expired or BC had deleted it
    RENEWED = "renewed"
    DEFERRED = "deferred"  # a temporary failure while the subscription still lives: next run
    LOST = "lost"  # no live subscription, or BC refused: SUBSCRIPTION_LOST is open


@dataclass(frozen=True, slots=True)
class Upkeep:
    """What one run did for one entity set (the timer shell logs it)."""

    entity_set: str
    outcome: Outcome
    subscription_id: str | None = None
    expires_at: datetime | None = None
    reason: str | None = None


async def keep_subscriptions(
    *,
    bc: BcClient,
    exceptions: ExceptionStore,
    notification_url: str,
    client_state: str,
    clock: Callable[[], datetime],
    resources: Sequence[str] = DEFAULT_RESOURCES,
    renew_before: timedelta = RENEW_BEFORE,
) -> list[Upkeep]:
    """Create, renew or re-create our subscription for each entity set in `resources`.

    Each entity set is kept on its own: one that fails does not stop the others. The result has
    one `Upkeep` per entity set, in the order given.
    """
    unknown = [name for name in resources if name not in POLL_FLOWS]
    if unknown:
        raise ValueError(f"no poll flow for entity sets {unknown}: subscribe only to {sorted(POLL_FLOWS)}")
    if renew_before <= timedelta(0):
        raise ValueError("renew_before must be positive, or subscriptions expire before they are renewed")
    keeper = _Keeper(bc, notification_url, client_state, clock, renew_before)
    with flow_span(FLOW, records=len(resources)):
        existing: list[Subscription] | None = None
        refused = ""
        try:
            existing = await bc.subscriptions.list()
        except TransientError as error:
            log.warning("bc subscriptions not listed (%s); the next upkeep tries again", _reason(error))
            return [Upkeep(name, Outcome.DEFERRED, reason=_reason(error)) for name in resources]
        except PermanentError as error:
            refused = f"BC refused to list the subscriptions ({_reason(error)})"
        results = []
        for name in resources:
            upkeep = await keeper.keep(name, existing) if existing is not None else _lost(name, refused)
            await _record(exceptions, upkeep)
            results.append(upkeep)
        return results


@dataclass(frozen=True, slots=True)
class _Keeper:
    """Keeps one entity set's subscription, with the run's settings."""

    bc: BcClient
    notification_url: str
    client_state: str
    clock: Callable[[], datetime]
    renew_before: timedelta

    async def keep(self, name: str, existing: Sequence[Subscription]) -> Upkeep:
        resource = self.bc.subscriptions.resource(name)
        current = await self._ours(resource, existing)
        now = self.clock()
        if current is not None and not self._due(current, now):
            return _live(name, Outcome.KEPT, current)
        live = current if current is not None and not _expired(current, now) else None
        try:
            if live is not None:
                renewed = await self._renew(live)
                if renewed is not None:
                    return _live(name, Outcome.RENEWED, renewed)
                live = None  # BC deleted it between our list and our renew
            created = await self._create(resource)
            return _live(name, Outcome.CREATED if current is None else Outcome.RECREATED, created)
        except TransientError as error:
            if live is not None:
                log.warning("bc subscription %s not renewed (%s); next run", name, _reason(error))
                return _live(name, Outcome.DEFERRED, live, reason=_reason(error))
            return _lost(name, f"could not be created ({_reason(error)}); the next upkeep tries again")
        except PermanentError as error:
            if live is None:
                return _lost(name, f"BC refused to create it ({_reason(error)})")
            until = _wire(live.expiration_date_time)
            return _lost(name, f"BC refused to renew it ({_reason(error)}); it stops at {until}", live)

    async def _ours(self, resource: str, existing: Sequence[Subscription]) -> Subscription | None:
        """Our subscription for `resource`: the one that lives longest; any others are deleted.

        Why there can be two, and why the extra goes: (1) a timer run and a manual run both list
        and find none; (2) both create; (3) BC now rings twice for each change — harmless, as the
        poll requests coalesce, but it spends two of the environment's 200 subscriptions. The next
        run keeps one.
        """
        ours = [s for s in existing if s.resource == resource and s.notification_url == self.notification_url]
        ours.sort(key=lambda s: s.expiration_date_time or _NEVER, reverse=True)
        for extra in ours[1:]:
            try:
                await self.bc.subscriptions.delete(extra)
            except IntegrationError as error:  # a spare subscription is no harm: try again next run
                log.warning("bc subscription duplicate not deleted (%s)", _reason(error))
        return ours[0] if ours else None

    def _due(self, subscription: Subscription, now: datetime) -> bool:
        """Renew when it expires within `renew_before` (or has no expiry), or carries an old clientState."""
        expires = subscription.expiration_date_time
        stale_state = subscription.client_state is not None and subscription.client_state != self.client_state
        return expires is None or expires - now <= self.renew_before or stale_state

    async def _renew(self, subscription: Subscription) -> Subscription | None:
        """Renew with our clientState; None when BC no longer has the subscription.

        A stale ETag means another run renewed it after our list: (1) runs A and B list the
        subscription with ETag e1; (2) A renews it, e1 → e2; (3) B's PATCH If-Match e1 is refused.
        B re-reads it and renews only if it is still due, so a double run costs one extra GET.
        """
        ours = {"client_state": self.client_state}
        try:
            return await self.bc.subscriptions.renew(subscription.model_copy(update=ours))
        except BcRecordNotFound:
            return None
        except ConcurrencyConflict:
            try:
                fresh = await self.bc.subscriptions.get(subscription.subscription_id)
            except BcRecordNotFound:
                return None
            if not self._due(fresh, self.clock()):
                return fresh
            return await self.bc.subscriptions.renew(fresh.model_copy(update=ours))

    async def _create(self, resource: str) -> Subscription:
        """Create it; after an in-doubt create, look for it before anyone creates it again.

        The race: (1) we POST the subscription; (2) BC performs the handshake and commits; (3) the
        reply is lost. Creating again would leave two. So an in-doubt create is looked up by
        resource and notification URL; only if BC has none is it reported (and the next run creates).
        """
        subscriptions = self.bc.subscriptions
        try:
            return await subscriptions.create(resource, self.notification_url, self.client_state)
        except InDoubt:
            found = await subscriptions.find(resource, self.notification_url)
            if found is None:
                raise
            return found


async def _record(exceptions: ExceptionStore, upkeep: Upkeep) -> None:
    """LOST opens (or counts) SUBSCRIPTION_LOST; a live subscription resolves it; DEFERRED leaves it."""
    name = upkeep.entity_set
    if upkeep.outcome is Outcome.LOST:
        log.warning("bc subscription %s lost: %s", name, upkeep.reason)
        await exceptions.record(KIND, SUBSCRIPTION_LOST, name, detail=upkeep.reason or "lost")
        return
    log.info("bc subscription %s %s; expires %s", name, upkeep.outcome, _wire(upkeep.expires_at))
    if upkeep.outcome is not Outcome.DEFERRED:
        await exceptions.resolve_document(KIND, name, f"subscription {upkeep.outcome} by the upkeep")


def _live(name: str, outcome: Outcome, subscription: Subscription, reason: str | None = None) -> Upkeep:
    return Upkeep(name, outcome, subscription.subscription_id, subscription.expiration_date_time, reason)


def _lost(name: str, why: str, subscription: Subscription | None = None) -> Upkeep:
    detail = (
        f"The {name} subscription: {why}. Until it is back, {name} changes arrive with the next poll "
        "instead of within a minute."
    )
    if subscription is None:
        return Upkeep(name, Outcome.LOST, reason=detail)
    return Upkeep(name, Outcome.LOST, subscription.subscription_id, subscription.expiration_date_time, detail)


def _expired(subscription: Subscription, now: datetime) -> bool:
    expires = subscription.expiration_date_time
    return expires is not None and expires <= now


def _wire(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment is not None else "-"


def _reason(error: IntegrationError) -> str:
    """What failed, from our own message (operation, status, BC's error code): never BC's text or
    the notification URL, which may carry the function key."""
    return error.detail if isinstance(error, PermanentError) else f"{type(error).__name__}: {error}"
