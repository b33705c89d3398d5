"""Enum values: BC's escaped wire form and back, for every string."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.bc.enums import escape_enum, unescape_enum


@pytest.mark.parametrize(
    ("value", "wire"),
    [
        ("In Review", "In_x0020_Review"),
        ("Non-Inventory", "Non_x002D_Inventory"),
        ("Positive Adjmt.", "Positive_x0020_Adjmt_x002E_"),
        ("G/L Account", "G_x002F_L_x0020_Account"),
        ("Charge (Item)", "Charge_x0020__x0028_Item_x0029_"),
        (" ", "_x0020_"),
        ("Open", "Open"),
        ("Fixed_Asset", "Fixed_Asset"),
    ],
)
def test_bcs_documented_examples_escape_and_unescape(value: str, wire: str) -> None:
    assert escape_enum(value) == wire
    assert unescape_enum(wire) == value


@given(st.text())
def test_unescape_reverses_escape_for_any_string(value: str) -> None:
    assert unescape_enum(escape_enum(value)) == value


@given(st.text())
def test_the_escaped_form_is_an_identifier(value: str) -> None:
    wire = escape_enum(value)
    assert all(ch == "_" or ch.isalnum() for ch in wire)
    assert not wire[:1].isdigit()


def test_an_underscore_that_looks_like_an_escape_is_escaped_itself() -> None:
    assert escape_enum("_x0020_") == "_x005F_x0020_"
    assert unescape_enum("_x005F_x0020_") == "_x0020_"
