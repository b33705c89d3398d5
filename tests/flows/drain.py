"""Running a queue dry the way the Functions host would: receive, hand each message to the trigger
shell (the Settler and a flow handler), complete it, and move the broker's clock to scheduled retries."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from shared.messaging.envelope import Envelope
from shared.messaging.local import LocalTransport
from shared.messaging.settlement import BatchHandler, IncomingMessage, Outcome, ParkedAs, Settler
from shared.messaging.transport import ReceivedMessage
from shared.retry import Backoff
from shared.store.exceptions import ExceptionStore
from tests.contract.messaging.support import Clock


def test_settler(transport: LocalTransport, exceptions: ExceptionStore, clock: Clock) -> Settler:
    """The shell with a short, seeded backoff and no give-up by wall time."""
    backoff = Backoff(attempts=8, base_seconds=1, max_seconds=8, max_wait_seconds=float("inf"))
    return Settler(transport, exceptions, backoff, clock=clock, rng=random.Random(5))


test_settler.__test__ = False  # type: ignore[attr-defined]  # a helper, not a test


async def drain_queue(
    transport: LocalTransport,
    queue: str,
    *,
    flow: str,
    settler: Settler,
    handle: Callable[[Envelope], Awaitable[Any]],
    clock: Clock,
    sessions: bool,
    duplicate_every: int = 0,
    max_rounds: int = 200,
    wait_for_retries: bool = True,
    settled: Counter[Outcome] | None = None,
    handle_many: BatchHandler | None = None,
    batch_size: int = 20,
    parked_as: ParkedAs | None = None,
) -> int:
    """Run every message of `queue` through the shell; returns how many ran.

    `duplicate_every` n: every n-th delivery runs twice (at-least-once). Without `wait_for_retries`
    it returns once nothing is due now, leaving scheduled retries where they are. With
    `handle_many` (a batch trigger) each receive of up to `batch_size` runs as one batch, a
    duplicated delivery appearing twice in it. `parked_as`: what a parked message's exception row
    keeps, as the flow's trigger shell says (`Settler.run`).
    """

    async def run(envelope: Envelope) -> None:
        await handle(envelope)

    ran = 0
    for _ in range(max_rounds):
        async with transport.receiver(queue, session=sessions, max_wait=0) as receiver:
            size = batch_size if handle_many is not None else 20
            messages = await receiver.receive(max_messages=size, max_wait=0) if receiver is not None else []
            if not messages:
                counts = await transport.counts(queue)
                if counts.active == 0 and (counts.scheduled == 0 or not wait_for_retries):
                    return ran
                clock.advance(timedelta(seconds=10))
                continue
            assert receiver is not None
            if handle_many is not None:
                batch = []
                for message in messages:
                    deliveries = 2 if duplicate_every and ran % duplicate_every == 0 else 1
                    batch.extend([_incoming(queue, message)] * deliveries)
                    ran += 1
                for outcome in await settler.run_batch(flow, batch, handle_many):
                    if settled is not None:
                        settled[outcome] += 1
                for message in messages:
                    await receiver.complete(message)
                continue
            for message in messages:
                incoming = _incoming(queue, message)
                deliveries = 2 if duplicate_every and ran % duplicate_every == 0 else 1
                for _ in range(deliveries):
                    outcome = await settler.run(flow, incoming, run, parked_as=parked_as)
                    if settled is not None:
                        settled[outcome] += 1
                await receiver.complete(message)
                ran += 1
    raise AssertionError(f"the {queue} queue did not drain")


def _incoming(queue: str, message: ReceivedMessage) -> IncomingMessage:
    return IncomingMessage(
        queue=queue, body=message.body, message_id=message.message_id,
        session_id=message.session_id, delivery_count=message.delivery_count,
        application_properties=dict(message.application_properties),
    )  # fmt: skip
