"""The queues of design §2 with their broker properties, named from settings."""

from __future__ import annotations

from datetime import timedelta

from shared.messaging.transport import QueueSpec
from shared.settings import Settings


def queue_specs(settings: Settings) -> list[QueueSpec]:
    """Every queue the app uses. `orders-to-scend` keeps one order's release, amend and cancel in
    order with sessions. `scend-shipments` is a plain queue read in batches (one batch spans many
    orders, which is what makes it cheap in BC requests); one order's despatches are still posted one
    at a time, by the waves of `despatch` and the posting marker saved under the order's
    cross-reference ETag. The poll-request doorbell only needs a short duplicate window, which is
    what coalesces a burst of notifications into one poll."""
    s = settings
    return [
        QueueSpec(s.items_queue, max_delivery_count=10),
        QueueSpec(s.orders_queue, requires_session=True, max_delivery_count=10),
        QueueSpec(s.purchase_orders_queue, requires_session=True, max_delivery_count=10),
        QueueSpec(s.shipments_queue, max_delivery_count=10),
        QueueSpec(s.returns_queue, max_delivery_count=10),
        QueueSpec(s.stock_queue, max_delivery_count=10),
        QueueSpec(s.receipts_queue, max_delivery_count=10),
        QueueSpec(
            s.poll_requests_queue,
            max_delivery_count=5,
            duplicate_detection_window=timedelta(minutes=1),
            default_time_to_live=timedelta(hours=1),
        ),
    ]
