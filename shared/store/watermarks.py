"""Poll watermarks: how far each flow has read each source (partition = flow, row = source).

Race the ETag prevents: (1) two poll runs of one flow read watermark 10:00; (2) run A reads
changes to 10:05 and saves 10:05; (3) run B, slower, saves 10:03 over it; (4) the next poll
re-reads from 10:03, or worse, a late run moves the mark past documents nobody read. With
If-Match, run B's save fails with `ConcurrencyConflict`, and B re-reads the mark and decides again.
"""

from __future__ import annotations

from typing import Any

from azure.core.exceptions import ResourceNotFoundError
from azure.data.tables import TableEntity
from azure.data.tables.aio import TableClient
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from shared.store.tables import escape_key, write_guarded


class Watermark(BaseModel):
    """One flow's position in one source; `signpost` is the source's own cursor, where it has one."""

    model_config = ConfigDict(frozen=True)

    flow: str
    source: str
    value: str
    signpost: str | None = None
    last_success: AwareDatetime | None = None
    records_in_last_window: int = Field(default=0, ge=0)
    etag: str | None = None


def _keys(flow: str, source: str) -> dict[str, str]:
    return {"PartitionKey": escape_key(flow), "RowKey": escape_key(source)}


def _to_entity(watermark: Watermark) -> dict[str, Any]:
    return {**_keys(watermark.flow, watermark.source), **watermark.model_dump(exclude={"etag"})}


def _from_entity(entity: TableEntity) -> Watermark:
    fields = {name: entity.get(name) for name in Watermark.model_fields}
    return Watermark.model_validate({**fields, "etag": entity.metadata["etag"]})


class WatermarkStore:
    """Reads and writes the Watermarks table."""

    def __init__(self, table: TableClient) -> None:
        self._table = table

    async def get(self, flow: str, source: str) -> Watermark | None:
        keys = _keys(flow, source)
        try:
            return _from_entity(await self._table.get_entity(keys["PartitionKey"], keys["RowKey"]))
        except ResourceNotFoundError:
            return None

    async def save(self, watermark: Watermark) -> str:
        """Insert (etag None) or replace If-Match; return the new ETag.

        `ConcurrencyConflict` when the row exists already (insert) or changed since it was read.
        """
        what = f"watermark {watermark.flow}/{watermark.source}"
        return await write_guarded(self._table, _to_entity(watermark), watermark.etag, what)

    async def list_all(self) -> list[Watermark]:
        """Every watermark, for the health pages (a few dozen rows)."""
        return [_from_entity(entity) async for entity in self._table.list_entities()]
