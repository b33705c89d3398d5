"""Settlement: what the trigger shell does with a message after its flow ran, by the error taxonomy.

Real components: the local transport (SQLite) and the exception store on Azurite.
"""

from __future__ import annotations

import dataclasses
import json
import math
import random
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta

import pytest
from azure.data.tables.aio import TableServiceClient

from shared.errors import PermanentError, RateLimited, TransientError, WaitingForDependency
from shared.flows.rereads import reference_to
from shared.messaging.envelope import Envelope
from shared.messaging.local import LocalTransport
from shared.messaging.settlement import IncomingMessage, Outcome, Settler, shell_backoff
from shared.messaging.transport import QueueSpec, ReceivedMessage
from shared.retry import Backoff
from shared.settings import Settings
from shared.store.exceptions import ExceptionStatus, ExceptionStore
from shared.store.tables import TableNames
from tests.contract.messaging.support import Clock

ITEMS = "items"
ORDERS = "orders"
START = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
BACKOFF = Backoff(attempts=3, base_seconds=10.0, max_seconds=60.0, max_wait_seconds=math.inf)


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


@pytest.fixture
async def transport(clock: Clock) -> AsyncIterator[LocalTransport]:
    broker = LocalTransport(
        ":memory:", [QueueSpec(ITEMS), QueueSpec(ORDERS, requires_session=True)], clock=clock
    )
    yield broker
    await broker.close()


@pytest.fixture
def exceptions(table_service: TableServiceClient, table_names: TableNames, clock: Clock) -> ExceptionStore:
    return ExceptionStore(table_service.get_table_client(table_names.sync_exceptions), clock=clock)


@pytest.fixture
def settler(transport: LocalTransport, exceptions: ExceptionStore, clock: Clock) -> Settler:
    return Settler(transport, exceptions, BACKOFF, clock=clock, rng=random.Random(7))


def an_item(key: str = "1000-BLU") -> Envelope:
    return Envelope(
        kind="item", key=key, version="v3", correlation_id="corr-1", occurred_at=START, payload={"sku": key}
    )


def delivered(envelope: Envelope, queue: str = ITEMS, session_id: str | None = None) -> IncomingMessage:
    return IncomingMessage(
        queue=queue, body=envelope.to_bytes(), message_id=envelope.idempotency_key, session_id=session_id
    )


def as_incoming(queue: str, received: ReceivedMessage) -> IncomingMessage:
    return IncomingMessage(
        queue=queue,
        body=received.body,
        message_id=received.message_id,
        session_id=received.session_id,
        delivery_count=received.delivery_count,
        application_properties=dict(received.application_properties),
    )


async def receive_all(transport: LocalTransport, queue: str = ITEMS) -> list[ReceivedMessage]:
    async with transport.receiver(queue) as receiver:
        assert receiver is not None
        messages = await receiver.receive(max_messages=10, max_wait=0.05)
        for m in messages:
            await receiver.complete(m)
        return messages


class Script:
    """A handler that fails as scripted, then succeeds; it records every envelope it saw."""

    def __init__(self, *failures: Exception) -> None:
        self.failures = list(failures)
        self.seen: list[Envelope] = []

    async def __call__(self, envelope: Envelope) -> None:
        self.seen.append(envelope)
        if self.failures:
            raise self.failures.pop(0)


async def test_a_flow_that_returns_completes_and_leaves_nothing_behind(
    settler: Settler, transport: LocalTransport, exceptions: ExceptionStore
) -> None:
    handler = Script()
    outcome = await settler.run("item_export", delivered(an_item()), handler)
    assert outcome is Outcome.COMPLETED
    assert handler.seen == [an_item()]
    assert (await transport.counts(ITEMS)).active == 0
    assert (await exceptions.list_page()).items == []


async def test_fail_once_then_succeed_schedules_one_backed_off_copy_that_then_completes(
    settler: Settler, transport: LocalTransport, clock: Clock
) -> None:
    handler = Script(TransientError("Scend answered 503"))
    first = delivered(an_item())

    assert await settler.run("item_export", first, handler) is Outcome.RETRY_SCHEDULED
    counts = await transport.counts(ITEMS)
    assert (counts.active, counts.scheduled) == (0, 1)
    assert await receive_all(transport) == []  # invisible until its time

    clock.advance(timedelta(seconds=BACKOFF.base_seconds))  # attempt 1 waits between 5 and 10 s
    (copy,) = await receive_all(transport)
    assert copy.message_id == "item:1000-BLU:v3:retry-2"
    assert copy.application_properties == {"attempt": 2, "original_message_id": "item:1000-BLU:v3"}
    assert copy.body == first.body

    assert await settler.run("item_export", as_incoming(ITEMS, copy), handler) is Outcome.COMPLETED
    assert len(handler.seen) == 2


@pytest.mark.parametrize(
    "retry_after",
    [45, 3600],  # within the shell's own backoff; an hour's maintenance, far past any inline wait
)
async def test_retry_after_from_the_other_side_is_never_undercut_and_never_parks(
    settler: Settler, transport: LocalTransport, exceptions: ExceptionStore, clock: Clock, retry_after: int
) -> None:
    outcome = await settler.run(
        "item_export", delivered(an_item()), Script(RateLimited("429", retry_after=retry_after))
    )
    # THEN the copy is scheduled for exactly then, and nothing is parked
    assert outcome is Outcome.RETRY_SCHEDULED
    assert (await exceptions.list_page()).items == []
    clock.advance(timedelta(seconds=retry_after - 1))
    assert await receive_all(transport) == []
    clock.advance(timedelta(seconds=1))
    assert len(await receive_all(transport)) == 1


def test_the_shell_schedule_comes_from_the_retry_settings() -> None:
    # GIVEN RETRY_MAX_ATTEMPTS=5, RETRY_BASE_SECONDS=3 and RETRY_MAX_SECONDS=120
    settings = Settings.model_construct(retry_max_attempts=5, retry_base_seconds=3.0, retry_max_seconds=120.0)
    # THEN the shell retries on that schedule, and never gives up because of a Retry-After
    assert shell_backoff(settings) == Backoff(
        attempts=5, base_seconds=3.0, max_seconds=120.0, max_wait_seconds=math.inf
    )


async def test_always_failing_work_is_parked_as_retries_exhausted_after_the_budget(
    settler: Settler, transport: LocalTransport, exceptions: ExceptionStore, clock: Clock
) -> None:
    handler = Script(*(TransientError("timeout") for _ in range(BACKOFF.attempts)))
    message = delivered(an_item())
    outcomes = []
    for _ in range(BACKOFF.attempts):
        outcomes.append(await settler.run("item_export", message, handler))
        clock.advance(timedelta(seconds=BACKOFF.max_seconds))
        received = await receive_all(transport)
        if received:
            (copy,) = received
            message = as_incoming(ITEMS, copy)

    assert outcomes == [Outcome.RETRY_SCHEDULED, Outcome.RETRY_SCHEDULED, Outcome.PARKED]
    row = await exceptions.get("item", "RETRIES_EXHAUSTED", "1000-BLU")
    assert row is not None
    assert row.status is ExceptionStatus.OPEN
    assert row.count == 1
    assert row.owner == "IT"
    assert row.queue == ITEMS
    assert row.detail == "gave up after 3 attempts; last error: TransientError: timeout"
    assert Envelope.model_validate_json(row.payload or "") == an_item()


async def test_a_permanent_error_parks_the_message_with_owner_and_fix_hint_and_sends_nothing(
    settler: Settler, transport: LocalTransport, exceptions: ExceptionStore
) -> None:
    error = PermanentError("SKU_NOT_IN_WMS", "line 10000: 1000-BLU is not in Scend", business_key="SO1001")
    order = Envelope(kind="salesOrder", key="SO1001", version="2", payload={"lines": 1})
    outcome = await settler.run("order_release", delivered(order, ORDERS, session_id="SO1001"), Script(error))

    assert outcome is Outcome.PARKED
    counts = await transport.counts(ORDERS)
    assert (counts.active, counts.scheduled, counts.dead_letter) == (0, 0, 0)
    row = await exceptions.get("salesOrder", "SKU_NOT_IN_WMS", "SO1001")
    assert row is not None
    assert row.owner == "e-commerce and master data"
    assert row.severity == "high"
    assert row.fix_hint is not None
    assert row.fix_hint.startswith("Make sure the item exists")
    assert row.detail == "line 10000: 1000-BLU is not in Scend"
    assert json.loads(row.payload or "{}")["payload"] == {"lines": 1}


@pytest.mark.parametrize(
    "failure",
    [
        PermanentError("ORDER_REJECTED_BY_WMS", "shipToPostCode has 15 characters, Scend takes 12"),
        TransientError("timeout"),
        WaitingForDependency("not in the WMS yet", exception_type="SKU_NOT_IN_WMS", give_up_at=START),
    ],
    ids=["permanent", "retries exhausted", "wait over"],
)
async def test_a_flow_may_park_a_reference_instead_of_its_personal_payload(
    settler: Settler, transport: LocalTransport, exceptions: ExceptionStore, clock: Clock, failure: Exception
) -> None:
    """Issue 11: whichever way a message is parked, the row keeps what `parked_as` gives, only."""
    order = Envelope(kind="salesOrder", key="SO1001", version="2", payload={"number": "SO1001",
                     "shipToAddressLine1": "77 Quartzfield Lane"})  # fmt: skip
    message = delivered(order, ORDERS, session_id="SO1001")
    for attempt in range(BACKOFF.attempts):
        message = dataclasses.replace(message, application_properties={"attempt": attempt + 1})
        outcome = await settler.run("order_release", message, Script(failure), parked_as=reference_to)
        if outcome is Outcome.PARKED:
            break
        clock.advance(timedelta(seconds=BACKOFF.max_seconds))
    assert outcome is Outcome.PARKED
    (row,) = (await exceptions.list_page()).items
    assert Envelope.model_validate_json(row.payload or "") == reference_to(order)
    assert "Quartzfield" not in (row.payload or "")
    assert row.queue == ORDERS


async def test_a_body_that_is_not_an_envelope_is_parked_as_it_came(
    settler: Settler, exceptions: ExceptionStore
) -> None:
    handler = Script()
    poison = IncomingMessage(queue=ITEMS, body=b'{"kind": "item", "surprise": true}', message_id="m-1")
    assert await settler.run("item_export", poison, handler) is Outcome.PARKED
    assert handler.seen == []
    row = await exceptions.get("message", "MESSAGE_INVALID", "m-1")
    assert row is not None
    assert row.payload == '{"kind": "item", "surprise": true}'
    assert row.detail is not None
    assert "key missing" in row.detail


async def test_a_defect_escapes_so_the_host_abandons_and_the_broker_counts_deliveries(
    settler: Settler, transport: LocalTransport, exceptions: ExceptionStore
) -> None:
    with pytest.raises(KeyError):
        await settler.run("item_export", delivered(an_item()), Script(KeyError("bug")))
    assert (await transport.counts(ITEMS)).scheduled == 0
    assert (await exceptions.list_page()).items == []


async def test_waiting_for_a_dependency_retries_until_its_deadline_then_parks_the_named_exception(
    settler: Settler, transport: LocalTransport, exceptions: ExceptionStore, clock: Clock
) -> None:
    give_up_at = START + timedelta(hours=1)
    wait = WaitingForDependency(
        "order SO1001 unknown", exception_type="RETURN_UNMATCHED", give_up_at=give_up_at
    )
    ret = Envelope(kind="return", key="RMA-7", version="1")

    # Far past the attempt budget: a dependency wait is bounded by time, not attempts.
    assert await settler.run("return_credit", delivered(ret), Script(wait)) is Outcome.RETRY_SCHEDULED
    late = IncomingMessage(
        queue=ITEMS,
        body=ret.to_bytes(),
        message_id=ret.idempotency_key,
        application_properties={"attempt": 50},
    )
    assert await settler.run("return_credit", late, Script(wait)) is Outcome.RETRY_SCHEDULED

    clock.advance(timedelta(hours=1))
    assert await settler.run("return_credit", late, Script(wait)) is Outcome.PARKED
    row = await exceptions.get("return", "RETURN_UNMATCHED", "RMA-7")
    assert row is not None
    assert row.owner == "finance"


async def test_a_retry_on_a_session_queue_stays_in_its_session(
    settler: Settler, transport: LocalTransport, clock: Clock
) -> None:
    order = Envelope(kind="salesOrder", key="SO1001", version="2")
    incoming = delivered(order, ORDERS, session_id="SO1001")
    await settler.run("order_release", incoming, Script(TransientError("BC 504")))
    clock.advance(timedelta(seconds=BACKOFF.base_seconds))
    async with transport.receiver(ORDERS, session=True, max_wait=0.05) as receiver:
        assert receiver is not None
        assert receiver.session_id == "SO1001"
        (copy,) = await receiver.receive(max_messages=5, max_wait=0.05)
        assert copy.message_id == "salesOrder:SO1001:2:retry-2"


# --- batches (a trigger with cardinality many) ---------------------------------------------------


class BatchScript:
    """A batch flow answering each envelope as scripted by its key (default: completed)."""

    def __init__(self, answers: dict[str, object]) -> None:
        self.answers = answers
        self.seen: list[list[str]] = []

    async def __call__(self, envelopes: Sequence[Envelope]) -> list[object]:
        self.seen.append([e.key for e in envelopes])
        return [self.answers.get(e.key, "done") for e in envelopes]


async def test_each_message_of_a_batch_is_settled_by_its_own_answer(
    settler: Settler, transport: LocalTransport, exceptions: ExceptionStore
) -> None:
    # GIVEN a batch: two fine, one transient, one permanent, one that is not an envelope
    handler = BatchScript({
        "B": TransientError("Scend answered 503"),
        "C": PermanentError("SKU_NOT_IN_WMS", "C is not in Scend", business_key="C"),
    })  # fmt: skip
    poison = IncomingMessage(queue=ITEMS, body=b"not json", message_id="m-poison")
    batch = [delivered(an_item(k)) for k in ("A", "B", "C")] + [poison, delivered(an_item("D"))]
    # WHEN the shell runs it
    outcomes = await settler.run_batch("item_export", batch, handler)
    # THEN the flow saw the four envelopes once, in order, and each message has its own settlement
    assert handler.seen == [["A", "B", "C", "D"]]
    assert outcomes == [
        Outcome.COMPLETED, Outcome.RETRY_SCHEDULED, Outcome.PARKED, Outcome.PARKED, Outcome.COMPLETED
    ]  # fmt: skip
    assert (await transport.counts(ITEMS)).scheduled == 1
    assert await exceptions.get("item", "SKU_NOT_IN_WMS", "C") is not None
    assert await exceptions.get("message", "MESSAGE_INVALID", "m-poison") is not None


async def test_a_defect_in_a_batch_is_retried_then_parked_without_taking_its_neighbours_down(
    settler: Settler, transport: LocalTransport, exceptions: ExceptionStore, clock: Clock
) -> None:
    # GIVEN a batch flow that meets a defect on one document every time
    handler = BatchScript({"B": KeyError("a bug, quoting 10 Downing Street")})
    batch = [delivered(an_item("A")), delivered(an_item("B"))]
    outcomes = await settler.run_batch("item_export", batch, handler)
    # THEN its neighbour completes and the defect is retried like a transient error
    assert outcomes == [Outcome.COMPLETED, Outcome.RETRY_SCHEDULED]
    for _ in range(BACKOFF.attempts - 1):
        clock.advance(timedelta(seconds=BACKOFF.max_seconds))
        (copy,) = await receive_all(transport)
        (last,) = await settler.run_batch("item_export", [as_incoming(ITEMS, copy)], handler)
    # AND once the budget is spent it is parked for IT, naming the defect but not its message
    assert last is Outcome.PARKED
    row = await exceptions.get("item", "RETRIES_EXHAUSTED", "B")
    assert row is not None
    assert row.detail is not None
    assert "KeyError" in row.detail
    assert "Downing" not in row.detail
    assert (await transport.counts(ITEMS)).dead_letter == 0


async def test_a_batch_flow_that_answers_the_wrong_number_of_envelopes_is_a_defect(settler: Settler) -> None:
    async def short(envelopes: Sequence[Envelope]) -> list[object]:
        return []

    with pytest.raises(RuntimeError, match="0 answers for 1 messages"):
        await settler.run_batch("item_export", [delivered(an_item())], short)
