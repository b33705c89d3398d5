"""Products (items) as sent with `PUT /products/{sku}` and as the simulator keeps them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, StringConstraints

from local.scend_sim.models.common import CountryCode, Kilograms, RequestModel, Sku

BarcodeValue = Annotated[str, StringConstraints(min_length=1, max_length=50, pattern=r"^[!-~]+$")]
Centimetres = Annotated[float, Field(ge=0, le=100_000)]


class Barcode(RequestModel):
    type: Literal["EAN13", "UPC", "GTIN14", "OTHER"]
    value: BarcodeValue


class Dimensions(RequestModel):
    l: Centimetres  # noqa: E741 - the contract's own name
    w: Centimetres
    h: Centimetres


class ProductIn(RequestModel):
    """The upsert body; `sku` may be left out, and when present must equal the path's."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "description": "Organic tee, black, M",
                    "barcodes": [{"type": "EAN13", "value": "5012345000022"}],
                    "weight_kg": 0.22,
                }
            ]
        }
    )

    sku: Sku | None = None
    description: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    barcodes: list[Barcode] = Field(default_factory=list, max_length=20)
    uom: Annotated[str, StringConstraints(min_length=1, max_length=10)] = "EA"
    weight_kg: Kilograms | None = None
    dims_cm: Dimensions | None = None
    hs_code: Annotated[str, StringConstraints(pattern=r"^[0-9]{6,10}$")] | None = None
    country_of_origin: CountryCode | None = None
    batch_tracked: bool = False
    expiry_tracked: bool = False
    active: bool = True


class Product(ProductIn):
    """A product as kept: an inactive product cannot be ordered or advised (SKU_NOT_FOUND)."""

    model_config = ConfigDict(json_schema_serialization_defaults_required=True, json_schema_extra=None)

    sku: Sku
    created_at: datetime
    updated_at: datetime
    version: int
