"""The cross-reference between a Business Central document and its Scend counterpart (design §5).

One partition per document kind holds two rows per document: `bc|<id>` carries the whole record
and its ETag guards every change; `scend|<id>` points at the BC id, so a Scend event finds its
document with two point reads (`|`, not design §5's `:`: see `tables.escape_key`). Both rows are
written in one entity-group transaction, so a reader never sees one without the other.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from azure.core.exceptions import ResourceNotFoundError
from azure.data.tables import EdmType, TableEntity, UpdateMode
from azure.data.tables.aio import TableClient
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, JsonValue, PrivateAttr

from shared.errors import ConcurrencyConflict
from shared.store.tables import (
    Operation,
    Page,
    compound_key,
    conflicts_as_transient,
    escape_key,
    if_match,
    int_value,
    read_page,
    utcnow,
)

_UNKNOWN = object()


class CrossReference(BaseModel):
    """Both ids of one document, what was last sent, and the ETag of the stored `bc|` row."""

    model_config = ConfigDict(frozen=True)

    kind: str
    bc_id: str
    scend_id: str | None = None
    bc_number: str
    state: str
    content_hash: str | None = None
    version: int = 0
    tracking: dict[str, JsonValue] | list[JsonValue] = Field(default_factory=dict)
    created_at: AwareDatetime = Field(default_factory=utcnow)
    updated_at: AwareDatetime = Field(default_factory=utcnow)
    etag: str | None = None
    # The Scend id the stored row had when this copy was read or saved (its ETag vouches for it):
    # a save then knows which pointer exists without reading the row again.
    _stored_scend_id: str | object | None = PrivateAttr(default=_UNKNOWN)

    def __eq__(self, other: object) -> bool:
        """Equal when the fields are: what a copy knows of the stored row is not part of it."""
        if not isinstance(other, CrossReference):
            return NotImplemented
        return self.__dict__ == other.__dict__

    __hash__ = None  # type: ignore[assignment]  # `tracking` is a dict: never hashable

    def stored_as(self, scend_id: str | None) -> CrossReference:
        """This copy, known to match a stored row whose Scend id is `scend_id`."""
        self._stored_scend_id = scend_id
        return self

    def tracked(self) -> dict[str, Any]:
        """A copy of `tracking` as a dict (empty when it holds none)."""
        return dict(self.tracking) if isinstance(self.tracking, dict) else {}

    def tracked_dict(self, name: str) -> dict[str, Any]:
        """A copy of one dict held in `tracking` (`shipments`, `receipts`), empty when absent."""
        value = self.tracked().get(name)
        return dict(value) if isinstance(value, dict) else {}

    def with_tracking(self, **changes: Any) -> CrossReference:
        """A copy with these `tracking` entries set; None removes one."""
        track = self.tracked()
        for name, value in changes.items():
            if value is None:
                track.pop(name, None)
            else:
                track[name] = value
        return self.model_copy(update={"tracking": track})


def _bc_row(kind: str, bc_id: str) -> dict[str, Any]:
    return {"PartitionKey": escape_key(kind), "RowKey": compound_key("bc", bc_id)}


def _scend_row(kind: str, scend_id: str) -> dict[str, Any]:
    return {"PartitionKey": escape_key(kind), "RowKey": compound_key("scend", scend_id)}


def _to_entity(ref: CrossReference) -> dict[str, Any]:
    fields = ref.model_dump(exclude={"etag", "tracking", "version"})
    return {
        **_bc_row(ref.kind, ref.bc_id),
        **fields,
        "version": (ref.version, EdmType.INT64),
        "tracking": json.dumps(ref.tracking, separators=(",", ":")),
    }


def _from_entity(entity: TableEntity) -> CrossReference:
    fields = {name: entity.get(name) for name in CrossReference.model_fields}
    fields.update(
        version=int_value(entity["version"]),
        tracking=json.loads(entity["tracking"]),
        etag=entity.metadata["etag"],
    )
    return CrossReference.model_validate(fields).stored_as(entity.get("scend_id"))


class CrossReferenceStore:
    """Reads and writes cross-references in the CrossReferences table."""

    def __init__(self, table: TableClient, *, clock: Callable[[], datetime] = utcnow) -> None:
        self._table = table
        self._clock = clock

    async def get_by_bc(self, kind: str, bc_id: str) -> CrossReference | None:
        entity = await self._read(_bc_row(kind, bc_id))
        return _from_entity(entity) if entity is not None else None

    async def get_by_scend(self, kind: str, scend_id: str) -> CrossReference | None:
        """The document Scend knows as `scend_id`, or None.

        Race: (1) we read the pointer scend|S → bc|A; (2) a writer moves A to Scend id T,
        deleting the pointer; (3) we read bc|A, which now says T. S belongs to no one any more,
        so a record whose scend_id is not S is treated as absent.
        """
        pointer = await self._read(_scend_row(kind, scend_id))
        if pointer is None:
            return None
        ref = await self.get_by_bc(kind, pointer["bc_id"])
        return ref if ref is not None and ref.scend_id == scend_id else None

    async def save(self, ref: CrossReference) -> CrossReference:
        """Write both rows in one transaction; return the record with `updated_at` and its new ETag.

        A new record (etag None) is inserted, so of two workers creating one document the second
        gets `ConcurrencyConflict`. An existing record replaces the `bc|` row If-Match its ETag: a
        worker holding a stale copy gets `ConcurrencyConflict` and nothing of its write lands.
        The Scend pointer is upserted while unchanged; a new Scend id is inserted (so two
        documents cannot claim one Scend id) and the old pointer deleted in the same transaction.
        """
        saved = ref.model_copy(update={"updated_at": self._clock()})
        entity = _to_entity(saved)
        operations: list[Operation] = []
        if ref.etag is None:
            operations.append(("create", entity))
            if ref.scend_id is not None:
                operations.append(("create", {**_scend_row(ref.kind, ref.scend_id), "bc_id": ref.bc_id}))
        else:
            operations += await self._changes(saved, entity, ref.etag)
        with conflicts_as_transient(f"cross-reference {ref.kind}/{ref.bc_id}"):
            results = await self._table.submit_transaction(operations)
        return saved.model_copy(update={"etag": results[0]["etag"]}).stored_as(saved.scend_id)

    async def _changes(self, ref: CrossReference, entity: dict[str, Any], etag: str) -> list[Operation]:
        # Which Scend pointer exists now: known from the copy we read or saved (the If-Match below
        # fails the whole transaction if the row changed since), else read from the stored row (a
        # stale ETag stops here already).
        known = ref._stored_scend_id
        if known is _UNKNOWN:
            current = await self._read(_bc_row(ref.kind, ref.bc_id))
            if current is None or current.metadata["etag"] != etag:
                raise ConcurrencyConflict(f"cross-reference {ref.kind}/{ref.bc_id} changed since it was read")
            known = current.get("scend_id")
        old_scend_id = known if isinstance(known, str) else None
        operations: list[Operation] = [("update", entity, {"mode": UpdateMode.REPLACE, **if_match(etag)})]
        if ref.scend_id is not None:
            pointer = {**_scend_row(ref.kind, ref.scend_id), "bc_id": ref.bc_id}
            if ref.scend_id == old_scend_id:
                operations.append(("upsert", pointer, {"mode": UpdateMode.REPLACE}))
            else:
                operations.append(("create", pointer))
        if old_scend_id is not None and old_scend_id != ref.scend_id:
            # Unconditional delete; a pointer removed by hand makes it fail (404 → conflict) until restored.
            operations.append(("delete", _scend_row(ref.kind, old_scend_id)))
        return operations

    async def list_page(
        self, kind: str, page_size: int = 100, continuation: str | None = None
    ) -> Page[CrossReference]:
        """The records of one kind (the `bc|` rows only), in stored key order, a page at a time."""
        return await read_page(
            self._table,
            _from_entity,
            page_size=page_size,
            continuation=continuation,
            # `}` is the character after `|`, so this range holds exactly the `bc|` rows.
            query_filter="PartitionKey eq @kind and RowKey ge @low and RowKey lt @high",
            parameters={"kind": escape_key(kind), "low": "bc|", "high": "bc}"},
        )

    async def list_in_state_page(
        self, kind_prefix: str, state: str, page_size: int = 100, continuation: str | None = None
    ) -> Page[CrossReference]:
        """The records in `state` of every kind starting with `kind_prefix` (the `bc|` rows only),
        in stored key order: one range query, filtered by the service."""
        low = escape_key(kind_prefix)
        return await read_page(
            self._table,
            _from_entity,
            page_size=page_size,
            continuation=continuation,
            query_filter="PartitionKey ge @low and PartitionKey lt @high and RowKey ge @rlow"
            " and RowKey lt @rhigh and state eq @state",
            parameters={
                "low": low,
                "high": low[:-1] + chr(ord(low[-1]) + 1),  # the first key past all that start with `low`
                "rlow": "bc|",
                "rhigh": "bc}",
                "state": state,
            },
        )

    async def _read(self, keys: dict[str, Any]) -> TableEntity | None:
        try:
            return await self._table.get_entity(keys["PartitionKey"], keys["RowKey"])
        except ResourceNotFoundError:
            return None
