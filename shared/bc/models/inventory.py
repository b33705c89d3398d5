"""Item ledger entries: posted stock movements (no location on the standard API, reference §2.9)."""

from __future__ import annotations

from decimal import Decimal

from shared.bc.models.base import BcDate, BcDateTime, BcEntity, BcEnum, Number


class ItemLedgerEntry(BcEntity):
    entry_number: int
    item_number: str
    posting_date: BcDate = None
    entry_type: BcEnum | None = None  # "Positive Adjmt.", "Sale", …
    source_number: str | None = None
    source_type: BcEnum | None = None
    document_number: str | None = None
    document_type: BcEnum | None = None  # "Sales Shipment", …
    description: str | None = None
    quantity: Number = Decimal(0)
    last_modified_date_time: BcDateTime = None
