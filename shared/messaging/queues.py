"""The queues of design §2 with their broker properties, named from settings."""

from __future__ import annotations

from datetime import timedelta

from shared.messaging.transport import QueueSpec
from shared.settings import Settings


def queue_specs(settings: Settings) -> list[QueueSpec]:
    """Every queue the app uses. `orders-to-scend` keeps one order's release, amend and cancel in
    order with sessions, and `scend-shipments` posts one order's despatches one at a time (sessions
    keyed by the Scend order id); the poll-request doorbell only needs a short duplicate window, which is
    what coalesces a burst of notifications into one poll."""
    s = settings
    return [
        QueueSpec(s.items_queue, max_delivery_count=10),
        QueueSpec(s.orders_queue, requires_session=True, max_delivery_count=10),
        QueueSpec(s.purchase_orders_queue, requires_session=True, max_delivery_count=10),
        QueueSpec(s.shipments_queue, requires_session=True, max_delivery_count=10),
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
