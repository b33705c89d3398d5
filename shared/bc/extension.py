"""The companion BC extension's documents and their `post` action (docs/bc-extension-api.md).

Both steps are idempotent on the Scend id, so both are declared safe to repeat: a create or post
that timed out is simply sent again, and BC answers the document it already has. Race it closes:
(1) we create and post confirmation SHP-1; (2) BC commits, the answer is lost; (3) we send both
again; (4) BC returns the same confirmation, already `Posted`, with the same posted shipment —
one shipment however often (1)–(3) repeat. A Scend id reused for a *different* order is refused
here (`BcRequestRejected`, code `ScendIdUsedForAnotherDocument`), never silently accepted.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from shared.bc.api import BcApi
from shared.bc.batch import BatchOperation, BatchResult
from shared.bc.errors import BcRequestRejected
from shared.bc.models import (
    ReceiptConfirmation,
    ReceiptConfirmationDraft,
    ShipmentConfirmation,
    ShipmentConfirmationDraft,
    StockAdjustment,
    StockAdjustmentDraft,
)
from shared.bc.models.base import BcEntity, BcModel
from shared.bc.models.warehouse import POSTED
from shared.bc.odata import Field, Query
from shared.errors import IntegrationError

SHIPMENTS, ADJUSTMENTS, RECEIPTS = "shipmentConfirmations", "stockAdjustments", "receiptConfirmations"


class WarehouseExtension:
    """`/api/scendIntegration/warehouse/v1.0/`: post shipments, stock adjustments and receipts."""

    def __init__(self, api: BcApi) -> None:
        self._api = api

    async def post_shipment(self, draft: ShipmentConfirmationDraft) -> ShipmentConfirmation:
        """Ship (never invoice) with tracking; returns the `Posted` confirmation naming the shipment."""
        return await self._create_and_post(
            ShipmentConfirmation,
            SHIPMENTS,
            draft,
            key=draft.scend_shipment_id,
            same=lambda c: c.sales_order_id == draft.sales_order_id,
        )

    async def post_shipments(
        self, drafts: Sequence[ShipmentConfirmationDraft]
    ) -> list[ShipmentConfirmation | IntegrationError]:
        """Many confirmations in two `$batch` requests (create all, then post all) instead of two
        requests each; one answer per draft, the `Posted` confirmation or its error. Both steps are
        idempotent on the Scend id, so a batch in doubt is simply sent again."""
        url = Query(expand=(_lines_of(SHIPMENTS),)).url(self._api.company_path(SHIPMENTS))
        creates = [
            BatchOperation("POST", url, body=d.wire(), business_key=d.scend_shipment_id) for d in drafts
        ]
        created = await self._api.batch(creates, repeatable=True)
        answers = [_created(draft, result) for draft, result in zip(drafts, created, strict=True)]
        open_ones = {
            i: a for i, a in enumerate(answers) if isinstance(a, ShipmentConfirmation) and a.status != POSTED
        }
        posts = [
            BatchOperation(
                "POST",
                self._api.company_path(f"{SHIPMENTS}({confirmation.id})/Microsoft.NAV.post"),
                business_key=confirmation.scend_shipment_id,
            )
            for confirmation in open_ones.values()
        ]
        posted = await self._api.batch(posts, repeatable=True) if posts else []
        for (index, confirmation), result in zip(open_ones.items(), posted, strict=True):
            if result.error is not None:
                answers[index] = result.error
            elif result.body:
                answers[index] = ShipmentConfirmation.model_validate(result.body)
            else:  # BC answered 204: read the posted header (docs/bc-extension-api.md §8)
                url = self._api.url(f"{SHIPMENTS}({confirmation.id})")
                answers[index] = await self._api.get(ShipmentConfirmation, url)
        return answers

    async def post_stock_adjustment(self, draft: StockAdjustmentDraft) -> StockAdjustment:
        """Item journal lines at their locations with the reason code; returns the `Posted` header."""
        return await self._create_and_post(
            StockAdjustment, ADJUSTMENTS, draft, key=draft.scend_adjustment_id, same=lambda _: True
        )

    async def post_receipt(self, draft: ReceiptConfirmationDraft) -> ReceiptConfirmation:
        """Receive (never invoice); returns the `Posted` confirmation naming the purchase receipt."""
        return await self._create_and_post(
            ReceiptConfirmation,
            RECEIPTS,
            draft,
            key=draft.scend_receipt_id,
            same=lambda c: c.purchase_order_id == draft.purchase_order_id,
        )

    async def find_shipment(self, scend_shipment_id: str) -> ShipmentConfirmation | None:
        return await self._find(ShipmentConfirmation, SHIPMENTS, "scendShipmentId", scend_shipment_id)

    async def find_stock_adjustment(self, scend_adjustment_id: str) -> StockAdjustment | None:
        return await self._find(StockAdjustment, ADJUSTMENTS, "scendAdjustmentId", scend_adjustment_id)

    async def find_receipt(self, scend_receipt_id: str) -> ReceiptConfirmation | None:
        return await self._find(ReceiptConfirmation, RECEIPTS, "scendReceiptId", scend_receipt_id)

    async def _create_and_post[D: BcEntity](
        self, model: type[D], entity_set: str, draft: BcModel, *, key: str, same: Callable[[D], bool]
    ) -> D:
        url = self._api.url(entity_set)
        lines = _lines_of(entity_set)
        created = await self._api.create(
            model, Query(expand=(lines,)).url(url), draft.wire(), repeatable=True, business_key=key
        )
        if not same(created):
            raise BcRequestRejected(
                f"POST {entity_set}", 201, "ScendIdUsedForAnotherDocument", business_key=key
            )
        if getattr(created, "status", None) == POSTED:
            return created
        answer = await self._api.action(
            self._api.url(f"{entity_set}({created.id})"), "post", repeatable=True, business_key=key
        )
        if answer is None:  # BC answered 204: read the posted header (docs/bc-extension-api.md §8)
            return await self._api.get(model, self._api.url(f"{entity_set}({created.id})"))
        return model.model_validate(answer)

    async def _find[D: BcEntity](self, model: type[D], entity_set: str, field: str, value: str) -> D | None:
        query = Query(filter=Field(field).eq(value), expand=(_lines_of(entity_set),))
        found = await self._api.collect(model, self._api.url(entity_set), query)
        return found[0] if found else None


def _lines_of(entity_set: str) -> str:
    return entity_set[:-1] + "Lines"


def _created(
    draft: ShipmentConfirmationDraft, result: BatchResult
) -> ShipmentConfirmation | IntegrationError:
    """A create's answer; a Scend id already used for another order's confirmation is refused."""
    if result.error is not None:
        return result.error
    created = ShipmentConfirmation.model_validate(result.body)
    if created.sales_order_id != draft.sales_order_id:
        return BcRequestRejected(
            f"POST {SHIPMENTS}", 201, "ScendIdUsedForAnotherDocument", business_key=draft.scend_shipment_id
        )
    return created
