"""Returns: expected → received → inspected → completed, or unidentified; condition and disposition
decide where each unit goes; the returns feed has a snapshot at every status."""

from __future__ import annotations

import httpx
import pytest

from local.scend_sim import ScendSim
from tests.contract.scend_sim.support import key, ok, order_body

pytestmark = pytest.mark.usefixtures("stocked")


async def test_a_pre_advised_return_is_received_inspected_and_completed(
    api: httpx.AsyncClient, control: httpx.AsyncClient, sim: ScendSim
) -> None:
    # GIVEN an RMA for 2 TEE-BLK-S and 1 MUG-WHT
    body = {
        "client_reference": "RMA-1",
        "order_reference": "SO-1",
        "lines": [
            {"sku": "TEE-BLK-S", "quantity": 2, "customer_reason": "too small"},
            {"sku": "MUG-WHT", "quantity": 1},
        ],
    }
    ret = await ok(await api.post("/returns", json=body, headers=key()), 201)
    assert (ret["status"], ret["rma"], ret["client_reference"]) == ("expected", "RMA-1", "RMA-1")
    # WHEN it arrives (units go to quarantine) and is inspected
    received = await ok(await control.post(f"/returns/{ret['id']}/receive", json={}))
    assert received["status"] == "received"
    assert sim.state.ledger.level("TEE-BLK-S").quarantined == 2
    verdicts = {
        "lines": [
            {"line_no": 1, "condition": "A_RESELLABLE", "disposition": "RESTOCKED"},
            {
                "line_no": 2,
                "condition": "DAMAGED",
                "disposition": "DISPOSED",
                "notes": "cracked",
                "photo_urls": ["x"],
            },
        ]
    }
    inspected = await ok(await control.post(f"/returns/{ret['id']}/inspect", json=verdicts))
    await ok(await control.post(f"/returns/{ret['id']}/complete"))
    # THEN restocked units are available, disposed ones gone, and the feed shows each status
    assert inspected["status"] == "inspected"
    assert [(line["condition"], line["disposition"]) for line in inspected["lines"]] == [
        ("A_RESELLABLE", "RESTOCKED"),
        ("DAMAGED", "DISPOSED"),
    ]
    assert inspected["lines"][1]["notes"] == "cracked"
    tee, mug = sim.state.ledger.level("TEE-BLK-S"), sim.state.ledger.level("MUG-WHT")
    assert (tee.on_hand, tee.quarantined, tee.available) == (102, 0, 102)
    assert (mug.on_hand, mug.quarantined) == (100, 0)
    feed = await ok(await api.get("/returns"))
    assert [r["status"] for r in feed["data"]] == ["expected", "received", "inspected", "completed"]
    assert [r["version"] for r in feed["data"]] == [1, 2, 3, 4]
    assert (await ok(await api.get(f"/returns/{ret['id']}")))["status"] == "completed"


async def test_a_return_for_no_known_order_or_rma_is_unidentified_and_stays_in_quarantine(
    control: httpx.AsyncClient, sim: ScendSim
) -> None:
    body = {"order_reference": "SO-NOBODY", "lines": [{"sku": "CAP-NVY", "quantity": 1}]}
    ret = await ok(await control.post("/returns", json=body))
    assert (ret["status"], ret["order_id"], ret["rma"]) == ("unidentified", None, None)
    assert sim.state.ledger.level("CAP-NVY").quarantined == 1
    refused = await control.post(f"/returns/{ret['id']}/inspect", json={})
    assert (await ok(refused, 409))["current_status"] == "unidentified"


async def test_an_unannounced_return_for_a_known_order_is_received(
    api: httpx.AsyncClient, control: httpx.AsyncClient
) -> None:
    order = await ok(
        await api.post("/orders", json=order_body("SO-2", ("1", "CAP-NVY", 1)), headers=key()), 201
    )
    body = {"order_reference": "SO-2", "lines": [{"sku": "CAP-NVY", "quantity": 1}]}
    ret = await ok(await control.post("/returns", json=body))
    assert (ret["status"], ret["order_id"]) == ("received", order["id"])


async def test_a_parcel_with_a_known_rma_receives_that_return(
    api: httpx.AsyncClient, control: httpx.AsyncClient
) -> None:
    body = {
        "client_reference": "RMA-3",
        "order_reference": "SO-3",
        "lines": [{"sku": "CAP-NVY", "quantity": 2}],
    }
    ret = await ok(await api.post("/returns", json=body, headers=key()), 201)
    arrived = await ok(
        await control.post("/returns", json={"rma": "RMA-3", "lines": [{"sku": "CAP-NVY", "quantity": 1}]})
    )
    assert (arrived["id"], arrived["status"], arrived["lines"][0]["quantity"]) == (ret["id"], "received", 1)


async def test_rmas_are_unique(api: httpx.AsyncClient) -> None:
    body = {
        "client_reference": "RMA-4",
        "order_reference": "SO-4",
        "lines": [{"sku": "CAP-NVY", "quantity": 1}],
    }
    first = await ok(await api.post("/returns", json=body, headers=key()), 201)
    assert (await ok(await api.post("/returns", json=body, headers=key()), 409))["existing_id"] == first["id"]


async def test_the_clock_inspects_and_completes_returns(
    api: httpx.AsyncClient, control: httpx.AsyncClient
) -> None:
    body = {"order_reference": "SO-X", "rma": "RMA-5", "lines": [{"sku": "MUG-WHT", "quantity": 3}]}
    ret = await ok(await control.post("/returns", json=body))
    await ok(await control.post("/clock/advance", json={"minutes": 120}))
    done = await ok(await api.get(f"/returns/{ret['id']}"))
    assert done["status"] == "completed"
    assert done["lines"][0]["condition"] is not None
    assert done["inspected_at"] == "2026-01-05T09:00:00Z"
