"""The companion BC extension (`bc-extension/`, AL) against its contract and the simulator.

AL cannot be compiled here, so this reads three sources of one API and fails when they drift apart:
the contract (`docs/bc-extension-api.md`: §1 conventions, the §3-§5 field tables and messages), the
simulator (`local/bc_sim`: `CUSTOM_SETS`, its rules, `CUSTOM_API`) and the AL source (API pages, their
tables, the posting codeunits, app.json, the permission sets). The AL is read with regexes over
comment-stripped text: enough for the shapes this extension uses, and a shape it does not recognise
fails instead of passing. Compiling, and the BC-side tests, stay with the customer's AL pipeline
(bc-extension/README.md).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import SimpleNamespace

import pytest

from local.bc_sim import custom_api
from local.bc_sim.config import CUSTOM_API
from local.bc_sim.schema import CONFIRMATION_STATUS, CUSTOM_SETS, EntitySet, T

ROOT = Path(__file__).resolve().parents[3]
EXTENSION = ROOT / "bc-extension"
SRC = EXTENSION / "src"
CONTRACT = ROOT / "docs" / "bc-extension-api.md"
APP_PERMISSION_SET = "Scend Integration"  # the set bc-extension/README.md assigns to the Entra application

HEADERS = ("shipmentConfirmations", "stockAdjustments", "receiptConfirmations")
LINES = ("shipmentConfirmationLines", "stockAdjustmentLines", "receiptConfirmationLines")

# ---------------------------------------------------------------------------------------------------------
# AL source
# ---------------------------------------------------------------------------------------------------------

NAME = r'"(?:[^"]|"")+"|\w+'
OBJECT_KINDS = {
    "table": "Table",
    "tableextension": "TableExt",
    "page": "Page",
    "pageextension": "PageExt",
    "codeunit": "Codeunit",
    "enum": "Enum",
    "enumextension": "EnumExt",
    "permissionset": "PermissionSet",
    "permissionsetextension": "PermissionSetExt",
    "report": "Report",
    "query": "Query",
    "xmlport": "XmlPort",
    "interface": "Interface",
}
OBJECT_RE = re.compile(
    rf"^(?P<kind>{'|'.join(OBJECT_KINDS)})\s+(?:(?P<id>\d+)\s+)?(?P<name>{NAME})", re.M | re.I
)
_STRINGS_OR_COMMENTS = re.compile(r"('(?:[^']|'')*')|//[^\n]*|/\*.*?\*/", re.S)
SYSTEM_FIELDS = {"SystemId": T.GUID, "SystemModifiedAt": T.DATETIME, "SystemCreatedAt": T.DATETIME}
AL_TYPES = {
    "guid": T.GUID,
    "date": T.DATE,
    "datetime": T.DATETIME,
    "decimal": T.DECIMAL,
    "integer": T.INT,
    "boolean": T.BOOL,
}


def strip_comments(text: str) -> str:
    return _STRINGS_OR_COMMENTS.sub(lambda m: m.group(1) or "", text)


def unquote(name: str) -> str:
    return name[1:-1].replace('""', '"') if name.startswith('"') else name


def ref(name: str) -> str:
    """How AL code spells a field: quoted unless it is a plain identifier."""
    return name if re.fullmatch(r"[A-Za-z_]\w*", name) else '"' + name.replace('"', '""') + '"'


def block(text: str, start: int) -> str:
    """The text inside the first `{...}` at or after `start`, braces in strings and names ignored."""
    opening = text.index("{", start)
    depth, i = 0, opening
    while i < len(text):
        char = text[i]
        if char in "'\"":
            i = text.index(char, i + 1)
        elif char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return text[opening + 1 : i]
        i += 1
    raise AssertionError(f"unbalanced braces after offset {start}")


def properties(body: str) -> dict[str, str]:
    """Top-level `Name = value;` properties: those before the first section, trigger, procedure or var."""
    head = re.split(
        r"^\s*(?:(?:fields|keys|layout|actions|var|value|area|repeater)\b|trigger\b|"
        r"(?:local\s+|internal\s+)?procedure\b|\[|field\(|part\()",
        body,
        maxsplit=1,
        flags=re.M | re.I,
    )[0]
    found = re.findall(r"(\w+)\s*=\s*((?:'(?:[^']|'')*'|[^;'])*);", head, re.S)
    return {key: " ".join(value.split()) for key, value in found}


def text_value(value: str) -> str:
    """`'warehouse'` -> `warehouse`; `'x', Locked = true` -> `x`."""
    m = re.match(r"'((?:[^']|'')*)'", value)
    return m.group(1).replace("''", "'") if m else value


def routine(text: str, header: str) -> str:
    """The whole procedure or trigger whose header matches `header` (a regex), up to its matching `end;`."""
    m = re.search(rf"{header}.*?\n(?P<indent>[ \t]*)begin\b.*?\n(?P=indent)end;", text, re.S)
    assert m, f"no routine matching {header!r}"
    return m.group(0)


@dataclass(frozen=True)
class AlObject:
    kind: str
    id: int | None
    name: str
    path: Path
    text: str  # comment-stripped

    @property
    def body(self) -> str:
        return block(self.text, 0)

    @property
    def props(self) -> dict[str, str]:
        return properties(self.body)


@dataclass(frozen=True)
class TableField:
    name: str
    type: T
    length: int | None
    enum: str | None
    editable: bool
    props: dict[str, str]


@dataclass(frozen=True)
class Control:
    name: str
    source: str
    props: dict[str, str]


@cache
def al_files() -> tuple[tuple[Path, str, list[re.Match[str]]], ...]:
    out = []
    for path in sorted(SRC.rglob("*.al")):
        text = strip_comments(path.read_text(encoding="utf-8-sig"))
        out.append((path, text, list(OBJECT_RE.finditer(text))))
    return tuple(out)


@cache
def al_objects() -> dict[tuple[str, str], AlObject]:
    objects = {}
    for path, text, matches in al_files():
        for m in matches:
            kind = m["kind"].lower()
            obj = AlObject(kind, int(m["id"]) if m["id"] else None, unquote(m["name"]), path, text)
            objects[kind, obj.name] = obj
    return objects


def al_object(kind: str, name: str) -> AlObject:
    obj = al_objects().get((kind, name))
    assert obj is not None, f"no AL {kind} named {name!r} in {SRC}"
    return obj


def table_fields(table: AlObject) -> dict[str, TableField]:
    fields = {}
    pattern = rf"\bfield\(\s*\d+\s*;\s*(?P<name>{NAME})\s*;\s*(?P<type>[^)]*?)\s*\)"
    for m in re.finditer(pattern, table.body, re.I):
        props = properties(block(table.body, m.end()))
        raw = m["type"]
        sized = re.fullmatch(r"(Code|Text)\[(\d+)\]", raw, re.I)
        enum = re.fullmatch(rf"Enum\s+({NAME})", raw, re.I)
        if sized:
            kind, length, enum_name = T.STRING, int(sized[2]), None
        elif enum:
            kind, length, enum_name = T.ENUM, None, unquote(enum[1])
        else:
            kind, length, enum_name = AL_TYPES[raw.lower()], None, None
        editable = props.get("Editable", "true").lower() != "false"
        fields[unquote(m["name"])] = TableField(unquote(m["name"]), kind, length, enum_name, editable, props)
    return fields


def page_controls(page: AlObject) -> dict[str, Control]:
    pattern = rf"\bfield\(\s*(?P<name>\w+)\s*;\s*Rec\.(?P<source>{NAME})\s*\)"
    found = list(re.finditer(pattern, page.body))
    assert len(found) == len(re.findall(r"^\s*field\(", page.body, re.M)), (
        f"{page.path.name}: every API field must be `field(name; Rec.<field>)`"
    )
    return {
        m["name"]: Control(m["name"], unquote(m["source"]), properties(block(page.body, m.end())))
        for m in found
    }


def page_parts(page: AlObject) -> list[tuple[str, str, dict[str, str]]]:
    pattern = rf"\bpart\(\s*(?P<name>\w+)\s*;\s*(?P<page>{NAME})\s*\)"
    return [
        (m["name"], unquote(m["page"]), properties(block(page.body, m.end())))
        for m in re.finditer(pattern, page.body)
    ]


def service_actions(page: AlObject) -> list[re.Match[str]]:
    pattern = (
        r"\[ServiceEnabled\]\s*procedure\s+(?P<name>\w+)\s*"
        r"\(\s*var\s+(?P<ctx>\w+)\s*:\s*WebServiceActionContext\s*\)"
    )
    return list(re.finditer(pattern, page.body, re.I))


def enum_values(enum: AlObject) -> tuple[str, ...]:
    return tuple(unquote(n) for n in re.findall(rf"\bvalue\(\s*\d+\s*;\s*({NAME})\s*\)", enum.body))


@cache
def api_pages() -> dict[str, AlObject]:
    """API pages by EntitySetName."""
    pages = {}
    for (kind, _), obj in al_objects().items():
        if kind == "page" and obj.props.get("PageType", "").lower() == "api":
            entity_set = text_value(obj.props["EntitySetName"])
            assert entity_set not in pages, f"two API pages publish {entity_set}"
            pages[entity_set] = obj
    return pages


def api_page(entity_set: str) -> AlObject:
    page = api_pages().get(entity_set)
    assert page is not None, f"no AL API page with EntitySetName = '{entity_set}'"
    return page


def source_table(page: AlObject) -> AlObject:
    return al_object("table", unquote(page.props["SourceTable"]))


@dataclass(frozen=True)
class FieldFacts:
    """One API field as a source states it; None = the source does not say."""

    type: T | None
    length: int | None
    enum: tuple[str, ...] | None
    read_only: bool | None
    insert_only: bool | None
    required: bool | None


def al_facts(entity_set: str) -> dict[str, FieldFacts]:
    page = api_page(entity_set)
    table = source_table(page)
    fields = table_fields(table)
    insert_only_checks = routine(table.body, r"procedure\s+TestInsertOnlyFields\(")
    on_insert = routine(table.body, r"trigger\s+OnInsert\(\)")
    for called in set(re.findall(r"^\s*(\w+)\(\);", on_insert, re.M)):
        on_insert += routine(table.body, rf"local\s+procedure\s+{called}\(")
    facts = {}
    for control in page_controls(page).values():
        if control.source in SYSTEM_FIELDS:
            kind, length, enum, editable = SYSTEM_FIELDS[control.source], None, None, False
        else:
            assert control.source in fields, (
                f"{page.path.name}: {control.name} -> unknown field {control.source}"
            )
            tf = fields[control.source]
            kind, length, editable = tf.type, tf.length, tf.editable
            enum = enum_values(al_object("enum", tf.enum)) if tf.enum else None
        read_only = not editable or control.props.get("Editable", "").lower() == "false"
        field_ref = re.escape(ref(control.source))
        insert_only = re.search(rf"Rec\.{field_ref}\s*<>\s*x\w+\.{field_ref}", insert_only_checks) is not None
        required = (
            re.search(rf"TestField\(\s*{field_ref}\s*\)", on_insert) is not None
            or re.search(rf"if\s+Rec\.{field_ref}\s*<?=\s*0\s+then\s+Error\(", on_insert) is not None
        )
        facts[control.name] = FieldFacts(kind, length, enum, read_only, insert_only, required)
    return facts


# ---------------------------------------------------------------------------------------------------------
# The contract (docs/bc-extension-api.md)
# ---------------------------------------------------------------------------------------------------------

CONTRACT_TYPES = {
    "GUID": T.GUID,
    "date": T.DATE,
    "datetime": T.DATETIME,
    "decimal": T.DECIMAL,
    "integer": T.INT,
}


@dataclass(frozen=True)
class ContractSet:
    section: int
    name: str
    entity: str | None  # headers only: the contract names no line entity
    table: str | None
    fields: dict[str, FieldFacts]
    positive_quantity: bool | None  # "> 0" (True) or "not 0" (False)
    lines: str | None
    parent: str | None
    messages: tuple[str, ...]


def _contract_type(cell: str) -> tuple[T | None, int | None, tuple[str, ...] | None]:
    cell = cell.strip()
    if not cell:
        return None, None, None
    if "|" in cell:
        return T.ENUM, None, tuple(re.findall(r"`(\w+)`", cell))
    if m := re.fullmatch(r"string \((\d+)\)", cell):
        return T.STRING, int(m[1]), None
    assert cell in CONTRACT_TYPES, f"contract type {cell!r} is not one this test knows"
    return CONTRACT_TYPES[cell], None, None


def _contract_access(cell: str) -> tuple[bool, bool, bool]:
    """(read_only, insert_only, required) from the Access column."""
    access = cell.strip().lower()
    read_only = access.startswith("read-only")
    return read_only, not read_only and "on create" in access, access.startswith("required")


def _markdown_table(lines: list[str]) -> list[list[str]]:
    rows = [
        [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]] for line in lines
    ]
    assert len(rows) > 2, "not a markdown table"
    assert set(rows[1][0]) <= set("-: "), "not a markdown table: no separator row"
    return rows[2:]


def _table_after(section: str, start: int) -> tuple[dict[str, FieldFacts], dict[str, str]]:
    rest = section[start:].splitlines()
    first = next(i for i, line in enumerate(rest) if line.startswith("|"))
    end = next((i for i in range(first, len(rest)) if not rest[i].startswith("|")), len(rest))
    table_lines = rest[first:end]
    fields, access_cells = {}, {}
    for row in _markdown_table(table_lines):
        names = re.findall(r"`(\w+)`", row[0])
        for name in names:
            access_cells[name] = row[2]
            if row[2].strip() == "as above":
                continue
            kind, length, enum = _contract_type(row[1])
            read_only, insert_only, required = _contract_access(row[2])
            fields[name] = FieldFacts(kind, length, enum, read_only, insert_only, required)
    return fields, access_cells


def _split_top_level(text: str, separator: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for char in text:
        depth += char == "("
        depth -= char == ")"
        if char == separator and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    return [*parts, current]


def _prose_fields(text: str) -> tuple[dict[str, FieldFacts], set[str], dict[str, str]]:
    """`a`, `b` as above; `c` (GUID, required, ...), `d` (read-only), `e` (> 0)."""
    fields, as_above, notes = {}, set(), {}
    for part in _split_top_level(text, ";"):
        for item in _split_top_level(part, ","):
            bare = re.sub(r"\([^)]*\)", "", item)
            names = re.findall(r"`(\w+)`", bare)
            attrs = [a.strip() for a in ",".join(re.findall(r"\(([^)]*)\)", item)).split(",") if a.strip()]
            for name in names:
                notes[name] = ", ".join(attrs)
                if part.strip().rstrip(".").endswith("as above"):
                    as_above.add(name)
                    continue
                kind = next((CONTRACT_TYPES[a] for a in attrs if a in CONTRACT_TYPES), None)
                read_only = "read-only" in attrs
                fields[name] = FieldFacts(
                    kind, None, None, read_only, None, True if "required" in attrs else None
                )
    return fields, as_above, notes


@cache
def contract_sets() -> dict[str, ContractSet]:
    text = CONTRACT.read_text(encoding="utf-8")
    sets: dict[str, ContractSet] = {}
    first_lines: dict[str, FieldFacts] = {}
    for section in re.split(r"^## ", text, flags=re.M):
        heading = re.match(r"(\d+)\. `(\w+)`", section)
        if not heading or int(heading[1]) not in (3, 4, 5):
            continue
        number, name = int(heading[1]), heading[2]
        collapsed = " ".join(section.split())
        messages = tuple(m.replace(" N ", " %1 ") for m in re.findall(r"`([A-Z][^`]*?\.)`", collapsed))
        header = re.search(r"^Header `(\w+)` \(table \*([^*]+)\*\):", section, re.M)
        assert header, f"§{number}: no 'Header `entity` (table *Name*):' line"
        header_fields, _ = _table_after(section, header.end())
        lines_m = re.search(r"^Lines `(\w+)`[^:\n]*:(?P<prose>.*?)(?:\n\n|\Z)", section, re.M | re.S)
        assert lines_m, f"§{number}: no 'Lines `entitySet`' paragraph"
        prose = " ".join(lines_m["prose"].split())
        if prose:
            line_fields, as_above, notes = _prose_fields(prose)
        else:
            line_fields, access = _table_after(section, lines_m.end())
            as_above = {n for n, a in access.items() if a.strip() == "as above"}
            notes = access
        if number == 3:
            first_lines = line_fields
        for inherited in as_above:
            assert inherited in first_lines, (
                f"§{number}: {inherited} is 'as above' but §3 has no such line field"
            )
            line_fields[inherited] = first_lines[inherited]
        quantity_note = notes.get("quantity", "")
        positive = True if "> 0" in quantity_note else False if "not 0" in quantity_note else None
        sets[name] = ContractSet(
            number, name, header[1], header[2], header_fields, None, lines_m[1], None, messages
        )
        sets[lines_m[1]] = ContractSet(number, lines_m[1], None, None, line_fields, positive, None, name, ())
    return sets


@cache
def contract_conventions() -> dict[str, str]:
    text = CONTRACT.read_text(encoding="utf-8")
    found = dict(re.findall(r"`?(APIPublisher|APIGroup|APIVersion) = '([^']+)'", text))
    found.update(re.findall(r"`(PageType|ODataKeyFields|DelayedInsert) = (\w+)`", text))
    action = re.search(r"`POST \.\.\./\{entitySet\}\(\{id\}\)/Microsoft\.NAV\.(\w+)`", text)
    assert action, "contract §1: no bound action `POST .../{entitySet}({id})/Microsoft.NAV.<name>`"
    found["action"] = action[1]
    return found


# ---------------------------------------------------------------------------------------------------------
# The simulator (local/bc_sim)
# ---------------------------------------------------------------------------------------------------------


def sim_set(name: str) -> EntitySet:
    sets = {es.name: es for es in CUSTOM_SETS}
    assert name in sets, f"the simulator's CUSTOM_SETS have no {name}"
    return sets[name]


def sim_facts(es: EntitySet) -> dict[str, FieldFacts]:
    return {
        f.name: FieldFacts(
            f.type,
            f.max_length if f.type == T.STRING else None,
            f.enum or None,
            f.read_only,
            f.insert_only,
            f.required,
        )
        for f in es.fields
    }


@cache
def sim_rules() -> dict[str, object]:
    docs = SimpleNamespace(rules={})
    custom_api.install(docs)  # type: ignore[arg-type]
    return docs.rules


def compare(
    name: str, left: str, a: dict[str, FieldFacts], right: str, b: dict[str, FieldFacts]
) -> list[str]:
    """Every difference in what both sources state."""
    problems = []
    if set(a) != set(b):
        only_a, only_b = sorted(set(a) - set(b)), sorted(set(b) - set(a))
        problems.append(f"{name}: fields only in {left}: {only_a}, only in {right}: {only_b}")
    for field in sorted(set(a) & set(b)):
        for attribute in FieldFacts.__dataclass_fields__:
            x, y = getattr(a[field], attribute), getattr(b[field], attribute)
            if x is not None and y is not None and x != y:
                problems.append(f"{name}.{field}.{attribute}: {left} {x!r}, {right} {y!r}")
    return problems


# ---------------------------------------------------------------------------------------------------------
# The three sources agree on the API
# ---------------------------------------------------------------------------------------------------------


def test_the_contract_describes_the_three_documents_and_their_lines() -> None:
    sets = contract_sets()
    assert tuple(name for name in sets if sets[name].lines) == HEADERS
    assert tuple(sets[h].lines for h in HEADERS) == LINES
    assert all(sets[name].fields for name in sets)


def test_route_and_page_conventions_match_contract_simulator_and_al() -> None:
    conventions = contract_conventions()
    route = f"{conventions['APIPublisher']}/{conventions['APIGroup']}/{conventions['APIVersion']}"
    assert route == CUSTOM_API, f"contract route {route}, simulator {CUSTOM_API}"
    assert {es.name for es in CUSTOM_SETS} == set(HEADERS + LINES)
    assert set(api_pages()) == set(HEADERS + LINES), "the AL API pages publish other entity sets"
    for page in api_pages().values():
        props = {key: text_value(value) for key, value in page.props.items()}
        for key in ("APIPublisher", "APIGroup", "APIVersion", "PageType", "ODataKeyFields", "DelayedInsert"):
            assert props.get(key, "").lower() == conventions[key].lower(), f"{page.path.name}: {key}"


@pytest.mark.parametrize("entity_set", HEADERS + LINES)
def test_fields_agree_between_contract_simulator_and_al(entity_set: str) -> None:
    contract = contract_sets()[entity_set].fields
    simulator = sim_facts(sim_set(entity_set))
    al = al_facts(entity_set)
    problems = [
        *compare(entity_set, "contract", contract, "simulator", simulator),
        *compare(entity_set, "contract", contract, "AL", al),
        *compare(entity_set, "simulator", simulator, "AL", al),
    ]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("entity_set", HEADERS + LINES)
def test_entity_names_agree(entity_set: str) -> None:
    page = api_page(entity_set)
    al_entity = text_value(page.props["EntityName"])
    assert al_entity == sim_set(entity_set).entity
    contract = contract_sets()[entity_set]
    if contract.entity is not None:
        assert al_entity == contract.entity
        assert source_table(page).name == contract.table, "the contract names the header's table"


@pytest.mark.parametrize("header", HEADERS)
def test_lines_are_a_part_linked_on_document_id(header: str) -> None:
    contract = contract_sets()[header]
    simulator = sim_set(header)
    assert simulator.lines == contract.lines
    assert sim_set(contract.lines).parent == header
    assert [(n.name, n.target, n.kind, n.via) for n in simulator.nav] == [
        (contract.lines, contract.lines, "children", "documentId")
    ]
    parts = page_parts(api_page(header))
    assert len(parts) == 1, f"{header}: one part, the lines"
    name, target, props = parts[0]
    line_page = api_page(contract.lines)
    assert name == contract.lines
    assert text_value(props["EntitySetName"]) == contract.lines
    assert text_value(props["EntityName"]) == text_value(line_page.props["EntityName"])
    assert target == line_page.name
    link = re.fullmatch(rf"({NAME})\s*=\s*field\(\s*SystemId\s*\)", props["SubPageLink"], re.I)
    assert link, f"{header}: SubPageLink must link the lines to the header's SystemId"
    assert page_controls(line_page)["documentId"].source == unquote(link[1])


def test_status_values_agree() -> None:
    contract = {contract_sets()[h].fields["status"].enum for h in HEADERS}
    al = {al_facts(h)["status"].enum for h in HEADERS}
    assert contract == al == {CONFIRMATION_STATUS} == {("Open", "Posted")}


@pytest.mark.parametrize("entity_set", HEADERS + LINES)
def test_only_headers_have_the_post_action(entity_set: str) -> None:
    action = contract_conventions()["action"]
    actions = [m["name"][0].lower() + m["name"][1:] for m in service_actions(api_page(entity_set))]
    expected = [action] if entity_set in HEADERS else []
    assert actions == expected, f"AL {entity_set}: Microsoft.NAV.{actions}"
    assert list(sim_set(entity_set).actions) == expected


@pytest.mark.parametrize("entity_set", LINES)
def test_quantity_sign_rule_matches_the_contract(entity_set: str) -> None:
    positive = contract_sets()[entity_set].positive_quantity
    assert positive is not None, f"contract: no quantity rule for {entity_set}"
    check = routine(source_table(api_page(entity_set)).body, r"local\s+procedure\s+CheckQuantity\(")
    assert re.search(
        r"if\s+Rec\.Quantity\s*<=\s*0\s+then" if positive else r"if\s+Rec\.Quantity\s*=\s*0\s+then", check
    )


# ---------------------------------------------------------------------------------------------------------
# Idempotency and posting (contract §2 and §3-§5)
# ---------------------------------------------------------------------------------------------------------


def post_codeunit(header: str) -> AlObject:
    page = api_page(header)
    action = service_actions(page)[0]
    body = routine(page.body, rf"procedure\s+{action['name']}\(")
    calls = re.findall(rf"(\w+)\s*:\s*Codeunit\s+({NAME});", body)
    posted = [unquote(cu) for var, cu in calls if re.search(rf"\b{var}\.Post\(Rec\)", body)]
    assert len(posted) == 1, f"{header}: the action must call one codeunit's Post(Rec)"
    assert f"{action['ctx']}.SetResultCode(WebServiceActionResultCode::Get)" in body
    assert f"{action['ctx']}.AddEntityKey(Rec.FieldNo(SystemId), Rec.SystemId)" in body
    assert f"{action['ctx']}.SetObjectId(Page::{ref(page.name)})" in body
    return al_object("codeunit", posted[0])


@pytest.mark.parametrize("header", HEADERS)
def test_create_is_idempotent_on_the_scend_id(header: str) -> None:
    rules = sim_rules()
    scend_field = rules[header].scend_field  # type: ignore[attr-defined]
    assert contract_sets()[header].fields[scend_field].insert_only
    page = api_page(header)
    table = source_table(page)
    scend_source = page_controls(page)[scend_field].source
    primary_key = re.search(rf"\bkey\(\s*\w+\s*;\s*({NAME})\s*\)", table.body)
    assert primary_key, f"{table.name}: no key"
    assert unquote(primary_key[1]) == scend_source, f"{table.name}: the Scend id is the primary key"
    load = routine(table.body, r"procedure\s+LoadExisting\(\)")
    assert re.search(rf"\.Get\(Rec\.{re.escape(ref(scend_source))}\)", load)
    on_insert = routine(page.body, r"trigger\s+OnInsertRecord\(")
    assert re.search(
        r"if\s+Rec\.LoadExisting\(\)\s+then\s+begin.*MarkRepeated\(Rec\.SystemId\);\s*exit\(false\);",
        on_insert,
        re.S,
    )
    assert "Reset()" in routine(page.body, r"trigger\s+OnOpenPage\(")
    line_page = api_page(contract_sets()[header].lines)  # type: ignore[arg-type]
    line_insert = routine(line_page.body, r"trigger\s+OnInsertRecord\(")
    assert re.search(r'if\s+\w+\.IsRepeated\(Rec\."Document Id"\)\s+then\s+exit\(false\);', line_insert)


@pytest.mark.parametrize("header", HEADERS)
def test_post_is_idempotent_and_one_transaction(header: str) -> None:
    codeunit = post_codeunit(header)
    post = routine(codeunit.body, r"procedure\s+Post\(")
    posted = re.search(r"if\s+(\w+)\.Status\s*=\s*\1\.Status::Posted\s+then\s+exit;", post)
    assert posted, f"{codeunit.name}: a Posted header must answer without posting"
    assert re.search(r"ReadIsolation\s*:=\s*IsolationLevel::UpdLock", post[: posted.start()])
    work = post[posted.end() :]
    assert re.search(r"\.Status\s*:=\s*\w+\.Status::Posted;", work)
    for standard in re.findall(r"(\w+)\s*:\s*Codeunit\s+\"(?:Sales-Post|Purch\.-Post)\";", post):
        suppress = work.index(f"{standard}.SetSuppressCommit(true);")
        assert suppress < work.index(f"{standard}.Run("), (
            f"{codeunit.name}: suppress the commit before posting"
        )
    for obj in al_objects().values():
        assert not re.search(r"\bCommit\(\)", obj.text), (
            f"{obj.path.name}: a Commit() breaks 'a failed post changes nothing'"
        )


@pytest.mark.parametrize("header", HEADERS)
def test_contract_messages_are_labels_raised_by_the_posting(header: str) -> None:
    codeunit = post_codeunit(header)
    labels = dict(re.findall(r"(\w+)\s*:\s*Label\s+'((?:[^']|'')*)'", codeunit.body))
    for message in contract_sets()[header].messages:
        names = [name for name, text in labels.items() if text == message]
        assert names, f"{codeunit.name}: no Label '{message}'"
        assert re.search(rf"\bError\(\s*{names[0]}\b", codeunit.body), (
            f"{codeunit.name}: {names[0]} is never raised"
        )


def test_ship_and_receive_only() -> None:
    shipment = routine(post_codeunit("shipmentConfirmations").body, r"procedure\s+Post\(")
    assert re.search(r"\.Ship\s*:=\s*true;", shipment)
    assert re.search(r"\.Invoice\s*:=\s*false;", shipment)
    receipt = routine(post_codeunit("receiptConfirmations").body, r"procedure\s+Post\(")
    assert re.search(r"\.Receive\s*:=\s*true;", receipt)
    assert re.search(r"\.Invoice\s*:=\s*false;", receipt)
    adjustment = post_codeunit("stockAdjustments").body
    assert re.search(r'Codeunit\s+"Item Jnl\.-Post Line"', adjustment)
    assert re.search(r'Codeunit\s+"No\. Series"', adjustment), "Document No. from the batch's No. Series"


# ---------------------------------------------------------------------------------------------------------
# The extension's objects
# ---------------------------------------------------------------------------------------------------------


def test_one_object_per_file_named_after_it() -> None:
    assert al_files(), f"no AL files under {SRC}"
    for path, _, matches in al_files():
        assert len(matches) == 1, f"{path.name}: {len(matches)} objects"
        m = matches[0]
        expected = f"{re.sub(r'[^A-Za-z0-9]', '', unquote(m['name']))}.{OBJECT_KINDS[m['kind'].lower()]}.al"
        assert path.name == expected, f"{path.name} holds {m['kind']} {m['name']}: name it {expected}"


def test_object_ids_are_in_the_app_range_and_unique() -> None:
    app = json.loads((EXTENSION / "app.json").read_text(encoding="utf-8"))
    ranges = [(r["from"], r["to"]) for r in app["idRanges"]]
    for minimum in ("platform", "application", "runtime"):
        assert app.get(minimum), f"app.json: no {minimum}"
    seen: dict[tuple[str, int], str] = {}
    for (kind, name), obj in al_objects().items():
        if kind == "interface":
            continue
        assert obj.id is not None, f"{kind} {name} has no id"
        assert any(low <= obj.id <= high for low, high in ranges), (
            f"{kind} {name}: {obj.id} is outside {ranges}"
        )
        assert (kind, obj.id) not in seen, f"{kind} {obj.id} is used by {seen[kind, obj.id]} and {name}"
        seen[kind, obj.id] = name


def permissions(permission_set: AlObject) -> dict[tuple[str, str], str]:
    value = permission_set.props.get("Permissions", "")
    entries = re.findall(
        rf"(tabledata|table|page|codeunit|report|query|xmlport)\s+({NAME})\s*=\s*(\w+)", value, re.I
    )
    return {(kind.lower(), unquote(name)): rights.upper() for kind, name, rights in entries}


def test_the_permission_sets_cover_the_extension() -> None:
    sets = {name: obj for (kind, name), obj in al_objects().items() if kind == "permissionset"}
    assert APP_PERMISSION_SET in sets, f"no permission set {APP_PERMISSION_SET!r}"
    assert f"`{APP_PERMISSION_SET}`" in (EXTENSION / "README.md").read_text(encoding="utf-8")
    for name, obj in sets.items():
        if obj.props.get("Assignable", "").lower() == "true":
            assert len(name) <= 20, f"assignable permission set {name!r} is longer than 20 characters"
    app_set = permissions(sets[APP_PERMISSION_SET])
    every = {key for obj in sets.values() for key in permissions(obj)}
    api_tables = {source_table(page).name for page in api_pages().values()}
    for (kind, name), _ in al_objects().items():
        if kind == "table":
            assert "R" in app_set.get(("tabledata", name), ""), f"{APP_PERMISSION_SET}: no tabledata {name}"
            assert ("table", name) in app_set, f"{APP_PERMISSION_SET}: no table {name} = X"
            if name in api_tables:
                assert set(app_set["tabledata", name]) >= set("RIMD"), (
                    f"{APP_PERMISSION_SET}: {name} needs RIMD"
                )
        if kind in ("page", "codeunit"):
            assert (kind, name) in every, f"no permission set grants {kind} {name}"
    for page in api_pages().values():
        assert ("page", page.name) in app_set, f"{APP_PERMISSION_SET}: no page {page.name} = X"
    for (kind, name), _ in al_objects().items():
        if kind == "codeunit":
            assert ("codeunit", name) in app_set, f"{APP_PERMISSION_SET}: no codeunit {name} = X"
    for kind, name in every:
        assert (kind.replace("tabledata", "table"), name) in al_objects(), (
            f"permission for unknown {kind} {name}"
        )


def test_al_idioms() -> None:
    for (kind, _), obj in al_objects().items():
        where = obj.path.name
        assert not re.search(r"\bwith\s+\w+\s+do\b", obj.text, re.I), f"{where}: no WITH"
        assert not re.search(r"\bError\(\s*'", obj.text), f"{where}: Error() takes a Label"
        for label, comment in re.findall(
            r":\s*Label\s+'((?:[^']|'')*)'((?:\s*,\s*\w+\s*=\s*'(?:[^']|'')*')*)", obj.text
        ):
            if re.search(r"%\d", label):
                assert "Comment" in comment, f"{where}: Label '{label}' needs a Comment for its placeholders"
        if kind in ("table", "codeunit"):
            assert "Access" in obj.props, f"{where}: set Access"
        if kind == "table":
            for tf in table_fields(obj).values():
                assert "DataClassification" in tf.props, f"{where}: {tf.name} has no DataClassification"
                assert "Caption" in tf.props, f"{where}: {tf.name} has no Caption"
