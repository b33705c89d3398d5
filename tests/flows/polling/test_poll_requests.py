"""Poll-request dispatch: a doorbell's request runs the named poll; an unknown name is parked.

Real components: the doorbell's own poll-request builder, the Settler, the exception store on Azurite.
"""

from __future__ import annotations

import random
from typing import Any

from shared.errors import ConcurrencyConflict
from shared.flows.bc_notifications import POLL_FLOWS, poll_request
from shared.flows.poll_requests import POLLS, PollContext, PollFlow, handle_poll_request
from shared.flows.polling import PollResult
from shared.messaging.envelope import Envelope
from shared.messaging.local import LocalTransport
from shared.messaging.settlement import IncomingMessage, Outcome, Settler
from shared.ops.catalogue import Owner
from shared.retry import Backoff
from shared.store.exceptions import ExceptionStore
from tests.contract.messaging.support import Clock
from tests.flows.polling.conftest import POLL_REQUESTS, START

CONTEXT: Any = object()  # the fake polls below never touch it


def recording(calls: list[str], name: str) -> PollFlow:
    async def run(context: PollContext) -> PollResult:
        calls.append(name)
        return PollResult(name, "bc", read=0, enqueued=0, since=None, signpost=START)

    return run


async def deliver(settler: Settler, flow: str, polls: dict[str, PollFlow]) -> Outcome:
    request = poll_request(flow, START)

    async def handler(envelope: Envelope) -> None:
        await handle_poll_request(envelope, context=CONTEXT, polls=polls)

    incoming = IncomingMessage(queue=POLL_REQUESTS, body=request.body, message_id=request.message_id)
    return await settler.run("poll_requests", incoming, handler)


def settler_for(transport: LocalTransport, exceptions: ExceptionStore, clock: Clock) -> Settler:
    backoff = Backoff(attempts=3, base_seconds=1.0, max_seconds=5.0, max_wait_seconds=60.0)
    return Settler(transport, exceptions, backoff, clock=clock, rng=random.Random(1))


def test_the_items_poll_is_registered_under_the_doorbells_name() -> None:
    assert "poll_bc_items" in POLLS
    assert set(POLLS) <= set(POLL_FLOWS.values())


async def test_a_poll_request_runs_the_named_poll_once(
    transport: LocalTransport, exceptions: ExceptionStore, clock: Clock
) -> None:
    # GIVEN two registered polls
    calls: list[str] = []
    polls = {"poll_bc_items": recording(calls, "items"), "poll_bc_sales_orders": recording(calls, "orders")}
    # WHEN a request for the items poll is delivered
    outcome = await deliver(settler_for(transport, exceptions, clock), "poll_bc_items", polls)
    # THEN exactly that poll ran and the message completed
    assert (outcome, calls) == (Outcome.COMPLETED, ["items"])


async def test_an_unknown_poll_name_is_parked_as_message_invalid(
    transport: LocalTransport, exceptions: ExceptionStore, clock: Clock
) -> None:
    # GIVEN no poll registered for purchase orders
    calls: list[str] = []
    # WHEN the doorbell asks for it
    outcome = await deliver(
        settler_for(transport, exceptions, clock),
        "poll_bc_purchase_orders",
        {"poll_bc_items": recording(calls, "items")},
    )
    # THEN nothing ran and IT sees the name in a parked MESSAGE_INVALID
    assert (outcome, calls) == (Outcome.PARKED, [])
    parked = await exceptions.get("poll-request", "MESSAGE_INVALID", "poll_bc_purchase_orders")
    assert parked is not None
    assert parked.owner == Owner.IT
    assert "poll_bc_purchase_orders" in parked.detail


async def test_a_poll_that_loses_the_watermark_race_completes_quietly(
    transport: LocalTransport, exceptions: ExceptionStore, clock: Clock
) -> None:
    # GIVEN a poll whose watermark save conflicts (another poll saved first)
    async def losing(context: PollContext) -> PollResult:
        raise ConcurrencyConflict("watermark poll_bc_items/bc:items changed since it was read")

    # WHEN its request is delivered
    outcome = await deliver(
        settler_for(transport, exceptions, clock), "poll_bc_items", {"poll_bc_items": losing}
    )
    # THEN the message completes: no retry scheduled, nothing parked
    assert outcome == Outcome.COMPLETED
    assert (await transport.counts(POLL_REQUESTS)).scheduled == 0
