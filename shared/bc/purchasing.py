"""Purchasing: released purchase orders, standard receipt posting, posted receipts.

Standard write-back can only receive *and invoice* (reference §3): set each line's
`receiveQuantity` and `invoiceQuantity`, then `Microsoft.NAV.receiveAndInvoice`. Receiving
without invoicing needs the companion extension (`extension.WarehouseExtension.post_receipt`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from datetime import datetime
from decimal import Decimal
from uuid import UUID

from shared.bc.api import BcApi
from shared.bc.enums import DocumentStatus
from shared.bc.models import PurchaseOrder, PurchaseOrderLine, PurchaseReceipt
from shared.bc.models.base import json_number
from shared.bc.odata import BY_MODIFIED, Field, Query, all_of, modified_since
from shared.bc.posting import RECEIVE_AND_INVOICE, post_quantities

LINES = "purchaseOrderLines"


class Purchasing:
    def __init__(self, api: BcApi) -> None:
        self._api = api

    def iter_released_orders(self, *, changed_since: datetime | None = None) -> AsyncIterator[PurchaseOrder]:
        """Released purchase orders (`status eq 'Open'`) changed since the watermark, with lines."""
        query = Query(
            filter=all_of(Field("status").eq(DocumentStatus.OPEN), modified_since(changed_since)),
            expand=(LINES,),
            orderby=BY_MODIFIED,
        )
        return self._api.iterate(PurchaseOrder, self._api.url("purchaseOrders"), query)

    def iter_orders(self, *, changed_since: datetime | None = None) -> AsyncIterator[PurchaseOrder]:
        """Purchase orders of any status changed since the watermark, with lines, oldest first (a
        reopened order must be seen too: its ASN is cancelled)."""
        query = Query(filter=modified_since(changed_since), expand=(LINES,), orderby=BY_MODIFIED)
        return self._api.iterate(PurchaseOrder, self._api.url("purchaseOrders"), query)

    async def get_order(self, order_id: UUID, *, with_lines: bool = True) -> PurchaseOrder:
        query = Query(expand=(LINES,) if with_lines else ())
        return await self._api.get(PurchaseOrder, self._api.url(f"purchaseOrders({order_id})"), query)

    async def find_order(self, number: str) -> PurchaseOrder | None:
        query = Query(filter=Field("number").eq(number), expand=(LINES,))
        orders = await self._api.collect(PurchaseOrder, self._api.url("purchaseOrders"), query)
        return orders[0] if orders else None

    async def set_line_quantities(
        self, line: PurchaseOrderLine, *, receive: Decimal, invoice: Decimal | None = None
    ) -> PurchaseOrderLine:
        url = self._api.url(f"purchaseOrders({line.document_id})/{LINES}({line.id})")
        changes = {
            "receiveQuantity": json_number(receive),
            "invoiceQuantity": json_number(receive if invoice is None else invoice),
        }
        return await self._api.update(PurchaseOrderLine, url, line.etag, changes)

    async def receive_and_invoice(self, order_id: UUID, *, business_key: str | None = None) -> None:
        """Post Qty. to Receive and Qty. to Invoice. Once-only: in doubt → `InDoubt`."""
        url = self._api.url(f"purchaseOrders({order_id})")
        await self._api.action(url, "receiveAndInvoice", business_key=business_key)

    async def post_receipt_and_invoice(
        self, order: PurchaseOrder, quantities: Mapping[UUID, Decimal]
    ) -> None:
        """Standard mode: receive and invoice exactly `quantities` (line id → quantity); see `posting`."""
        lines = order.purchase_order_lines
        await post_quantities(
            self._api,
            RECEIVE_AND_INVOICE,
            order_id=order.id,
            order_number=order.number,
            lines=lines,
            pending={line.id: line.receive_quantity for line in lines or ()},
            quantities=quantities,
        )

    async def find_receipts(self, *, order_number: str, with_lines: bool = False) -> list[PurchaseReceipt]:
        """Posted receipts of one purchase order (in-doubt resolution)."""
        query = Query(
            filter=Field("orderNumber").eq(order_number),
            expand=("purchaseReceiptLines",) if with_lines else (),
        )
        return await self._api.collect(PurchaseReceipt, self._api.url("purchaseReceipts"), query)

    def iter_receipts(self, *, changed_since: datetime | None = None) -> AsyncIterator[PurchaseReceipt]:
        query = Query(filter=modified_since(changed_since), orderby=BY_MODIFIED)
        return self._api.iterate(PurchaseReceipt, self._api.url("purchaseReceipts"), query)
