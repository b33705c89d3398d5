"""GTIN → Scend barcode: the type by length, and the GS1 check digit verified, never assumed."""

from __future__ import annotations

from typing import Literal

BarcodeType = Literal["EAN13", "UPC", "GTIN14", "OTHER"]

# GTIN-8 (EAN-8) is a valid GTIN the contract has no type for: it travels as OTHER.
TYPE_BY_LENGTH: dict[int, BarcodeType] = {8: "OTHER", 12: "UPC", 13: "EAN13", 14: "GTIN14"}


class InvalidGtin(ValueError):
    """The GTIN on an item card cannot be a barcode; the message says what to correct."""


def check_digit(body: str) -> int:
    """The GS1 check digit for the digits before it: weights 3, 1, 3, … from the right."""
    total = sum(int(digit) * (3 if position % 2 == 0 else 1) for position, digit in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def barcode_for(gtin: str) -> tuple[BarcodeType, str]:
    """The barcode type and value for a GTIN; `InvalidGtin` when it is not one.

    Spaces are dropped (people paste `5 012345 000026`); anything else is the item card's to fix.
    """
    value = gtin.replace(" ", "")
    if not value.isascii() or not value.isdigit():
        raise InvalidGtin(f"GTIN {value!r} holds characters other than digits")
    kind = TYPE_BY_LENGTH.get(len(value))
    if kind is None:
        raise InvalidGtin(f"GTIN {value!r} has {len(value)} digits; a GTIN has 8, 12, 13 or 14")
    expected = check_digit(value[:-1])
    if int(value[-1]) != expected:
        raise InvalidGtin(f"GTIN {value!r} has check digit {value[-1]}, but its digits give {expected}")
    return kind, value
