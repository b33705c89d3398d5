"""What Scend's contract can carry: the SKU and reference alphabets and the field lengths we check.

The contract (reference §3.2) names the fields; the limits are the ones the contract simulator
enforces (`local/scend_sim/models/`), which is the best statement of the contract we have. Checking
them here turns a certain 422 from Scend into a mapping error that names the BC field to correct.
"""

from __future__ import annotations

import re

SKU_MAX_LENGTH = 50
SKU_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
REFERENCE_MAX_LENGTH = 50
REFERENCE_PATTERN = re.compile(r"[!-~](?:[ -~]*[!-~])?")  # printable ASCII, no edge spaces
DESCRIPTION_MAX_LENGTH = 200
MAX_QUANTITY = 1_000_000
MAX_ORDER_LINES = 500
COUNTRY_CODE_PATTERN = re.compile(r"[A-Z]{2}")
CURRENCY_PATTERN = re.compile(r"[A-Z]{3}")
HS_CODE_PATTERN = re.compile(r"[0-9]{6,10}")

# Address parts: Scend's maximum length for each (contract simulator `ShipTo`).
ADDRESS_MAX_LENGTHS = {
    "name": 100,
    "company": 100,
    "line1": 100,
    "line2": 100,
    "city": 100,
    "county": 100,
    "postcode": 12,
    "email": 254,
    "phone": 30,
}


COUNTRY_ALIASES = {"UK": "GB"}  # ISO reserves UK for the United Kingdom; BC tenants sometimes use it


def country_code(value: str) -> str | None:
    """The ISO 3166 alpha-2 code for a BC country/region code, or None when it is not one."""
    code = value.strip().upper()
    code = COUNTRY_ALIASES.get(code, code)
    return code if COUNTRY_CODE_PATTERN.fullmatch(code) else None


def sku_problem(number: str) -> str | None:
    """Why Scend cannot take `number` as a SKU, or None when it can.

    A BC item No. may hold spaces, `/` and other characters a WMS refuses. It is never rewritten
    into something Scend accepts: order lines carry the BC number, so a rewritten SKU would no
    longer match them, and two BC items could collide on one SKU.
    """
    if not number:
        return "the item number is empty"
    if len(number) > SKU_MAX_LENGTH:
        return f"it has {len(number)} characters; Scend takes at most {SKU_MAX_LENGTH}"
    if SKU_PATTERN.fullmatch(number):
        return None
    if not number[0].isascii() or not number[0].isalnum():
        return "it must start with one of A-Z, a-z or 0-9"
    refused = sorted({c for c in number if not SKU_PATTERN.fullmatch("A" + c)})
    shown = ", ".join(repr(c) for c in refused)
    return f"it holds {shown}; Scend takes only the letters A-Z and a-z, digits, '.', '_' and '-'"
