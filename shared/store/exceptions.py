"""Sync exceptions: one row per problem per document (partition = kind, row = `<type>|<key>`).

A row holds who owns the problem, how often it happened, and the payload snapshot and source
queue needed to replay the message. A string property holds at most 32K UTF-16 code units and an
entity at most 1 MiB, so the payload is spread over `payload_0..payload_n` and cut, with a marker,
beyond `PAYLOAD_CHUNKS` of them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from enum import StrEnum
from typing import Any

from azure.core.exceptions import ResourceNotFoundError
from azure.data.tables import TableEntity
from azure.data.tables.aio import TableClient
from pydantic import AwareDatetime, BaseModel, ConfigDict

from shared.errors import ConcurrencyConflict
from shared.ops.catalogue import CATALOGUE, Owner, Severity
from shared.store.tables import Page, compound_key, escape_key, read_page, utcnow, write_guarded

PROPERTY_UNITS = 32_000  # UTF-16 code units per string property (the limit is 32,767)
PAYLOAD_CHUNKS = 12  # 12 × 64 KB of payload leaves room under 1 MiB for the other properties
TEXT_UNITS = 8_000  # detail, fix hint, link and resolution are clipped to this
MAX_ATTEMPTS = 10  # of the read-modify-write loop; each round at least one contender wins

log = logging.getLogger(__name__)


class ExceptionStatus(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"


class SyncException(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: str
    type: str
    business_key: str
    owner: str
    severity: str
    first_seen: AwareDatetime
    last_seen: AwareDatetime
    count: int
    detail: str
    fix_hint: str
    bc_link: str | None = None
    status: ExceptionStatus = ExceptionStatus.OPEN
    resolved_at: AwareDatetime | None = None
    resolution: str | None = None
    queue: str | None = None
    correlation_id: str | None = None
    payload: str | None = None
    payload_truncated: bool = False
    etag: str | None = None


# --- long text --------------------------------------------------------------------------------


def _utf16(text: str) -> bytes:
    return text.encode("utf-16-le", "surrogatepass")


def _head(data: bytes, start: int, units: int) -> int:
    """End of the chunk from `start`: at most `units` code units, never half a surrogate pair."""
    end = min(len(data), start + 2 * units)
    if end < len(data) and 0xD800 <= int.from_bytes(data[end - 2 : end], "little") <= 0xDBFF:
        end -= 2
    return end


def split_text(text: str, units: int = PROPERTY_UNITS) -> list[str]:
    """`text` in pieces of at most `units` UTF-16 code units each ("" gives no pieces)."""
    data, start, pieces = _utf16(text), 0, []
    while start < len(data):
        end = _head(data, start, units)
        pieces.append(data[start:end].decode("utf-16-le", "surrogatepass"))
        start = end
    return pieces


def fit_text(text: str, units: int, marker: str = "…[truncated]") -> tuple[str, bool]:
    """`text` if it fits in `units` code units, else its head plus `marker` (fitting); and whether cut."""
    data = _utf16(text)
    if len(data) <= 2 * units:
        return text, False
    head = data[: _head(data, 0, units - len(_utf16(marker)) // 2)].decode("utf-16-le", "surrogatepass")
    return head + marker, True


def fit_payload(payload: str) -> tuple[str, bool]:
    marker = f"\n…[payload truncated by the integration: the first part of {len(payload)} characters kept]"
    return fit_text(payload, PAYLOAD_CHUNKS * PROPERTY_UNITS, marker)


# --- rows -------------------------------------------------------------------------------------


def _keys(kind: str, exception_type: str, business_key: str) -> tuple[str, str]:
    return escape_key(kind), compound_key(exception_type, business_key)


def _to_entity(row: SyncException) -> dict[str, Any]:
    partition, row_key = _keys(row.kind, row.type, row.business_key)
    entity = {"PartitionKey": partition, "RowKey": row_key, **row.model_dump(exclude={"etag", "payload"})}
    entity["status"] = row.status.value
    if row.payload is not None:
        chunks = split_text(row.payload)
        entity["payload_chunks"] = len(chunks)
        entity.update({f"payload_{index}": chunk for index, chunk in enumerate(chunks)})
    return entity


def _from_entity(entity: TableEntity) -> SyncException:
    fields = {name: entity.get(name) for name in SyncException.model_fields}
    chunks = entity.get("payload_chunks")
    payload = None if chunks is None else "".join(entity[f"payload_{index}"] for index in range(chunks))
    return SyncException.model_validate({**fields, "payload": payload, "etag": entity.metadata["etag"]})


def _description(
    exception_type: str, owner: Owner | str | None, severity: Severity | str | None, fix_hint: str | None
) -> dict[str, str]:
    """Owner, severity and fix hint as given, else from the catalogue (unknown types must give all)."""
    entry = CATALOGUE.get(exception_type)
    if entry is not None:
        owner = entry.owner if owner is None else owner
        severity = entry.severity if severity is None else severity
        fix_hint = entry.fix_hint if fix_hint is None else fix_hint
    if owner is None or severity is None or fix_hint is None:
        raise ValueError(f"{exception_type} is not in the catalogue: give its owner, severity and fix hint")
    return {"owner": str(owner), "severity": str(severity), "fix_hint": fit_text(fix_hint, TEXT_UNITS)[0]}


class ExceptionStore:
    """Reads and writes the SyncExceptions table.

    Every change is a read-modify-write guarded by the row's ETag, retried on conflict. Race it
    prevents: (1) two workers fail on order SO1001 at once; (2) both read the row at count 1;
    (3) both write count 2; (4) one occurrence is lost, or a worker reopening a row overwrites a
    resolution made a moment earlier. With If-Match the second write fails, that worker re-reads
    count 2 and writes 3.
    """

    def __init__(self, table: TableClient, *, clock: Callable[[], datetime] = utcnow) -> None:
        self._table = table
        self._clock = clock

    async def get(self, kind: str, exception_type: str, business_key: str) -> SyncException | None:
        try:
            return _from_entity(await self._table.get_entity(*_keys(kind, exception_type, business_key)))
        except ResourceNotFoundError:
            return None

    async def record(
        self,
        kind: str,
        exception_type: str,
        business_key: str,
        *,
        detail: str,
        owner: Owner | str | None = None,
        severity: Severity | str | None = None,
        fix_hint: str | None = None,
        bc_link: str | None = None,
        queue: str | None = None,
        correlation_id: str | None = None,
        payload: str | None = None,
    ) -> SyncException:
        """Open the exception, or count one more occurrence of it; a resolved one is reopened.

        Owner, severity and fix hint default to the catalogue's. The latest detail replaces the
        previous one; the link, queue, correlation id and payload do when given.
        """
        latest: dict[str, Any] = {
            **_description(exception_type, owner, severity, fix_hint),
            "detail": fit_text(detail, TEXT_UNITS)[0],
            "status": ExceptionStatus.OPEN,
            "resolved_at": None,
            "resolution": None,
        }
        if bc_link is not None:
            latest["bc_link"] = fit_text(bc_link, TEXT_UNITS)[0]
        if payload is not None:
            latest["payload"], latest["payload_truncated"] = fit_payload(payload)
        if queue is not None:
            latest["queue"] = queue
        if correlation_id is not None:
            latest["correlation_id"] = correlation_id

        def change(current: SyncException | None, now: datetime) -> SyncException:
            if current is None:
                return SyncException.model_validate(
                    {"kind": kind, "type": exception_type, "business_key": business_key,
                     "first_seen": now, "last_seen": now, "count": 1, **latest}
                )  # fmt: skip
            return current.model_copy(update={**latest, "last_seen": now, "count": current.count + 1})

        saved = await self._read_modify_write(kind, exception_type, business_key, change)
        assert saved is not None  # change() never declines
        if saved.count == 1:  # what the alert rules and the workbook count (infra/modules/alerts.bicep)
            log.warning(
                "sync exception opened",
                extra={"exception_type": exception_type, "owner": saved.owner, "severity": saved.severity,
                       "kind": kind, "business_key": business_key},
            )  # fmt: skip
        return saved

    async def resolve(
        self, kind: str, exception_type: str, business_key: str, resolution: str
    ) -> SyncException | None:
        """Mark the exception resolved (a no-op if it is already); None if there is no such row."""

        def change(current: SyncException | None, now: datetime) -> SyncException | None:
            if current is None or current.status is ExceptionStatus.RESOLVED:
                return None
            return current.model_copy(
                update={"status": ExceptionStatus.RESOLVED, "resolved_at": now,
                        "resolution": fit_text(resolution, TEXT_UNITS)[0]}
            )  # fmt: skip

        saved = await self._read_modify_write(kind, exception_type, business_key, change)
        return saved or await self.get(kind, exception_type, business_key)

    async def open_for(self, kind: str, business_key: str) -> list[SyncException]:
        """The open exceptions of one document."""
        query = "PartitionKey eq @kind and business_key eq @key and status eq @open"
        parameters = {"kind": escape_key(kind), "key": business_key, "open": ExceptionStatus.OPEN.value}
        return [
            _from_entity(entity) async for entity in self._table.query_entities(query, parameters=parameters)
        ]

    async def resolve_document(self, kind: str, business_key: str, resolution: str) -> list[SyncException]:
        """Resolve every open exception of one document (it has just gone through); return them."""
        resolved = []
        for row in await self.open_for(kind, business_key):
            saved = await self.resolve(kind, row.type, business_key, resolution)
            if saved is not None and saved.status is ExceptionStatus.RESOLVED:
                resolved.append(saved)
        return resolved

    async def list_page(
        self,
        *,
        status: ExceptionStatus | str | None = None,
        owner: Owner | str | None = None,
        kind: str | None = None,
        type: str | None = None,
        page_size: int = 50,
        continuation: str | None = None,
    ) -> Page[SyncException]:
        """Exceptions matching every filter given, in kind then row-key order, a page at a time."""
        filters = {
            "PartitionKey": escape_key(kind) if kind is not None else None,
            "status": status, "owner": owner, "type": type,
        }  # fmt: skip
        parameters = {name: str(value) for name, value in filters.items() if value is not None}
        query = " and ".join(f"{name} eq @{name}" for name in parameters)
        return await read_page(
            self._table, _from_entity, page_size=page_size, continuation=continuation,
            query_filter=query or None, parameters=parameters,
        )  # fmt: skip

    async def _read_modify_write(
        self,
        kind: str,
        exception_type: str,
        business_key: str,
        change: Callable[[SyncException | None, datetime], SyncException | None],
    ) -> SyncException | None:
        """Apply `change` to the current row, write it If-Match (insert if new), retry on conflict."""
        what = f"exception {kind}/{exception_type}:{business_key}"
        for _ in range(MAX_ATTEMPTS):
            current = await self.get(kind, exception_type, business_key)
            row = change(current, self._clock())
            if row is None:
                return None
            try:
                etag = await write_guarded(self._table, _to_entity(row), row.etag, what)
            except ConcurrencyConflict:
                continue
            return row.model_copy(update={"etag": etag})
        raise ConcurrencyConflict(f"{what}: still contended after {MAX_ATTEMPTS} attempts")
