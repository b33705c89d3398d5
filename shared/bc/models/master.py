"""Master and reference data: companies, items, customers, locations, shipment methods."""

from __future__ import annotations

from shared.bc.models.base import BcDateTime, BcEntity, BcEnum, BcGuid, Number, Personal


class Company(BcEntity):
    name: str
    display_name: str | None = None
    system_version: str | None = None
    business_profile_id: str | None = None


class Item(BcEntity):
    number: str
    display_name: str | None = None
    display_name2: str | None = None
    type: BcEnum | None = None
    item_category_code: str | None = None
    blocked: bool = False
    gtin: str | None = None
    inventory: Number | None = None  # all locations (a FlowField): not per-location stock
    unit_price: Number | None = None
    unit_cost: Number | None = None
    base_unit_of_measure_code: str | None = None
    last_modified_date_time: BcDateTime = None


class Customer(BcEntity):
    number: str
    display_name: Personal = None
    type: BcEnum | None = None
    address_line1: Personal = None
    address_line2: Personal = None
    city: Personal = None
    state: Personal = None
    country: str | None = None
    postal_code: Personal = None
    phone_number: Personal = None
    email: Personal = None
    blocked: BcEnum | None = None  # " ", Ship, Invoice, All
    currency_code: str | None = None
    shipment_method_id: BcGuid = None
    last_modified_date_time: BcDateTime = None


class Location(BcEntity):
    code: str
    display_name: str | None = None
    address_line1: str | None = None
    address_line2: str | None = None
    city: str | None = None
    country: str | None = None
    postal_code: str | None = None


class CustomerReturnReason(BcEntity):
    """A Return Reason code (`customerReturnReasons`): the reason on a sales credit memo."""

    code: str
    description: str | None = None


class ShipmentMethod(BcEntity):
    code: str
    display_name: str | None = None
