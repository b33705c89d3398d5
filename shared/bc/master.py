"""Reads of master and reference data: companies, items, customers, locations, shipment methods, ledger."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from uuid import UUID

from shared.bc.api import BcApi
from shared.bc.models import (
    Company,
    Customer,
    CustomerReturnReason,
    Item,
    ItemLedgerEntry,
    Location,
    ShipmentMethod,
)
from shared.bc.odata import BY_MODIFIED, Field, Query, all_of, modified_since


class MasterData:
    def __init__(self, api: BcApi) -> None:
        self._api = api

    async def companies(self) -> list[Company]:
        """Every company the app registration can see (not company-scoped)."""
        return await self._api.collect(Company, f"{self._api.root}/companies")

    def iter_items(self, *, changed_since: datetime | None = None) -> AsyncIterator[Item]:
        """Items, oldest change first. A stock movement does not change an item (reference §2.2)."""
        query = Query(filter=modified_since(changed_since), orderby=BY_MODIFIED)
        return self._api.iterate(Item, self._api.url("items"), query)

    def iter_items_by_number(self) -> AsyncIterator[Item]:
        """Every item's number, type and inventory, in item number order (the stock reconciliation's
        merge), a page at a time; only those fields: a quarter of the bytes of a whole item."""
        query = Query(orderby=("number asc",), select=("id", "number", "type", "inventory"))
        return self._api.iterate(Item, self._api.url("items"), query)

    async def get_item(self, item_id: UUID) -> Item:
        return await self._api.get(Item, self._api.url(f"items({item_id})"))

    async def find_item(self, number: str) -> Item | None:
        items = await self._api.collect(
            Item, self._api.url("items"), Query(filter=Field("number").eq(number))
        )
        return items[0] if items else None

    def iter_customers(self, *, changed_since: datetime | None = None) -> AsyncIterator[Customer]:
        query = Query(filter=modified_since(changed_since), orderby=BY_MODIFIED)
        return self._api.iterate(Customer, self._api.url("customers"), query)

    async def get_customer(self, customer_id: UUID) -> Customer:
        return await self._api.get(Customer, self._api.url(f"customers({customer_id})"))

    async def locations(self) -> list[Location]:
        return await self._api.collect(Location, self._api.url("locations"))

    async def find_return_reason(self, code: str) -> CustomerReturnReason | None:
        query = Query(filter=Field("code").eq(code))
        found = await self._api.collect(CustomerReturnReason, self._api.url("customerReturnReasons"), query)
        return found[0] if found else None

    async def shipment_methods(self) -> list[ShipmentMethod]:
        return await self._api.collect(ShipmentMethod, self._api.url("shipmentMethods"))

    def iter_item_ledger_entries(
        self,
        *,
        changed_since: datetime | None = None,
        item_number: str | None = None,
        document_number: str | None = None,
    ) -> AsyncIterator[ItemLedgerEntry]:
        """Posted stock movements in entry order (no location on the standard API, reference §2.9)."""
        query = Query(
            filter=all_of(
                modified_since(changed_since),
                Field("itemNumber").eq(item_number) if item_number is not None else None,
                Field("documentNumber").eq(document_number) if document_number is not None else None,
            ),
            orderby=("entryNumber asc",),
        )
        return self._api.iterate(ItemLedgerEntry, self._api.url("itemLedgerEntries"), query)
