"""Order writes: one order per reference, whatever the network does between us and Scend."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from shared.errors import InDoubt, RateLimited, TransientError
from shared.scend.http import idempotency_key, next_idempotency_key
from shared.scend.models import Cancellation, CancelLine
from shared.scend.outcomes import OrderNotCancellable, ScendRejected
from tests.unit.scend.support import (
    Script,
    Sleeps,
    listing,
    make_adapter,
    ok,
    order_json,
    order_request,
    problem,
    timeout,
)

LOOKUP = "GET /orders?client_reference=SO-1042-R1"


def test_the_idempotency_key_is_derived_from_the_business_key_alone() -> None:
    # GIVEN the key an earlier release of this code sent for SO-1042-R1 (pinned: a message retried
    # across a deployment must still send the same key)
    pinned = "9cc6fbe4-e45f-521a-8684-103481aa2d88"
    # THEN the same write gives the same key; another reference or operation gives another
    assert idempotency_key("POST /orders", "SO-1042-R1") == idempotency_key("POST /orders", "SO-1042-R1")
    assert idempotency_key("POST /orders", "SO-1042-R1") != idempotency_key("POST /orders", "SO-1042-R2")
    assert idempotency_key("POST /orders", "SO-1042-R1") != idempotency_key("POST /asns", "SO-1042-R1")
    assert idempotency_key("POST /orders", "SO-1042-R1") == pinned


async def test_a_created_order_sends_bearer_key_idempotency_key_and_the_request() -> None:
    # GIVEN Scend accepts the order
    script = Script([ok(order_json(), 201)])
    async with make_adapter(script) as scend:
        # WHEN it is created
        order = await scend.create_order(order_request())
    # THEN one POST carried the key, the derived Idempotency-Key and the order; the record is returned
    assert script.sent == ["POST /orders"]
    request = script.requests[0]
    assert request.headers["Authorization"] == "Bearer unit-test-key"
    assert request.headers["Idempotency-Key"] == idempotency_key("POST /orders", "SO-1042-R1")
    assert script.body(0)["ship_to"]["postcode"] == "SW1A 1AA"
    assert script.body(0)["lines"] == [{"line_ref": "10000", "sku": "1000-BLU", "quantity": 2}]
    assert (order.id, order.client_reference, order.status) == ("ord_1", "SO-1042-R1", "received")


async def test_two_adapters_send_the_same_key_for_the_same_order() -> None:
    # GIVEN two processes (two adapters) sending the same order
    first, second = Script([ok(order_json(), 201)]), Script([ok(order_json(), 201)])
    async with make_adapter(first) as a, make_adapter(second) as b:
        await a.create_order(order_request())
        await b.create_order(order_request())
    # THEN both sent one and the same Idempotency-Key
    assert first.keys() == second.keys()
    assert first.keys()[0] is not None


async def test_a_timeout_then_a_lookup_that_finds_the_order_sends_nothing_again() -> None:
    # GIVEN the POST committed but its answer was lost
    script = Script([timeout(), ok(listing(order_json()))])
    async with make_adapter(script) as scend:
        # WHEN the order is created
        order = await scend.create_order(order_request())
    # THEN the adapter looked the order up instead of sending it again
    assert script.sent == ["POST /orders", LOOKUP]
    assert order.id == "ord_1"


async def test_a_timeout_then_an_empty_lookup_resends_with_the_same_key() -> None:
    # GIVEN the POST timed out and Scend has no such order
    script = Script([timeout(), ok(listing()), ok(order_json(), 201)])
    sleeps = Sleeps()
    async with make_adapter(script, sleeps=sleeps) as scend:
        order = await scend.create_order(order_request())
    # THEN it was sent again only after the lookup, with the same Idempotency-Key
    assert script.sent == ["POST /orders", LOOKUP, "POST /orders"]
    assert script.keys()[0] == script.keys()[1]
    assert order.id == "ord_1"
    assert len(sleeps.calls) == 1


async def test_a_timeout_then_a_failing_lookup_is_in_doubt_and_never_resends() -> None:
    # GIVEN the POST timed out and every lookup fails too
    script = Script([timeout(), *[problem(500, "INTERNAL")] * 4])
    async with make_adapter(script) as scend:
        # WHEN the order is created THEN the outcome is in doubt (transient: retried later)
        with pytest.raises(InDoubt) as raised:
            await scend.create_order(order_request())
    # AND the order was sent exactly once
    assert script.sent == ["POST /orders", *[LOOKUP] * 4]
    assert isinstance(raised.value, TransientError)
    assert "SO-1042-R1" in str(raised.value)


async def test_a_5xx_after_commit_is_looked_up_before_any_resend() -> None:
    # GIVEN Scend committed the order and then answered 502
    script = Script([problem(502), ok(listing(order_json()))])
    async with make_adapter(script) as scend:
        order = await scend.create_order(order_request())
    # THEN the lookup found it and nothing was sent again
    assert script.sent == ["POST /orders", LOOKUP]
    assert order.id == "ord_1"


async def test_a_refused_connection_is_resent_without_a_lookup() -> None:
    # GIVEN the first connection was refused (nothing reached Scend)
    script = Script([httpx.ConnectError("refused"), ok(order_json(), 201)])
    async with make_adapter(script) as scend:
        await scend.create_order(order_request())
    # THEN it was simply sent again
    assert script.sent == ["POST /orders", "POST /orders"]


async def test_a_duplicate_reference_is_success_and_returns_the_existing_order() -> None:
    # GIVEN the order exists already (an earlier attempt landed)
    script = Script(
        [problem(409, "DUPLICATE_REFERENCE", existing_id="ord_9"), ok(order_json(order_id="ord_9"))]
    )
    async with make_adapter(script) as scend:
        order = await scend.create_order(order_request())
    # THEN the existing order is fetched and returned
    assert script.sent == ["POST /orders", "GET /orders/ord_9"]
    assert order.id == "ord_9"


async def test_a_duplicate_without_an_existing_id_is_resolved_by_reference() -> None:
    script = Script([problem(409, "DUPLICATE_REFERENCE"), ok(listing(order_json(order_id="ord_9")))])
    async with make_adapter(script) as scend:
        order = await scend.create_order(order_request())
    assert script.sent == ["POST /orders", LOOKUP]
    assert order.id == "ord_9"


async def test_every_attempt_unanswered_ends_in_doubt_after_the_budget() -> None:
    # GIVEN every POST times out and every lookup finds nothing
    script = Script([timeout(), ok(listing())] * 4)
    async with make_adapter(script) as scend:
        with pytest.raises(InDoubt):
            await scend.create_order(order_request())
    # THEN four attempts, each looked up before the next, all under one key
    assert script.sent == ["POST /orders", LOOKUP] * 4
    assert len(set(script.keys())) == 1


async def test_a_short_retry_after_is_waited_out_and_the_same_key_resent() -> None:
    # GIVEN Scend throttles once, asking for 3 s
    script = Script([problem(429, "RATE_LIMITED", headers={"Retry-After": 3}), ok(order_json(), 201)])
    sleeps = Sleeps()
    async with make_adapter(script, sleeps=sleeps) as scend:
        await scend.create_order(order_request())
    # THEN the adapter waited at least 3 s and resent with the same key, without a lookup (a 429 was
    # refused before it was processed)
    assert script.sent == ["POST /orders", "POST /orders"]
    assert len(set(script.keys())) == 1
    assert sleeps.calls
    assert sleeps.calls[0] >= 3


async def test_a_long_retry_after_goes_back_to_the_shell_as_rate_limited() -> None:
    # GIVEN Scend is down for maintenance for two minutes
    script = Script([problem(503, "UNAVAILABLE", headers={"Retry-After": 120})])
    async with make_adapter(script) as scend:
        with pytest.raises(RateLimited) as raised:
            await scend.create_order(order_request())
    # THEN nothing waited in the call; the shell is told to come back in 120 s
    assert raised.value.retry_after == 120
    assert script.sent == ["POST /orders"]


async def test_a_refusal_carries_codes_and_fields_but_no_personal_data() -> None:
    # GIVEN Scend refuses the address and quotes it back in its messages
    script = Script(
        [
            problem(
                422,
                "INVALID_ADDRESS",
                detail="Postcode SW1A 1AA for Ada Lovelace is not deliverable",
                errors=[{"field": "ship_to.postcode", "code": "INVALID_POSTCODE", "message": "SW1A 1AA"}],
            )
        ]
    )
    async with make_adapter(script) as scend:
        with pytest.raises(ScendRejected) as raised:
            await scend.create_order(order_request())
    error = raised.value
    # THEN it is permanent for customer services, names the field, and quotes nothing personal
    assert error.exception_type == "ORDER_REJECTED_BY_WMS"
    assert error.fields == ["ship_to.postcode"]
    assert "ship_to.postcode=INVALID_POSTCODE" in str(error)
    assert "req-1" in str(error)
    for personal in ("SW1A", "Ada", "Lovelace", "deliverable"):
        assert personal not in str(error)
    assert script.sent == ["POST /orders"]


async def test_an_unknown_sku_is_recognisable_so_the_flow_can_hold_the_order() -> None:
    script = Script(
        [problem(422, "SKU_NOT_FOUND", errors=[{"field": "lines[0].sku", "code": "SKU_NOT_FOUND"}])]
    )
    async with make_adapter(script) as scend:
        with pytest.raises(ScendRejected) as raised:
            await scend.create_order(order_request())
    assert (raised.value.exception_type, raised.value.code, raised.value.fields) == (
        "SKU_NOT_IN_WMS",
        "SKU_NOT_FOUND",
        ["lines[0].sku"],
    )
    assert script.sent == ["POST /orders"]


async def test_the_lookup_by_reference_answers_none_when_scend_has_no_such_order() -> None:
    script = Script([ok(listing())])
    async with make_adapter(script) as scend:
        assert await scend.get_order_by_reference("SO-404") is None
    assert script.sent == ["GET /orders?client_reference=SO-404"]


async def test_the_lookup_ignores_a_record_for_another_reference() -> None:
    # GIVEN a Scend that ignores the filter and lists everything
    script = Script([ok(listing(order_json(ref="SO-1"), order_json(ref="SO-2", order_id="ord_2")))])
    async with make_adapter(script) as scend:
        order = await scend.get_order_by_reference("SO-2")
    assert order is not None
    assert order.id == "ord_2"


# Replayed refusals: a spent key moves to the next key of the chain


def replayed(response: httpx.Response) -> httpx.Response:
    response.headers["Idempotent-Replayed"] = "true"
    return response


async def test_a_replayed_refusal_is_asked_again_under_the_next_key() -> None:
    # GIVEN the order was refused for an unknown SKU yesterday, and Scend replays that answer
    first_key = idempotency_key("POST /orders", "SO-1042-R1")
    script = Script([replayed(problem(422, "SKU_NOT_FOUND")), ok(order_json(), 201)])
    async with make_adapter(script) as scend:
        # WHEN the flow re-drives it after the item export confirmed the SKU
        order = await scend.create_order(order_request())
    # THEN it was asked again under the next key at once, and created
    assert script.keys() == [first_key, next_idempotency_key(first_key)]
    assert order.id == "ord_1"


async def test_a_fresh_refusal_after_a_replayed_one_stands() -> None:
    script = Script([replayed(problem(422, "SKU_NOT_FOUND")), problem(422, "SKU_NOT_FOUND")])
    async with make_adapter(script) as scend:
        with pytest.raises(ScendRejected) as raised:
            await scend.create_order(order_request())
    assert raised.value.exception_type == "SKU_NOT_IN_WMS"
    assert len(script.requests) == 2


async def test_a_key_reused_for_another_body_moves_to_the_next_key() -> None:
    # GIVEN the key was used for an earlier version of the body (e.g. before a mapping change)
    script = Script(
        [
            problem(422, "IDEMPOTENCY_KEY_REUSED"),
            problem(409, "DUPLICATE_REFERENCE", existing_id="ord_1"),
            ok(order_json()),
        ]
    )
    async with make_adapter(script) as scend:
        order = await scend.create_order(order_request())
    # THEN the next key meets the existing order, which is the result
    assert script.sent == ["POST /orders", "POST /orders", "GET /orders/ord_1"]
    assert order.id == "ord_1"


async def test_a_chain_of_spent_keys_is_bounded() -> None:
    script = Script([replayed(problem(422, "SKU_NOT_FOUND"))] * 21)
    async with make_adapter(script) as scend:
        with pytest.raises(ScendRejected) as raised:
            await scend.create_order(order_request())
    assert raised.value.exception_type == "SKU_NOT_IN_WMS"
    assert len(set(script.keys())) == 21


# Cancel


async def test_a_cancel_returns_the_status_scend_reports() -> None:
    script = Script([ok({"status": "cancelled"})])
    async with make_adapter(script) as scend:
        result = await scend.cancel_order("ord_1")
    assert result == Cancellation(order_id="ord_1", status="cancelled")
    assert script.sent == ["POST /orders/ord_1/cancel"]
    assert script.keys() == [idempotency_key("POST /orders/{id}/cancel", "ord_1", "")]


async def test_a_partial_cancel_sends_its_lines_and_a_key_of_its_own() -> None:
    script = Script([ok({"status": "awaiting_picking"}), ok({"status": "awaiting_picking"})])
    async with make_adapter(script) as scend:
        await scend.cancel_order("ord_1", [CancelLine(line_ref="10000", quantity=1)], version="v3")
        await scend.cancel_order("ord_1", [CancelLine(line_ref="10000", quantity=1)], version="v4")
    assert script.body(0) == {"lines": [{"line_ref": "10000", "quantity": 1}]}
    first, second = script.keys()
    assert first != second  # two different BC versions are two cancels


async def test_a_cancel_once_picking_started_is_not_cancellable_with_the_current_status() -> None:
    script = Script([problem(409, "ORDER_NOT_CANCELLABLE", current_status="picking")])
    async with make_adapter(script) as scend:
        with pytest.raises(OrderNotCancellable) as raised:
            await scend.cancel_order("ord_1")
    assert raised.value.exception_type == "ORDER_NOT_CANCELLABLE"
    assert raised.value.current_status == "picking"
    assert script.sent == ["POST /orders/ord_1/cancel"]


async def test_cancelling_an_order_already_cancelled_is_success() -> None:
    script = Script([problem(409, "ORDER_NOT_CANCELLABLE", current_status="cancelled")])
    async with make_adapter(script) as scend:
        assert (await scend.cancel_order("ord_1")).status == "cancelled"


def with_line(order: dict[str, Any], **quantities: int) -> dict[str, Any]:
    return order | {"lines": [order["lines"][0] | quantities]}


async def test_a_cancel_that_timed_out_but_landed_is_not_sent_again() -> None:
    # GIVEN the cancel committed (nothing left open) but its answer was lost
    landed = with_line(order_json(status="cancelled"), qty_cancelled=2)
    script = Script([timeout(), ok(landed)])
    async with make_adapter(script) as scend:
        result = await scend.cancel_order("ord_1")
    # THEN the order was read instead of cancelling again
    assert script.sent == ["POST /orders/ord_1/cancel", "GET /orders/ord_1"]
    assert result.status == "cancelled"


async def test_a_cancel_of_the_rest_of_a_part_despatched_order_that_landed_is_done() -> None:
    # GIVEN one unit left, one was open and is now cancelled: Scend calls the order despatched
    landed = with_line(order_json(status="despatched"), qty_despatched=1, qty_cancelled=1)
    script = Script([timeout(), ok(landed)])
    async with make_adapter(script) as scend:
        result = await scend.cancel_order("ord_1")
    # THEN that is the cancel's outcome; resending would be refused as not cancellable
    assert result == Cancellation(order_id="ord_1", status="despatched")
    assert len(script.requests) == 2


async def test_a_cancel_that_timed_out_and_did_not_land_is_resent_with_its_key() -> None:
    script = Script([timeout(), ok(order_json(status="received")), ok({"status": "cancelled"})])
    async with make_adapter(script) as scend:
        await scend.cancel_order("ord_1")
    assert script.sent == ["POST /orders/ord_1/cancel", "GET /orders/ord_1", "POST /orders/ord_1/cancel"]
    assert len(set(script.keys())) == 1


async def test_a_replayed_not_cancellable_is_asked_again_once_the_order_can_be_cancelled() -> None:
    # GIVEN the cancel was refused while picking; the wave has left and the rest can be cancelled
    script = Script(
        [
            replayed(problem(409, "ORDER_NOT_CANCELLABLE", current_status="picking")),
            ok({"status": "despatched"}),
        ]
    )
    async with make_adapter(script) as scend:
        result = await scend.cancel_order("ord_1")
    assert result.status == "despatched"
    assert len(set(script.keys())) == 2


async def test_cancelling_an_order_scend_does_not_know_is_order_not_in_wms() -> None:
    script = Script([problem(404, "NOT_FOUND")])
    async with make_adapter(script) as scend:
        with pytest.raises(ScendRejected) as raised:
            await scend.cancel_order("ord_404")
    assert raised.value.exception_type == "ORDER_NOT_IN_WMS"
