"""Order release: a released BC order becomes exactly the Scend order the warehouse acts on."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from shared.errors import PermanentError
from shared.mapping.lookups import Shipping
from shared.mapping.orders import map_order, order_version, required_skus
from shared.mapping.skips import Skipped
from shared.scend.models import Address, OrderLineRequest, OrderRequest
from tests.unit.mapping.fixtures import line, lookups, order, order_lines

LEEDS = Address(
    name="Ada Lovelace", line1="1 Market Street", city="Leeds", postcode="LS1 6AA", country_code="GB"
)


def mapped(*lines: dict[str, Any], **fields: Any) -> OrderRequest:
    request = map_order(order(*lines, **fields), lookups())
    assert isinstance(request, OrderRequest)
    return request


def refusal(*lines: dict[str, Any], **fields: Any) -> tuple[str, str, str | None]:
    with pytest.raises(PermanentError) as caught:
        map_order(order(*lines, **fields), lookups())
    return (caught.value.exception_type, caught.value.detail, caught.value.business_key)


def test_a_released_order_becomes_the_scend_order_with_only_its_item_lines() -> None:
    # GIVEN a released order with two item lines and a comment line, returned out of line order
    sales_order = order(
        line(20000, lineObjectNumber="2000-RED", quantity=1, unitPrice=30, shipmentDate="2026-12-01"),
        line(15000, lineType="Comment", lineObjectNumber="", quantity=0, description="Gift wrap please"),
        line(10000),
    )
    # WHEN it is mapped for its first release
    request = map_order(sales_order, lookups())
    # THEN the Scend order has the reference, dates, service, address and the item lines by line no.
    assert request == OrderRequest(
        client_reference="SO-1042-32082CD6-R1",
        order_date=date(2026, 11, 27),
        requested_despatch_date=date(2026, 11, 30),
        service_code="DPD_NEXT_DAY",
        ship_to=LEEDS,
        lines=[
            OrderLineRequest(
                line_ref="10000", sku="1000-BLU", quantity=2, unit_price=Decimal("12.5"), currency="GBP"
            ),
            OrderLineRequest(
                line_ref="20000", sku="2000-RED", quantity=1, unit_price=Decimal(30), currency="GBP"
            ),
        ],
    )


@pytest.mark.parametrize(
    "line_type", ["Comment", "Account", "Resource", "Fixed_x0020_Asset", "Charge", "Allocation_x0020_Account"]
)
def test_lines_that_are_not_items_do_not_reach_the_warehouse(line_type: str) -> None:
    request = mapped(line(10000), line(20000, lineType=line_type, lineObjectNumber="6110"))
    assert [item_line.line_ref for item_line in request.lines] == ["10000"]


def test_an_order_with_nothing_to_pick_is_skipped_with_the_reason() -> None:
    # GIVEN an order of a resource line, a comment and an item line with quantity 0
    sales_order = order(
        line(10000, lineType="Resource", lineObjectNumber="CONSULT"),
        line(20000, lineType="Comment"),
        line(30000, quantity=0),
    )
    # THEN nothing is sent: even its missing address does not matter
    assert map_order(sales_order.model_copy(update={"ship_to_city": None}), lookups()) == Skipped(
        "order SO-1042 has no item lines: the warehouse has nothing to ship"
    )
    assert required_skus(sales_order) == set()


def test_a_fractional_quantity_is_refused_naming_the_line() -> None:
    assert refusal(line(10000, quantity=2.5)) == (
        "ORDER_REJECTED_BY_WMS",
        "order SO-1042: line 10000: quantity 2.5 is not a whole number of units",
        "SO-1042",
    )


def test_a_negative_quantity_is_refused() -> None:
    assert (
        refusal(line(10000, quantity=-1))[1] == "order SO-1042: line 10000: quantity -1 is outside 1..1000000"
    )


def test_the_quantity_sent_is_the_quantity_ordered_not_what_is_left_to_ship() -> None:
    # GIVEN one unit already shipped: the version must not move when our own shipment is posted
    request = mapped(line(10000, quantity=3, shippedQuantity=1, shipQuantity=2))
    assert request.lines[0].quantity == 3


def test_an_item_number_scend_cannot_take_holds_the_order_as_sku_not_in_wms() -> None:
    assert refusal(line(10000, lineObjectNumber="AB 12")) == (
        "SKU_NOT_IN_WMS",
        "order SO-1042: line 10000: item 'AB 12' cannot be a Scend SKU: it holds ' '; Scend takes only the "
        "letters A-Z and a-z, digits, '.', '_' and '-'",
        "SO-1042",
    )


def test_an_item_variant_is_mapping_missing() -> None:
    variant = line(10000, itemVariantId="7b7b7b7b-0000-4000-8000-000000000001")
    assert refusal(variant)[:2] == (
        "MAPPING_MISSING",
        "order SO-1042: line 10000: item 1000-BLU is ordered as a variant, and variants have no Scend SKU "
        "mapping",
    )


def test_an_item_line_without_an_item_number_is_refused() -> None:
    assert refusal(line(10000, lineObjectNumber=" "))[1] == (
        "order SO-1042: line 10000 is an item line without an item number"
    )


def test_more_lines_than_scend_takes_are_refused() -> None:
    assert (
        refusal(*[line(10000 * n) for n in range(1, 502)])[1]
        == "order SO-1042: 501 item lines; Scend takes 500"
    )


def test_a_blank_order_date_is_refused() -> None:
    assert refusal(orderDate="0001-01-01")[1] == "order SO-1042: orderDate is blank"


def test_the_despatch_date_is_the_earliest_item_line_shipment_date() -> None:
    request = mapped(
        line(10000, shipmentDate="2026-12-03"),
        line(20000, shipmentDate="2026-12-01"),
        line(30000, lineType="Comment", shipmentDate="2026-11-28"),
    )
    assert request.requested_despatch_date == date(2026, 12, 1)
    assert mapped(line(10000, shipmentDate="0001-01-01")).requested_despatch_date is None


@pytest.mark.parametrize(
    ("fields", "shipping", "service"),
    [
        ({}, None, "DPD_NEXT_DAY"),
        (
            {"shipmentMethod": {"id": "5e5e5e5e-0000-4000-8000-000000000002", "code": "STD"}},
            None,
            "RM_TRACKED_48",
        ),
        ({}, Shipping("NEXTDAY", "DHL"), "DHL_PARCEL_UK_NEXT_DAY"),
        ({}, Shipping("STD", "RM", "TRACKED24"), "RM_TRACKED_24"),
    ],
)
def test_the_service_code_comes_from_the_shipment_method_and_agent(
    fields: dict[str, Any], shipping: Shipping | None, service: str
) -> None:
    request = map_order(order(**fields), lookups(), shipping=shipping)
    assert isinstance(request, OrderRequest)
    assert request.service_code == service


def test_an_unmapped_shipment_method_is_mapping_missing() -> None:
    with pytest.raises(PermanentError) as caught:
        map_order(order(), lookups(), shipping=Shipping("EXPRESS"))
    assert caught.value.exception_type == "MAPPING_MISSING"
    assert caught.value.detail.startswith("no Scend service code for shipment_method 'EXPRESS': add ")


def test_an_order_without_a_shipment_method_is_mapping_missing_without_a_default() -> None:
    error = refusal(shipmentMethodId="00000000-0000-0000-0000-000000000000", shipmentMethod=None)
    assert error[0] == "MAPPING_MISSING"


def test_reading_an_order_without_its_expansions_is_a_defect() -> None:
    with pytest.raises(ValueError, match=r"\$expand=shipmentMethod"):
        map_order(order(shipmentMethod=None), lookups())
    with pytest.raises(ValueError, match=r"\$expand=salesOrderLines"):
        map_order(order().model_copy(update={"sales_order_lines": None}), lookups())


def test_inconsistent_lines_are_parked_before_anything_reaches_scend() -> None:
    foreign = order(line(10000, documentId="6a1b2c3d-0000-4000-8000-00000000ffff"))
    with pytest.raises(PermanentError, match="belongs to another document") as raised:
        map_order(foreign, lookups())
    assert raised.value.exception_type == "MESSAGE_INVALID"
    twice = order(line(10000), line(10000, lineObjectNumber="2000-RED"))
    with pytest.raises(PermanentError, match="share one line number") as raised:
        map_order(twice, lookups())
    assert raised.value.exception_type == "MESSAGE_INVALID"


def test_lines_passed_apart_map_like_expanded_ones() -> None:
    sales_order = order(line(10000), line(20000, lineObjectNumber="2000-RED"))
    apart = sales_order.model_copy(update={"sales_order_lines": None})
    assert map_order(apart, lookups(), lines=order_lines(sales_order)) == map_order(sales_order, lookups())


@pytest.mark.parametrize(("currency", "sent"), [("", "GBP"), ("EUR", "EUR"), ("usd", "USD")])
def test_prices_travel_in_the_order_currency_and_blank_means_local(currency: str, sent: str) -> None:
    request = mapped(line(10000), line(20000, unitPrice=None), currencyCode=currency)
    assert [(x.unit_price, x.currency) for x in request.lines] == [(Decimal("12.5"), sent), (None, None)]


def test_an_unknown_currency_or_a_negative_price_is_refused() -> None:
    assert refusal(currencyCode="EURO")[1] == "order SO-1042: currencyCode 'EURO' is not an ISO 4217 code"
    assert refusal(line(10000, unitPrice=-1))[1] == "order SO-1042: line 10000: the unit price is negative"


def test_a_re_release_gets_the_next_reference() -> None:
    request = map_order(order(), lookups(), release=2)
    assert isinstance(request, OrderRequest)
    assert request.client_reference == "SO-1042-32082CD6-R2"


def test_required_skus_are_the_item_lines_skus() -> None:
    sales_order = order(
        line(10000),
        line(20000, lineObjectNumber="2000-RED"),
        line(30000, lineObjectNumber="1000-BLU"),
        line(40000, lineType="Resource", lineObjectNumber="CONSULT"),
        line(50000, lineObjectNumber="3000-GRN", quantity=0),
    )
    assert required_skus(sales_order) == {"1000-BLU", "2000-RED"}


def test_the_order_version_is_pinned() -> None:
    # pinned: a change to the canonical form would send every open order as an amendment once
    assert order_version(mapped()) == "d38a2bac3a540f23a13f9913be0a54d5"


@pytest.mark.parametrize(
    "change",
    [
        {"postingDate": "2026-12-01"},
        {"lastModifiedDateTime": "2026-11-28T10:00:00Z", "@odata.etag": 'W/"JzI7Jw=="'},
        {"externalDocumentNumber": "WEB-999"},
        {"customerName": "A. Lovelace", "salesperson": "JO"},
        {"salesOrderLines": [line(10000, shippedQuantity=1, shipQuantity=1, description="Tee")]},
        {"salesOrderLines": [line(10000), line(20000, lineType="Comment", description="Leave at door")]},
        {"salesOrderLines": [line(10000, discountAmount=5, discountPercent=10)]},
        {"shipToAddressLine1": " 1 Market Street "},
    ],
)
def test_a_bc_change_the_warehouse_does_not_see_keeps_the_version(change: dict[str, Any]) -> None:
    assert order_version(mapped(**change)) == order_version(mapped())


@pytest.mark.parametrize(
    "change",
    [
        {"salesOrderLines": [line(10000, quantity=3)]},
        {"salesOrderLines": [line(10000, unitPrice=13)]},
        {"salesOrderLines": [line(10000), line(20000)]},
        {"shipToPostCode": "LS2 7AA"},
        {"shipmentMethod": {"id": "5e5e5e5e-0000-4000-8000-000000000002", "code": "STD"}},
        {"orderDate": "2026-11-28"},
    ],
)
def test_a_bc_change_the_warehouse_sees_moves_the_version(change: dict[str, Any]) -> None:
    assert order_version(mapped(**change)) != order_version(mapped())
