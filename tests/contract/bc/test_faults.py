"""Every fault knob of the simulator, with exact outcomes: never a lost or a doubled write.

Each test asserts what the client raised or returned, how many requests BC saw, and how many
documents were posted.
"""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal

import pytest

from local.bc_sim import BcSim, FaultPlan, FaultRule
from shared.bc.client import BcClient
from shared.bc.errors import BcRecordNotFound
from shared.bc.models import (
    CreditMemoDraft,
    CreditMemoLineDraft,
    ShipmentConfirmationDraft,
    ShipmentConfirmationLineDraft,
)
from shared.errors import InDoubt, RateLimited, TransientError
from tests.contract.bc.conftest import ClientFactory
from tests.contract.bc.support import Sleeps, posted, released_order, requests_to, seed

ITEMS = "GET /api/v2.0/companies({id})/items"
MEMOS = "POST /api/v2.0/companies({id})/salesCreditMemos"
SHIP_AND_INVOICE = "POST /api/v2.0/companies({id})/salesOrders({id})/Microsoft.NAV.shipAndInvoice"
CONFIRMATIONS = "POST /api/scendIntegration/warehouse/v1.0/companies({id})/shipmentConfirmations"
POST_CONFIRMATION = (
    "POST /api/scendIntegration/warehouse/v1.0/companies({id})/shipmentConfirmations({id})/Microsoft.NAV.post"
)


def faults(sim: BcSim, method: str, path: str, **knobs: object) -> None:
    sim.faults.set(
        FaultPlan(seed=7, rules=[FaultRule(method=method, path=f"*{path.split(' ', 1)[1]}", **knobs)])
    )  # type: ignore[arg-type]


def statuses(sim: BcSim, route: str) -> dict[str, int]:
    return requests_to(sim, route)["statuses"]  # type: ignore[no-any-return]


async def settle() -> None:
    """Let the simulator finish recording requests the client gave up on."""
    await asyncio.sleep(0.05)


def memo_draft(customer_id: object, item_id: object, reference: str = "RET-1") -> CreditMemoDraft:
    return CreditMemoDraft(
        customer_id=customer_id,  # type: ignore[arg-type]
        external_document_number=reference,
        sales_credit_memo_lines=[CreditMemoLineDraft(item_id=item_id, quantity=Decimal(1))],  # type: ignore[arg-type]
    )


async def memo_parties(sim: BcSim) -> tuple[str, str]:
    created = seed(sim, items=1, customers=1, locations=1)
    return created["customers"][0]["id"], created["items"][0]["id"]


# --- latency ---------------------------------------------------------------------------------------


async def test_latency_within_the_timeout_only_slows_the_read(sim: BcSim, bc: BcClient) -> None:
    seed(sim, items=2)
    faults(sim, "GET", ITEMS, latency_ms=300)
    started = time.monotonic()
    items = [i async for i in bc.master.iter_items()]
    assert len(items) == 2
    assert time.monotonic() - started >= 0.3
    assert statuses(sim, ITEMS) == {"200": 1}


async def test_latency_beyond_the_timeout_fails_a_read_as_transient_after_every_attempt(
    sim: BcSim, make_client: ClientFactory
) -> None:
    seed(sim, items=1)
    faults(sim, "GET", ITEMS, latency_ms=600)
    bc = await make_client(bc_request_timeout_seconds=0.15)
    with pytest.raises(TransientError) as raised:
        [i async for i in bc.master.iter_items()]
    assert type(raised.value) is TransientError
    assert sim.faults.snapshot()["matched"] == [4]  # four sends, then the trigger shell takes over


# --- 5xx ---------------------------------------------------------------------------------------------


async def test_a_read_failing_once_with_503_succeeds_on_the_next_send_after_retry_after(
    sim: BcSim, make_client: ClientFactory
) -> None:
    seed(sim, items=1)
    faults(sim, "GET", ITEMS, error_rate=1, error_status=503, retry_after_seconds=2, times=1)
    sleeps = Sleeps()
    bc = await make_client(sleeps=sleeps)
    assert len([i async for i in bc.master.iter_items()]) == 1
    assert statuses(sim, ITEMS) == {"503": 1, "200": 1}
    assert len(sleeps.pauses) == 1
    assert sleeps.pauses[0] >= 2


async def test_a_read_always_failing_with_500_is_transient_after_four_sends(sim: BcSim, bc: BcClient) -> None:
    seed(sim, items=1)
    faults(sim, "GET", ITEMS, error_rate=1, error_status=500)
    with pytest.raises(TransientError):
        [i async for i in bc.master.iter_items()]
    assert statuses(sim, ITEMS) == {"500": 4}


async def test_a_create_answered_502_is_in_doubt_and_resolved_by_lookup_without_a_double(
    sim: BcSim, bc: BcClient
) -> None:
    # GIVEN BC answers the first create with 502 (and did nothing)
    customer, item = await memo_parties(sim)
    faults(sim, "POST", MEMOS, error_rate=1, error_status=502, times=1)
    # WHEN the draft credit memo is created
    with pytest.raises(InDoubt):
        await bc.sales.create_draft_credit_memo(memo_draft(customer, item))
    # THEN it was sent once; the lookup finds nothing, so the next attempt creates it, once
    assert statuses(sim, MEMOS) == {"502": 1}
    assert await bc.sales.find_credit_memos(external_document_number="RET-1") == []
    await bc.sales.create_draft_credit_memo(memo_draft(customer, item))
    assert len(await bc.sales.find_credit_memos(external_document_number="RET-1")) == 1


# --- 429 bursts ----------------------------------------------------------------------------------------


async def test_a_429_burst_is_waited_out_honouring_retry_after(
    sim: BcSim, make_client: ClientFactory
) -> None:
    seed(sim, items=1)
    faults(sim, "GET", ITEMS, throttle_after=0, throttle_burst=2, retry_after_seconds=3)
    sleeps = Sleeps()
    bc = await make_client(sleeps=sleeps)
    assert len([i async for i in bc.master.iter_items()]) == 1
    assert statuses(sim, ITEMS) == {"429": 2, "200": 1}
    assert len(sleeps.pauses) == 2
    assert min(sleeps.pauses) >= 3


async def test_a_429_asking_for_a_long_pause_is_left_to_the_trigger_shell(sim: BcSim, bc: BcClient) -> None:
    seed(sim, items=1)
    faults(sim, "GET", ITEMS, throttle_after=0, throttle_burst=5, retry_after_seconds=120)
    with pytest.raises(RateLimited) as raised:
        [i async for i in bc.master.iter_items()]
    assert raised.value.retry_after == 120
    assert statuses(sim, ITEMS) == {"429": 1}


async def test_a_throttled_posting_is_sent_again_and_posts_once(sim: BcSim, bc: BcClient) -> None:
    order = await bc.sales.find_order(released_order(sim, (2,)))
    assert order is not None
    faults(sim, "POST", SHIP_AND_INVOICE, throttle_after=0, throttle_burst=1, retry_after_seconds=1)
    await bc.sales.post_shipment_and_invoice(order, {(order.sales_order_lines or [])[0].id: Decimal(2)})
    assert statuses(sim, SHIP_AND_INVOICE) == {"429": 1, "204": 1}
    assert posted(sim)["by_order"] == {order.number: {"salesShipment": 1, "salesInvoice": 1}}


# --- dropped connections ----------------------------------------------------------------------------


async def test_a_read_whose_connection_drops_is_sent_again(sim: BcSim, bc: BcClient) -> None:
    seed(sim, items=3)
    faults(sim, "GET", ITEMS, drop_rate=1, times=1)
    assert len([i async for i in bc.master.iter_items()]) == 3
    await settle()
    assert statuses(sim, ITEMS) == {"dropped": 1, "200": 1}


async def test_a_posting_whose_connection_drops_is_in_doubt_and_never_resent_blindly(
    sim: BcSim, bc: BcClient
) -> None:
    # GIVEN the connection drops before BC handled the posting
    order = await bc.sales.find_order(released_order(sim, (2,)))
    assert order is not None
    line = (order.sales_order_lines or [])[0]
    faults(sim, "POST", SHIP_AND_INVOICE, drop_rate=1, times=1)
    # WHEN the shipment is posted
    with pytest.raises(InDoubt):
        await bc.sales.post_shipment_and_invoice(order, {line.id: Decimal(2)})
    await settle()
    # THEN it was sent once and nothing was posted; the flow's lookup sees nothing shipped and posts again
    assert statuses(sim, SHIP_AND_INVOICE) == {"dropped": 1}
    assert posted(sim)["by_order"] == {}
    assert await bc.sales.find_shipments(order_number=order.number) == []
    fresh = await bc.sales.get_order(order.id)
    assert (fresh.sales_order_lines or [])[0].shipped_quantity == 0
    await bc.sales.post_shipment_and_invoice(fresh, {line.id: Decimal(2)})
    assert posted(sim)["by_order"] == {order.number: {"salesShipment": 1, "salesInvoice": 1}}


# --- committed, then the answer is lost --------------------------------------------------------------


async def test_a_credit_memo_committed_then_dropped_is_in_doubt_and_found_exactly_once(
    sim: BcSim, bc: BcClient
) -> None:
    customer, item = await memo_parties(sim)
    faults(sim, "POST", MEMOS, commit_then_drop_rate=1, times=1)
    with pytest.raises(InDoubt):
        await bc.sales.create_draft_credit_memo(memo_draft(customer, item))
    await settle()
    assert statuses(sim, MEMOS) == {"dropped": 1}  # sent once: the client did not write twice
    (memo,) = await bc.sales.find_credit_memos(external_document_number="RET-1")  # the lookup finds it
    assert memo.status == "Draft"
    assert len(sim.state.rows("salesCreditMemos")) == 1


async def test_a_posting_committed_then_timed_out_is_in_doubt_sent_once_and_found(
    sim: BcSim, make_client: ClientFactory
) -> None:
    # GIVEN BC commits the posting, then holds the connection past the client's timeout
    number = released_order(sim, (3, 1))
    bc = await make_client(bc_request_timeout_seconds=0.3)
    order = await bc.sales.find_order(number)
    assert order is not None
    first = (order.sales_order_lines or [])[0]
    faults(sim, "POST", SHIP_AND_INVOICE, commit_then_hang_rate=1, hang_seconds=0.6, times=1)
    # WHEN the shipment is posted
    with pytest.raises(InDoubt):
        await bc.sales.post_shipment_and_invoice(order, {first.id: Decimal(3)})
    # THEN the action was sent once, and the in-doubt lookups find the one posted shipment
    assert sim.faults.snapshot()["matched"] == [1]
    (shipment,) = await bc.sales.find_shipments(order_number=number)
    after = await bc.sales.get_order(order.id)
    assert [ln.shipped_quantity for ln in after.sales_order_lines or []] == [3, 0]
    assert posted(sim)["by_order"] == {number: {"salesShipment": 1, "salesInvoice": 1}}
    assert shipment.order_number == number
    await asyncio.sleep(0.6)  # the held connection closes
    assert statuses(sim, SHIP_AND_INVOICE) == {"dropped": 1}


async def test_a_full_posting_committed_then_dropped_deletes_the_order_and_is_found_by_order_number(
    sim: BcSim, bc: BcClient
) -> None:
    # GIVEN BC posts the whole order (which deletes it, fully invoiced) and the answer is lost
    number = released_order(sim, (2,))
    order = await bc.sales.find_order(number)
    assert order is not None
    faults(sim, "POST", SHIP_AND_INVOICE, commit_then_drop_rate=1, times=1)
    with pytest.raises(InDoubt):
        await bc.sales.post_shipment_and_invoice(order, {(order.sales_order_lines or [])[0].id: Decimal(2)})
    # THEN the order is gone, and the shipment is found by the order's number: posted once
    with pytest.raises(BcRecordNotFound):
        await bc.sales.get_order(order.id)
    (shipment,) = await bc.sales.find_shipments(order_number=number)
    assert shipment.order_number == number
    assert posted(sim)["by_order"] == {number: {"salesShipment": 1, "salesInvoice": 1}}


async def test_extension_create_and_post_committed_then_lost_are_repeated_safely_and_post_once(
    sim: BcSim, make_client: ClientFactory
) -> None:
    # GIVEN both the create and the post commit and then lose their answers
    number = released_order(sim, (2,))
    bc = await make_client(bc_request_timeout_seconds=0.3)
    order = await bc.sales.find_order(number)
    assert order is not None
    line = (order.sales_order_lines or [])[0]
    sim.faults.set(
        FaultPlan(
            rules=[
                FaultRule(method="POST", path="*/shipmentConfirmations", commit_then_drop_rate=1, times=1),
                FaultRule(
                    method="POST",
                    path="*/Microsoft.NAV.post",
                    commit_then_hang_rate=1,
                    hang_seconds=0.6,
                    times=1,
                ),
            ]
        )
    )
    draft = ShipmentConfirmationDraft(
        scend_shipment_id="SHP-1",
        sales_order_id=order.id,
        package_tracking_number="TRACK-1",
        shipment_confirmation_lines=[ShipmentConfirmationLineDraft(sales_order_line_id=line.id, quantity=2)],
    )
    # WHEN the despatch is posted through the extension
    confirmation = await bc.warehouse.post_shipment(draft)
    # THEN each idempotent step was simply sent again, and exactly one shipment exists
    assert confirmation.status == "Posted"
    await asyncio.sleep(0.6)
    assert statuses(sim, CONFIRMATIONS) == {"dropped": 1, "201": 1}
    assert statuses(sim, POST_CONFIRMATION) == {"dropped": 1, "200": 1}
    assert posted(sim)["by_scend_id"] == {"salesShipment": {"SHP-1": 1}}
    assert len(sim.state.rows("shipmentConfirmations")) == 1
