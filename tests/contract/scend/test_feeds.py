"""Feeds against the simulator: read to the end they carry everything, whatever webhooks did."""

from __future__ import annotations

from collections import Counter

import httpx
import pytest

from local.scend_sim import HttpFault, ScendSim, WebhookFaults
from local.scend_sim.adjustments import AdjustmentSpec
from local.scend_sim.returns import Arrived, Verdict
from shared.scend.outcomes import UnexpectedResponse
from shared.scend.rest import ContractRestAdapter
from tests.contract.scend.conftest import MakeAdapter
from tests.contract.scend.support import asn, later, order, read_feed, route, webhook_receiver


async def subscribe(sim: ScendSim, url: str, *events: str) -> str:
    """A webhook subscription for `events` to `url`; its secret (shown only once)."""
    async with httpx.AsyncClient(base_url=sim.base_url, trust_env=False) as raw:
        answer = await raw.post(
            "/webhooks",
            json={"url": url, "events": list(events)},
            headers={"Authorization": f"Bearer {sim.api_key}", "Idempotency-Key": f"subscribe {url}"},
        )
    answer.raise_for_status()
    return str(answer.json()["secret"])


async def test_with_most_webhooks_lost_the_shipments_feed_still_carries_every_shipment(
    sim: ScendSim, make_adapter: MakeAdapter, stocked: list[str]
) -> None:
    async with webhook_receiver() as receiver:
        # GIVEN a subscription whose deliveries are mostly lost, duplicated or out of order
        secret = await subscribe(sim, receiver.url, "shipment.despatched")
        sim.set_faults(
            webhooks=WebhookFaults(lost_rate=0.5, duplicate_rate=0.2, delay_rate=0.2, out_of_order_rate=0.2)
        )
        scend = make_adapter(webhook_secrets=[secret], page_size=7)
        # AND thirty orders picked, packed and despatched
        for n in range(30):
            await scend.create_order(order(f"SO-{n}-R1", ("MUG-1", 1 + n % 3), ("MUG-2", 1)))
        sim.warehouse.advance(24 * 60)
        flushed = await sim.flush_webhooks()  # delayed deliveries stay held: not arrived yet
        # WHEN the intake verifies what did arrive, and the backstop reads the feed to its end
        announced = {scend.verify_webhook(r.headers, r.body).data["id"] for r in receiver.requests}
        shipments, cursor = await read_feed(scend.iter_shipments())
    # THEN webhooks missed some shipments, and the feed carries every one, once, in order
    every = list(sim.state.shipments)
    assert len(every) == 30
    assert announced < set(every)
    assert [s.id for s in shipments] == every
    # AND per order, the despatched units and the tracking numbers are all there
    despatched: Counter[tuple[str, str]] = Counter()
    for shipment in shipments:
        for parcel in shipment.parcels:
            assert parcel.tracking_number
            for line in parcel.lines:
                despatched[(shipment.client_reference, line.sku)] += line.quantity
    assert despatched == Counter(
        {(f"SO-{n}-R1", sku): qty for n in range(30) for sku, qty in (("MUG-1", 1 + n % 3), ("MUG-2", 1))}
    )
    assert cursor == sim.state.feeds.shipments.head()
    # AND every webhook fault really struck
    struck = {fault for attempt in sim.webhooks.log for fault in attempt.faults}
    assert {"lost", "duplicate", "out_of_order"} <= struck
    assert flushed.held > 0


async def test_a_poller_resumes_from_its_saved_cursor_and_sees_only_what_is_new(
    sim: ScendSim, scend: ContractRestAdapter, stocked: list[str]
) -> None:
    # GIVEN a poller that read everything despatched so far and saved the cursor
    for n in range(3):
        await scend.create_order(order(f"SO-A{n}-R1"))
    sim.warehouse.advance(120)
    first, saved = await read_feed(scend.iter_shipments())
    # WHEN two more orders are despatched and it polls from the saved cursor
    for n in range(2):
        await scend.create_order(order(f"SO-B{n}-R1"))
    sim.warehouse.advance(120)
    second, resumed = await read_feed(scend.iter_shipments(saved))
    # THEN it sees exactly the two new shipments; a third poll sees nothing and keeps its place
    assert [s.client_reference for s in first] == [f"SO-A{n}-R1" for n in range(3)]
    assert [s.client_reference for s in second] == ["SO-B0-R1", "SO-B1-R1"]
    third, kept = await read_feed(scend.iter_shipments(resumed))
    assert (third, kept) == ([], resumed)


async def test_a_feed_read_through_faults_is_complete_and_in_order(
    sim: ScendSim, make_adapter: MakeAdapter, stocked: list[str]
) -> None:
    scend = make_adapter(page_size=2)
    for n in range(7):
        await scend.create_order(order(f"SO-{n}-R1"))
    sim.warehouse.advance(120)
    # GIVEN every kind of fault on the feed route
    sim.set_faults(
        http=[
            HttpFault(kind="error", method="GET", path="/v1/shipments", status=502, times=2),
            HttpFault(kind="drop", method="GET", path="/v1/shipments", skip=2, times=1),
            HttpFault(kind="rate_limit", method="GET", path="/v1/shipments", skip=3, times=1),
            HttpFault(kind="latency", method="GET", path="/v1/shipments", latency_ms=800, skip=4, times=1),
        ]
    )
    shipments, _ = await read_feed(scend.iter_shipments())
    assert [s.id for s in shipments] == list(sim.state.shipments)
    assert (
        sum(route(sim, "GET /v1/shipments").get(f"fault {k}", 0) for k in ("error", "drop", "rate_limit"))
        == 4
    )


async def test_the_stock_change_feed_and_the_snapshot_agree(
    sim: ScendSim, scend: ContractRestAdapter, stocked: list[str]
) -> None:
    for n in range(5):
        await scend.create_order(order(f"SO-{n}-R1", ("MUG-1", 2), ("MUG-3", 1)))
    sim.warehouse.advance(120)
    sim.warehouse.adjust(AdjustmentSpec(sku="MUG-2", reason_code="DAMAGED_IN_WAREHOUSE", quantity=4))
    changes, _ = await read_feed(scend.iter_stock_changes())
    snapshot = {level.sku: level for level in await scend.get_stock_snapshot()}
    # THEN replaying the feed gives each SKU's on hand, up to the seq the snapshot was taken at
    assert [c.seq for c in changes] == list(range(1, len(changes) + 1))
    on_hand: Counter[str] = Counter()
    for change in changes:
        on_hand[change.sku] += change.delta
        assert on_hand[change.sku] == change.on_hand_after
    assert {sku: level.on_hand for sku, level in snapshot.items()} == dict(on_hand)
    assert snapshot["MUG-1"].on_hand == 990
    assert snapshot["MUG-2"].damaged == 4
    assert all(
        level.last_seq == max(c.seq for c in changes if c.sku == sku) for sku, level in snapshot.items()
    )


async def test_the_adjustments_feed_carries_reason_and_states(
    sim: ScendSim, scend: ContractRestAdapter, stocked: list[str]
) -> None:
    sim.warehouse.adjust(AdjustmentSpec(sku="MUG-1", reason_code="DAMAGED_IN_WAREHOUSE", quantity=2))
    sim.warehouse.adjust(AdjustmentSpec(sku="MUG-1", reason_code="WRITE_OFF", quantity=1))
    sim.warehouse.count("MUG-3", 1003, count_ref="CC-7")
    adjustments, _ = await read_feed(scend.iter_adjustments())
    assert [(a.sku, a.reason_code, a.from_state, a.to_state, a.quantity_delta) for a in adjustments] == [
        (a.sku, a.reason_code, a.from_state, a.to_state, a.quantity_delta)
        for a in sim.state.adjustments.values()
    ]
    assert [a.reason_code for a in adjustments] == ["DAMAGED_IN_WAREHOUSE", "WRITE_OFF", "CYCLE_COUNT_GAIN"]
    assert [(a.from_state, a.to_state, a.quantity_delta) for a in adjustments] == [
        ("available", "damaged", 0),
        ("damaged", "disposed", -1),
        (None, "available", 3),
    ]
    assert adjustments[2].count_ref == "CC-7"


async def test_an_asn_is_created_once_and_its_receipt_arrives_on_the_receipts_feed(
    sim: ScendSim, scend: ContractRestAdapter, stocked: list[str]
) -> None:
    # GIVEN the ASN's answer is lost after Scend stored it
    sim.set_faults(
        http=[HttpFault(kind="timeout_after_commit", method="POST", path="/v1/asns", mode="drop", times=1)]
    )
    created = await scend.create_asn(asn("PO-1", qty=24, expected_at=later(sim, 60)))
    assert created.id == sim.state.asn_refs["PO-1"]
    assert route(sim, "POST /v1/asns")["requests"] == 1
    assert await scend.get_asn_by_reference("PO-1") == created
    # WHEN the goods arrive and are received
    sim.warehouse.advance(24 * 60)
    receipts, _ = await read_feed(scend.iter_receipts())
    # THEN one final receipt for PO-1 carries the received lines
    assert [(r.asn_reference, r.asn_id, r.is_final) for r in receipts] == [("PO-1", created.id, True)]
    assert sum(line.qty_received for line in receipts[0].lines) == 24
    completed = await scend.get_asn_by_reference("PO-1")
    assert completed is not None
    assert completed.status == "completed"


async def test_the_returns_feed_shows_received_then_inspected_with_conditions(
    sim: ScendSim, scend: ContractRestAdapter, stocked: list[str]
) -> None:
    await scend.create_order(order("SO-1-R1", ("MUG-1", 2)))
    sim.warehouse.advance(120)
    ret = sim.warehouse.return_arrives(None, "SO-1-R1", [Arrived("MUG-1", 2, "changed mind")])
    sim.warehouse.inspect_return(ret.id, {1: Verdict("DAMAGED", "QUARANTINED")})
    returns, _ = await read_feed(scend.iter_returns())
    assert [(r.id, r.status, r.order_reference) for r in returns] == [
        (ret.id, "received", "SO-1-R1"),
        (ret.id, "inspected", "SO-1-R1"),
    ]
    line = returns[1].lines[0]
    assert (line.sku, line.quantity, line.condition, line.disposition) == (
        "MUG-1",
        2,
        "DAMAGED",
        "QUARANTINED",
    )


async def test_a_cursor_from_before_a_reset_is_refused_as_a_defect_not_read_from_the_start(
    sim: ScendSim, scend: ContractRestAdapter, stocked: list[str]
) -> None:
    _, saved = await read_feed(scend.iter_stock_changes())
    sim.reset()
    with pytest.raises(UnexpectedResponse, match="400"):
        await read_feed(scend.iter_stock_changes(saved))
