"""Every exception type the mapping raises is in the catalogue, so it has an owner and a fix hint."""

from __future__ import annotations

import re
from pathlib import Path

import shared.mapping
from shared.ops.catalogue import CATALOGUE

SOURCES = Path(shared.mapping.__file__).parent


def test_every_exception_type_raised_by_the_mapping_is_catalogued() -> None:
    raised = {
        code
        for source in SOURCES.glob("*.py")
        for code in re.findall(r'"([A-Z][A-Z_]+)"', source.read_text(encoding="utf-8"))
        if code.endswith(("_WMS", "_MISSING"))
    }
    assert raised == {
        "ITEM_REJECTED_BY_WMS", "ORDER_REJECTED_BY_WMS", "ASN_REJECTED_BY_WMS", "SKU_NOT_IN_WMS",
        "MAPPING_MISSING",
    }  # fmt: skip
    assert raised <= CATALOGUE.keys()
