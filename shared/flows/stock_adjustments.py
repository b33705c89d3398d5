"""Stock adjustment: a Scend damage, write-off, count or loss becomes a BC posting exactly once.

The handler of the `scend-stock` queue (kind `stock-adjustment`, from the adjustments feed and the
`stock.adjusted` webhook). The adjustment becomes item journal lines (`mapping.adjustments`): signed
quantities at BC locations, with the lookup table's Reason Code. BC's inventory is only ever
changed by a posting that leaves a ledger entry: never by writing `items.inventory`.

- `extension`: one `stockAdjustments` document per Scend adjustment id, posted (companion API,
  docs/bc-extension-api.md §4). Idempotent on the adjustment id by contract: a repeat, or a
  resend after a lost answer, returns the document already posted.
- `standard`: the standard API has no item journal, so the adjustment becomes a *proposed*
  adjustment for finance: one `ADJUSTMENT_NEEDS_REVIEW` row per adjustment id carrying the exact
  journal line to post (entry type, item, quantity, location, reason, External Document No.).
  A repeat finds the row and adds nothing.
- A move BC does not see (inside one location: damaged in the warehouse or a QC hold with the
  default table) posts nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from enum import StrEnum
from uuid import UUID

from pydantic import ValidationError

from shared.bc.client import BcClient
from shared.bc.models import StockAdjustmentDraft, StockAdjustmentLineDraft
from shared.errors import InvalidMessage, PermanentError
from shared.flows.item_export import ITEM_KIND
from shared.flows.reconciliation import stock_payload
from shared.mapping.adjustments import JournalLine, describe, journal_lines
from shared.mapping.lookups import Lookups
from shared.messaging.envelope import Envelope
from shared.scend.calls import field_places
from shared.scend.models import StockAdjustment
from shared.settings import WriteBackMode
from shared.store.crossrefs import CrossReferenceStore
from shared.store.exceptions import ExceptionStore
from shared.store.processed import RETENTION, ProcessedEventStore

ADJUSTMENT_KIND = "stock-adjustment"
ADJUSTMENT_NEEDS_REVIEW = "ADJUSTMENT_NEEDS_REVIEW"
DESCRIPTION_MAX = 100


class AdjustmentOutcome(StrEnum):
    POSTED = "posted"  # extension: the item journal is posted
    PROPOSED = "proposed"  # standard: finance has the journal line to post
    ALREADY_DONE = "already_done"  # a repeat: posted or proposed before
    NO_EFFECT = "no_effect"  # a move BC does not see


def adjustment_of(envelope: Envelope) -> StockAdjustment:
    try:
        return StockAdjustment.model_validate(envelope.payload)
    except ValidationError as error:
        raise InvalidMessage(f"not a Scend stock adjustment: {field_places(error)}") from None


@dataclass
class StockAdjustments:
    """The collaborators of the stock adjustment flow."""

    bc: BcClient
    cross_references: CrossReferenceStore
    exceptions: ExceptionStore
    lookups: Lookups
    mode: WriteBackMode
    processed: ProcessedEventStore
    retention: timedelta = RETENTION

    async def apply(self, envelope: Envelope) -> AdjustmentOutcome:
        adjustment = adjustment_of(envelope)
        outcome = await self._apply(adjustment)
        await self.processed.record(ADJUSTMENT_KIND, adjustment.id, outcome.value, self.retention)
        return outcome

    async def _apply(self, adjustment: StockAdjustment) -> AdjustmentOutcome:
        lines = journal_lines(adjustment, self.lookups)
        if not lines:
            return AdjustmentOutcome.NO_EFFECT
        reason = self.lookups.adjustment_reason(adjustment.reason_code)
        if self.mode is WriteBackMode.STANDARD:
            return await self._propose(adjustment, lines, reason)
        item_id = await self._item_id(adjustment)
        draft = StockAdjustmentDraft(
            scend_adjustment_id=adjustment.id,
            posting_date=adjustment.occurred_at.date(),
            reason_code=reason,
            description=_description(adjustment),
            stock_adjustment_lines=[
                StockAdjustmentLineDraft(
                    item_id=item_id, location_code=line.location_code, quantity=Decimal(line.quantity)
                )
                for line in lines
            ],
        )
        await self.bc.warehouse.post_stock_adjustment(draft)
        await self.exceptions.resolve_document(ADJUSTMENT_KIND, adjustment.id, "posted in Business Central")
        return AdjustmentOutcome.POSTED

    async def _propose(
        self, adjustment: StockAdjustment, lines: list[JournalLine], reason: str | None
    ) -> AdjustmentOutcome:
        existing = await self.exceptions.get(ADJUSTMENT_KIND, ADJUSTMENT_NEEDS_REVIEW, adjustment.id)
        if existing is not None:
            return AdjustmentOutcome.ALREADY_DONE
        await self.exceptions.record(
            ADJUSTMENT_KIND,
            ADJUSTMENT_NEEDS_REVIEW,
            adjustment.id,
            detail=describe(adjustment, lines, reason),
            payload=stock_payload({adjustment.sku: adjustment.quantity_delta}, sku=adjustment.sku),
        )
        return AdjustmentOutcome.PROPOSED

    async def _item_id(self, adjustment: StockAdjustment) -> UUID:
        """The BC item of the SKU: through the item export's cross-reference, else by number."""
        ref = await self.cross_references.get_by_scend(ITEM_KIND, adjustment.sku)
        if ref is not None:
            return UUID(ref.bc_id)
        item = await self.bc.master.find_item(adjustment.sku)
        if item is None:
            raise PermanentError(
                ADJUSTMENT_NEEDS_REVIEW,
                f"Scend adjustment {adjustment.id}: SKU {adjustment.sku} is not an item in Business Central",
                business_key=adjustment.id,
            )
        return item.id


def _description(adjustment: StockAdjustment) -> str:
    parts = [f"Scend {adjustment.reason_code}", adjustment.count_ref or "", adjustment.reason_text or ""]
    return " ".join(p for p in parts if p)[:DESCRIPTION_MAX]
