"""The in-memory company: tables of rows in BC's JSON shape, ETags, transactions and change events.

Rows are dicts already in wire form (escaped enums, ISO dates, numbers), so reads cost one dict copy.
Every write goes through `insert`/`update`/`delete` (or `record`), which keep the indexes, bump the
row version behind the ETag, stamp `lastModifiedDateTime` and, inside `transaction()`, log an undo
step: one request, a deep insert or a `$batch` with `Isolation: snapshot` is all-or-nothing.

The race this prevents: (1) a deep insert creates the header, (2) line 3 fails validation, (3) without
the undo log the header and two lines would stay behind, and a client retrying the POST would get a
second order. With it, (2) rolls back to before (1).
"""

from __future__ import annotations

import base64
import bisect
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from local.bc_sim.clock import SimClock, wire_datetime
from local.bc_sim.schema import ALL_SETS, EntitySet

type Row = dict[str, Any]
type ChangeType = Literal["created", "updated", "deleted"]

# Secondary keys BC enforces (No., Code) plus the custom API's Scend ids; also the fast path for `eq`.
UNIQUE_FIELDS: dict[str, tuple[str, ...]] = {
    "items": ("number",),
    "customers": ("number",),
    "vendors": ("number",),
    "locations": ("code",),
    "shipmentMethods": ("code",),
    "customerReturnReasons": ("code",),
    "salesOrders": ("number",),
    "purchaseOrders": ("number",),
    "salesCreditMemos": ("number",),
    "salesShipments": ("number",),
    "salesInvoices": ("number",),
    "purchaseReceipts": ("number",),
    "purchaseInvoices": ("number",),
    "shipmentConfirmations": ("scendShipmentId",),
    "stockAdjustments": ("scendAdjustmentId",),
    "receiptConfirmations": ("scendReceiptId",),
}
NOT_STORED = frozenset({"companies", "subscriptions"})  # served by their own modules


@dataclass(frozen=True)
class Change:
    entity_set: str
    id: str
    change_type: ChangeType
    at: datetime


@dataclass(frozen=True)
class Posting:
    """One posted document, for statistics: kind (salesShipment, salesInvoice, purchaseReceipt,
    purchaseInvoice, stockAdjustment), its number, the source order's number and the Scend id."""

    kind: str
    number: str
    order_number: str = ""
    scend_id: str = ""


def etag_for(version: int) -> str:
    """BC-style weak ETag: base64 of `'<len>;<row version>;'` (W/"JzE3OzEwMDAw..."), opaque to clients."""
    token = str(10**16 + version)
    return 'W/"' + base64.b64encode(f"'{len(token)};{token};'".encode()).decode() + '"'


class Table:
    """Rows of one entity set in insertion order (BC's default: primary-key order, which number
    series follow), with a sequence index for O(page) paging and the unique-key indexes."""

    def __init__(self, es: EntitySet) -> None:
        self.es = es
        self.rows: dict[str, Row] = {}
        self.seq: dict[str, int] = {}
        self.order: list[tuple[int, str]] = []
        self.versions: dict[str, int] = {}
        self.children: dict[str, list[str]] = {}
        self.unique: dict[str, dict[str, str]] = {f: {} for f in UNIQUE_FIELDS.get(es.name, ())}
        self._next_seq = 0

    def scan(self, after_seq: int = -1) -> Iterator[tuple[int, Row]]:
        """Live rows in order, starting after `after_seq`; deleted rows' order entries are skipped."""
        start = bisect.bisect_right(self.order, after_seq, key=lambda entry: entry[0])
        for seq, row_id in self.order[start:]:
            row = self.rows.get(row_id)
            if row is not None and self.seq[row_id] == seq:
                yield seq, row

    def lookup(self, field_name: str, value: str) -> Row | None:
        row_id = self.unique[field_name].get(value.casefold())
        return None if row_id is None else self.rows.get(row_id)

    def index(self, row: Row, add: bool) -> None:
        """Add or drop the row's unique-key entries (values compare case-insensitively, as SQL does)."""
        for name, index in self.unique.items():
            key = str(row.get(name, "")).casefold()
            if not key:
                continue
            if add:
                index[key] = row["id"]
            elif index.get(key) == row["id"]:
                del index[key]

    def put(self, row: Row, version: int, seq: int | None = None) -> None:
        row_id = row["id"]
        if seq is None:
            seq = self._next_seq
            self._next_seq += 1
            self.order.append((seq, row_id))
        else:  # restoring a deleted row: its order entry is normally still there
            at = bisect.bisect_left(self.order, (seq, row_id))
            if at == len(self.order) or self.order[at] != (seq, row_id):
                self.order.insert(at, (seq, row_id))
        self.rows[row_id] = row
        self.seq[row_id] = seq
        self.versions[row_id] = version
        self.index(row, add=True)
        if self.es.parent is not None:
            self.children.setdefault(row["documentId"], []).append(row_id)

    def remove(self, row_id: str) -> tuple[Row, int, int]:
        row = self.rows.pop(row_id)
        self.index(row, add=False)
        if self.es.parent is not None:
            self.children[row["documentId"]].remove(row_id)
        return row, self.seq.pop(row_id), self.versions.pop(row_id)


@dataclass
class _Tx:
    undo: list[Callable[[], None]] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    rollback_only: bool = False


class SimState:
    """The company's data. Mutate through these methods only; read freely (`get`, `rows`, `lines`)."""

    def __init__(self, clock: SimClock) -> None:
        self.clock = clock
        self.listeners: list[Callable[[Sequence[Change]], None]] = []
        self._tx: _Tx | None = None
        self.clear()

    def clear(self) -> None:
        self.tables = {name: Table(es) for name, es in ALL_SETS.items() if name not in NOT_STORED}
        self.counters: dict[str, int] = {}
        self.stock: dict[str, float] = {}  # item id -> quantity on hand (Item.Inventory)
        self.stock_at: dict[tuple[str, str], float] = {}  # (item id, location code) -> quantity
        self.postings: list[Posting] = []
        self.shipment_tracking: dict[str, dict[str, str]] = {}  # posted shipment id -> tracking fields
        self.ledger_details: dict[str, Any] = {}  # entry id -> what API v2.0 hides (location, reason)
        self._rowversion = 0

    # --- reads -------------------------------------------------------------------------------------
    def table(self, entity_set: str) -> Table:
        return self.tables[entity_set]

    def get(self, entity_set: str, row_id: str) -> Row | None:
        return self.tables[entity_set].rows.get(row_id.lower())

    def rows(self, entity_set: str) -> list[Row]:
        return [row for _, row in self.tables[entity_set].scan()]

    def find(self, entity_set: str, field_name: str, value: str) -> Row | None:
        table = self.tables[entity_set]
        if field_name in table.unique:
            return table.lookup(field_name, value)
        return next((r for _, r in table.scan() if r.get(field_name) == value), None)

    def lines(self, line_set: str, document_id: str) -> list[Row]:
        table = self.tables[line_set]
        found = [table.rows[i] for i in table.children.get(document_id, ())]
        return sorted(found, key=lambda r: r["sequence"])

    def etag(self, entity_set: str, row_id: str) -> str:
        return etag_for(self.tables[entity_set].versions[row_id])

    # --- writes ------------------------------------------------------------------------------------
    def now(self) -> str:
        return wire_datetime(self.clock.now())

    def insert(self, entity_set: str, row: Row) -> Row:
        table = self.tables[entity_set]
        row.setdefault("id", str(uuid.uuid4()))  # callers normally set it
        if table.es.has_modified:
            row["lastModifiedDateTime"] = self.now()
        table.put(row, self._bump())
        self._log(lambda: table.remove(row["id"]))
        self._changed(entity_set, row["id"], "created")
        return row

    def update(self, entity_set: str, row_id: str, changes: Row, *, touch: bool = True) -> Row:
        """Change fields of a row; `touch=False` for FlowField-like values (no new ETag, no event)."""
        table = self.tables[entity_set]
        row = table.rows[row_id]
        before = {k: row[k] for k in changes if k in row}
        old_version = table.versions[row_id]
        table.index(row, add=False)
        row.update(changes)
        if touch:
            if table.es.has_modified:
                before.setdefault("lastModifiedDateTime", row["lastModifiedDateTime"])
                row["lastModifiedDateTime"] = self.now()
            table.versions[row_id] = self._bump()
        table.index(row, add=True)

        def undo() -> None:
            table.index(row, add=False)
            for key in changes:
                if key not in before:
                    row.pop(key, None)
            row.update(before)
            table.versions[row_id] = old_version
            table.index(row, add=True)

        self._log(undo)
        if touch:
            self._changed(entity_set, row_id, "updated")
        return row

    def delete(self, entity_set: str, row_id: str) -> None:
        table = self.tables[entity_set]
        row, seq, version = table.remove(row_id)
        self._log(lambda: table.put(row, version, seq))
        self._changed(entity_set, row_id, "deleted")

    def next_counter(self, name: str, start: int) -> int:
        value = self.counters.get(name, start - 1) + 1
        self.set_in(self.counters, name, value)
        return value

    def set_in[K, V](self, mapping: dict[K, V], key: K, value: V) -> None:
        """Set a side value (stock, tracking, counters) with an undo step."""
        missing = key not in mapping
        old = mapping.get(key)
        mapping[key] = value

        def undo() -> None:
            if missing:
                mapping.pop(key, None)
            else:
                mapping[key] = old  # type: ignore[assignment]

        self._log(undo)

    def record(self, posting: Posting) -> None:
        self.postings.append(posting)
        self._log(self.postings.pop)

    # --- transactions ------------------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[_Tx]:
        """All-or-nothing: an exception (or `rollback_only`) undoes every write since entry.
        Nested calls are savepoints; change events reach listeners when the outermost one commits."""
        outer = self._tx is None
        tx = self._tx if self._tx is not None else _Tx()
        self._tx = tx
        mark, change_mark = len(tx.undo), len(tx.changes)
        inner = _Tx()
        try:
            yield inner
        except BaseException:
            self._undo_to(tx, mark, change_mark)
            raise
        else:
            if inner.rollback_only:
                self._undo_to(tx, mark, change_mark)
        finally:
            if outer:
                self._tx = None
        if outer and tx.changes:
            self._notify(tx.changes)

    def _undo_to(self, tx: _Tx, mark: int, change_mark: int) -> None:
        while len(tx.undo) > mark:
            tx.undo.pop()()
        del tx.changes[change_mark:]

    def _log(self, step: Callable[[], object]) -> None:
        if self._tx is not None:
            self._tx.undo.append(lambda: (step(), None)[1])

    def _changed(self, entity_set: str, row_id: str, change_type: ChangeType) -> None:
        change = Change(entity_set, row_id, change_type, self.clock.now())
        if self._tx is not None:
            self._tx.changes.append(change)
        else:
            self._notify([change])

    def _notify(self, changes: Sequence[Change]) -> None:
        for listener in self.listeners:
            listener(changes)

    def _bump(self) -> int:
        self._rowversion += 1
        return self._rowversion
