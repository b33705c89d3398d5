"""GTIN → barcode: type by length, and the check digit verified against an independent implementation."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.mapping.gtin import InvalidGtin, barcode_for
from tests.unit.mapping.fixtures import VALID_EAN8, VALID_EAN13, VALID_GTIN14, VALID_UPC


def gs1_valid(gtin: str) -> bool:
    """Independent rule (GS1 General Specifications 7.9.1): right-align the GTIN in 18 digits;
    weights 3, 1, 3, … from the left over the first 17; the 18th makes the sum a multiple of 10."""
    padded = gtin.rjust(18, "0")
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(padded[:17]))
    return (total + int(padded[17])) % 10 == 0


@pytest.mark.parametrize(
    ("gtin", "expected"),
    [
        (VALID_EAN13, ("EAN13", VALID_EAN13)),
        (VALID_UPC, ("UPC", VALID_UPC)),
        (VALID_GTIN14, ("GTIN14", VALID_GTIN14)),
        (VALID_EAN8, ("OTHER", VALID_EAN8)),
        ("5 012345 000022", ("EAN13", VALID_EAN13)),
    ],
)
def test_a_valid_gtin_gets_the_type_of_its_length(gtin: str, expected: tuple[str, str]) -> None:
    # GIVEN a GTIN of 13, 12, 14 or 8 digits (or one pasted with spaces) WHEN it becomes a barcode
    # THEN EAN13, UPC, GTIN14, or OTHER for an EAN-8, with the digits only
    assert barcode_for(gtin) == expected


@pytest.mark.parametrize(
    ("gtin", "message"),
    [
        ("5012345000026", "GTIN '5012345000026' has check digit 6, but its digits give 2"),
        ("036000291453", "GTIN '036000291453' has check digit 3, but its digits give 2"),
        ("12345", "GTIN '12345' has 5 digits; a GTIN has 8, 12, 13 or 14"),
        ("50123450000AB", "GTIN '50123450000AB' holds characters other than digits"),
        ("５012345000022", "GTIN '５012345000022' holds characters other than digits"),
    ],
)
def test_an_invalid_gtin_is_refused_with_what_is_wrong(gtin: str, message: str) -> None:
    # GIVEN a wrong check digit, a wrong length or a non-digit (a full-width 5 included)
    # WHEN it becomes a barcode THEN it is refused, saying exactly what is wrong
    with pytest.raises(InvalidGtin) as caught:
        barcode_for(gtin)
    assert str(caught.value) == message


@given(st.sampled_from([8, 12, 13, 14]).flatmap(lambda n: st.text("0123456789", min_size=n, max_size=n)))
def test_the_check_digit_rule_agrees_with_an_independent_implementation(gtin: str) -> None:
    # GIVEN any digit string of a GTIN length
    # THEN it is accepted exactly when the independent GS1 rule says it is valid
    try:
        barcode_for(gtin)
        accepted = True
    except InvalidGtin:
        accepted = False
    assert accepted == gs1_valid(gtin)


@given(
    st.sampled_from([8, 12, 13, 14]).flatmap(lambda n: st.text("0123456789", min_size=n - 1, max_size=n - 1))
)
def test_exactly_one_check_digit_completes_a_gtin(body: str) -> None:
    # GIVEN the digits before the check digit THEN exactly one of the ten possible check digits is accepted
    accepted = []
    for digit in "0123456789":
        try:
            barcode_for(body + digit)
            accepted.append(digit)
        except InvalidGtin:
            pass
    assert len(accepted) == 1
    assert gs1_valid(body + accepted[0])
