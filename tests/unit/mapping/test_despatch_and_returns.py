"""Pure mapping of what comes back: despatched units per line, tracking, and the draft credit memo."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import UUID

import pytest

from shared.errors import InvalidMessage
from shared.mapping.despatch import despatched_units, tracking_of
from shared.mapping.lookup_format import LookupTableInvalid
from shared.mapping.lookups import default_lookups, load_lookups
from shared.mapping.returns import OriginalLine, OriginalOrder, credit_memo_draft, return_reason_code
from shared.scend.models import Parcel, Return, ReturnLine, Shipment, ShipmentLine

LOOKUPS = default_lookups()


def shipment(
    *parcels: list[tuple[str, int]], carrier: str = "dpd", service: str | None = "DPD_NEXT_DAY"
) -> Shipment:
    return Shipment(
        id="shp_1", order_id="ord_1", client_reference="SO-1-6F1C2B9A-R1",
        despatched_at=datetime(2026, 11, 27, 10, tzinfo=UTC), carrier=carrier, service=service,
        is_final_for_order=True,
        parcels=[Parcel(parcel_id=f"prc_{i}", tracking_number=f"T{i}" if i else None,
                        lines=[ShipmentLine(line_ref=r, sku="SKU", quantity=q) for r, q in p])
                 for i, p in enumerate(parcels)],
    )  # fmt: skip


def test_units_are_summed_per_order_line_over_the_parcels() -> None:
    split = shipment([("10000", 2), ("20000", 1)], [("10000", 3)])
    assert despatched_units(split) == {10000: 5, 20000: 1}


@pytest.mark.parametrize("lines", [[("abc", 1)], [("10000", 0)], []])
def test_a_line_that_is_not_ours_or_nothing_at_all_is_an_invalid_message(
    lines: list[tuple[str, int]],
) -> None:
    with pytest.raises(InvalidMessage):
        despatched_units(shipment(lines))


def test_tracking_maps_the_carrier_and_keeps_every_parcel() -> None:
    tracking = tracking_of(shipment([("10000", 1)], [("10000", 1)]), LOOKUPS)
    assert (tracking.shipping_agent, tracking.shipping_agent_service) == ("DPD", "NEXTDAY")
    assert [p["tracking_number"] for p in tracking.parcels] == [None, "T1"]
    assert tracking.first_tracking_number == "T1"  # the first parcel that has one
    assert (
        tracking_of(shipment([("10000", 1)], carrier="evri", service="X"), LOOKUPS).shipping_agent == "EVRI"
    )
    assert tracking_of(shipment([("10000", 1)], carrier="yodel"), LOOKUPS).shipping_agent is None


def test_duplicate_carrier_or_reason_entries_are_refused_on_load() -> None:
    entries = [
        {"scend_carrier": "dpd", "shipping_agent": "DPD"},
        {"scend_carrier": "DPD", "shipping_agent": "X"},
    ]
    twice = json.dumps({"carriers": entries})
    with pytest.raises(LookupTableInvalid, match="carriers"):
        load_lookups(twice)
    with pytest.raises(LookupTableInvalid, match="condition"):
        load_lookups('{"return_reasons": [{"condition": "BROKEN", "reason_code": "X"}]}')


RETURN = Return(
    id="ret_7", rma="RMA-7", order_reference="SO-1-6F1C2B9A-R1", status="inspected",
    lines=[ReturnLine(sku="A", quantity=2, condition="DAMAGED", disposition="DISPOSED"),
           ReturnLine(sku="B", quantity=1, condition="A_RESELLABLE", disposition="RESTOCKED"),
           ReturnLine(sku="A", quantity=1, condition="MISSING", disposition="RETURN_TO_SUPPLIER")],
)  # fmt: skip
ORIGINAL = OriginalOrder(
    "SO-1", "C0001", {"A": OriginalLine(Decimal("12.50"), UUID(int=1)), "B": OriginalLine(None, None)}
)


def test_the_draft_credits_each_sku_at_the_price_paid_and_not_what_was_missing() -> None:
    draft = credit_memo_draft(RETURN, ORIGINAL, reason_id=UUID(int=9), memo_date=date(2026, 11, 27))
    assert draft is not None
    assert (draft.customer_number, draft.external_document_number) == ("C0001", "ret_7")
    items = [(line.line_object_number, line.quantity, line.unit_price, line.location_id)
             for line in draft.sales_credit_memo_lines if line.line_type == "Item"]  # fmt: skip
    assert items == [("A", Decimal(2), Decimal("12.50"), UUID(int=1)), ("B", Decimal(1), None, None)]
    memo_lines = draft.sales_credit_memo_lines
    comments = [line.description or "" for line in memo_lines if line.line_type == "Comment"]
    assert "ret_7" in comments[0]
    assert "RMA-7" in comments[0]
    assert "SO-1" in comments[0]
    assert any("MISSING" in c for c in comments)
    assert return_reason_code(RETURN, LOOKUPS) == "DAMAGED"


def test_a_return_of_nothing_but_missing_lines_drafts_nothing() -> None:
    missing = RETURN.model_copy(update={"lines": [RETURN.lines[2]]})
    assert credit_memo_draft(missing, ORIGINAL, reason_id=None, memo_date=None) is None
