"""Sales documents: released orders, standard shipment posting, posted shipments, invoices, credit memos.

Standard write-back (no extension) can only ship *and invoice* (reference §3): set each line's
`shipQuantity` and `invoiceQuantity`, then `Microsoft.NAV.shipAndInvoice`. The posting is a
once-only write; when it is in doubt the flow checks the order's `shippedQuantity` (or
`find_shipments`) before it posts again.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from uuid import UUID

from shared.bc.api import BcApi
from shared.bc.batch import BatchOperation
from shared.bc.enums import DocumentStatus
from shared.bc.models import (
    CreditMemoDraft,
    SalesCreditMemo,
    SalesInvoice,
    SalesOrder,
    SalesOrderLine,
    SalesShipment,
)
from shared.bc.models.base import json_number
from shared.bc.odata import BY_MODIFIED, Field, Filter, Query, all_of, modified_since
from shared.bc.posting import SHIP_AND_INVOICE, Posting, post_many, post_quantities
from shared.errors import IntegrationError

ORDERS_PER_FILTER = 20  # `orderNumber eq … or …` terms per read: the URL stays far below any limit

LINES = "salesOrderLines"


class Sales:
    def __init__(self, api: BcApi) -> None:
        self._api = api

    # --- orders -------------------------------------------------------------------------------

    def iter_released_orders(self, *, changed_since: datetime | None = None) -> AsyncIterator[SalesOrder]:
        """Released orders (`status eq 'Open'`) changed since the watermark, with lines, oldest first."""
        return self.iter_orders(Field("status").eq(DocumentStatus.OPEN), changed_since=changed_since)

    def iter_orders(
        self, where: Filter | None = None, *, changed_since: datetime | None = None, with_lines: bool = True
    ) -> AsyncIterator[SalesOrder]:
        query = Query(
            filter=all_of(where, modified_since(changed_since)),
            expand=(LINES,) if with_lines else (),
            orderby=BY_MODIFIED,
        )
        return self._api.iterate(SalesOrder, self._api.url("salesOrders"), query)

    async def get_order(
        self, order_id: UUID, *, with_lines: bool = True, with_shipment_method: bool = False
    ) -> SalesOrder:
        """One order; with its shipment method too (`$expand=shipmentMethod`: salesOrders have no
        shipment-method code) it is everything the order release needs, in one request."""
        expand = ((LINES,) if with_lines else ()) + (("shipmentMethod",) if with_shipment_method else ())
        url = self._api.url(f"salesOrders({order_id})")
        return await self._api.get(SalesOrder, url, Query(expand=expand))

    async def get_orders(self, order_ids: Sequence[UUID]) -> list[SalesOrder | IntegrationError]:
        """Many orders with their lines (and ETags), 100 per `$batch`: one answer per id, the order
        or the error reading it (`BcRecordNotFound` for one deleted meanwhile)."""
        query = Query(expand=(LINES,))
        reads = [
            BatchOperation("GET", query.url(self._api.company_path(f"salesOrders({i})"))) for i in order_ids
        ]
        return [
            result.error or SalesOrder.model_validate(result.body) for result in await self._api.batch(reads)
        ]

    async def find_order(self, number: str) -> SalesOrder | None:
        query = Query(filter=Field("number").eq(number), expand=(LINES,))
        orders = await self._api.collect(SalesOrder, self._api.url("salesOrders"), query)
        return orders[0] if orders else None

    async def set_line_quantities(
        self, line: SalesOrderLine, *, ship: Decimal, invoice: Decimal | None = None
    ) -> SalesOrderLine:
        """Qty. to Ship (and to Invoice, the same by default) on one line, guarded by its ETag."""
        url = self._api.url(f"salesOrders({line.document_id})/{LINES}({line.id})")
        changes = {
            "shipQuantity": json_number(ship),
            "invoiceQuantity": json_number(ship if invoice is None else invoice),
        }
        return await self._api.update(SalesOrderLine, url, line.etag, changes)

    async def ship_and_invoice(self, order_id: UUID, *, business_key: str | None = None) -> None:
        """Post the order's Qty. to Ship and Qty. to Invoice. Once-only: in doubt → `InDoubt`."""
        await self._api.action(
            self._api.url(f"salesOrders({order_id})"), "shipAndInvoice", business_key=business_key
        )

    async def post_shipment_and_invoice(self, order: SalesOrder, quantities: Mapping[UUID, Decimal]) -> None:
        """Standard mode: ship and invoice exactly `quantities` (line id → quantity); see `posting`."""
        lines = order.sales_order_lines
        await post_quantities(
            self._api,
            SHIP_AND_INVOICE,
            order_id=order.id,
            order_number=order.number,
            lines=lines,
            pending={line.id: line.ship_quantity for line in lines or ()},
            quantities=quantities,
        )

    async def post_shipments_and_invoices(self, postings: Sequence[Posting]) -> list[IntegrationError | None]:
        """Standard mode for many orders at once, in two `$batch` requests; see `posting.post_many`."""
        return await post_many(self._api, SHIP_AND_INVOICE, postings)

    # --- posted shipments and invoices --------------------------------------------------------

    async def find_shipments(
        self,
        *,
        order_number: str | None = None,
        external_document_number: str | None = None,
        with_lines: bool = False,
    ) -> list[SalesShipment]:
        """Posted shipments by order number and/or external document number (in-doubt resolution)."""
        where = all_of(
            Field("orderNumber").eq(order_number) if order_number is not None else None,
            Field("externalDocumentNumber").eq(external_document_number)
            if external_document_number is not None
            else None,
        )
        if where is None:
            raise ValueError("give an order number or an external document number")
        query = Query(filter=where, expand=("salesShipmentLines",) if with_lines else ())
        return await self._api.collect(SalesShipment, self._api.url("salesShipments"), query)

    async def get_shipment(self, shipment_id: UUID, *, with_lines: bool = True) -> SalesShipment:
        query = Query(expand=("salesShipmentLines",) if with_lines else ())
        return await self._api.get(SalesShipment, self._api.url(f"salesShipments({shipment_id})"), query)

    def iter_shipments(self, *, changed_since: datetime | None = None) -> AsyncIterator[SalesShipment]:
        """Posted shipments, oldest change first (audits: despatched without tracking, overdue)."""
        query = Query(filter=modified_since(changed_since), orderby=BY_MODIFIED)
        return self._api.iterate(SalesShipment, self._api.url("salesShipments"), query)

    async def find_invoices(self, *, order_number: str) -> list[SalesInvoice]:
        query = Query(filter=Field("orderNumber").eq(order_number))
        return await self._api.collect(SalesInvoice, self._api.url("salesInvoices"), query)

    # --- credit memos -------------------------------------------------------------------------

    async def find_invoices_of(self, order_numbers: Sequence[str]) -> list[SalesInvoice]:
        """The posted invoices of many orders, one read per 20 order numbers (`or` on one field)."""
        invoices: list[SalesInvoice] = []
        numbers = sorted(set(order_numbers))
        for start in range(0, len(numbers), ORDERS_PER_FILTER):
            terms = [Field("orderNumber").eq(n) for n in numbers[start : start + ORDERS_PER_FILTER]]
            either = terms[0]
            for term in terms[1:]:
                either = either | term
            url = self._api.url("salesInvoices")
            invoices.extend(await self._api.collect(SalesInvoice, url, Query(filter=either)))
        return invoices

    async def create_draft_credit_memo(self, draft: CreditMemoDraft) -> SalesCreditMemo:
        """One deep insert (header and lines), never posted. Once-only: in doubt → `InDoubt`, then
        `find_credit_memos(external_document_number=…)` tells whether it was created."""
        query = Query(expand=("salesCreditMemoLines",))
        return await self._api.create(
            SalesCreditMemo,
            query.url(self._api.url("salesCreditMemos")),
            draft.wire(),
            business_key=draft.external_document_number,
        )

    async def find_credit_memos(self, *, external_document_number: str) -> list[SalesCreditMemo]:
        query = Query(
            filter=Field("externalDocumentNumber").eq(external_document_number),
            expand=("salesCreditMemoLines",),
        )
        return await self._api.collect(SalesCreditMemo, self._api.url("salesCreditMemos"), query)

    async def get_credit_memo(self, memo_id: UUID) -> SalesCreditMemo:
        query = Query(expand=("salesCreditMemoLines",))
        return await self._api.get(SalesCreditMemo, self._api.url(f"salesCreditMemos({memo_id})"), query)
