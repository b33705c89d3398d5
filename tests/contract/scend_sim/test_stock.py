"""Stock: every kind of movement keeps on_hand = available + allocated + quarantined + damaged, and
the change feed replayed from the start gives the snapshot exactly, after every event."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from local.scend_sim import ScendSim, ScendSimConfig, WarehousePolicy, build_scend_sim
from local.scend_sim.adjustments import USUAL_STATES, AdjustmentSpec
from local.scend_sim.despatch import ParcelPlan
from local.scend_sim.inbound import ReceiptPlan, Received
from local.scend_sim.models.inbound import AsnIn
from local.scend_sim.models.orders import CancelIn, OrderIn
from local.scend_sim.models.returns import ReturnIn
from local.scend_sim.orders import open_quantity
from local.scend_sim.problems import Problem
from local.scend_sim.returns import Arrived, Verdict
from local.scend_sim.seeding import DEMO_PRODUCTS, DEMO_STOCK, seed
from tests.contract.scend_sim.stock_replay import assert_snapshot_matches
from tests.contract.scend_sim.support import asn_body, key, ok, order_body

Step = Callable[[], Awaitable[Any]]


async def _all(api: httpx.AsyncClient, path: str, cursor_name: str) -> list[dict[str, Any]]:
    records, cursor = [], None
    while True:
        params: dict[str, Any] = {"limit": 50} | ({cursor_name: cursor} if cursor else {})
        page = await ok(await api.get(path, params=params))
        records += page["data"]
        if cursor_name == "cursor" and page["next_cursor"] is None:
            return records
        if cursor_name == "since_cursor" and not page["has_more"]:
            return records
        cursor = page["next_cursor"]


async def test_every_kind_of_movement_adds_up_and_replays_to_the_snapshot(
    api: httpx.AsyncClient, control: httpx.AsyncClient
) -> None:
    refs: dict[str, str] = {}

    async def order(reference: str, sku: str, quantity: int) -> None:
        body = order_body(reference, ("1", sku, quantity))
        refs[reference] = (await ok(await api.post("/orders", json=body, headers=key()), 201))["id"]

    async def cancel(reference: str) -> None:
        await ok(await api.post(f"/orders/{refs[reference]}/cancel", headers=key()))

    async def receive() -> None:
        asn = await ok(
            await api.post("/asns", json=asn_body("PO-1", ("1", "MUG-WHT", 10)), headers=key()), 201
        )
        receipt = {
            "lines": [{"line_ref": "1", "qty_received": 8, "qty_damaged": 2}],
            "unexpected_lines": [{"sku": "CAP-NVY", "qty_received": 3, "qty_damaged": 1}],
        }
        await ok(await control.post(f"/asns/{asn['id']}/receipts", json=receipt))

    async def returned() -> None:
        lines = [{"sku": "TEE-BLK-S", "quantity": 2}, {"sku": "TEE-BLK-M", "quantity": 1}]
        lines += [
            {"sku": "TEE-BLK-L", "quantity": 1},
            {"sku": "CAP-NVY", "quantity": 1},
            {"sku": "MUG-WHT", "quantity": 1},
        ]
        ret = await ok(await control.post("/returns", json={"order_reference": "SO-A", "lines": lines}))
        verdicts = [
            {"line_no": 1, "condition": "A_RESELLABLE", "disposition": "RESTOCKED"},
            {"line_no": 2, "condition": "B_REFURB", "disposition": "QUARANTINED"},
            {"line_no": 3, "condition": "DAMAGED", "disposition": "DISPOSED"},
            {"line_no": 4, "condition": "FAULTY", "disposition": "RETURN_TO_SUPPLIER"},
            {"line_no": 5, "condition": "MISSING", "disposition": "QUARANTINED"},
        ]
        await ok(await control.post(f"/returns/{ret['id']}/inspect", json={"lines": verdicts}))

    async def adjust(reason: str, sku: str = "HOODIE-GRY-M", quantity: int = 2) -> None:
        body = {"sku": sku, "reason_code": reason, "quantity": quantity}
        if reason == "OTHER":
            body |= {"from_state": "quarantine", "to_state": "damaged"}
        await ok(await control.post("/adjustments", json=body))

    async def count(counted: int) -> None:
        await ok(await control.post("/stock/TEE-BLK-M/count", json={"counted": counted}))

    steps: list[Step] = [
        lambda: control.post("/seed", json={"demo": True}),
        lambda: order("SO-A", "TEE-BLK-S", 3),
        lambda: order("SO-B", "TEE-BLK-M", 5),
        lambda: control.post("/clock/advance", json={"minutes": 60}),
        lambda: order("SO-C", "MUG-WHT", 4),
        lambda: cancel("SO-C"),
        receive,
        returned,
        *[lambda r=reason: adjust(r) for reason in USUAL_STATES if reason != "QC_RELEASE"],
        lambda: adjust("QC_RELEASE", quantity=1),
        lambda: adjust("OTHER", quantity=1),
        lambda: count(120),
        lambda: count(90),
        lambda: control.put("/stock/MUG-WHT", json={"available": 3, "quarantined": 1, "damaged": 0}),
    ]
    for step in steps:
        result = await step()
        if isinstance(result, httpx.Response):
            assert result.status_code < 300, result.text
        assert_snapshot_matches(
            await _all(api, "/stock", "cursor"), await _all(api, "/stock/changes", "since_cursor")
        )
    changes = await _all(api, "/stock/changes", "since_cursor")
    kinds = {change["movement_type"] for change in changes}
    assert kinds == {"transfer", "allocation", "despatch", "receipt", "return", "adjustment"}


# The same, property-based, through the Python API: any sequence of warehouse work.

SKUS = ("TEE-BLK-S", "HOODIE-GRY-M", "CAP-NVY")
sku = st.sampled_from(SKUS)
qty = st.integers(1, 12)
reason = st.sampled_from([*USUAL_STATES, "OTHER"])
state_ = st.sampled_from(["available", "quarantine", "damaged", "disposed", None])
disposition = st.sampled_from(["RESTOCKED", "QUARANTINED", "DISPOSED", "RETURN_TO_SUPPLIER"])
condition = st.sampled_from(["A_RESELLABLE", "DAMAGED", "MISSING"])
action = st.one_of(
    st.tuples(st.just("order"), sku, qty, sku, qty),
    st.tuples(st.just("cancel"), st.integers(0, 20), st.booleans()),
    st.tuples(st.just("advance"), st.integers(1, 90)),
    st.tuples(st.just("despatch"), st.integers(0, 20), qty),
    st.tuples(st.just("set"), sku, st.integers(0, 30), st.integers(0, 3), st.integers(0, 3)),
    st.tuples(st.just("adjust"), sku, reason, qty, state_, state_),
    st.tuples(st.just("count"), sku, st.integers(0, 40)),
    st.tuples(st.just("asn"), sku, qty, st.integers(0, 15), st.integers(0, 3), st.booleans()),
    st.tuples(st.just("return"), sku, qty, condition, disposition, st.booleans()),
)


def _apply(sim: ScendSim, step: tuple[Any, ...], n: int) -> None:
    w, state = sim.warehouse, sim.state
    orders = list(state.orders)
    match step:
        case ("order", sku1, q1, sku2, q2):
            body = order_body(f"SO-{n}", ("1", sku1, q1), ("2", sku2, q2))
            w.create_order(OrderIn.model_validate_json(json.dumps(body)))
        case ("cancel", index, whole) if orders:
            order = state.orders[orders[index % len(orders)]]
            lines = None if whole else [{"line_ref": "1", "quantity": 1}]
            w.cancel_order(order.id, CancelIn.model_validate({"lines": lines}))
        case ("advance", minutes):
            w.advance(minutes)
        case ("despatch", index, quantity) if orders:
            order = state.orders[orders[index % len(orders)]]
            w.despatch(order.id, [ParcelPlan(lines=[("2", quantity)])])
        case ("set", sku1, available, quarantined, damaged):
            w.set_stock(sku1, available, quarantined, damaged)
        case ("adjust", sku1, code, quantity, source, target):
            states = (source, target) if code == "OTHER" else None
            w.adjust(AdjustmentSpec(sku=sku1, reason_code=code, quantity=quantity, states=states))
        case ("count", sku1, counted):
            w.count(sku1, counted)
        case ("asn", sku1, expected, received, damaged, final):
            body = asn_body(f"PO-{n}", ("1", sku1, expected))
            asn = w.create_asn(AsnIn.model_validate_json(json.dumps(body)))
            plan = ReceiptPlan([Received(ref="1", qty_received=received, qty_damaged=min(damaged, received))])
            plan.unexpected = [Received(sku="CAP-NVY", qty_received=1)]
            plan.is_final = final
            w.receive_asn(asn.id, plan)
        case ("return", sku1, quantity, grade, fate, advised):
            if advised:
                body = {
                    "client_reference": f"RMA-{n}",
                    "order_reference": "SO-1",
                    "lines": [{"sku": sku1, "quantity": quantity}],
                }
                ret = w.pre_advise_return(ReturnIn.model_validate(body))
                w.receive_return(ret.id)
            else:
                ret = w.return_arrives(None, "SO-1", [Arrived(sku1, quantity)])
            if ret.status == "received":
                w.inspect_return(ret.id, {1: Verdict(grade, fate)})


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(action, max_size=30))
def test_any_sequence_of_warehouse_work_keeps_stock_consistent(steps: list[tuple[Any, ...]]) -> None:
    policy = WarehousePolicy(partial_despatch_rate=0.5, split_parcel_rate=0.5, return_inspect_minutes=30)
    sim = build_scend_sim(ScendSimConfig(seed=5, start_at=datetime(2026, 1, 5, 8, tzinfo=UTC), policy=policy))
    seed(sim.warehouse, DEMO_PRODUCTS, DEMO_STOCK[:0])
    for n, step in enumerate(steps):
        refusal = None
        try:
            _apply(sim, step, n)
        except Problem as refused:
            refusal = refused.status
        assert refusal in (None, 404, 409, 422)
        state = sim.state
        changes = [change.model_dump(mode="json") for change in state.feeds.stock_changes.records]
        snapshot = [
            state.ledger.level(s).snapshot(s, state.now()).model_dump(mode="json") for s in state.products
        ]
        assert_snapshot_matches(snapshot, changes)
        for s in state.products:
            reserved = sum(
                line.qty_allocated for o in state.orders.values() for line in o.lines if line.sku == s
            )
            assert state.ledger.level(s).allocated == reserved, "the stock's reservations are the orders'"
        for o in state.orders.values():
            for line in o.lines:
                assert 0 <= line.qty_allocated <= open_quantity(line)
