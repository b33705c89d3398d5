"""Products: upsert by SKU, read back, and what the body may say."""

from __future__ import annotations

import httpx

from tests.contract.scend_sim.support import ok

TEE = {
    "description": "Organic tee, black, M",
    "barcodes": [{"type": "EAN13", "value": "5012345000022"}],
    "uom": "EA",
    "weight_kg": 0.22,
    "dims_cm": {"l": 30, "w": 20, "h": 2.5},
    "hs_code": "610910",
    "country_of_origin": "PT",
    "batch_tracked": False,
    "expiry_tracked": False,
    "active": True,
}


async def test_a_product_is_created_then_replaced_and_the_same_content_changes_nothing(
    api: httpx.AsyncClient,
) -> None:
    created = await api.put("/products/TEE-BLK-M", json=TEE | {"sku": "TEE-BLK-M"})
    product = await ok(created, 201)
    assert product | {"created_at": None, "updated_at": None} == TEE | {
        "sku": "TEE-BLK-M",
        "dims_cm": {"l": 30.0, "w": 20.0, "h": 2.5},
        "created_at": None,
        "updated_at": None,
        "version": 1,
    }
    assert await ok(await api.put("/products/TEE-BLK-M", json=TEE)) == product
    replaced = await ok(await api.put("/products/TEE-BLK-M", json=TEE | {"description": "Tee"}))
    assert (replaced["version"], replaced["description"]) == (2, "Tee")
    assert await ok(await api.get("/products/TEE-BLK-M")) == replaced
    listed = await ok(await api.get("/products"))
    assert listed == {"data": [replaced], "next_cursor": None}


async def test_a_product_body_must_agree_with_its_path(api: httpx.AsyncClient) -> None:
    problem = await ok(await api.put("/products/TEE-BLK-M", json=TEE | {"sku": "OTHER"}), 422)
    assert problem["errors"][0]["field"] == "sku"
    bad_sku = await api.put("/products/-bad", json=TEE)
    assert (await ok(bad_sku, 422))["errors"][0]["field"] == "sku"
    wrong_barcode = await api.put("/products/X1", json=TEE | {"barcodes": [{"type": "QR", "value": "1"}]})
    assert (await ok(wrong_barcode, 422))["errors"][0]["field"] == "barcodes[0].type"


async def test_an_unknown_product_is_404(api: httpx.AsyncClient) -> None:
    assert (await ok(await api.get("/products/NOPE"), 404))["code"] == "NOT_FOUND"
