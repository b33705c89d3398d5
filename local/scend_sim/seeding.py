"""Seeding: products and opening stock in one call, and the small catalogue the demo starts with."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from local.scend_sim.models.products import Barcode, Dimensions, ProductIn
from local.scend_sim.warehouse import Warehouse


@dataclass(frozen=True, slots=True)
class Shelf:
    sku: str
    available: int
    quarantined: int = 0
    damaged: int = 0


def _demo_product(sku: str, description: str, ean: str, kg: float) -> ProductIn:
    return ProductIn(
        sku=sku,
        description=description,
        barcodes=[Barcode(type="EAN13", value=ean)],
        weight_kg=kg,
        dims_cm=Dimensions(l=30, w=20, h=5),
        country_of_origin="GB",
    )


DEMO_PRODUCTS: Sequence[ProductIn] = (
    _demo_product("TEE-BLK-S", "Organic tee, black, S", "5012345000019", 0.2),
    _demo_product("TEE-BLK-M", "Organic tee, black, M", "5012345000022", 0.22),
    _demo_product("TEE-BLK-L", "Organic tee, black, L", "5012345000033", 0.24),
    _demo_product("HOODIE-GRY-M", "Hoodie, grey, M", "5012345000040", 0.6),
    _demo_product("CAP-NVY", "Cap, navy", "5012345000057", 0.1),
    _demo_product("MUG-WHT", "Mug, white", "5012345000064", 0.4),
)
DEMO_STOCK: Sequence[Shelf] = tuple(Shelf(p.sku or "", 100) for p in DEMO_PRODUCTS)


def seed(warehouse: Warehouse, products: Sequence[ProductIn], stock: Sequence[Shelf]) -> tuple[int, int]:
    """Upsert the products, then set their stock (transfers in); returns (products, stock rows)."""
    for product in products:
        warehouse.upsert_product(product.sku or "", product)
    for shelf in stock:
        warehouse.set_stock(shelf.sku, shelf.available, shelf.quarantined, shelf.damaged)
    return len(products), len(stock)
