"""BC's `$filter` grammar: a small recursive-descent parser and a compiler to row predicates.

    expr   := and ('or' and)*            [an `or` over different fields is an error, as in BC]
    and    := unary ('and' unary)*
    unary  := 'not' unary | cmp
    cmp    := operand (('eq'|'ne'|'gt'|'ge'|'lt'|'le') operand | 'in' '(' literal, ... ')')?
                                         [`in` only with $schemaversion=2.1]
    operand:= '(' expr ')' | func '(' args ')' | literal | field
Literals: 'text' ('' escapes a quote), numbers, true/false/null, GUIDs, dates and datetimes unquoted.
String comparisons ignore case, as BC's SQL collation does. Enum literals must be the escaped wire form
(whether BC also takes `'In Review'` is unconfirmed, so the simulator refuses it).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from local.bc_sim.errors import BcError, syntax_error
from local.bc_sim.schema import EntitySet, Field, T

type Row = dict[str, Any]
type Predicate = Callable[[Row], bool]

_TOKEN = re.compile(
    r"""\s*(?:
    (?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2}))
  | (?P<guid>[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12})
  | (?P<date>\d{4}-\d{2}-\d{2})
  | (?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
  | (?P<string>'(?:[^']|'')*')
  | (?P<name>[A-Za-z_][A-Za-z0-9_.]*)
  | (?P<punct>[(),/])
    )""",
    re.VERBOSE,
)
COMPARISONS = frozenset({"eq", "ne", "gt", "ge", "lt", "le"})
STRING_FUNCTIONS = frozenset({"contains", "startswith", "endswith"})
CASE_FUNCTIONS = frozenset({"tolower", "toupper"})


@dataclass(frozen=True)
class Lit:
    kind: str  # string, number, guid, date, datetime, bool, null
    value: Any


@dataclass(frozen=True)
class Member:
    name: str


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple[Node, ...]


@dataclass(frozen=True)
class Cmp:
    op: str
    left: Node
    right: Node


@dataclass(frozen=True)
class InList:
    member: Node
    values: tuple[Lit, ...]


@dataclass(frozen=True)
class Bool:
    op: str  # and, or, not
    parts: tuple[Node, ...]


type Node = Lit | Member | Call | Cmp | InList | Bool


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise syntax_error(f"Unexpected character at position {pos} in '{text}'.")
        kind = match.lastgroup
        assert kind is not None
        tokens.append((kind, match.group(kind)))
        pos = match.end()
    return tokens


class _Parser:
    def __init__(self, text: str, *, allow_in: bool) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.pos = 0
        self.allow_in = allow_in

    def parse(self) -> Node:
        node = self.expr()
        if self.pos != len(self.tokens):
            raise syntax_error(f"Unexpected '{self.tokens[self.pos][1]}' in '{self.text}'.")
        return node

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def word(self, *words: str) -> str | None:
        token = self.peek()
        if token and token[0] == "name" and token[1] in words:
            self.pos += 1
            return token[1]
        return None

    def expect(self, punct: str) -> None:
        token = self.peek()
        if token != ("punct", punct):
            raise syntax_error(f"'{punct}' expected in '{self.text}'.")
        self.pos += 1

    def expr(self) -> Node:
        parts = [self.conjunction()]
        while self.word("or"):
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else Bool("or", tuple(parts))

    def conjunction(self) -> Node:
        parts = [self.unary()]
        while self.word("and"):
            parts.append(self.unary())
        return parts[0] if len(parts) == 1 else Bool("and", tuple(parts))

    def unary(self) -> Node:
        if self.word("not"):
            return Bool("not", (self.unary(),))
        left = self.operand()
        op = self.word(*COMPARISONS)
        if op:
            return Cmp(op, left, self.operand())
        if self.word("in"):
            if not self.allow_in:
                raise BcError(400, "BadRequest", "The 'in' operator needs $schemaversion=2.1.")
            self.expect("(")
            values = [self.literal()]
            while self.peek() == ("punct", ","):
                self.pos += 1
                values.append(self.literal())
            self.expect(")")
            return InList(left, tuple(values))
        return left

    def literal(self) -> Lit:
        node = self.operand()
        if not isinstance(node, Lit):
            raise syntax_error(f"A literal was expected in '{self.text}'.")
        return node

    def operand(self) -> Node:
        token = self.peek()
        if token is None:
            raise syntax_error(f"Expression expected at the end of '{self.text}'.")
        kind, value = token
        self.pos += 1
        if kind == "punct" and value == "(":
            node = self.expr()
            self.expect(")")
            return node
        if kind == "string":
            return Lit("string", value[1:-1].replace("''", "'"))
        if kind == "number":
            return Lit("number", float(value))
        if kind in ("guid", "date", "datetime"):
            return Lit(kind, value)
        if kind == "name":
            if value in ("true", "false"):
                return Lit("bool", value == "true")
            if value == "null":
                return Lit("null", None)
            if self.peek() == ("punct", "("):
                return self.call(value)
            if self.peek() == ("punct", "/"):
                raise BcError(400, "BadRequest", "Filtering on navigation properties is not supported.")
            return Member(value)
        raise syntax_error(f"Unexpected '{value}' in '{self.text}'.")

    def call(self, name: str) -> Call:
        self.expect("(")
        args = [self.operand()]
        while self.peek() == ("punct", ","):
            self.pos += 1
            args.append(self.operand())
        self.expect(")")
        return Call(name, tuple(args))


def parse_filter(text: str, *, allow_in: bool = False) -> Node:
    return _Parser(text, allow_in=allow_in).parse()


@lru_cache(maxsize=65_536)
def parse_datetime(text: str) -> datetime:
    return datetime.fromisoformat(text)


def sort_key(f: Field) -> Callable[[Any], Any]:
    if f.type in (T.STRING, T.ENUM):
        return lambda v: str(v).casefold()
    if f.type == T.DATETIME:
        return lambda v: parse_datetime(v)
    return lambda v: v


def _coerce(f: Field, lit: Lit) -> Any:
    """The literal as a value comparable with the field's stored (wire) value."""
    if lit.kind == "null":
        return None
    expected = {
        T.STRING: ("string",),
        T.ENUM: ("string",),
        T.GUID: ("guid", "string"),
        T.DATE: ("date",),
        T.DATETIME: ("datetime",),
        T.DECIMAL: ("number",),
        T.INT: ("number",),
        T.BOOL: ("bool",),
    }[f.type]
    if lit.kind not in expected:
        raise BcError(400, "BadRequest", f"A {lit.kind} value cannot be compared with '{f.name}' ({f.type}).")
    match f.type:
        case T.STRING:
            return str(lit.value).casefold()
        case T.ENUM:
            if lit.value not in f.enum:
                raise BcError(
                    400,
                    "BadRequest",
                    f"'{lit.value}' is not a valid value for '{f.name}': {', '.join(f.enum)}.",
                )
            return str(lit.value).casefold()
        case T.GUID:
            try:
                return str(uuid.UUID(str(lit.value)))
            except ValueError:
                raise BcError(400, "Application_InvalidGUID", "Invalid format of GUID string.") from None
        case T.DATETIME:
            return parse_datetime(str(lit.value))
        case _:
            return lit.value


_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": lambda a, b: bool(a == b),
    "ne": lambda a, b: bool(a != b),
    "gt": lambda a, b: bool(a > b),
    "ge": lambda a, b: bool(a >= b),
    "lt": lambda a, b: bool(a < b),
    "le": lambda a, b: bool(a <= b),
}


class _Compiler:
    def __init__(self, es: EntitySet) -> None:
        self.es = es

    def field(self, node: Node) -> Field:
        if isinstance(node, Call) and node.name in CASE_FUNCTIONS and len(node.args) == 1:
            node = node.args[0]
        if not isinstance(node, Member):
            raise BcError(400, "BadRequest", "The left side of a comparison must be a property.")
        f = self.es.by_name.get(node.name)
        if f is None:
            raise BcError(
                400,
                "BadRequest_NotFound",
                f"Could not find a property named '{node.name}' on type 'Microsoft.NAV.{self.es.entity}'.",
            )
        return f

    def fields_of(self, node: Node) -> set[str]:
        match node:
            case Member(name):
                return {name}
            case Lit():
                return set()
            case Call(_, args):
                return set().union(*(self.fields_of(a) for a in args))
            case Cmp(_, left, right):
                return self.fields_of(left) | self.fields_of(right)
            case InList(member, _):
                return self.fields_of(member)
            case Bool(_, parts):
                return set().union(*(self.fields_of(p) for p in parts))

    def compile(self, node: Node) -> Predicate:
        match node:
            case Bool("and", parts):
                preds = [self.compile(p) for p in parts]
                return lambda row: all(p(row) for p in preds)
            case Bool("or", parts):
                if len(self.fields_of(node)) > 1:
                    raise BcError(400, "BadRequest", "An 'or' across different fields is not supported.")
                members = self._equalities(parts)
                if members is not None:  # `a eq 1 or a eq 2 or …`: one set lookup per row, not n tests
                    return self.compile(InList(*members))
                preds = [self.compile(p) for p in parts]
                return lambda row: any(p(row) for p in preds)
            case Bool("not", (inner,)):
                pred = self.compile(inner)
                return lambda row: not pred(row)
            case Cmp(op, left, right):
                return self.comparison(op, left, right)
            case InList(member, values):
                f = self.field(member)
                wanted = {_coerce(f, v) for v in values}
                value_of = self.reader(f)
                return lambda row: value_of(row) in wanted
            case Call(name, (target, Lit("string", text))) if name in STRING_FUNCTIONS:
                f = self.field(target)
                if f.type != T.STRING:
                    raise BcError(400, "BadRequest", f"{name} needs a text property, not '{f.name}'.")
                needle = str(text).casefold()
                test = {"contains": str.__contains__, "startswith": str.startswith, "endswith": str.endswith}[
                    name
                ]
                return lambda row: test(str(row.get(f.name, "")).casefold(), needle)
        raise BcError(400, "BadRequest", "This $filter expression is not supported.")

    @staticmethod
    def _equalities(parts: tuple[Node, ...]) -> tuple[Node, tuple[Lit, ...]] | None:
        """(property, literals) when every part is `property eq literal` (not null) on one property."""
        member: Node | None = None
        values: list[Lit] = []
        for part in parts:
            if not (isinstance(part, Cmp) and part.op == "eq" and isinstance(part.right, Lit)):
                return None
            if part.right.kind == "null" or isinstance(part.left, Lit):
                return None
            if member is not None and part.left != member:
                return None
            member = part.left
            values.append(part.right)
        return (member, tuple(values)) if member is not None else None

    def comparison(self, op: str, left: Node, right: Node) -> Predicate:
        if isinstance(left, Lit) and not isinstance(right, Lit):
            left, right = right, left
            op = {"gt": "lt", "lt": "gt", "ge": "le", "le": "ge"}.get(op, op)
        if not isinstance(right, Lit):
            raise BcError(
                400, "BadRequest", "A comparison needs a property on one side and a literal on the other."
            )
        f = self.field(left)
        wanted = _coerce(f, right)
        value_of = self.reader(f)
        test = _OPS[op]
        if wanted is None:
            return lambda row: test(None, None) if op in ("eq", "ne") else False
        return lambda row: test(value_of(row), wanted)

    def reader(self, f: Field) -> Callable[[Row], Any]:
        name = f.name
        if f.type in (T.STRING, T.ENUM):
            return lambda row: str(row.get(name, "")).casefold()
        if f.type == T.DATETIME:
            return lambda row: parse_datetime(row[name])
        return lambda row: row.get(name)


def compile_filter(es: EntitySet, node: Node) -> Predicate:
    return _Compiler(es).compile(node)


def equalities(node: Node | None) -> dict[str, Any]:
    """`field eq literal` conjuncts at the top of a filter: the index fast path and BC's line-filter rule."""
    if node is None:
        return {}
    parts = node.parts if isinstance(node, Bool) and node.op == "and" else (node,)
    found: dict[str, Any] = {}
    for part in parts:
        if isinstance(part, Cmp) and part.op == "eq":
            member, lit = (
                (part.left, part.right) if isinstance(part.left, Member) else (part.right, part.left)
            )
            if isinstance(member, Member) and isinstance(lit, Lit):
                found[member.name] = lit.value
    return found
