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
from shared.errors import IntegrationError


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
    posting = Posting(order_id, order_number, lines, pending, quantities)
    updates = _updates(api, kind, posting)
    if updates:
        raise_first_error(await api.batch(updates, atomic=True))
    await api.action(api.url(f"{kind.entity_set}({order_id})"), kind.action, business_key=order_number)


@dataclass(frozen=True, slots=True)
class Posting:
    """One order to post: exactly `quantities` (line id → quantity), nothing else; see `post_quantities`."""

    order_id: UUID
    order_number: str
    lines: Sequence[OrderLine] | None
    pending: Mapping[UUID, Decimal]
    quantities: Mapping[UUID, Decimal]


async def post_many(
    api: BcApi, kind: PostingKind, postings: Sequence[Posting]
) -> list[IntegrationError | None]:
    """Post many orders in two `$batch` requests (per 100 operations) instead of two requests each:
    every order's line quantities, then the posting action of each order whose lines all took theirs.
    One answer per posting: None when it posted, else its error.

    Not atomic across orders, on purpose: one order's stale ETag must not hold back the others.
    An order with a failed update is not posted; its lines may keep part of the new quantities,
    which its next attempt overwrites (every item line is written: ours, or 0). A posting action
    is once-only: an in-doubt answer (`InDoubt`) means the flow checks the order before posting again.
    A failure of a whole request raises, for every posting in it.
    """
    answers: list[IntegrationError | None] = [None] * len(postings)
    updates = [(index, op) for index, posting in enumerate(postings) for op in _updates(api, kind, posting)]
    if updates:
        for (index, _), result in zip(updates, await api.batch([op for _, op in updates]), strict=True):
            answers[index] = answers[index] or result.error
    ready = [index for index, answer in enumerate(answers) if answer is None]
    actions = [
        BatchOperation(
            "POST",
            api.company_path(f"{kind.entity_set}({postings[i].order_id})/Microsoft.NAV.{kind.action}"),
            business_key=postings[i].order_number,
        )
        for i in ready
    ]
    if actions:
        for index, result in zip(ready, await api.batch(actions), strict=True):
            answers[index] = result.error
    return answers


def _updates(api: BcApi, kind: PostingKind, posting: Posting) -> list[BatchOperation]:
    lines, quantities = posting.lines, posting.quantities
    if lines is None:
        raise ValueError("read the order with its lines first")
    unknown = set(quantities) - {line.id for line in lines}
    if unknown:
        raise ValueError(f"{len(unknown)} line id(s) are not on order {posting.order_number}")
    return [
        _update(api, kind, line, quantities.get(line.id, Decimal(0)), posting.order_number)
        for line in lines
        if line.line_type == DocumentLineType.ITEM
        and (line.id in quantities or posting.pending.get(line.id) or line.invoice_quantity)
    ]


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
