"""The retry loop, driven by the outcome table: fail once, always fail, fail then succeed."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest

from shared.bc.auth import TokenSource
from shared.bc.errors import BcAccessDenied, BcRecordNotFound, BcRequestRejected
from shared.errors import ConcurrencyConflict, InDoubt, RateLimited, TransientError
from tests.unit.bc.support import (
    COMPANY_ROOT,
    ORDER_ID,
    Credentials,
    Script,
    Sleeps,
    a_client,
    bc_error,
    ok,
    order_line,
    sales_order,
)

ORDER_URL = f"{COMPANY_ROOT}/salesOrders({ORDER_ID})"


async def test_a_read_that_fails_once_with_503_is_sent_again_after_retry_after() -> None:
    # GIVEN BC answers 503 with Retry-After: 7 once, then the order
    script, sleeps = (
        Script([bc_error(503, "Internal_ServiceUnavailable", **{"Retry-After": "7"}), ok(sales_order())]),
        Sleeps(),
    )
    async with a_client(script, sleeps=sleeps) as bc:
        # WHEN the order is read
        order = await bc.sales.get_order(ORDER_ID)
    # THEN it is read on the second send, after a pause of at least 7 s
    assert order.number == "SO1001"
    assert len(script.requests) == 2
    (pause,) = sleeps.pauses
    assert pause >= 7


async def test_a_read_that_always_fails_with_500_gives_up_after_the_attempts_as_transient() -> None:
    script, sleeps = Script([bc_error(500, "Internal_ServerError")] * 4), Sleeps()
    async with a_client(script, sleeps=sleeps) as bc:
        with pytest.raises(TransientError) as raised:
            await bc.sales.get_order(ORDER_ID)
    assert type(raised.value) is TransientError
    assert len(script.requests) == 4
    # jittered exponential: each pause in [ceiling/2, ceiling] with ceilings 1, 2, 4
    assert len(sleeps.pauses) == 3
    for pause, ceiling in zip(sleeps.pauses, (1, 2, 4), strict=True):
        assert ceiling / 2 <= pause <= ceiling


async def test_a_read_that_fails_twice_then_succeeds_returns_the_answer() -> None:
    script = Script([httpx.ReadTimeout("slow"), httpx.RemoteProtocolError("dropped"), ok(sales_order())])
    async with a_client(script) as bc:
        order = await bc.sales.get_order(ORDER_ID)
    assert order.status == "Open"
    assert len(script.requests) == 3


async def test_429_with_a_long_retry_after_is_left_to_the_trigger_shell_at_once() -> None:
    script, sleeps = (
        Script([bc_error(429, "Application_TooManyRequests", **{"Retry-After": "120"})]),
        Sleeps(),
    )
    async with a_client(script, sleeps=sleeps) as bc:
        with pytest.raises(RateLimited) as raised:
            await bc.sales.get_order(ORDER_ID)
    assert raised.value.retry_after == 120
    assert len(script.requests) == 1
    assert sleeps.pauses == []


async def test_429_every_time_ends_rate_limited_with_the_last_retry_after() -> None:
    script = Script([bc_error(429, "Application_TooManyRequests", **{"Retry-After": "2"})] * 4)
    sleeps = Sleeps()
    async with a_client(script, sleeps=sleeps) as bc:
        with pytest.raises(RateLimited) as raised:
            await bc.master.get_item(ORDER_ID)
    assert raised.value.retry_after == 2
    assert len(script.requests) == 4
    assert all(pause >= 2 for pause in sleeps.pauses)


async def test_a_posting_action_that_times_out_is_in_doubt_and_never_sent_twice() -> None:
    # GIVEN BC commits the posting but the answer never arrives
    script = Script([httpx.ReadTimeout("no answer")])
    async with a_client(script) as bc:
        # WHEN the order is posted
        with pytest.raises(InDoubt):
            await bc.sales.ship_and_invoice(ORDER_ID)
    # THEN the action was sent exactly once
    assert [r.method for r in script.requests] == ["POST"]


@pytest.mark.parametrize(
    "answer",
    [
        bc_error(500, "Internal_ServerError"),
        bc_error(502, "x"),
        bc_error(504, "x"),
        bc_error(408, "x"),
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
    ],
    ids=["500", "502", "504", "408", "dropped"],
)
async def test_a_once_only_write_with_an_ambiguous_outcome_is_in_doubt(
    answer: httpx.Response | Exception,
) -> None:
    script = Script([answer])
    async with a_client(script) as bc:
        with pytest.raises(InDoubt):
            await bc.sales.ship_and_invoice(ORDER_ID)
    assert len(script.requests) == 1


@pytest.mark.parametrize(
    "refusal",
    [bc_error(429, "x"), bc_error(503, "x"), httpx.ConnectError("refused")],
    ids=["429", "503", "never-connected"],
)
async def test_a_once_only_write_refused_before_it_ran_is_sent_again(
    refusal: httpx.Response | Exception,
) -> None:
    script = Script([refusal, ok()])
    async with a_client(script) as bc:
        await bc.sales.ship_and_invoice(ORDER_ID)
    assert [r.method for r in script.requests] == ["POST", "POST"]


async def test_401_refreshes_the_token_once_and_sends_again() -> None:
    # GIVEN BC refuses the first token (revoked before it expired)
    credentials = Credentials()
    tokens = TokenSource(credentials)
    script = Script([bc_error(401, "Authentication_InvalidCredentials"), ok(sales_order())])
    async with a_client(script, tokens=tokens) as bc:
        # WHEN the order is read
        await bc.sales.get_order(ORDER_ID)
    # THEN a new credential (a new cache) gave a new token, and the request went again with it
    assert [r.headers["Authorization"] for r in script.requests] == ["Bearer token-1", "Bearer token-2"]
    assert tokens.refreshes == 1
    assert all(c.closed for c in credentials.made)  # closed with the client


async def test_401_twice_is_access_denied_after_exactly_one_refresh() -> None:
    tokens = TokenSource(Credentials())
    script = Script([bc_error(401, "Authentication_InvalidCredentials")] * 2)
    async with a_client(script, tokens=tokens) as bc:
        with pytest.raises(BcAccessDenied):
            await bc.sales.get_order(ORDER_ID)
    assert len(script.requests) == 2
    assert tokens.refreshes == 1


async def test_a_stale_etag_is_a_concurrency_conflict_and_not_retried() -> None:
    # GIVEN an order line read with its ETag, changed in BC since
    script = Script([ok(sales_order(salesOrderLines=[order_line()])), bc_error(409, "Request_EntityChanged")])
    async with a_client(script) as bc:
        (line,) = (await bc.sales.get_order(ORDER_ID)).sales_order_lines or []
        # WHEN its quantity to ship is set
        with pytest.raises(ConcurrencyConflict):
            await bc.sales.set_line_quantities(line, ship=Decimal(2))
    # THEN the PATCH carried the ETag read, and was sent once
    patch = script.requests[-1]
    assert patch.method == "PATCH"
    assert patch.headers["If-Match"] == 'W/"line-10000"'
    assert len([r for r in script.requests if r.method == "PATCH"]) == 1


async def test_a_rejected_write_names_bcs_code_and_the_document_but_not_bcs_message() -> None:
    script = Script([bc_error(400, "Application_DialogException", "Customer Ada Lovelace is blocked.")])
    async with a_client(script) as bc:
        with pytest.raises(BcRequestRejected) as raised:
            await bc.sales.ship_and_invoice(ORDER_ID, business_key="SO1001")
    assert raised.value.bc_code == "Application_DialogException"
    assert raised.value.business_key == "SO1001"
    assert "Ada" not in str(raised.value)
    assert str(raised.value) == (
        "BC_REQUEST_REJECTED: POST salesOrders/shipAndInvoice → HTTP 400 Application_DialogException"
    )


async def test_a_missing_record_is_record_not_found() -> None:
    script = Script([bc_error(404, "Internal_RecordNotFound")])
    async with a_client(script) as bc:
        with pytest.raises(BcRecordNotFound):
            await bc.sales.get_order(ORDER_ID)
    assert len(script.requests) == 1
