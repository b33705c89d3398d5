"""Item export: a BC item becomes exactly the Scend product the contract can carry, or is refused."""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal

import pytest

from shared.errors import PermanentError
from shared.mapping.items import ItemLogistics, content_hash, map_item
from shared.mapping.skips import Skipped
from shared.scend.models import Barcode, Dimensions, Product
from tests.unit.mapping.fixtures import VALID_EAN8, VALID_EAN13, VALID_GTIN14, VALID_UPC, item, lookups

LOGISTICS = ItemLogistics(
    weight_kg=Decimal("0.220"),
    length_cm=Decimal(30),
    width_cm=Decimal(20),
    height_cm=Decimal("2.5"),
    hs_code="6109.10.00",
    country_of_origin="pt",
)


def rejected(detail: str) -> tuple[str, str, str]:
    return ("ITEM_REJECTED_BY_WMS", detail, "1000-BLU")


def mapping_error(error: PermanentError) -> tuple[str, str, str | None]:
    return (error.exception_type, error.detail, error.business_key)


def test_an_inventory_item_becomes_a_product_with_every_field_scend_takes() -> None:
    # GIVEN an inventory item with a GTIN, a base unit and logistics data from the extension
    # WHEN it is mapped
    product = map_item(item(), lookups(), LOGISTICS)
    # THEN the product carries SKU, description, barcode, uom, weight, dimensions and customs data
    assert product == Product(
        sku="1000-BLU",
        description="Organic tee, blue",
        barcodes=[Barcode(type="EAN13", value=VALID_EAN13)],
        uom="EA",
        weight_kg=0.22,
        dims_cm=Dimensions(l=30, w=20, h=2.5),
        hs_code="61091000",
        country_of_origin="PT",
        active=True,
    )


def test_without_logistics_data_weight_dimensions_and_customs_are_left_out() -> None:
    # GIVEN the standard API alone (no weight, no dimensions) WHEN the item is mapped
    product = map_item(item(), lookups())
    # THEN the body has none of them (not zeros)
    assert isinstance(product, Product)
    assert product.model_dump(mode="json", exclude_none=True) == {
        "sku": "1000-BLU",
        "description": "Organic tee, blue",
        "barcodes": [{"type": "EAN13", "value": VALID_EAN13}],
        "uom": "EA",
        "batch_tracked": False,
        "expiry_tracked": False,
        "active": True,
    }


def test_zero_weight_and_dimensions_are_bc_blanks_and_left_out() -> None:
    blanks = ItemLogistics(
        weight_kg=Decimal(0), length_cm=Decimal(0), width_cm=Decimal(0), height_cm=Decimal(0)
    )
    product = map_item(item(), lookups(), blanks)
    assert isinstance(product, Product)
    assert (product.weight_kg, product.dims_cm) == (None, None)


@pytest.mark.parametrize(
    ("bc_type", "reason"),
    [
        ("Service", "item 1000-BLU is a service: the warehouse has nothing to store"),
        ("Non_x002D_Inventory", "item 1000-BLU is a non-inventory item: the warehouse has nothing to store"),
    ],
)
def test_service_and_non_inventory_items_are_skipped_with_the_reason(bc_type: str, reason: str) -> None:
    # GIVEN a service or non-inventory item (as the API escapes it) WHEN it is mapped
    # THEN nothing is sent, and the reason says why; even a bad SKU does not matter then
    assert map_item(item(type=bc_type, number="HOUR RATE"), lookups()) == Skipped(
        reason.replace("1000-BLU", "HOUR RATE")
    )


def test_a_blocked_item_is_sent_inactive() -> None:
    product = map_item(item(blocked=True), lookups())
    assert isinstance(product, Product)
    assert product.active is False


def test_a_blank_description_sends_the_item_number() -> None:
    product = map_item(item(displayName="  "), lookups())
    assert isinstance(product, Product)
    assert product.description == "1000-BLU"


@pytest.mark.parametrize(
    ("gtin", "barcodes"),
    [
        (VALID_EAN13, [Barcode(type="EAN13", value=VALID_EAN13)]),
        (VALID_UPC, [Barcode(type="UPC", value=VALID_UPC)]),
        (VALID_GTIN14, [Barcode(type="GTIN14", value=VALID_GTIN14)]),
        (VALID_EAN8, [Barcode(type="OTHER", value=VALID_EAN8)]),
        ("", []),
        (None, []),
    ],
)
def test_the_gtin_becomes_a_barcode_of_the_right_type(gtin: str | None, barcodes: list[Barcode]) -> None:
    product = map_item(item(gtin=gtin), lookups())
    assert isinstance(product, Product)
    assert product.barcodes == barcodes


def test_a_gtin_with_a_wrong_check_digit_is_refused_not_dropped() -> None:
    # GIVEN a GTIN whose check digit is wrong WHEN the item is mapped
    with pytest.raises(PermanentError) as caught:
        map_item(item(gtin="5012345000026"), lookups())
    # THEN the item is refused, saying which digit is wrong and what to do
    assert mapping_error(caught.value) == rejected(
        "GTIN '5012345000026' has check digit 6, but its digits give 2; correct the GTIN on the item card "
        "or clear it"
    )


@pytest.mark.parametrize(
    ("number", "detail"),
    [
        (
            "AB 12/3",
            "item number 'AB 12/3' cannot be a Scend SKU: it holds ' ', '/'; Scend takes only the letters "
            "A-Z and a-z, digits, '.', '_' and '-'; renumber the item",
        ),
        (
            "-1000",
            "item number '-1000' cannot be a Scend SKU: it must start with one of A-Z, a-z or 0-9; "
            "renumber the item",
        ),
        (
            "ÆBLE-1",
            "item number 'ÆBLE-1' cannot be a Scend SKU: it must start with one of A-Z, a-z or 0-9; "
            "renumber the item",
        ),
        (
            "X" * 51,
            f"item number '{'X' * 51}' cannot be a Scend SKU: it has 51 characters; Scend takes at most 50; "
            "renumber the item",
        ),
    ],
)
def test_an_item_number_scend_cannot_take_is_rejected_with_the_reason(number: str, detail: str) -> None:
    # GIVEN an item number with characters or a length the contract refuses WHEN it is mapped
    with pytest.raises(PermanentError) as caught:
        map_item(item(number=number), lookups())
    # THEN ITEM_REJECTED_BY_WMS names the number and what Scend takes; it is never rewritten
    assert mapping_error(caught.value) == ("ITEM_REJECTED_BY_WMS", detail, number)


@pytest.mark.parametrize(
    ("bc_unit", "scend_uom"), [("PCS", "EA"), ("EA", "EA"), ("BOX", "BOX"), ("box", "BOX")]
)
def test_the_base_unit_of_measure_is_looked_up(bc_unit: str, scend_uom: str) -> None:
    product = map_item(item(baseUnitOfMeasureCode=bc_unit), lookups())
    assert isinstance(product, Product)
    assert product.uom == scend_uom


def test_an_unmapped_unit_is_mapping_missing_and_a_blank_one_is_the_item_cards_to_fix() -> None:
    with pytest.raises(PermanentError) as unknown:
        map_item(item(baseUnitOfMeasureCode="KG"), lookups())
    assert unknown.value.exception_type == "MAPPING_MISSING"
    assert 'add {"bc_code": "KG"' in unknown.value.detail
    with pytest.raises(PermanentError) as blank:
        map_item(item(baseUnitOfMeasureCode=""), lookups())
    assert mapping_error(blank.value) == rejected(
        "the item has no base unit of measure; set one on the item card"
    )


@pytest.mark.parametrize(
    ("logistics", "detail"),
    [
        (
            ItemLogistics(length_cm=Decimal(30), width_cm=Decimal(20)),
            "the dimensions lack height; give all three in cm, or none",
        ),
        (
            ItemLogistics(length_cm=Decimal(30), width_cm=Decimal(-20), height_cm=Decimal(1)),
            "a dimension is negative",
        ),
        (ItemLogistics(weight_kg=Decimal("-1.5")), "the weight is negative (-1.5 kg)"),
        (ItemLogistics(hs_code="61A9"), "tariff no. '61A9' is not an HS code (6 to 10 digits)"),
        (
            ItemLogistics(country_of_origin="PRT"),
            "country of origin 'PRT' is not an ISO 3166 alpha-2 code",
        ),
    ],
)
def test_logistics_data_scend_cannot_take_is_rejected(logistics: ItemLogistics, detail: str) -> None:
    with pytest.raises(PermanentError) as caught:
        map_item(item(), lookups(), logistics)
    assert mapping_error(caught.value) == rejected(detail)


def test_the_content_hash_is_a_hash_of_the_canonical_body_and_is_pinned() -> None:
    # GIVEN a product WHEN its content hash is taken
    product = map_item(item(), lookups(), LOGISTICS)
    assert isinstance(product, Product)
    # THEN it hashes exactly the body sent, as canonical JSON (sorted keys, no spaces, no nulls)
    body = (
        '{"active":true,"barcodes":[{"type":"EAN13","value":"5012345000022"}],"batch_tracked":false,'
        '"country_of_origin":"PT","description":"Organic tee, blue","dims_cm":{"h":2.5,"l":30.0,"w":20.0},'
        '"expiry_tracked":false,"hs_code":"61091000","sku":"1000-BLU","uom":"EA","weight_kg":0.22}'
    )
    assert json.loads(body) == product.model_dump(mode="json", exclude_none=True)
    assert content_hash(product) == hashlib.sha256(body.encode()).hexdigest()[:32]
    # AND the value is pinned: a change to the canonical form would re-send every item once
    assert content_hash(product) == "f19914b0d75fa3879bf0dc88f16b68e3"


def test_bc_changes_that_are_not_sent_keep_the_content_hash() -> None:
    # GIVEN the same item after a price change, a stock movement and a new modified time
    before = map_item(item(), lookups())
    after = map_item(
        item(unitPrice=99, inventory=12, lastModifiedDateTime="2026-11-28T10:00:00Z", displayName2="x"),
        lookups(),
    )
    assert isinstance(before, Product)
    assert isinstance(after, Product)
    # THEN the product sent is the same, and so is its hash
    assert content_hash(before) == content_hash(after)
    # AND a change Scend sees changes it
    changed = map_item(item(displayName="Organic tee, navy"), lookups())
    assert isinstance(changed, Product)
    assert content_hash(changed) != content_hash(before)
