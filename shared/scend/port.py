"""ScendPort: the one interface every flow uses to reach the warehouse, whatever Scend really runs.

Small on purpose, so that a REST, SOAP or SFTP/CSV adapter can implement all of it (docs/scend.md
maps each method onto each). What every implementation promises:

- Writes are exactly-once by business key. `create_order` and `create_asn` return the record
  Scend holds for the request's `client_reference`, whether this call created it, an earlier
  attempt did, or Scend reported a duplicate. When the outcome cannot be known (no answer, and the
  lookup failed too) they raise `shared.errors.InDoubt`; the next attempt is safe to make.
- `upsert_product` is idempotent: the same item sent twice is one item.
- Refusals raise `PermanentError` with a catalogue code (`SKU_NOT_IN_WMS`, `MAPPING_MISSING`,
  `ORDER_REJECTED_BY_WMS`, `ASN_REJECTED_BY_WMS`, `ITEM_REJECTED_BY_WMS`, `ORDER_NOT_CANCELLABLE`,
  `ORDER_NOT_IN_WMS`, `ASN_NOT_CANCELLABLE`, `SCEND_AUTH_FAILED`); throttling and outages raise
  `TransientError` (`RateLimited` with `retry_after`). Lookups answer None for "not there".
- Feeds yield pages in feed order from a cursor (None = the beginning) until the head; save a
  page's `next_cursor` only after its records are safely enqueued. Feeds, not webhooks, are the
  source of truth.
- `verify_webhook` raises `BadSignature` unless the request is signed by a current secret.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Protocol

from shared.scend.models import (
    Asn,
    AsnRequest,
    Cancellation,
    CancelLine,
    FeedPage,
    Order,
    OrderRequest,
    Product,
    Receipt,
    Return,
    Shipment,
    StockAdjustment,
    StockChange,
    StockLevel,
    WebhookEvent,
)


class ScendPort(Protocol):
    # Items
    async def upsert_product(self, product: Product) -> Product: ...

    async def get_product(self, sku: str) -> Product | None: ...

    # Orders
    async def create_order(self, order: OrderRequest) -> Order: ...

    async def get_order_by_reference(self, client_reference: str) -> Order | None: ...

    async def cancel_order(
        self, order_id: str, lines: Sequence[CancelLine] = (), *, version: str = ""
    ) -> Cancellation: ...

    # Inbound
    async def create_asn(self, asn: AsnRequest) -> Asn: ...

    async def get_asn_by_reference(self, client_reference: str) -> Asn | None: ...

    async def cancel_asn(self, asn_id: str) -> Asn: ...

    # Stock
    async def get_stock_snapshot(self) -> list[StockLevel]: ...

    def iter_stock_levels(self) -> AsyncIterator[list[StockLevel]]: ...

    # Change feeds: pages from a cursor to the head
    def iter_shipments(self, cursor: str | None = None) -> AsyncIterator[FeedPage[Shipment]]: ...

    def iter_stock_changes(self, cursor: str | None = None) -> AsyncIterator[FeedPage[StockChange]]: ...

    def iter_adjustments(self, cursor: str | None = None) -> AsyncIterator[FeedPage[StockAdjustment]]: ...

    def iter_receipts(self, cursor: str | None = None) -> AsyncIterator[FeedPage[Receipt]]: ...

    def iter_returns(self, cursor: str | None = None) -> AsyncIterator[FeedPage[Return]]: ...

    # Webhooks
    def verify_webhook(self, headers: Mapping[str, str], raw_body: bytes) -> WebhookEvent: ...
