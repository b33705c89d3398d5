"""The consumer of poll requests: run the poll a BC webhook doorbell rang for, by flow name.

The doorbell (`bc_notifications`) enqueues an envelope of kind `poll-request` whose key names a poll
flow (`poll_bc_items`, `poll_bc_sales_orders`, `poll_bc_purchase_orders`). This flow looks the name
up in `POLLS` and runs the same poll the timer runs, with the same collaborators (`PollContext`).

A name nobody registered is `MESSAGE_INVALID`, parked, not retried: it is a producer defect or a
deployment where the doorbell knows a flow this consumer does not, and retrying cannot teach it;
parking shows IT the name. Nothing is lost meanwhile, since that flow's timer polls anyway.

A poll that loses the watermark race (`ConcurrencyConflict`: another poll saved first) ends
quietly, as the timer's does: the winner's signpost was taken before its own read, and anything it
missed is read by the next poll. Retrying it would only spend the retry budget.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from shared.bc.client import BcClient
from shared.errors import ConcurrencyConflict, PermanentError
from shared.flows.asn_export import poll_bc_purchase_orders
from shared.flows.bc_notifications import DELETION_KIND, POLL_REQUEST_KIND
from shared.flows.item_export import poll_bc_items
from shared.flows.order_changes import poll_bc_sales_orders
from shared.flows.order_release import deleted_order_envelope
from shared.flows.polling import PollResult
from shared.messaging.envelope import Envelope
from shared.messaging.transport import OutboundMessage, Transport
from shared.settings import Settings
from shared.store.watermarks import WatermarkStore

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PollContext:
    """What every BC poll needs; queue names and the lookback come from `settings`."""

    bc: BcClient
    watermarks: WatermarkStore
    transport: Transport
    settings: Settings
    clock: Callable[[], datetime]

    @property
    def lookback(self) -> timedelta:
        return timedelta(seconds=self.settings.watermark_lookback_seconds)


PollFlow = Callable[[PollContext], Awaitable[PollResult]]


class BcPoll(Protocol):
    """The signature every BC poll shares (items, sales orders, purchase orders)."""

    def __call__(
        self,
        *,
        bc: BcClient,
        watermarks: WatermarkStore,
        transport: Transport,
        queue: str,
        lookback: timedelta,
        clock: Callable[[], datetime],
    ) -> Awaitable[PollResult]: ...


def _poll(poll: BcPoll, queue_setting: str) -> PollFlow:
    """The poll with the context's collaborators, enqueuing to the queue named by `queue_setting`."""

    async def run(context: PollContext) -> PollResult:
        return await poll(
            bc=context.bc, watermarks=context.watermarks, transport=context.transport,
            queue=getattr(context.settings, queue_setting), lookback=context.lookback, clock=context.clock,
        )  # fmt: skip

    return run


# One line per poll flow; the names are those the doorbell's POLL_FLOWS produces.
POLLS: dict[str, PollFlow] = {
    "poll_bc_items": _poll(poll_bc_items, "items_queue"),
    "poll_bc_sales_orders": _poll(poll_bc_sales_orders, "orders_queue"),
    "poll_bc_purchase_orders": _poll(poll_bc_purchase_orders, "purchase_orders_queue"),
}


async def run_poll(
    flow: str, context: PollContext, polls: Mapping[str, PollFlow] = POLLS
) -> PollResult | None:
    """Run the named poll; None when another poll saved the watermark first (nothing is lost)."""
    poll = polls.get(flow)
    if poll is None:
        raise PermanentError("MESSAGE_INVALID", f"no poll flow is registered as {flow!r}", business_key=flow)
    try:
        return await poll(context)
    except ConcurrencyConflict:
        log.info("%s: another poll saved the watermark first; this run ends", flow)
        return None


async def handle_poll_request(
    envelope: Envelope, *, context: PollContext, polls: Mapping[str, PollFlow] = POLLS
) -> PollResult | None:
    """The Service Bus handler of `poll-requests`: run the named poll, or forward a deletion."""
    if envelope.kind == DELETION_KIND:
        await forward_deletion(envelope, context=context)
        return None
    if envelope.kind != POLL_REQUEST_KIND:
        raise PermanentError("MESSAGE_INVALID", f"a {envelope.kind!r} envelope on the poll-requests queue")
    return await run_poll(envelope.key, context, polls)


async def forward_deletion(envelope: Envelope, *, context: PollContext) -> None:
    """A sales order deleted in BC becomes its flow's own message, in the order's session, so it
    runs after every earlier version of that order (the handler cancels it at Scend)."""
    if envelope.payload.get("entity_set") != "salesOrders":
        raise PermanentError("MESSAGE_INVALID", "a deletion of an entity set no flow handles")
    deleted = deleted_order_envelope(envelope.key, "", datetime.fromisoformat(envelope.version))
    message = OutboundMessage(
        body=deleted.to_bytes(),
        message_id=deleted.idempotency_key,
        session_id=deleted.key,
        correlation_id=envelope.correlation_id,
        subject=deleted.kind,
    )
    await context.transport.send(context.settings.orders_queue, [message])
