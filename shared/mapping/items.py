"""Item export: a BC `Item` becomes the Scend `Product` sent with `PUT /products/{sku}`.

The rules, field by field, are in docs/mapping.md. What Scend refuses is refused here first, as
`ITEM_REJECTED_BY_WMS` naming the item card field to correct; a BC code with no Scend value is
`MAPPING_MISSING` naming the lookup entry to add.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import NoReturn

from shared.bc.enums import ItemType
from shared.bc.models import Item
from shared.errors import PermanentError
from shared.mapping.contract import DESCRIPTION_MAX_LENGTH, HS_CODE_PATTERN, country_code, sku_problem
from shared.mapping.gtin import InvalidGtin, barcode_for
from shared.mapping.hashing import digest
from shared.mapping.lookups import Lookups
from shared.mapping.skips import Skipped
from shared.scend.models import Barcode, Dimensions, Product

NOT_WAREHOUSE_ITEMS: dict[str, str] = {
    ItemType.SERVICE: "a service",
    ItemType.NON_INVENTORY: "a non-inventory item",
}


@dataclass(frozen=True, slots=True)
class ItemLogistics:
    """What the standard API does not expose about an item: weight, dimensions, customs data.

    The flow reads it from wherever it is kept (the companion extension, later); None or 0 means
    unknown, since BC has no nulls and an unfilled weight is 0. Weights in kg, dimensions in cm.
    """

    weight_kg: Decimal | None = None
    length_cm: Decimal | None = None
    width_cm: Decimal | None = None
    height_cm: Decimal | None = None
    hs_code: str | None = None  # BC "Tariff No."
    country_of_origin: str | None = None  # BC "Country/Region of Origin Code"


def map_item(item: Item, lookups: Lookups, logistics: ItemLogistics | None = None) -> Product | Skipped:
    """The Scend product for a BC item, or `Skipped` when the item is not a warehouse item."""
    kind = NOT_WAREHOUSE_ITEMS.get(item.type or "")
    if kind is not None:
        return Skipped(f"item {item.number} is {kind}: the warehouse has nothing to store")
    problem = sku_problem(item.number)
    if problem is not None:
        _reject(item, f"item number {item.number!r} cannot be a Scend SKU: {problem}; renumber the item")
    extra = logistics or ItemLogistics()
    return Product(
        sku=item.number,
        description=_description(item),
        barcodes=_barcodes(item),
        uom=_uom(item, lookups),
        weight_kg=_weight(item, extra),
        dims_cm=_dimensions(item, extra),
        hs_code=_hs_code(item, extra),
        country_of_origin=_origin(item, extra),
        active=not item.blocked,
    )


def content_hash(product: Product) -> str:
    """A stable hash of exactly the body sent for `product`: unchanged content is not sent again."""
    return digest(product)


def _reject(item: Item, detail: str) -> NoReturn:
    raise PermanentError("ITEM_REJECTED_BY_WMS", detail, business_key=item.number)


def _description(item: Item) -> str:
    """Description (displayName); Scend needs one, so a blank description sends the item number."""
    text = (item.display_name or "").strip() or item.number
    if len(text) > DESCRIPTION_MAX_LENGTH:
        _reject(item, f"the description has {len(text)} characters; Scend takes {DESCRIPTION_MAX_LENGTH}")
    return text


def _barcodes(item: Item) -> list[Barcode]:
    gtin = (item.gtin or "").strip()
    if not gtin:
        return []
    try:
        kind, value = barcode_for(gtin)
    except InvalidGtin as error:
        _reject(item, f"{error}; correct the GTIN on the item card or clear it")
    return [Barcode(type=kind, value=value)]


def _uom(item: Item, lookups: Lookups) -> str:
    code = (item.base_unit_of_measure_code or "").strip()
    if not code:
        _reject(item, "the item has no base unit of measure; set one on the item card")
    return lookups.scend_uom(code)


def _known(value: Decimal | None) -> Decimal | None:
    return value if value else None


def _weight(item: Item, extra: ItemLogistics) -> float | None:
    weight = _known(extra.weight_kg)
    if weight is not None and weight < 0:
        _reject(item, f"the weight is negative ({weight} kg)")
    return float(weight) if weight is not None else None


def _dimensions(item: Item, extra: ItemLogistics) -> Dimensions | None:
    """All three dimensions or none: Scend cannot take a box with a missing side."""
    sides = {
        "length": _known(extra.length_cm),
        "width": _known(extra.width_cm),
        "height": _known(extra.height_cm),
    }
    if all(value is None for value in sides.values()):
        return None
    missing = [name for name, value in sides.items() if value is None]
    if missing:
        _reject(item, f"the dimensions lack {', '.join(missing)}; give all three in cm, or none")
    cm = {name: float(value or 0) for name, value in sides.items()}
    if any(value < 0 for value in cm.values()):
        _reject(item, "a dimension is negative")
    return Dimensions(l=cm["length"], w=cm["width"], h=cm["height"])


def _hs_code(item: Item, extra: ItemLogistics) -> str | None:
    code = (extra.hs_code or "").replace(" ", "").replace(".", "")
    if not code:
        return None
    if not HS_CODE_PATTERN.fullmatch(code):
        _reject(item, f"tariff no. {extra.hs_code!r} is not an HS code (6 to 10 digits)")
    return code


def _origin(item: Item, extra: ItemLogistics) -> str | None:
    if not (extra.country_of_origin or "").strip():
        return None
    country = country_code(extra.country_of_origin or "")
    if country is None:
        _reject(item, f"country of origin {extra.country_of_origin!r} is not an ISO 3166 alpha-2 code")
    return country
