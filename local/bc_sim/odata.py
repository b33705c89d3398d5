"""OData query options as BC serves them: `$filter` (filters.py), `$select`, nested `$expand`,
`$orderby`, `$top`, `$skip`, `$count`, validated and compiled against an entity set's fields."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from local.bc_sim.errors import BcError, syntax_error
from local.bc_sim.filters import Node, Predicate, compile_filter, parse_filter
from local.bc_sim.schema import ALL_SETS, EntitySet


@dataclass
class Query:
    es: EntitySet
    filter_node: Node | None = None
    predicate: Predicate | None = None
    select: list[str] | None = None
    expand: list[tuple[str, Query]] = field(default_factory=list)
    orderby: list[tuple[str, bool]] = field(default_factory=list)  # (field, descending)
    top: int | None = None
    skip: int = 0
    count: bool = False


KNOWN_OPTIONS = frozenset(
    {
        "$filter",
        "$select",
        "$expand",
        "$orderby",
        "$top",
        "$skip",
        "$count",
        "$skiptoken",
        "$schemaversion",
        "$format",
    }
)


def parse_query(es: EntitySet, options: Mapping[str, str], *, allow_in: bool = False) -> Query:
    """Validate and compile the query options for `es` (unknown `$` options are an error, as in BC)."""
    for name in options:
        if name.startswith("$") and name not in KNOWN_OPTIONS:
            raise syntax_error(f"The query parameter '{name}' is not supported.")
    allow_in = allow_in or options.get("$schemaversion") == "2.1"
    query = Query(es)
    if text := options.get("$filter"):
        query.filter_node = parse_filter(text, allow_in=allow_in)
        query.predicate = compile_filter(es, query.filter_node)
    if (text := options.get("$select")) is not None:
        query.select = [_field_name(es, part) for part in _split(text, ",")]
    if text := options.get("$expand"):
        query.expand = [_expand_item(es, part, allow_in) for part in _split(text, ",")]
    if text := options.get("$orderby"):
        query.orderby = [_order_item(es, part) for part in _split(text, ",")]
    query.top = _non_negative(options, "$top")
    query.skip = _non_negative(options, "$skip") or 0
    if "$count" in options:
        if options["$count"] not in ("true", "false"):
            raise syntax_error("$count must be true or false.")
        query.count = options["$count"] == "true"
    return query


def _field_name(es: EntitySet, text: str) -> str:
    name = text.strip()
    if name not in es.by_name:
        raise BcError(
            400,
            "BadRequest_NotFound",
            f"Could not find a property named '{name}' on type 'Microsoft.NAV.{es.entity}'.",
        )
    return name


def _order_item(es: EntitySet, text: str) -> tuple[str, bool]:
    parts = text.split()
    if not parts or len(parts) > 2 or (len(parts) == 2 and parts[1] not in ("asc", "desc")):
        raise syntax_error(f"Invalid $orderby item '{text}'.")
    return _field_name(es, parts[0]), len(parts) == 2 and parts[1] == "desc"


def _expand_item(es: EntitySet, text: str, allow_in: bool) -> tuple[str, Query]:
    text = text.strip()
    name, _, rest = text.partition("(")
    name = name.strip()
    nav = es.nav_by_name.get(name)
    if nav is None:
        raise BcError(
            400,
            "BadRequest_NotFound",
            f"Could not find a navigation property named '{name}' on type 'Microsoft.NAV.{es.entity}'.",
        )
    nested: dict[str, str] = {}
    if rest:
        if not rest.endswith(")"):
            raise syntax_error(f"')' expected in $expand item '{text}'.")
        for option in _split(rest[:-1], ";"):
            key, eq, value = option.partition("=")
            if not eq:
                raise syntax_error(f"Invalid nested option '{option}'.")
            nested[key.strip()] = value
    return name, parse_query(ALL_SETS[nav.target], nested, allow_in=allow_in)


def _split(text: str, sep: str) -> list[str]:
    """Split at `sep` outside parentheses and quotes."""
    parts, depth, quoted, start = [], 0, False, 0
    for i, char in enumerate(text):
        if char == "'":
            quoted = not quoted
        elif not quoted and char == "(":
            depth += 1
        elif not quoted and char == ")":
            depth -= 1
        elif not quoted and depth == 0 and char == sep:
            parts.append(text[start:i])
            start = i + 1
    if depth != 0 or quoted:
        raise syntax_error(f"Unbalanced parentheses or quotes in '{text}'.")
    parts.append(text[start:])
    if any(not p.strip() for p in parts):
        raise syntax_error(f"Empty item in '{text}'.")
    return parts


def _non_negative(options: Mapping[str, str], name: str) -> int | None:
    if name not in options:
        return None
    text = options[name]
    if not text.isdigit() or len(text) > 9:
        raise syntax_error(f"{name} must be a non-negative integer.")
    return int(text)
