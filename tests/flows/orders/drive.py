"""Driving the order flow the way the host does, under faults: polls (timer and doorbell), a session
worker around the Settler, a broker that receives every message twice, and a crashing worker."""

from __future__ import annotations

import asyncio
import json
import random
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any, cast

from shared.errors import TransientError
from shared.flows.order_changes import order_reader
from shared.flows.order_release import OrderOutcome, handle_order
from shared.flows.poll_requests import PollContext, run_poll
from shared.flows.rereads import reference_to
from shared.mapping.lookups import default_lookups
from shared.messaging.envelope import Envelope, message_id_for
from shared.messaging.local import LocalTransport
from shared.messaging.settlement import IncomingMessage, Outcome, Settler
from shared.messaging.transport import OutboundMessage
from shared.retry import Backoff
from shared.scend.models import Order, OrderRequest
from shared.scend.port import ScendPort
from shared.settings import Settings
from tests.contract.bc.support import EXAMPLE
from tests.flows.orders.support import ORDERS, World


@dataclass
class Tally:
    """What the drive did and what it injected, for the summary line and the assertions."""

    polls: Counter[str] = field(default_factory=Counter)  # ok / failed / lost_race
    webhooks: Counter[str] = field(default_factory=Counter)  # delivered / duplicated / lost
    settled: Counter[Outcome] = field(default_factory=Counter)
    handled: Counter[OrderOutcome] = field(default_factory=Counter)
    crashes: int = 0
    abandoned: int = 0
    copies_sent: int = 0
    broker_dropped: int = 0
    raced: int = 0
    errors: Counter[str] = field(default_factory=Counter)


class DuplicatingTransport(LocalTransport):
    """The local broker, except every message sent is sent again under a new message id (so
    duplicate detection cannot drop the copy), and an optional hook runs inside the next send."""

    tally: Tally
    during_next_send: Callable[[], None] | None = None

    async def send(self, queue: str, messages: Sequence[OutboundMessage]) -> None:
        copies = [replace(m, message_id=message_id_for(m.message_id, "dup")) for m in messages]
        sequence = await self.enqueue(queue, [*messages, *copies])
        self.tally.copies_sent += len(copies)
        self.tally.broker_dropped += sum(1 for s in sequence if s is None)
        hook, self.during_next_send = self.during_next_send, None
        if hook is not None:
            hook()


class CrashAfterCreate:
    """The Scend adapter for one delivery; with `crash`, the worker dies right after a successful
    create, before the handler writes the cross-reference (a non-taxonomy error: the host abandons)."""

    def __init__(self, inner: Any, crash: bool, tally: Tally) -> None:
        self.inner = inner
        self.crash = crash
        self.tally = tally

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    async def create_order(self, request: OrderRequest) -> Order:
        created: Order = await self.inner.create_order(request)
        if self.crash:
            self.crash = False
            self.tally.crashes += 1
            raise RuntimeError("worker killed between the Scend write and the cross-reference write")
        return created


def app_settings() -> Settings:
    values = {k.lower(): v for k, v in json.loads(EXAMPLE.read_text())["Values"].items() if v != ""}
    values.pop("servicebusconnection", None)
    return Settings.model_validate(values)


@dataclass
class Driver:
    world: World
    tally: Tally
    rng: random.Random
    crash_rate: float = 0.05
    settings: Settings = field(default_factory=app_settings)

    @property
    def transport(self) -> DuplicatingTransport:
        return cast(DuplicatingTransport, self.world.transport)

    def context(self) -> PollContext:
        w = self.world
        return PollContext(
            bc=w.bc,
            watermarks=w.watermarks,
            transport=w.transport,
            settings=self.settings,
            clock=w.bc_sim.clock.now,
        )

    async def poll(self) -> bool:
        """One timer poll, as the shell runs it: a BC failure is logged and the next timer retries."""
        try:
            result = await run_poll("poll_bc_sales_orders", self.context())
        except TransientError:
            self.tally.polls["failed"] += 1
            return False
        self.tally.polls["ok" if result is not None else "lost_race"] += 1
        return result is not None

    async def poll_until_one_succeeds(self, limit: int = 20) -> None:
        for _ in range(limit):
            if await self.poll():
                return
        raise AssertionError(f"no poll succeeded in {limit} tries")

    async def poll_racing(self, release: Callable[[], int]) -> None:
        """A timer poll during which more orders are released (after its signpost, before its save)."""

        def hook() -> None:
            self.world.tick()
            self.tally.raced += release()

        self.transport.during_next_send = hook
        await self.poll_until_one_succeeds()

    async def doorbell(self, notifications: int) -> None:
        """BC's notifications, each ringing a poll: some lost, some delivered twice at once (two
        polls race for the watermark; the loser ends quietly)."""
        for _ in range(notifications):
            draw = self.rng.random()
            if draw < 0.3:
                self.tally.webhooks["lost"] += 1
                continue
            twice = draw < 0.65
            self.tally.webhooks["duplicated" if twice else "delivered"] += 1
            await asyncio.gather(*(self.poll() for _ in range(2 if twice else 1)))

    async def work(self, max_rounds: int = 5_000) -> None:
        """The orders_to_scend trigger, session by session, until the queue is empty: the Settler
        around `handle_order`, complete on return, abandon on raise; scheduled copies are waited
        for by moving the broker's clock."""
        w = self.world
        settler = Settler(
            w.transport, w.exceptions, Backoff(attempts=8, base_seconds=1, max_seconds=8,
                                               max_wait_seconds=float("inf")),
            clock=w.clock, rng=random.Random(5),
        )  # fmt: skip
        for _ in range(max_rounds):
            async with w.transport.receiver(ORDERS, session=True, max_wait=0) as receiver:
                if receiver is None:
                    counts = await w.transport.counts(ORDERS)
                    if counts.scheduled == 0 and counts.active == 0:
                        return
                    w.clock.advance(timedelta(seconds=10))
                    continue
                while messages := await receiver.receive(max_messages=20, max_wait=0):
                    for message in messages:
                        incoming = IncomingMessage(
                            queue=ORDERS, body=message.body, message_id=message.message_id,
                            session_id=message.session_id, delivery_count=message.delivery_count,
                            application_properties=dict(message.application_properties),
                        )  # fmt: skip
                        first = incoming.attempt == 1 and message.delivery_count == 1
                        crash = first and self.rng.random() < self.crash_rate
                        try:
                            outcome = await settler.run(
                                "orders_to_scend", incoming, self._handler(crash), parked_as=reference_to
                            )
                        except Exception as error:  # a defect escapes the shell: the host abandons
                            self.tally.abandoned += 1
                            self.tally.errors[f"{type(error).__name__}: {str(error)[:150]}"] += 1
                            await receiver.abandon(message)
                            continue
                        self.tally.settled[outcome] += 1
                        await receiver.complete(message)
        raise AssertionError("the orders queue did not drain")

    def _handler(self, crash: bool) -> Callable[[Envelope], Any]:
        w = self.world
        scend = cast(ScendPort, CrashAfterCreate(w.scend, crash, self.tally))

        async def handler(envelope: Envelope) -> None:
            outcome = await handle_order(
                envelope, scend=scend, cross_references=w.cross_references, exceptions=w.exceptions,
                lookups=default_lookups(), is_warehouse_ready=w.ready, clock=w.clock, queue=ORDERS,
                reread=order_reader(w.bc),
            )  # fmt: skip
            self.tally.handled[outcome] += 1

        return handler
