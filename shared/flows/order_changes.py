"""The sales order poll: every BC sales order changed since the watermark, one message per version.

All orders are read, not only released ones: a reopened (`Draft`) order must reach the handler
too, so it can cancel at Scend. Each message carries the order with its lines and its shipment
method as read, so the handler needs no further BC request (one list read per poll page, one
shipment-method read per poll run). A parked order's exception row keeps only a reference
(`shared.flows.rereads`); `order_reader` reads that one order again, lines and shipment method in
one request.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta
from uuid import UUID

from shared.bc.client import BcClient
from shared.bc.errors import BcRecordNotFound
from shared.bc.models import SalesOrder
from shared.bc.models.master import ShipmentMethod
from shared.flows.order_holds import ORDER_KIND
from shared.flows.polling import PollResult, poll_changes
from shared.messaging.envelope import Envelope
from shared.messaging.transport import OutboundMessage, Transport
from shared.store.watermarks import WatermarkStore

FLOW = "poll_bc_sales_orders"
SOURCE = "bc/salesOrders"
DEFAULT_LOOKBACK = timedelta(minutes=2)


def order_envelope(order: SalesOrder) -> Envelope:
    """Kind `salesOrder`, key the immutable systemId, version lastModifiedDateTime (ISO)."""
    version = order.last_modified_date_time.isoformat() if order.last_modified_date_time else ""
    return Envelope(
        kind=ORDER_KIND, key=str(order.id), version=version, payload=order.wire(exclude_none=False)
    )


def order_message(order: SalesOrder) -> OutboundMessage:
    """The order's message in its own session; the message id dedupes re-reads inside the window."""
    envelope = order_envelope(order)
    return OutboundMessage(
        body=envelope.to_bytes(),
        message_id=envelope.idempotency_key,
        session_id=envelope.key,
        correlation_id=envelope.correlation_id,
        subject=envelope.kind,
    )


def read_orders(bc: BcClient) -> Callable[[datetime | None], AsyncIterator[SalesOrder]]:
    """Orders changed since `since`, with lines and their shipment method attached.

    `salesOrders` has no shipment-method code and `iter_orders` expands lines only, so the
    (small) shipment method list is read once per poll run, on the first order that needs it.
    """

    async def read(since: datetime | None) -> AsyncIterator[SalesOrder]:
        methods: dict[object, ShipmentMethod] | None = None
        async for order in bc.sales.iter_orders(changed_since=since):
            if order.shipment_method_id is not None and order.shipment_method is None:
                if methods is None:
                    methods = {m.id: m for m in await bc.master.shipment_methods()}
                method = methods.get(order.shipment_method_id)
                order = order.model_copy(update={"shipment_method": method})
            yield order

    return read


OrderReader = Callable[[str], Awaitable[SalesOrder | None]]


def order_reader(bc: BcClient) -> OrderReader:
    """Reads one order by its BC id as it is now, with its lines and shipment method (one request);
    None when it is gone from BC."""

    async def read(order_id: str) -> SalesOrder | None:
        try:
            return await bc.sales.get_order(UUID(order_id), with_shipment_method=True)
        except BcRecordNotFound:
            return None

    return read


async def poll_bc_sales_orders(
    *,
    bc: BcClient,
    watermarks: WatermarkStore,
    transport: Transport,
    queue: str,
    clock: Callable[[], datetime],
    lookback: timedelta = DEFAULT_LOOKBACK,
    batch_size: int = 100,
) -> PollResult:
    """Enqueue every sales order changed since the watermark to `queue` (orders-to-scend)."""
    return await poll_changes(
        flow=FLOW,
        source=SOURCE,
        watermarks=watermarks,
        transport=transport,
        queue=queue,
        read=read_orders(bc),
        to_message=order_message,
        lookback=lookback,
        clock=clock,
        batch_size=batch_size,
    )
