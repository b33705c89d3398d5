"""Lookup tables: loading from a setting or a file, refusing a broken table, fallbacks, missing keys."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shared.errors import PermanentError
from shared.mapping.lookups import (
    DEFAULT_LOOKUPS,
    LookupTableInvalid,
    Shipping,
    default_lookups,
    load_lookups,
)
from tests.unit.mapping.fixtures import LOOKUPS_JSON, lookups

UK_CARRIERS = {
    Shipping("STD"): "RM_TRACKED_48",
    Shipping("STD", "RM", "TRACKED24"): "RM_TRACKED_24",
    Shipping("STD", "RM", "TRACKED48"): "RM_TRACKED_48",
    Shipping("STD", "EVRI"): "EVRI_STANDARD",
    Shipping("NEXTDAY"): "DPD_NEXT_DAY",
    Shipping("NEXTDAY", "DPD"): "DPD_NEXT_DAY",
    Shipping("NEXTDAY", "DHL"): "DHL_PARCEL_UK_NEXT_DAY",
    Shipping("NEXTDAY", "RM"): "RM_TRACKED_24",
}


@pytest.mark.parametrize(("shipping", "service"), UK_CARRIERS.items())
def test_the_shipped_table_maps_the_uk_carriers(shipping: Shipping, service: str) -> None:
    # GIVEN the lookup table shipped with the code WHEN a shipment method (and agent) is looked up
    # THEN Royal Mail Tracked 24/48, DPD Next Day, Evri Standard and DHL Parcel UK are reached
    assert default_lookups().service_code(shipping) == service


def test_the_shipped_table_maps_bc_units_and_sets_home_country_and_currency() -> None:
    table = default_lookups()
    assert {code: table.scend_uom(code) for code in ("PCS", "EA", "EACH", "PIECE", "BOX")} == {
        "PCS": "EA",
        "EA": "EA",
        "EACH": "EA",
        "PIECE": "EA",
        "BOX": "BOX",
    }
    assert (table.home_country, table.home_currency, table.default_service_code) == ("GB", "GBP", None)


@pytest.mark.parametrize(
    ("shipping", "service"),
    [
        (Shipping("STD", "RM", "TRACKED24"), "RM_TRACKED_24"),  # the exact entry
        (Shipping("STD", "EVRI", "NEXTDAY"), "EVRI_STANDARD"),  # the agent's entry, any service
        (Shipping("STD", "RM", "TRACKED48"), "RM_TRACKED_48"),  # no RM entry without a service: the method's
        (Shipping("NEXTDAY", "UPS"), "DPD_NEXT_DAY"),  # an unmapped agent: the method's
        (Shipping("NEXTDAY", None, "SAT"), "DPD_NEXT_DAY"),  # a service without its agent is ignored
        (Shipping(" std ", "rm", "tracked24"), "RM_TRACKED_24"),  # codes compare as BC stores them
    ],
)
def test_the_most_specific_entry_wins_then_the_agent_less_ones(shipping: Shipping, service: str) -> None:
    assert lookups().service_code(shipping) == service


def test_an_unknown_shipment_method_is_mapping_missing_naming_the_entry_to_add() -> None:
    # GIVEN a shipment method no entry covers WHEN it is looked up
    with pytest.raises(PermanentError) as caught:
        lookups().service_code(Shipping("EXPRESS", "DPD", "SAT"))
    # THEN MAPPING_MISSING says which key is missing and what to add where
    assert caught.value.exception_type == "MAPPING_MISSING"
    assert caught.value.detail == (
        "no Scend service code for shipment_method 'EXPRESS', shipping_agent 'DPD', shipping_agent_service "
        "'SAT': add "
        '{"shipment_method": "EXPRESS", "shipping_agent": "DPD", "shipping_agent_service": "SAT", '
        '"service_code": "<Scend code>"} (or the same without shipping_agent_service, or without both '
        "agent fields) to services in the lookup table"
    )


def test_an_order_without_shipment_method_takes_the_default_service_only_when_one_is_set() -> None:
    # GIVEN no default service WHEN an order has no shipment method THEN MAPPING_MISSING says both fixes
    with pytest.raises(PermanentError) as caught:
        lookups().service_code(Shipping(None, "DPD"))
    assert caught.value.exception_type == "MAPPING_MISSING"
    assert caught.value.detail == (
        "the order has no shipment method and the lookup table has no default_service_code: set a shipment "
        "method on the order, or add default_service_code to the lookup table"
    )
    # GIVEN a default service THEN a blank method takes it, and an unknown method still does not
    document = json.loads(LOOKUPS_JSON) | {"default_service_code": "EVRI_STANDARD"}
    table = load_lookups(json.dumps(document))
    assert table.service_code(Shipping("  ")) == "EVRI_STANDARD"
    with pytest.raises(PermanentError):
        table.service_code(Shipping("EXPRESS"))


def test_an_unknown_unit_of_measure_is_mapping_missing_naming_the_entry_to_add() -> None:
    assert lookups().scend_uom("box") == "BOX"
    with pytest.raises(PermanentError) as caught:
        lookups().scend_uom("KG")
    assert caught.value.exception_type == "MAPPING_MISSING"
    assert caught.value.detail == (
        'no Scend unit of measure for BC unit \'KG\': add {"bc_code": "KG", "scend_uom": "<Scend uom>"} '
        "to units_of_measure in the lookup table"
    )


def test_the_table_loads_from_a_setting_holding_json_from_a_path_and_from_a_path_string(
    tmp_path: Path,
) -> None:
    # GIVEN the same document as an app setting value, as a file Path and as a path string
    file = tmp_path / "lookups.json"
    file.write_text(LOOKUPS_JSON, encoding="utf-8")
    # THEN all three load the same tables
    assert load_lookups(LOOKUPS_JSON) == load_lookups(file) == load_lookups(str(file))
    assert load_lookups(DEFAULT_LOOKUPS) == default_lookups()


def test_the_loaded_tables_cannot_be_changed_in_place() -> None:
    table = lookups()
    with pytest.raises(TypeError):
        table.units_of_measure["KG"] = "KG"  # type: ignore[index]


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (
            {
                "services": [
                    {"shipment_method": "STD", "service_code": "A"},
                    {"shipment_method": "std ", "service_code": "B"},
                ]
            },
            "services[1] (shipment method 'STD', any shipping agent, any agent service) repeats services[0]",
        ),
        (
            {
                "units_of_measure": [
                    {"bc_code": "PCS", "scend_uom": "EA"},
                    {"bc_code": "pcs", "scend_uom": "EACH"},
                ]
            },
            "units_of_measure[1] (bc_code 'PCS') repeats units_of_measure[0]",
        ),
        (
            {"services": [{"shipment_method": " ", "service_code": "A"}]},
            "services[0].shipment_method: is empty",
        ),
        (
            {"services": [{"shipment_method": "STD", "shipping_agent": "", "service_code": "A"}]},
            "services[0].shipping_agent: is empty; leave it out (or null) to mean any",
        ),
        (
            {"services": [{"shipment_method": "STD", "service_code": ""}]},
            "services[0].service_code: is empty",
        ),
        (
            {"units_of_measure": [{"bc_code": "PCS", "scend_uom": " "}]},
            "units_of_measure[0].scend_uom: is empty",
        ),
        (
            {
                "services": [
                    {"shipment_method": "STD", "shipping_agent_service": "TRACKED24", "service_code": "A"}
                ]
            },
            "services[0]: shipping_agent_service is set without shipping_agent "
            "(a service belongs to an agent)",
        ),
        (
            {"units_of_measure": [{"bc_code": "PIECESOFEIGHT", "scend_uom": "EA"}]},
            "units_of_measure[0].bc_code: 'PIECESOFEIGHT' is longer than a BC code (10 characters)",
        ),
        (
            {"services": [{"shipment_method": "STD", "servce_code": "A"}]},
            "services[0].service_code: Field required; "
            "services[0].servce_code: Extra inputs are not permitted",
        ),
        ({"home_country": "GBR"}, "home_country: 'GBR' is not an ISO 3166 alpha-2 code"),
        ({"home_currency": "£"}, "home_currency: '£' is not an ISO 4217 code"),
    ],
)
def test_a_broken_table_is_refused_with_a_message_naming_the_entry(document: object, message: str) -> None:
    # GIVEN a duplicate, an empty or overlong code, an agent service without agent, a typo
    # WHEN the table is loaded THEN it is refused whole, naming the entry at fault
    with pytest.raises(LookupTableInvalid) as caught:
        load_lookups(json.dumps(document))
    assert str(caught.value) == f"the lookup JSON is invalid: {message}"


def test_unreadable_or_malformed_sources_are_refused(tmp_path: Path) -> None:
    with pytest.raises(
        LookupTableInvalid, match=r"cannot read the lookup table .*missing\.json: No such file"
    ):
        load_lookups(tmp_path / "missing.json")
    with pytest.raises(LookupTableInvalid, match=r"^the lookup JSON is invalid: Invalid JSON: EOF"):
        load_lookups('{"services": [')


def test_uk_is_read_as_gb() -> None:
    assert load_lookups('{"home_country": "uk", "home_currency": "gbp"}').home_country == "GB"
