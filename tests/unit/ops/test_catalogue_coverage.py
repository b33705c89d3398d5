"""Every exception type the code can raise is in the catalogue (owner, severity, meaning, fix hint)
and in the operations runbook, and the catalogue holds nothing the code never raises."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import shared
from shared.ops.catalogue import CATALOGUE

SOURCES = Path(shared.__file__).parent
RUNBOOK = Path(__file__).parents[3] / "docs" / "operations-runbook.md"
CODE = re.compile(r"[A-Z][A-Z0-9]*(_[A-Z0-9]+)+")
# Calls that raise or record an exception type: as one of their first two arguments (a code where
# the other is a kind or an action) or as `exception_type=`.
RAISERS = {
    "PermanentError",
    "WaitingForDependency",
    "ScendRejected",
    "OrderNotCancellable",
    "record",
    "_flag",
    "Rule",
}


def constants(tree: ast.Module) -> dict[str, str]:
    """Module-level NAME = "CODE" (and A, B = "A", "B") assignments."""
    found: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                names = target.elts if isinstance(target, ast.Tuple) else [target]
                values = node.value.elts if isinstance(node.value, ast.Tuple) else [node.value]
                for name, value in zip(names, values, strict=False):
                    if (
                        isinstance(name, ast.Name)
                        and isinstance(value, ast.Constant)
                        and isinstance(value.value, str)
                    ):
                        found[name.id] = value.value
    return found


def raised_codes() -> set[str]:
    trees = {path: ast.parse(path.read_text(encoding="utf-8")) for path in SOURCES.rglob("*.py")}
    names: dict[str, str] = {}
    for tree in trees.values():
        names |= constants(tree)
    codes: set[str] = set()
    for tree in trees.values():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            called = (
                func.id
                if isinstance(func, ast.Name)
                else func.attr
                if isinstance(func, ast.Attribute)
                else ""
            )
            if called not in RAISERS:
                continue
            arguments = [*node.args[:2], *(k.value for k in node.keywords if k.arg == "exception_type")]
            for argument in arguments:
                value = argument.value if isinstance(argument, ast.Constant) else (
                    names.get(argument.id) if isinstance(argument, ast.Name) else None
                )  # fmt: skip
                if isinstance(value, str) and CODE.fullmatch(value):
                    codes.add(value)
    return codes | class_codes(trees.values())


def class_codes(trees: object) -> set[str]:
    """`code = "BC_REQUEST_REJECTED"` on the error classes (BcFailure and its kin)."""
    codes = set()
    for tree in trees:  # type: ignore[attr-defined]
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                codes |= {
                    str(item.value.value)
                    for item in node.body
                    if isinstance(item, ast.Assign) and isinstance(item.value, ast.Constant)
                    and any(isinstance(t, ast.Name) and t.id == "code" for t in item.targets)
                }  # fmt: skip
    return codes


def _name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    return func.attr if isinstance(func, ast.Attribute) else ""


def test_the_collector_sees_the_codes_raised_in_several_ways() -> None:
    codes = raised_codes()
    # a literal, a module constant, an exception_type= keyword, a catalogue class's own code
    assert {"QUANTITY_MISMATCH", "ORPHANED_FULFILMENT", "RETURN_UNMATCHED", "STOCK_VARIANCE",
            "BC_RECORD_NOT_FOUND", "SKU_NOT_IN_WMS"} <= codes  # fmt: skip


def test_every_raised_exception_type_is_catalogued() -> None:
    assert raised_codes() - set(CATALOGUE) == set()


def test_every_catalogued_type_is_in_the_runbook_for_its_owner() -> None:
    runbook = RUNBOOK.read_text(encoding="utf-8")
    missing = [code for code in CATALOGUE if f"`{code}`" not in runbook]
    assert missing == []
