"""Create, modify and delete as BC's API pages do: body validation, defaults, deep insert, and the
per-entity rules (`Rules`) that orders, lines, masters and the custom API plug in.
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from local.bc_sim import errors
from local.bc_sim.clock import wire_datetime
from local.bc_sim.config import BcSimConfig
from local.bc_sim.errors import BcError
from local.bc_sim.filters import parse_datetime
from local.bc_sim.model import Row, SimState
from local.bc_sim.schema import ALL_SETS, EMPTY_GUID, EntitySet, Field, T, blank, escape_enum

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def num(value: float, places: int = 5) -> float | int:
    """BC decimals on the wire: integral values without a fraction, others rounded."""
    rounded = round(float(value), places)
    return int(rounded) if rounded == int(rounded) else rounded


class Rules:
    """Per-entity-set business rules; the defaults accept what the page's editability allows."""

    def existing(self, docs: Documents, values: Row) -> Row | None:
        """The row a create is a repeat of (idempotent creates), or None to insert a new one."""
        return None

    def on_insert(self, docs: Documents, row: Row, parent: Row | None) -> None:
        """Fill defaults and validate a new row before it is stored (lines: after the header)."""

    def on_modify(self, docs: Documents, row: Row, changes: Row) -> Row:
        """Validate a PATCH; return the changes to store (may add derived fields)."""
        return changes

    def on_delete(self, docs: Documents, row: Row) -> None:
        """Validate a DELETE (the caller removes a document's lines)."""

    def after_lines_changed(self, docs: Documents, header: Row) -> None:
        """A header recomputes itself when one of its lines changed."""


class Documents:
    """The write side of the API, shared by HTTP handlers, `$batch`, seeding and the control surface."""

    def __init__(self, state: SimState, config: BcSimConfig) -> None:
        self.state = state
        self.config = config
        self.rules: dict[str, Rules] = {}
        self.new_id: Callable[[], str] = lambda: str(uuid.uuid4())

    @contextmanager
    def ids_from(self, new_id: Callable[[], str]) -> Iterator[None]:
        """Deterministic ids while seeding (BC's SystemIds are random otherwise)."""
        previous, self.new_id = self.new_id, new_id
        try:
            yield
        finally:
            self.new_id = previous

    def rules_for(self, entity_set: str) -> Rules:
        return self.rules.get(entity_set) or _DEFAULT_RULES

    # --- the three writes --------------------------------------------------------------------------
    def create(self, entity_set: str, body: Mapping[str, Any], *, parent_id: str | None = None) -> Row:
        """POST: a row (and, for a document, a deep insert of its lines), all-or-nothing."""
        es = ALL_SETS[entity_set]
        if not es.insert:
            raise errors.method_not_allowed("POST", entity_set)
        values, lines = coerce_body(es, body, creating=True)
        if parent_id is not None:
            values["documentId"] = parent_id
        repeat = self.rules_for(entity_set).existing(self, values)
        if repeat is not None:
            return repeat
        with self.state.transaction():
            row = self._insert(es, values)
            for line in lines:
                line_es = ALL_SETS[es.lines or ""]
                line_values, _ = coerce_body(line_es, line, creating=True)
                line_values["documentId"] = row["id"]
                self._insert(line_es, line_values)
            return row

    def modify(self, entity_set: str, row_id: str, body: Mapping[str, Any]) -> Row:
        es = ALL_SETS[entity_set]
        if not es.modify:
            raise errors.method_not_allowed("PATCH", entity_set)
        row = self.require(entity_set, row_id)
        values, lines = coerce_body(es, body, creating=False)
        if lines:
            raise BcError(400, "BadRequest", "Deep update is not supported; PATCH each line on its own.")
        with self.state.transaction():
            changes = self.rules_for(entity_set).on_modify(self, row, values)
            self._check_unique(es, changes, row["id"])
            if changes:
                self.state.update(entity_set, row["id"], changes)
            self._lines_changed(es, row)
            return row

    def remove(self, entity_set: str, row_id: str) -> None:
        es = ALL_SETS[entity_set]
        if not es.delete:
            raise errors.method_not_allowed("DELETE", entity_set)
        row = self.require(entity_set, row_id)
        with self.state.transaction():
            self.rules_for(entity_set).on_delete(self, row)
            if es.lines:
                for line in self.state.lines(es.lines, row["id"]):
                    self.state.delete(es.lines, line["id"])
            self.state.delete(entity_set, row["id"])
            self._lines_changed(es, row)

    # --- helpers for rules -------------------------------------------------------------------------
    def require(self, entity_set: str, row_id: str) -> Row:
        row = self.state.get(entity_set, row_id)
        if row is None:
            raise errors.record_not_found(ALL_SETS[entity_set].entity, row_id)
        return row

    def reference(self, entity_set: str, row_id: str, number_field: str, number: str, what: str) -> Row:
        """A row a body points at by id or by number/code (id wins), or BC's not-found error."""
        if row_id and row_id != EMPTY_GUID:
            row = self.state.get(entity_set, row_id)
            key = f"Id='{row_id}'"
        else:
            row = self.state.find(entity_set, number_field, number) if number else None
            key = f"No.='{number}'"
        if row is None:
            raise BcError(
                400,
                "Internal_RecordNotFound",
                f"The {what} does not exist. Identification fields and values: {key}",
            )
        return row

    def next_number(self, series: str, prefix: str, start: int) -> str:
        return f"{prefix}{self.state.next_counter(series, start)}"

    def today(self) -> str:
        return self.state.clock.today()

    def _insert(self, es: EntitySet, values: Row) -> Row:
        row: Row = {f.name: blank(f) if f.default is None else f.default for f in es.fields}
        row.update(values)
        row["id"] = self._fresh_id(es.name)
        parent = None
        if es.parent is not None:
            parent = self.state.get(es.parent, str(row["documentId"]))
            if parent is None:
                raise errors.record_not_found(ALL_SETS[es.parent].entity, str(row["documentId"]))
        for f in es.fields:
            if f.required and row[f.name] == blank(f):
                raise BcError(
                    400,
                    "BadRequest_RequiredParamNotProvided",
                    f"Field '{f.name}' must not be blank or empty.",
                )
        self.rules_for(es.name).on_insert(self, row, parent)
        self._check_unique(es, row, None)
        self.state.insert(es.name, row)
        if parent is not None:
            self._lines_changed(es, row)
        return row

    def _fresh_id(self, entity_set: str) -> str:
        """A new SystemId; a seeded generator replayed by a second seed request must not reuse one."""
        while True:
            candidate = self.new_id()
            if self.state.get(entity_set, candidate) is None:
                return candidate

    def _check_unique(self, es: EntitySet, values: Row, own_id: str | None) -> None:
        table = self.state.table(es.name)
        for name in table.unique:
            existing = table.lookup(name, str(values[name])) if values.get(name) else None
            if existing is not None and existing["id"] != own_id:
                raise errors.duplicate_key(es.entity, f"{name}='{values[name]}'")

    def _lines_changed(self, es: EntitySet, line: Row) -> None:
        if es.parent is None:
            return
        header = self.state.get(es.parent, str(line["documentId"]))
        if header is not None:
            self.rules_for(es.parent).after_lines_changed(self, header)


_DEFAULT_RULES = Rules()


def coerce_body(
    es: EntitySet, body: Mapping[str, Any], *, creating: bool
) -> tuple[Row, list[Mapping[str, Any]]]:
    """The body's fields as wire values, checked against the page: names, editability, types, lengths.
    Returns (fields, deep-insert lines)."""
    if not isinstance(body, Mapping):
        raise BcError(400, "BadRequest", "Invalid Request Body")
    values: Row = {}
    lines: list[Mapping[str, Any]] = []
    for name, value in body.items():
        if name.startswith("@odata."):
            continue
        if es.lines and name == es.lines:
            if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
                raise BcError(400, "BadRequest", f"'{name}' must be an array of objects.")
            lines = list(value)
            continue
        f = es.by_name.get(name)
        if f is None:
            raise BcError(
                400,
                "BadRequest",
                f"The property '{name}' does not exist on type 'Microsoft.NAV.{es.entity}'. Make sure to"
                " only use property names that are defined by the type.",
            )
        if f.read_only or (f.insert_only and not creating):
            raise errors.read_only(name)
        values[name] = coerce_value(f, value)
    return values, lines


def coerce_value(f: Field, value: Any) -> Any:
    if value is None:
        raise BcError(400, "BadRequest", f"Field '{f.name}' must not be null.")
    match f.type:
        case T.STRING:
            if not isinstance(value, str):
                raise BcError(400, "BadRequest", f"Cannot convert the value of '{f.name}' to a string.")
            if f.max_length is not None and len(value) > f.max_length:
                raise BcError(
                    400,
                    "Application_StringExceededLength",
                    f"The length of the string is {len(value)}, but it must be less than or equal to"
                    f" {f.max_length} characters. Value: {value}",
                )
            return value
        case T.GUID:
            try:
                return str(uuid.UUID(str(value)))
            except ValueError:
                raise BcError(
                    400,
                    "Application_InvalidGUID",
                    "Invalid format of GUID string. The correct format of the GUID string is:"
                    " CDEF7890-ABCD-0123-1234-567890ABCDEF where 0-9, A-F symbolizes hexadecimal digits.",
                ) from None
        case T.DATE:
            if not isinstance(value, str) or not _DATE.match(value):
                raise BcError(400, "BadRequest", "Unable to convert value to Date")
            try:
                parse_datetime(value)
            except ValueError:
                raise BcError(400, "BadRequest", "Unable to convert value to Date") from None
            return value
        case T.DATETIME:
            try:
                return wire_datetime(parse_datetime(str(value)))
            except (ValueError, OverflowError):
                raise BcError(400, "BadRequest", "Unable to convert value to DateTime") from None
        case T.DECIMAL | T.INT:
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                raise BcError(400, "BadRequest", f"Cannot convert the value of '{f.name}' to a number.")
            if abs(value) >= 1e15:
                raise BcError(400, "BadRequest", f"The value of '{f.name}' is out of range.")
            if f.type == T.INT and value != int(value):
                raise BcError(400, "BadRequest", f"Cannot convert the value of '{f.name}' to an integer.")
            return int(value) if f.type == T.INT else num(value)
        case T.BOOL:
            if not isinstance(value, bool):
                raise BcError(400, "BadRequest", f"Cannot convert the value of '{f.name}' to a boolean.")
            return value
        case T.ENUM:
            # The page accepts the option's name (`Non-Inventory`) or its escaped wire form.
            text = escape_enum(value) if isinstance(value, str) and value not in f.enum else value
            if text not in f.enum:
                names = ",".join(v.replace("_x0020_", " ").replace("_x002D_", "-") for v in f.enum)
                raise BcError(
                    400, "Unknown", f"'{value}' is not an option. The existing options are: {names}"
                )
            return text
