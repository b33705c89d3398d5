"""Business Central enum values: their escaped wire form and the values the flows compare against.

OData writes an AL enum *name* as an identifier, so characters an identifier cannot hold travel
escaped: `In Review` is `In_x0020_Review`, `Non-Inventory` is `Non_x002D_Inventory`, the blank
line type is `_x0020_` (reference §2.1). Models unescape on read, so a flow compares with the real
value; the filter builder and the serialiser escape on the way out.
"""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum

_ESCAPED = re.compile(r"_x([0-9A-Fa-f]{4}|[0-9A-Fa-f]{8})_")
_LOOKS_ESCAPED = re.compile(r"x[0-9A-Fa-f]{4}")


def _plain(char: str, first: bool) -> bool:
    """Whether an identifier can hold `char` as it is (ASCII letters and digits, `_`, letters)."""
    if char == "_" or ("a" <= char <= "z") or ("A" <= char <= "Z"):
        return True
    if "0" <= char <= "9":
        return not first
    return unicodedata.category(char).startswith("L")


def escape_enum(value: str) -> str:
    """The wire form of an enum value: `In Review` → `In_x0020_Review` (XmlConvert.EncodeName style).

    An underscore that would read as the start of an escape is escaped itself (`_x005F_`), so
    `unescape_enum(escape_enum(v)) == v` for every string.
    """
    out: list[str] = []
    for index, char in enumerate(value):
        if char == "_" and _LOOKS_ESCAPED.match(value, index + 1):
            out.append("_x005F_")
        elif _plain(char, first=index == 0):
            out.append(char)
        elif ord(char) > 0xFFFF:
            out.append(f"_x{ord(char):08X}_")
        else:
            out.append(f"_x{ord(char):04X}_")
    return "".join(out)


def unescape_enum(value: str) -> str:
    """The real enum value from its wire form: `Positive_x0020_Adjmt_x002E_` → `Positive Adjmt.`."""
    return _ESCAPED.sub(lambda match: chr(int(match.group(1), 16)), value)


class BcEnumeration(StrEnum):
    """Known values of one BC enum; the filter builder escapes members of these classes."""


class DocumentStatus(BcEnumeration):
    """`status` of unposted sales and purchase documents (BC Open = `Draft`, Released = `Open`)."""

    DRAFT = "Draft"
    IN_REVIEW = "In Review"
    OPEN = "Open"


class CreditMemoStatus(BcEnumeration):
    """`status` of salesCreditMemos: the collection mixes unposted and posted memos (reference §2.6)."""

    DRAFT = "Draft"
    IN_REVIEW = "In Review"
    OPEN = "Open"
    PAID = "Paid"
    CANCELED = "Canceled"
    CORRECTIVE = "Corrective"


class ItemType(BcEnumeration):
    INVENTORY = "Inventory"
    SERVICE = "Service"
    NON_INVENTORY = "Non-Inventory"


class DocumentLineType(BcEnumeration):
    """`lineType` of sales order, credit memo and purchase order lines (Invoice Line Agg. Line Type)."""

    COMMENT = "Comment"
    ACCOUNT = "Account"
    ITEM = "Item"
    RESOURCE = "Resource"
    FIXED_ASSET = "Fixed Asset"
    CHARGE = "Charge"
    ALLOCATION_ACCOUNT = "Allocation Account"


class ItemLedgerEntryType(BcEnumeration):
    PURCHASE = "Purchase"
    SALE = "Sale"
    POSITIVE_ADJUSTMENT = "Positive Adjmt."
    NEGATIVE_ADJUSTMENT = "Negative Adjmt."
    TRANSFER = "Transfer"
    CONSUMPTION = "Consumption"
    OUTPUT = "Output"
    BLANK = " "
    ASSEMBLY_CONSUMPTION = "Assembly Consumption"
    ASSEMBLY_OUTPUT = "Assembly Output"
