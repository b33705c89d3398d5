"""ASNs: created → awaiting_delivery → arrived → receiving → completed / cancelled; receipts short,
over, damaged and with lines nobody advised."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from local.scend_sim import ScendSim
from tests.contract.scend_sim.conftest import Start
from tests.contract.scend_sim.support import asn_body, clients, key, ok, order_body

pytestmark = pytest.mark.usefixtures("stocked")


async def _asn(api: httpx.AsyncClient, reference: str, *lines: tuple[str, str, int], **kw: Any) -> Any:
    return await ok(await api.post("/asns", json=asn_body(reference, *lines, **kw), headers=key()), 201)


async def _status(api: httpx.AsyncClient, asn_id: str) -> str:
    return str((await ok(await api.get(f"/asns/{asn_id}")))["status"])


async def test_the_clock_takes_an_asn_through_its_lifecycle(
    api: httpx.AsyncClient, control: httpx.AsyncClient
) -> None:
    # GIVEN an ASN expected at 10:00 (confirm after 5 min, receive 60 min after arrival)
    asn = await _asn(api, "PO-1", ("10000", "MUG-WHT", 24), expected_at="2026-01-05T10:00:00Z")
    seen = [asn["status"]]
    for minutes in (5, 115, 60):
        await ok(await control.post("/clock/advance", json={"minutes": minutes}))
        seen.append(await _status(api, asn["id"]))
    # THEN created → awaiting_delivery → arrived (10:00) → completed (11:00), with one final receipt
    assert seen == ["created", "awaiting_delivery", "arrived", "completed"]
    [receipt] = (await ok(await api.get("/receipts")))["data"]
    assert (receipt["asn_id"], receipt["asn_reference"], receipt["is_final"]) == (asn["id"], "PO-1", True)
    assert receipt["received_at"] == "2026-01-05T11:00:00Z"
    assert receipt["lines"] == [
        {
            "line_ref": "10000",
            "sku": "MUG-WHT",
            "qty_received": 24,
            "qty_damaged": 0,
            "batch": None,
            "expiry": None,
        }
    ]
    done = await ok(await api.get(f"/asns/{asn['id']}"))
    assert (done["arrived_at"], done["completed_at"]) == ("2026-01-05T10:00:00Z", "2026-01-05T11:00:00Z")
    assert done["receipt_ids"] == [receipt["id"]]
    assert await ok(await api.get(f"/receipts/{receipt['id']}")) == receipt


async def test_a_short_receipt_then_an_over_and_unexpected_one(
    api: httpx.AsyncClient, control: httpx.AsyncClient, sim: ScendSim
) -> None:
    asn = await _asn(api, "PO-2", ("1", "TEE-BLK-S", 10), ("2", "TEE-BLK-M", 5))
    await ok(await control.post(f"/asns/{asn['id']}/arrive"))
    first = {"lines": [{"line_ref": "1", "qty_received": 6, "qty_damaged": 1}], "is_final": False}
    await ok(await control.post(f"/asns/{asn['id']}/receipts", json=first))
    assert await _status(api, asn["id"]) == "receiving"
    second = {
        "lines": [{"line_ref": "2", "qty_received": 7}],
        "unexpected_lines": [{"sku": "CAP-NVY", "qty_received": 4}],
        "is_final": True,
    }
    receipt = await ok(await control.post(f"/asns/{asn['id']}/receipts", json=second))
    assert receipt["unexpected_lines"][0] | {"batch": None} == {
        "line_ref": None,
        "sku": "CAP-NVY",
        "qty_received": 4,
        "qty_damaged": 0,
        "batch": None,
        "expiry": None,
    }
    done = await ok(await api.get(f"/asns/{asn['id']}"))
    assert done["status"] == "completed"
    assert [(line["qty_expected"], line["qty_received"], line["qty_damaged"]) for line in done["lines"]] == [
        (10, 6, 1),
        (5, 7, 0),
    ]
    assert [r["is_final"] for r in (await ok(await api.get("/receipts")))["data"]] == [False, True]
    small = sim.state.ledger.level("TEE-BLK-S")
    assert (small.on_hand, small.damaged, small.available) == (106, 1, 105)
    assert sim.state.ledger.level("CAP-NVY").on_hand == 104
    closed = await control.post(f"/asns/{asn['id']}/receipts", json={})
    assert (await ok(closed, 409))["code"] == "INVALID_STATE"


async def test_a_receipt_frees_stock_for_orders_waiting_for_it(
    api: httpx.AsyncClient, control: httpx.AsyncClient, sim: ScendSim
) -> None:
    await ok(await control.put("/stock/HOODIE-GRY-M", json={"available": 0}))
    order = await ok(
        await api.post("/orders", json=order_body("SO-1", ("1", "HOODIE-GRY-M", 3)), headers=key()), 201
    )
    asn = await _asn(api, "PO-3", ("1", "HOODIE-GRY-M", 10))
    await ok(await control.post(f"/asns/{asn['id']}/receipts", json={}))
    assert sim.state.orders[order["id"]].lines[0].qty_allocated == 3
    await ok(await control.post("/clock/advance", json={"minutes": 30}))
    assert (await ok(await api.get(f"/orders/{order['id']}")))["status"] == "despatched"


async def test_an_asn_can_be_cancelled_until_it_arrives(
    api: httpx.AsyncClient, control: httpx.AsyncClient
) -> None:
    early = await _asn(api, "PO-4", ("1", "CAP-NVY", 1))
    cancelled = await ok(await api.post(f"/asns/{early['id']}/cancel", headers=key()))
    assert cancelled["status"] == "cancelled"
    assert cancelled["cancelled_at"] == "2026-01-05T08:00:00Z"
    late = await _asn(api, "PO-5", ("1", "CAP-NVY", 1))
    await ok(await control.post(f"/asns/{late['id']}/arrive"))
    problem = await ok(await api.post(f"/asns/{late['id']}/cancel", json={}, headers=key()), 409)
    assert (problem["code"], problem["current_status"]) == ("ASN_NOT_CANCELLABLE", "arrived")


async def test_asn_references_are_unique_and_can_be_looked_up(api: httpx.AsyncClient) -> None:
    first = await _asn(api, "PO-6", ("1", "CAP-NVY", 1))
    again = await api.post("/asns", json=asn_body("PO-6", ("1", "CAP-NVY", 2)), headers=key())
    assert (await ok(again, 409))["existing_id"] == first["id"]
    found = await ok(await api.get("/asns", params={"client_reference": "PO-6"}))
    assert [a["id"] for a in found["data"]] == [first["id"]]


async def test_an_asn_for_an_unknown_sku_is_refused(api: httpx.AsyncClient) -> None:
    problem = await ok(await api.post("/asns", json=asn_body("PO-7", ("1", "NOPE", 1)), headers=key()), 422)
    assert (problem["code"], problem["errors"][0]["field"]) == ("SKU_NOT_FOUND", "lines[0].sku")


async def test_the_seeded_policy_receives_short_over_damaged_and_unexpected(start_sim: Start) -> None:
    rates = {"receipt_short_rate": 0.5, "receipt_over_rate": 0.5, "receipt_damaged_rate": 1.0}
    sim = await start_sim(policy=rates | {"receipt_unexpected_rate": 1.0})
    async with clients(sim) as (api, control):
        await ok(await control.post("/seed", json={"demo": True}))
        await _asn(
            api, "PO-8", ("1", "TEE-BLK-S", 40), ("2", "TEE-BLK-M", 40), expected_at="2026-01-05T08:00:00Z"
        )
        await ok(await control.post("/clock/advance", json={"minutes": 120}))
        [receipt] = (await ok(await api.get("/receipts")))["data"]
    received = [line["qty_received"] for line in receipt["lines"]]
    assert all(qty != 40 for qty in received)
    assert all(line["qty_damaged"] >= 1 for line in receipt["lines"])
    assert len(receipt["unexpected_lines"]) == 1
    assert receipt["unexpected_lines"][0]["sku"] not in ("TEE-BLK-S", "TEE-BLK-M")
