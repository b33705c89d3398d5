"""Orders against the simulator over loopback: one order per reference, whatever the faults."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from local.scend_sim import HttpFault, ScendSim
from local.scend_sim.models.products import ProductIn
from shared.errors import InDoubt, RateLimited, TransientError
from shared.scend.http import idempotency_key
from shared.scend.models import CancelLine, Order, OrderRequest
from shared.scend.outcomes import OrderNotCancellable, ScendRejected
from shared.scend.rest import ContractRestAdapter
from tests.contract.scend.conftest import MakeAdapter, StartSim
from tests.contract.scend.support import SharedTime, held, order, product, route

POST = "POST /v1/orders"
LOOKUP = "GET /v1/orders"


def fault(kind: str, method: str = "POST", path: str = "/v1/orders", **options: object) -> HttpFault:
    return HttpFault.model_validate({"kind": kind, "method": method, "path": path} | options)


async def release(scend: ContractRestAdapter, request: OrderRequest, attempts: int = 10) -> Order:
    """What the trigger shell does: a transient failure (InDoubt included) is tried again later."""
    for _ in range(attempts):
        try:
            return await scend.create_order(request)
        except TransientError:
            continue
    raise AssertionError(f"{request.client_reference} not released after {attempts} attempts")


async def test_a_released_order_is_held_once_and_found_by_its_reference(
    sim: ScendSim, scend: ContractRestAdapter, stocked: list[str]
) -> None:
    created = await scend.create_order(order("SO-1-R1", ("MUG-1", 2), ("MUG-2", 1)))
    found = await scend.get_order_by_reference("SO-1-R1")
    assert found == created
    assert created.status == "accepted"
    assert [(line.sku, line.qty_ordered, line.qty_allocated) for line in created.lines] == [
        ("MUG-1", 2, 2),
        ("MUG-2", 1, 1),
    ]
    assert held(sim) == {"SO-1-R1": 1}
    assert await scend.get_order_by_reference("SO-404") is None


async def test_fifty_orders_under_commit_then_timeout_and_5xx_are_fifty_orders_one_per_reference(
    sim: ScendSim, scend: ContractRestAdapter, stocked: list[str]
) -> None:
    # GIVEN Scend loses ~10% of answers after committing (hang, drop or 5xx), refuses ~10% with a
    # 5xx or a dropped connection before handling, and fails ~10% of lookups
    sim.set_faults(
        http=[
            fault("timeout_after_commit", mode="hang", probability=0.05),
            fault("timeout_after_commit", mode="drop", probability=0.03),
            fault("timeout_after_commit", mode="error", probability=0.03),
            fault("error", status=502, probability=0.07),
            fault("drop", probability=0.03),
            fault("error", method="GET", status=500, probability=0.1),
        ]
    )
    references = [f"SO-{n}-R1" for n in range(1, 51)]
    # WHEN every order is released, ten at a time, each retried like the trigger shell would
    results: list[Order] = []
    for batch in range(0, 50, 10):
        results += await asyncio.gather(
            *(release(scend, order(ref)) for ref in references[batch : batch + 10])
        )
    # THEN Scend holds exactly fifty orders, one per reference, and each caller got its own
    assert held(sim) == dict.fromkeys(references, 1)
    assert [o.client_reference for o in results] == references
    assert {o.id for o in results} == {sim.state.order_refs[ref] for ref in references}
    # AND every kind of fault really struck (the test cannot pass by luck)
    fired = sim.stats.routes[POST].faults
    assert all(fired[kind] > 0 for kind in ("timeout_after_commit", "error", "drop")), fired
    assert sim.stats.routes[LOOKUP].faults["error"] > 0


async def test_an_answer_lost_after_commit_is_found_by_lookup_and_not_sent_again(
    sim: ScendSim, scend: ContractRestAdapter, stocked: list[str]
) -> None:
    for mode in ("hang", "drop", "error"):
        sim.stats.clear()
        sim.set_faults(http=[fault("timeout_after_commit", mode=mode, times=1)])
        created = await scend.create_order(order(f"SO-{mode}-R1"))
        assert created.id == sim.state.order_refs[f"SO-{mode}-R1"], mode
        assert route(sim, POST)["requests"] == 1, mode  # no resend
        assert route(sim, LOOKUP)["requests"] == 1, mode
    assert held(sim) == {"SO-hang-R1": 1, "SO-drop-R1": 1, "SO-error-R1": 1}


async def test_a_request_dropped_before_handling_is_looked_up_then_resent_with_its_key(
    sim: ScendSim, scend: ContractRestAdapter, stocked: list[str]
) -> None:
    sim.set_faults(http=[fault("drop", times=1)])
    await scend.create_order(order("SO-2-R1"))
    assert route(sim, POST) == {
        "requests": 2,
        "status 201": 1,
        "status 499": 1,
        "fault drop": 1,
        "replays": 0,
    }
    assert route(sim, LOOKUP)["requests"] == 1
    assert held(sim) == {"SO-2-R1": 1}


async def test_a_5xx_before_handling_is_looked_up_then_resent(
    sim: ScendSim, scend: ContractRestAdapter, stocked: list[str]
) -> None:
    for status in (500, 502, 504):
        sim.stats.clear()
        sim.set_faults(http=[fault("error", status=status, times=1)])
        await scend.create_order(order(f"SO-{status}-R1"))
        assert route(sim, POST)["requests"] == 2, status
        assert route(sim, LOOKUP)["requests"] == 1, status
    assert set(held(sim).values()) == {1}


async def test_a_503_with_retry_after_was_refused_before_handling_and_is_resent_without_a_lookup(
    sim: ScendSim, scend: ContractRestAdapter, stocked: list[str]
) -> None:
    sim.set_faults(http=[fault("error", status=503, retry_after=2, times=1)])
    await scend.create_order(order("SO-503-R1"))
    assert route(sim, POST)["requests"] == 2
    assert route(sim, LOOKUP)["requests"] == 0
    assert held(sim) == {"SO-503-R1": 1}


async def test_an_injected_429_and_a_short_maintenance_are_waited_out_without_a_lookup(
    sim: ScendSim, scend: ContractRestAdapter, stocked: list[str], shared_time: SharedTime
) -> None:
    sim.set_faults(
        http=[
            fault("rate_limit", retry_after=7, times=1),
            fault("maintenance", retry_after=5, times=1),
        ]
    )
    await scend.create_order(order("SO-3-R1"))
    assert route(sim, POST)["requests"] == 3
    assert route(sim, LOOKUP)["requests"] == 0
    assert [w for w in shared_time.waits if w >= 5] == [pytest.approx(7, abs=0.5), pytest.approx(5, abs=0.5)]
    assert held(sim) == {"SO-3-R1": 1}


async def test_a_long_maintenance_goes_back_to_the_shell_as_rate_limited(
    sim: ScendSim, scend: ContractRestAdapter, stocked: list[str]
) -> None:
    sim.set_faults(http=[fault("maintenance", retry_after=600)])
    with pytest.raises(RateLimited) as raised:
        await scend.create_order(order("SO-4-R1"))
    assert raised.value.retry_after == 600
    assert route(sim, POST)["requests"] == 1
    assert held(sim) == {}


async def test_the_simulators_own_limit_is_honoured_and_never_hit_with_our_budget_set_to_it(
    start_sim: StartSim, make_adapter: MakeAdapter, shared_time: SharedTime
) -> None:
    # GIVEN Scend allows 5 requests a minute
    sim = await start_sim(rate_limit_per_minute=5)
    sim.warehouse.upsert_product("MUG-1", ProductIn(description="Mug"))
    sim.warehouse.set_stock("MUG-1", 100)
    # WHEN an adapter with a bigger budget sends 8 orders, Scend answers 429 with the rest of its
    # minute, which is too long to wait in a call: the shell is told when to come back
    eager = make_adapter(base_url=sim.base_url, requests_per_minute=100)
    told: list[float | None] = []
    for n in range(8):
        while True:
            try:
                await eager.create_order(order(f"SO-E{n}-R1"))
                break
            except RateLimited as error:
                told.append(error.retry_after)
                await shared_time.sleep(error.retry_after or 1)  # the shell's scheduled retry
    assert route(sim, POST)["status 429"] == len(told) > 0
    assert all(t is not None and 0 < t <= 60 for t in told)
    # AND an adapter whose budget is Scend's limit sends 8 more without a single 429: its own
    # budget hands the wait for the next minute back to the shell before Scend has to refuse
    await shared_time.sleep(60)
    sim.stats.clear()
    polite = make_adapter(base_url=sim.base_url, requests_per_minute=5)
    held_back: list[float | None] = []
    for n in range(8):
        while True:
            try:
                await polite.create_order(order(f"SO-P{n}-R1"))
                break
            except RateLimited as error:
                held_back.append(error.retry_after)
                await shared_time.sleep(error.retry_after or 1)
    assert route(sim, POST) == {"requests": 8, "status 201": 8, "replays": 0}
    assert len(held_back) == 1
    assert all(t is not None and 30 < t <= 60 for t in held_back)
    assert len(held(sim)) == 16
    assert set(held(sim).values()) == {1}


async def test_a_lookup_that_keeps_failing_after_a_lost_answer_is_in_doubt_then_resolves_later(
    sim: ScendSim, scend: ContractRestAdapter, stocked: list[str]
) -> None:
    # GIVEN the order commits, its answer is lost and every lookup fails
    sim.set_faults(http=[fault("timeout_after_commit", mode="drop", times=1), fault("error", method="GET")])
    with pytest.raises(InDoubt):
        await scend.create_order(order("SO-5-R1"))
    assert route(sim, POST)["requests"] == 1  # never resent while in doubt
    # WHEN the message is retried after Scend recovered
    sim.set_faults(http=[])
    again = await scend.create_order(order("SO-5-R1"))
    # THEN the one order is the result
    assert held(sim) == {"SO-5-R1": 1}
    assert again.id == sim.state.order_refs["SO-5-R1"]


async def test_an_order_that_keeps_failing_is_transient_and_nothing_is_held(
    sim: ScendSim, scend: ContractRestAdapter, stocked: list[str]
) -> None:
    sim.set_faults(http=[fault("error", status=500)])
    with pytest.raises(TransientError) as raised:
        await scend.create_order(order("SO-6-R1"))
    assert not isinstance(raised.value, InDoubt)  # every lookup said: not there
    assert route(sim, POST)["requests"] == 4
    assert held(sim) == {}


async def test_a_slow_answer_within_the_timeout_is_just_slow(
    sim: ScendSim, scend: ContractRestAdapter, stocked: list[str]
) -> None:
    sim.set_faults(http=[fault("latency", latency_ms=100)])
    await scend.create_order(order("SO-7-R1"))
    assert route(sim, POST)["requests"] == 1


async def test_a_read_slower_than_the_timeout_is_read_again(
    sim: ScendSim, scend: ContractRestAdapter, stocked: list[str]
) -> None:
    await scend.create_order(order("SO-8-R1"))
    sim.set_faults(http=[fault("latency", method="GET", latency_ms=1500, times=1)])
    assert await scend.get_order_by_reference("SO-8-R1") is not None
    assert route(sim, LOOKUP)["requests"] == 2


async def test_every_post_carried_the_derived_idempotency_key(
    sim: ScendSim, scend: ContractRestAdapter, stocked: list[str]
) -> None:
    # GIVEN the order was created by this adapter, THEN a raw POST with the derived key is a replay
    await scend.create_order(order("SO-9-R1"))
    body = order("SO-9-R1").model_dump(mode="json", exclude_none=True)
    async with httpx.AsyncClient(base_url=sim.base_url, trust_env=False) as raw:
        replay = await raw.post(
            "/orders",
            json=body,
            headers={
                "Authorization": f"Bearer {sim.api_key}",
                "Idempotency-Key": idempotency_key("POST /orders", "SO-9-R1"),
            },
        )
    assert replay.status_code == 201
    assert replay.headers["Idempotent-Replayed"] == "true"


# Duplicates and refusals


async def test_an_order_created_by_someone_else_is_a_duplicate_resolved_to_the_existing_order(
    sim: ScendSim, scend: ContractRestAdapter, stocked: list[str]
) -> None:
    # GIVEN the reference exists already, created under another Idempotency-Key
    first = await scend.create_order(order("SO-10-R1"))
    async with httpx.AsyncClient(base_url=sim.base_url, trust_env=False) as raw:
        await raw.post(
            "/orders",
            json=order("SO-11-R1").model_dump(mode="json", exclude_none=True),
            headers={"Authorization": f"Bearer {sim.api_key}", "Idempotency-Key": "someone-else"},
        )
    # WHEN we release SO-11-R1 THEN 409 DUPLICATE_REFERENCE is success with Scend's record
    existing = await scend.create_order(order("SO-11-R1"))
    assert existing.id == sim.state.order_refs["SO-11-R1"] != first.id
    assert sim.stats.duplicates["orders"]["SO-11-R1"] == 1
    assert held(sim) == {"SO-10-R1": 1, "SO-11-R1": 1}


@pytest.mark.parametrize(
    ("request_", "exception_type", "fields"),
    [
        (order("SO-20-R1", ("NOT-A-SKU", 1)), "SKU_NOT_IN_WMS", ["lines[0].sku"]),
        (order("SO-21-R1", service="PIGEON"), "MAPPING_MISSING", ["service_code"]),
        (order("SO-22-R1", postcode="NOWHERE"), "ORDER_REJECTED_BY_WMS", ["ship_to.postcode"]),
    ],
    ids=["unknown-sku", "unknown-service", "invalid-address"],
)
async def test_a_refused_order_is_permanent_with_its_owner_and_nothing_is_held(
    sim: ScendSim,
    scend: ContractRestAdapter,
    stocked: list[str],
    request_: OrderRequest,
    exception_type: str,
    fields: list[str],
) -> None:
    with pytest.raises(ScendRejected) as raised:
        await scend.create_order(request_)
    assert (raised.value.exception_type, raised.value.fields) == (exception_type, fields)
    assert route(sim, POST)["requests"] == 1
    assert held(sim) == {}
    for personal in ("Ada", "Lovelace", "Analytical", "NOWHERE", "example.com"):
        assert personal not in str(raised.value)


async def test_an_order_held_for_an_unknown_sku_is_created_once_the_item_is_exported(
    sim: ScendSim, scend: ContractRestAdapter, stocked: list[str]
) -> None:
    # GIVEN the order was refused because Scend did not know NEW-1 yet
    request = order("SO-30-R1", ("NEW-1", 1))
    with pytest.raises(ScendRejected, match="SKU_NOT_IN_WMS"):
        await scend.create_order(request)
    # WHEN the item export has sent NEW-1 and the order is re-driven (same body, same business key)
    await scend.upsert_product(product("NEW-1"))
    created = await scend.create_order(request)
    # THEN it is created once: Scend replayed the stored refusal, the adapter asked under the next key
    assert held(sim) == {"SO-30-R1": 1}
    assert created.lines[0].sku == "NEW-1"
    assert route(sim, POST) == {"requests": 3, "status 422": 2, "status 201": 1, "replays": 1}


async def test_a_wrong_api_key_is_scend_auth_failed(make_adapter: MakeAdapter, sim: ScendSim) -> None:
    scend = make_adapter(api_key="not-the-key")
    with pytest.raises(ScendRejected) as raised:
        await scend.get_order_by_reference("SO-1-R1")
    assert raised.value.exception_type == "SCEND_AUTH_FAILED"
    assert "not-the-key" not in str(raised.value)


# Cancel


async def test_an_accepted_order_is_cancelled_and_a_second_cancel_is_still_success(
    sim: ScendSim, scend: ContractRestAdapter, stocked: list[str]
) -> None:
    created = await scend.create_order(order("SO-40-R1", ("MUG-1", 3)))
    assert (await scend.cancel_order(created.id)).status == "cancelled"
    assert (await scend.cancel_order(created.id, version="2")).status == "cancelled"
    assert sim.state.orders[created.id].lines[0].qty_cancelled == 3


async def test_a_cancel_whose_answer_was_lost_is_not_sent_again(
    sim: ScendSim, scend: ContractRestAdapter, stocked: list[str]
) -> None:
    created = await scend.create_order(order("SO-41-R1"))
    sim.set_faults(http=[fault("timeout_after_commit", path="/v1/orders/*/cancel", mode="hang", times=1)])
    assert (await scend.cancel_order(created.id)).status == "cancelled"
    assert route(sim, "POST /v1/orders/{id}/cancel")["requests"] == 1
    assert route(sim, "GET /v1/orders/{id}")["requests"] == 1


async def test_a_partial_cancel_cancels_only_its_units(
    sim: ScendSim, scend: ContractRestAdapter, stocked: list[str]
) -> None:
    created = await scend.create_order(order("SO-42-R1", ("MUG-1", 3), ("MUG-2", 2)))
    result = await scend.cancel_order(created.id, [CancelLine(line_ref="10000", quantity=2)], version="v2")
    assert result.status == "accepted"
    lines = sim.state.orders[created.id].lines
    assert [(line.qty_ordered, line.qty_cancelled) for line in lines] == [(3, 2), (2, 0)]


async def test_an_order_being_picked_is_not_cancellable_with_its_status(
    sim: ScendSim, scend: ContractRestAdapter, stocked: list[str]
) -> None:
    created = await scend.create_order(order("SO-43-R1"))
    sim.warehouse.start_picking(created.id)
    with pytest.raises(OrderNotCancellable) as raised:
        await scend.cancel_order(created.id)
    assert raised.value.current_status == "picking"
    assert sim.state.orders[created.id].status == "picking"


async def test_cancelling_an_order_scend_never_had_is_order_not_in_wms(
    sim: ScendSim, scend: ContractRestAdapter
) -> None:
    with pytest.raises(ScendRejected) as raised:
        await scend.cancel_order("ord_99999999")
    assert raised.value.exception_type == "ORDER_NOT_IN_WMS"
