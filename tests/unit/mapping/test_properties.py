"""Properties of the transforms: deterministic, hashes that move iff the body moves, stable line refs,
and no personal data in any error."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.errors import PermanentError
from shared.mapping.items import ItemLogistics, content_hash, map_item
from shared.mapping.lookups import Shipping
from shared.mapping.orders import map_order, order_version
from shared.scend.models import OrderRequest, Product, wire_body
from tests.unit.mapping.fixtures import VALID_EAN8, VALID_EAN13, VALID_UPC, item, line, lookups, order

# Items: small domains, so two draws are often equal and the "iff" is tested both ways.
items = st.fixed_dictionaries(
    {
        "number": st.sampled_from(["1000-BLU", "2000-RED"]),
        "displayName": st.sampled_from(["Tee", "Tee ", "Mug", "", None]),
        "gtin": st.sampled_from([VALID_EAN13, VALID_UPC, VALID_EAN8, "", None]),
        "baseUnitOfMeasureCode": st.sampled_from(["PCS", "EA", "BOX"]),
        "blocked": st.booleans(),
        "unitPrice": st.sampled_from([1, 2]),  # not sent: must not matter
        "lastModifiedDateTime": st.sampled_from(["2026-11-27T09:00:00Z", "2026-11-28T09:00:00Z"]),
    }
)
logistics = st.builds(
    ItemLogistics,
    weight_kg=st.sampled_from([None, Decimal(0), Decimal("0.5"), Decimal("0.50")]),
    length_cm=st.sampled_from([None, Decimal(10)]),
    width_cm=st.sampled_from([None, Decimal(10)]),
    height_cm=st.sampled_from([None, Decimal(10)]),
).filter(lambda x: len({x.length_cm is None, x.width_cm is None, x.height_cm is None}) == 1)


def product(fields: dict[str, Any], extra: ItemLogistics) -> Product:
    mapped = map_item(item(**fields), lookups(), extra)
    assert isinstance(mapped, Product)
    return mapped


@given(items, logistics)
def test_item_mapping_is_deterministic(fields: dict[str, Any], extra: ItemLogistics) -> None:
    first = product(fields, extra)
    again = map_item(item(**fields).model_copy(deep=True), lookups(), extra)
    assert again == first
    assert isinstance(again, Product)
    assert content_hash(again) == content_hash(first)


@given(items, logistics, items, logistics)
def test_the_content_hash_changes_iff_the_product_sent_changes(
    a: dict[str, Any], a_extra: ItemLogistics, b: dict[str, Any], b_extra: ItemLogistics
) -> None:
    first, second = product(a, a_extra), product(b, b_extra)
    assert (content_hash(first) == content_hash(second)) == (wire_body(first) == wire_body(second))


# Orders


order_lines = st.lists(
    st.fixed_dictionaries(
        {
            "lineType": st.sampled_from(["Item", "Item", "Comment", "Resource"]),
            "lineObjectNumber": st.sampled_from(["1000-BLU", "2000-RED"]),
            "quantity": st.sampled_from([1, 2]),
            "unitPrice": st.sampled_from([None, 12.5, 12.50]),
            "shippedQuantity": st.sampled_from([0, 1]),  # not sent
            "description": st.sampled_from(["Tee", "Gift"]),  # not sent
        }
    ),
    min_size=0,
    max_size=3,
)
order_headers = st.fixed_dictionaries(
    {
        "shipToCity": st.sampled_from(["Leeds", "York"]),
        "shipToContact": st.sampled_from(["", "Ada Lovelace", "Jane Smith"]),
        "shipmentMethod": st.sampled_from(
            [{"id": "5e5e5e5e-0000-4000-8000-000000000001", "code": c} for c in ("STD", "NEXTDAY")]
        ),
        "currencyCode": st.sampled_from(["", "GBP", "EUR"]),
        "postingDate": st.sampled_from(["2026-11-27", "2026-11-28"]),  # not sent
        "externalDocumentNumber": st.sampled_from(["WEB-1", "WEB-2"]),  # not sent
    }
)


def request(header: dict[str, Any], extra_lines: list[dict[str, Any]]) -> OrderRequest:
    lines = [line(10000)] + [line(20000 + 10000 * n, **fields) for n, fields in enumerate(extra_lines)]
    mapped = map_order(order(*lines, **header), lookups())
    assert isinstance(mapped, OrderRequest)
    return mapped


@given(order_headers, order_lines, order_headers, order_lines)
def test_the_order_version_changes_iff_the_order_sent_changes(
    a: dict[str, Any], a_lines: list[dict[str, Any]], b: dict[str, Any], b_lines: list[dict[str, Any]]
) -> None:
    first, second = request(a, a_lines), request(b, b_lines)
    assert (order_version(first) == order_version(second)) == (wire_body(first) == wire_body(second))


@given(order_headers, order_lines)
def test_order_mapping_is_deterministic(header: dict[str, Any], lines: list[dict[str, Any]]) -> None:
    assert request(header, lines) == request(header, lines)
    assert order_version(request(header, lines)) == order_version(request(header, lines))


line_bodies = st.fixed_dictionaries(
    {
        "lineType": st.sampled_from(["Item", "Item", "Comment"]),
        "lineObjectNumber": st.sampled_from(["1000-BLU", "2000-RED", "3000-GRN"]),
        "quantity": st.integers(1, 5),
    }
)


@given(
    st.dictionaries(st.integers(1, 10_000).map(lambda n: n * 100), line_bodies, min_size=1, max_size=6),
    st.dictionaries(st.integers(10_001, 20_000).map(lambda n: n * 100), line_bodies, max_size=4),
    st.randoms(use_true_random=False),
)
def test_a_bc_line_keeps_its_line_ref_when_lines_are_reordered_or_added(
    original: dict[int, dict[str, Any]], added: dict[int, dict[str, Any]], rng: Any
) -> None:
    # GIVEN an order WHEN other lines are added and BC returns all of them in another order
    before = map_order(order(*[line(n, **body) for n, body in original.items()]), lookups())
    amended = [line(n, **body) for n, body in (original | added).items()]
    rng.shuffle(amended)
    after = map_order(order(*amended), lookups())
    if not isinstance(before, OrderRequest):
        return  # nothing to pick in the original
    assert isinstance(after, OrderRequest)
    # THEN every line sent before is sent again under the same line_ref, unchanged
    after_by_ref = {x.line_ref: x for x in after.lines}
    for sent in before.lines:
        assert after_by_ref[sent.line_ref] == sent
    # AND the line_ref is the BC line no.
    assert {x.line_ref for x in before.lines} == {
        str(n) for n, body in original.items() if body["lineType"] == "Item"
    }


# Personal data: no error may carry a name, an address, an email or a phone number.

# Every personal value holds "§", which no message of ours contains: if "§" shows, a value leaked.
# Half the orders have a valid address full of personal data, so the failures after the address
# (lines, service, date, price) are reached with it present; the other half also have parts that
# are missing, blank or too long, so the address errors are reached too.


def personal(max_size: int, *, broken: bool) -> st.SearchStrategy[str | None]:
    valid = st.builds(lambda a, b: f"§{a}{b}"[:max_size], st.text(max_size=20), st.text(max_size=20))
    if not broken:
        return valid
    too_long = st.builds(lambda a: f"§{a}" + "x" * 120, st.text(max_size=20))
    return st.one_of(valid, valid, st.none(), st.just("  "), too_long)


def personal_fields(*, broken: bool) -> st.SearchStrategy[dict[str, Any]]:
    limits = {
        "shipToName": 100,
        "shipToContact": 100,
        "shipToAddressLine1": 100,
        "shipToAddressLine2": 100,
        "shipToCity": 100,
        "shipToState": 100,
        "shipToPostCode": 12,
        "email": 254,
        "phoneNumber": 30,
        "customerName": 100,
    }
    countries = ["GB", "", "UK", "GBR", "1", "ie"] if broken else ["GB", "", "UK", "ie"]
    return st.fixed_dictionaries(
        {field: personal(limit, broken=broken) for field, limit in limits.items()}
        | {"shipToCountry": st.sampled_from(countries)}
    )


failures = st.sampled_from(["none", "fractional", "method", "date", "variant", "bad sku", "price"])


@settings(max_examples=400)
@given(st.one_of(personal_fields(broken=False), personal_fields(broken=True)), failures)
def test_no_error_carries_personal_data(fields: dict[str, Any], failure: str) -> None:
    # GIVEN an order full of names and addresses, failing for one reason or another
    lines = {
        "fractional": line(10000, quantity=1.5),
        "variant": line(10000, itemVariantId="7b7b7b7b-0000-4000-8000-000000000001"),
        "bad sku": line(10000, lineObjectNumber="AB 12"),
        "price": line(10000, unitPrice=-1),
    }
    header = fields | ({"orderDate": "0001-01-01"} if failure == "date" else {})
    shipping = Shipping("EXPRESS") if failure == "method" else None
    # WHEN it is mapped THEN whatever error it raises holds none of them
    try:
        map_order(order(lines.get(failure, line(10000)), **header), lookups(), shipping=shipping)
    except PermanentError as error:
        for text in (str(error), repr(error), error.detail, *map(str, error.args)):
            assert "§" not in text


@pytest.mark.parametrize("field", ["shipToName", "shipToAddressLine1", "shipToCity", "shipToPostCode"])
def test_an_overlong_personal_value_is_described_by_length_only(field: str) -> None:
    value = "Flat 9§" + "x" * 200
    with pytest.raises(PermanentError) as caught:
        map_order(order(**{field: value}), lookups())
    assert "§" not in str(caught.value)
    assert field in caught.value.detail
