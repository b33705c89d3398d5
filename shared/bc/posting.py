"""Standard posting, shared by sales and purchase orders: set the lines' quantities, then post.

The standard API posts whatever quantities the lines hold (Qty. to Ship / to Receive, and to
Invoice). Race it prevents: (1) an earlier attempt set 3 to ship on line A and failed before
posting; (2) this attempt ships 2 on line B only; (3) without a reset, A's 3 would be posted as
well. So every item line gets a quantity — ours, or 0 — in one atomic `$batch` guarded by the
ETags read with the order; a stale ETag is a `ConcurrencyConflict` and nothing is posted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol
from uuid import UUID

from shared.bc.api import BcApi
from shared.bc.batch import BatchOperation, raise_first_error
from shared.bc.enums import DocumentLineType
from shared.bc.models.base import json_number


class OrderLine(Protocol):
    @property
    def id(self) -> UUID: ...
    @property
    def document_id(self) -> UUID: ...
    @property
    def line_type(self) -> str | None: ...
    @property
    def etag(self) -> str | None: ...
    @property
    def invoice_quantity(self) -> Decimal: ...


@dataclass(frozen=True, slots=True)
class PostingKind:
    entity_set: str  # salesOrders
    lines_set: str  # salesOrderLines
    quantity_field: str  # shipQuantity
    action: str  # shipAndInvoice


SHIP_AND_INVOICE = PostingKind("salesOrders", "salesOrderLines", "shipQuantity", "shipAndInvoice")
RECEIVE_AND_INVOICE = PostingKind(
    "purchaseOrders", "purchaseOrderLines", "receiveQuantity", "receiveAndInvoice"
)


async def post_quantities(
    api: BcApi,
    kind: PostingKind,
    *,
    order_id: UUID,
    order_number: str,
    lines: Sequence[OrderLine] | None,
    pending: Mapping[UUID, Decimal],
    quantities: Mapping[UUID, Decimal],
) -> None:
    """Post exactly `quantities` (line id → quantity) on one order, and nothing else.

    `pending` holds each line's current quantity to post, so lines already at 0 are left alone.
    The posting action is once-only: if it is in doubt, `InDoubt` is raised and the flow checks
    the order (or its posted documents) before it posts again.
    """
    if lines is None:
        raise ValueError("read the order with its lines first")
    unknown = set(quantities) - {line.id for line in lines}
    if unknown:
        raise ValueError(f"{len(unknown)} line id(s) are not on order {order_number}")
    updates = [
        _update(api, kind, line, quantities.get(line.id, Decimal(0)), order_number)
        for line in lines
        if line.line_type == DocumentLineType.ITEM
        and (line.id in quantities or pending.get(line.id) or line.invoice_quantity)
    ]
    if updates:
        raise_first_error(await api.batch(updates, atomic=True))
    await api.action(api.url(f"{kind.entity_set}({order_id})"), kind.action, business_key=order_number)


def _update(api: BcApi, kind: PostingKind, line: OrderLine, quantity: Decimal, number: str) -> BatchOperation:
    if line.etag is None:
        raise ValueError("order lines must be read with their ETags")
    return BatchOperation(
        "PATCH",
        api.company_path(f"{kind.entity_set}({line.document_id})/{kind.lines_set}({line.id})"),
        body={kind.quantity_field: json_number(quantity), "invoiceQuantity": json_number(quantity)},
        if_match=line.etag,
        business_key=number,
    )
