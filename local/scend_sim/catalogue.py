"""The product catalogue: upsert by SKU, and the SKU_NOT_FOUND rule for orders, ASNs and returns."""

from __future__ import annotations

from collections.abc import Iterable

from local.scend_sim.models.products import Product, ProductIn
from local.scend_sim.problems import Problem, field_error
from local.scend_sim.state import SimState


def upsert_product(state: SimState, sku: str, body: ProductIn) -> tuple[Product, bool]:
    """Create or replace the product; the same content again changes nothing. True when created."""
    if body.sku is not None and body.sku != sku:
        raise Problem(
            422,
            "VALIDATION_FAILED",
            "the body's sku differs from the path's",
            errors=[field_error("sku", "SKU_MISMATCH", f"must be {sku!r} or left out")],
        )
    now = state.now()
    fields = body.model_dump(exclude={"sku"})
    existing = state.products.get(sku)
    if existing is not None:
        if existing.model_dump(exclude={"sku", "created_at", "updated_at", "version"}) == fields:
            return existing, False
        product = Product(
            sku=sku, created_at=existing.created_at, updated_at=now, version=existing.version + 1, **fields
        )
        state.products[sku] = product
        return product, False
    product = Product(sku=sku, created_at=now, updated_at=now, version=1, **fields)
    state.products[sku] = product
    return product, True


def require_active(state: SimState, lines: Iterable[tuple[str, str]]) -> None:
    """422 SKU_NOT_FOUND naming every (field, sku) whose product is unknown or inactive."""
    errors = []
    for place, sku in lines:
        product = state.products.get(sku)
        if product is None or not product.active:
            why = "unknown" if product is None else "inactive"
            errors.append(field_error(place, "SKU_NOT_FOUND", f"{sku!r} is {why}"))
    if errors:
        skus = ", ".join(sorted({e.message.split(" is ")[0] for e in errors}))
        raise Problem(422, "SKU_NOT_FOUND", f"unknown or inactive SKU: {skus}", errors=errors)
