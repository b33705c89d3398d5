"""The companion extension: create and post are both idempotent, so both are sent again when in doubt."""

from __future__ import annotations

import json
from uuid import UUID

import httpx
import pytest

from shared.bc.errors import BcRequestRejected
from shared.bc.models import ShipmentConfirmationDraft, ShipmentConfirmationLineDraft
from tests.unit.bc.support import LINE_ID, ORDER_ID, Script, a_client, ok

CONFIRMATION_ID = UUID("5d0e0000-0000-4000-8000-000000000001")
SHIPMENT_ID = UUID("a7f30000-0000-4000-8000-000000000001")


def confirmation(status: str, order_id: UUID = ORDER_ID, **fields: object) -> dict[str, object]:
    return {
        "@odata.etag": 'W/"c"',
        "id": str(CONFIRMATION_ID),
        "scendShipmentId": "SHP-1",
        "salesOrderId": str(order_id),
        "status": status,
        "salesShipmentId": str(SHIPMENT_ID) if status == "Posted" else "00000000-0000-0000-0000-000000000000",
        **fields,
    }


DRAFT = ShipmentConfirmationDraft(
    scend_shipment_id="SHP-1",
    sales_order_id=ORDER_ID,
    package_tracking_number="1Z999",
    shipment_confirmation_lines=[ShipmentConfirmationLineDraft(sales_order_line_id=LINE_ID, quantity=2)],
)


async def test_a_create_and_a_post_that_time_out_are_sent_again() -> None:
    script = Script(
        [
            httpx.ReadTimeout("lost"),
            ok(confirmation("Open"), 201),
            httpx.ReadTimeout("lost"),
            ok(confirmation("Posted")),
        ]
    )
    async with a_client(script) as bc:
        posted = await bc.warehouse.post_shipment(DRAFT)
    assert posted.sales_shipment_id == SHIPMENT_ID
    paths = [(r.method, r.url.path.rsplit("/", 1)[-1]) for r in script.requests]
    assert paths == [
        ("POST", "shipmentConfirmations"),
        ("POST", "shipmentConfirmations"),
        ("POST", "Microsoft.NAV.post"),
        ("POST", "Microsoft.NAV.post"),
    ]
    assert "/api/scendIntegration/warehouse/v1.0/companies(" in str(script.requests[0].url)
    assert json.loads(script.requests[0].content) == {
        "scendShipmentId": "SHP-1",
        "salesOrderId": str(ORDER_ID),
        "packageTrackingNumber": "1Z999",
        "shipmentConfirmationLines": [{"salesOrderLineId": str(LINE_ID), "quantity": 2}],
    }


async def test_a_confirmation_already_posted_is_not_posted_again() -> None:
    script = Script([ok(confirmation("Posted"), 201)])
    async with a_client(script) as bc:
        posted = await bc.warehouse.post_shipment(DRAFT)
    assert posted.status == "Posted"
    assert len(script.requests) == 1


async def test_a_post_answered_204_reads_the_posted_header() -> None:
    script = Script([ok(confirmation("Open"), 201), ok(), ok(confirmation("Posted"))])
    async with a_client(script) as bc:
        posted = await bc.warehouse.post_shipment(DRAFT)
    assert posted.sales_shipment_id == SHIPMENT_ID
    assert script.requests[-1].method == "GET"


async def test_a_scend_id_already_used_for_another_order_is_refused_before_posting() -> None:
    other = UUID("6a1b2c3d-0000-4000-8000-0000000000ff")
    script = Script([ok(confirmation("Open", order_id=other), 201)])
    async with a_client(script) as bc:
        with pytest.raises(BcRequestRejected, match="ScendIdUsedForAnotherDocument") as raised:
            await bc.warehouse.post_shipment(DRAFT)
    assert raised.value.business_key == "SHP-1"
    assert len(script.requests) == 1
