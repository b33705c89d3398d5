"""Ship-to: the order's shipTo* fields become the Scend delivery address.

Addresses are personal data. An error names the BC field and what is wrong with it (empty, too
long, not a country code), never the value, so a parked message's reason, a log line or a span
cannot carry a customer's name or address.
"""

from __future__ import annotations

from shared.bc.models import SalesOrder
from shared.errors import PermanentError
from shared.mapping.contract import ADDRESS_MAX_LENGTHS, country_code
from shared.scend.models import Address

REQUIRED = ("name", "line1", "city", "postcode")


def ship_to(order: SalesOrder, home_country: str | None) -> Address:
    """The delivery address; `home_country` stands in for BC's blank country (the company's own).

    shipToContact is the person and shipToName the company when both are set and differ (a
    business address); otherwise whichever is set is the name. Email and phone are the order's
    sell-to contact details (the API has no ship-to ones): carriers use them to announce delivery.
    """
    name, contact = _clean(order.ship_to_name), _clean(order.ship_to_contact)
    person, person_field, company = name, "shipToName", None
    if contact and name and contact != name:
        person, person_field, company = contact, "shipToContact", name
    elif contact and not name:
        person, person_field = contact, "shipToContact"
    # Scend part → (BC field, value)
    parts: dict[str, tuple[str, str | None]] = {
        "name": (person_field, person),
        "company": ("shipToName", company),
        "line1": ("shipToAddressLine1", _clean(order.ship_to_address_line1)),
        "line2": ("shipToAddressLine2", _clean(order.ship_to_address_line2)),
        "city": ("shipToCity", _clean(order.ship_to_city)),
        "county": ("shipToState", _clean(order.ship_to_state)),
        "postcode": ("shipToPostCode", _clean(order.ship_to_post_code)),
        "email": ("email", _clean(order.email)),
        "phone": ("phoneNumber", _clean(order.phone_number)),
    }
    problems = [f"{parts[part][0]} is empty" for part in REQUIRED if not parts[part][1]]
    problems += [
        f"{field} has {len(value)} characters, Scend takes {ADDRESS_MAX_LENGTHS[part]}"
        for part, (field, value) in parts.items()
        if value and len(value) > ADDRESS_MAX_LENGTHS[part]
    ]
    country, country_problem = _country(order.ship_to_country, home_country)
    if country is None:
        problems.append(country_problem)
    if problems:
        raise PermanentError(
            "ORDER_REJECTED_BY_WMS",
            "the ship-to address cannot be sent: " + "; ".join(problems),
            business_key=order.number,
        )
    value = {part: text for part, (_, text) in parts.items()}
    return Address(
        name=value["name"] or "",
        company=value["company"],
        line1=value["line1"] or "",
        line2=value["line2"],
        city=value["city"] or "",
        county=value["county"],
        postcode=value["postcode"] or "",
        country_code=country or "",
        email=value["email"],
        phone=value["phone"],
    )


def _clean(value: str | None) -> str | None:
    return (value or "").strip() or None


def _country(value: str | None, home_country: str | None) -> tuple[str | None, str]:
    """shipToCountry as ISO alpha-2 (blank means the company's own country in BC), or why not."""
    if _clean(value) is None:
        return home_country, "shipToCountry is empty and the lookup table sets no home_country"
    return country_code(value or ""), "shipToCountry is not an ISO 3166 alpha-2 country code"
