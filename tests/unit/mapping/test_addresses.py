"""Ship-to: the order's shipTo* fields become the delivery address; errors name fields, never values."""

from __future__ import annotations

from typing import Any

import pytest

from shared.errors import PermanentError
from shared.mapping.addresses import ship_to
from shared.scend.models import Address
from tests.unit.mapping.fixtures import order


def address(**fields: Any) -> Address:
    return ship_to(order(**fields), "GB")


def refused(home_country: str | None = "GB", **fields: Any) -> PermanentError:
    with pytest.raises(PermanentError) as caught:
        ship_to(order(**fields), home_country)
    return caught.value


def test_a_business_address_sends_the_contact_as_name_and_the_ship_to_name_as_company() -> None:
    # GIVEN a ship-to name (the business) and a contact (the person), a second line, a county,
    # and the order's email and phone
    got = address(
        shipToName="Contoso Ltd",
        shipToContact="Jane Smith",
        shipToAddressLine2="Unit 4",
        shipToState="West Yorkshire",
        email="jane@contoso.example",
        phoneNumber="+44 113 496 0000",
    )
    # THEN the person is the name and the business the company; every part lands in its field
    assert got == Address(
        name="Jane Smith",
        company="Contoso Ltd",
        line1="1 Market Street",
        line2="Unit 4",
        city="Leeds",
        county="West Yorkshire",
        postcode="LS1 6AA",
        country_code="GB",
        email="jane@contoso.example",
        phone="+44 113 496 0000",
    )


@pytest.mark.parametrize(
    ("name", "contact", "expected"),
    [
        ("Ada Lovelace", "", ("Ada Lovelace", None)),
        ("Ada Lovelace", "Ada Lovelace", ("Ada Lovelace", None)),
        ("", "Ada Lovelace", ("Ada Lovelace", None)),
    ],
)
def test_a_consumer_address_has_a_name_and_no_company(
    name: str, contact: str, expected: tuple[str, str | None]
) -> None:
    got = address(shipToName=name, shipToContact=contact)
    assert (got.name, got.company) == expected


@pytest.mark.parametrize(
    ("bc_country", "sent"), [("GB", "GB"), ("gb", "GB"), ("UK", "GB"), ("IE", "IE"), ("", "GB")]
)
def test_the_country_is_iso_alpha_2_and_blank_means_the_home_country(bc_country: str, sent: str) -> None:
    assert address(shipToCountry=bc_country).country_code == sent


def test_missing_required_parts_are_refused_naming_every_field() -> None:
    error = refused(shipToName=" ", shipToAddressLine1="", shipToCity=None, shipToPostCode="")
    assert (error.exception_type, error.business_key) == ("ORDER_REJECTED_BY_WMS", "SO-1042")
    assert error.detail == (
        "the ship-to address cannot be sent: shipToName is empty; shipToAddressLine1 is empty; "
        "shipToCity is empty; shipToPostCode is empty"
    )


def test_a_part_longer_than_scend_takes_is_refused_with_its_length_not_its_value() -> None:
    error = refused(shipToPostCode="LS1 6AA EXTRA1")
    assert (
        error.detail == "the ship-to address cannot be sent: shipToPostCode has 14 characters, Scend takes 12"
    )


@pytest.mark.parametrize(
    ("home_country", "bc_country", "problem"),
    [
        ("GB", "GBR", "shipToCountry is not an ISO 3166 alpha-2 country code"),
        (None, "", "shipToCountry is empty and the lookup table sets no home_country"),
    ],
)
def test_a_country_that_is_not_iso_alpha_2_is_refused(
    home_country: str | None, bc_country: str, problem: str
) -> None:
    error = refused(home_country, shipToCountry=bc_country)
    assert error.detail == f"the ship-to address cannot be sent: {problem}"
