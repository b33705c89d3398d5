"""The trigger shell's settlement rule: what happens to a queue message after its flow ran.

With the generally available Python bindings the host completes a message when the function
returns and abandons it when the function raises (design §5). So the shell never lets an
*expected* failure escape:

- the flow returns → the message is completed;
- `TransientError` → a copy is scheduled with jittered exponential backoff (honouring
  `retry_after`), attempt + 1, and the original completed; once the retry budget is spent, or a
  `WaitingForDependency` passes its deadline, the message is parked instead;
- `PermanentError` → parked: an exception row holding the payload, the queue, the owner and the
  fix hint, from which it can be replayed. A flow whose documents carry personal data (BC sales
  and purchase orders) gives `parked_as`: the row then keeps what that returns (a reference the
  flow reads again, `shared.flows.rereads`) instead of the whole envelope;
- anything else is a defect: it escapes, the host abandons, the broker dead-letters after
  `maxDeliveryCount` with `MaxDeliveryCountExceeded`.

Why a retry copy needs its own message id: the original id is inside the duplicate detection
window, so a copy sent under it would be accepted and silently dropped — a lost document.

Batches (`run_batch`): a flow that works on many messages at once (shipment confirmation) answers
each envelope with its outcome or its error, and each message is settled by its own answer as
above. One exception: a defect cannot escape, since the host would abandon the whole batch and
drag every neighbour to the dead-letter queue with it; it is retried like a transient error, then
parked as `RETRIES_EXHAUSTED` naming the defect's type.

Ordering on session queues: a scheduled copy goes to the back of its session, so a later message
for the same document can run before the retried one. Flows on session queues therefore compare
the message's version with the cross-reference and skip a stale one; the shell cannot do that.
"""

from __future__ import annotations

import contextlib
import logging
import math
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic import ValidationError

from shared.errors import (
    IntegrationError,
    InvalidMessage,
    PermanentError,
    TransientError,
    WaitingForDependency,
)
from shared.messaging.envelope import Envelope, message_id_for
from shared.messaging.transport import OutboundMessage, Transport
from shared.retry import Backoff
from shared.settings import Settings, get_settings
from shared.store.exceptions import ExceptionStore
from shared.telemetry import count_document, flow_span

log = logging.getLogger(__name__)

ATTEMPT_PROPERTY = "attempt"
ORIGINAL_ID_PROPERTY = "original_message_id"
MAX_PARKED_BODY_CHARS = 200_000


class Outcome(StrEnum):
    COMPLETED = "completed"
    RETRY_SCHEDULED = "retry_scheduled"
    PARKED = "parked"


@dataclass(frozen=True, slots=True)
class IncomingMessage:
    """What the shell needs of a delivered message, whoever delivered it."""

    queue: str
    body: bytes
    message_id: str
    session_id: str | None = None
    delivery_count: int = 1
    application_properties: dict[str, Any] = field(default_factory=dict)

    @property
    def attempt(self) -> int:
        try:
            return max(1, int(self.application_properties.get(ATTEMPT_PROPERTY, 1)))
        except (TypeError, ValueError):
            return 1

    @property
    def original_message_id(self) -> str:
        return str(self.application_properties.get(ORIGINAL_ID_PROPERTY) or self.message_id)


def shell_backoff(settings: Settings) -> Backoff:
    """The retry budget across deliveries: RETRY_MAX_ATTEMPTS in all, pauses from RETRY_BASE_SECONDS
    up to RETRY_MAX_SECONDS. No Retry-After is too long: the copy is scheduled, never waited for."""
    return Backoff(
        attempts=settings.retry_max_attempts,
        base_seconds=settings.retry_base_seconds,
        max_seconds=settings.retry_max_seconds,
        max_wait_seconds=math.inf,
    )


Handler = Callable[[Envelope], Awaitable[object]]  # what a flow returns (its outcome) is for its tests
# What a parked message's exception row keeps of its envelope, to replay it (default: all of it).
ParkedAs = Callable[[Envelope], Envelope]
# A batch flow: one answer per envelope, in order — its outcome, or the exception it failed with.
BatchHandler = Callable[[Sequence[Envelope]], Awaitable[Sequence[object]]]


class DefectInBatch(TransientError):
    """A defect (not an error the flow raises on purpose) met by one message of a batch."""


@dataclass(slots=True)
class Settler:
    """Runs one flow handler for one message and settles it by the error taxonomy."""

    transport: Transport
    exceptions: ExceptionStore
    backoff: Backoff = field(default_factory=lambda: shell_backoff(get_settings()))
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    rng: random.Random = field(default_factory=random.Random)

    async def run(
        self, flow: str, message: IncomingMessage, handler: Handler, *, parked_as: ParkedAs | None = None
    ) -> Outcome:
        with flow_span(
            flow, queue=message.queue, **{"message.id": message.message_id, "attempt": message.attempt}
        ) as span:
            outcome = await self._run(message, handler, parked_as)
            span.set_attribute("outcome", outcome.value)
        count_document(flow, outcome.value)
        return outcome

    async def run_batch(
        self, flow: str, messages: Sequence[IncomingMessage], handler: BatchHandler
    ) -> list[Outcome]:
        """Run a batch flow once for every message that is an envelope; settle each by its answer."""
        envelopes: dict[int, Envelope] = {}
        for index, message in enumerate(messages):
            with contextlib.suppress(ValidationError):  # if not, `run` below parks it
                envelopes[index] = Envelope.from_bytes(message.body)
        answers = list(await handler(list(envelopes.values()))) if envelopes else []
        if len(answers) != len(envelopes):
            raise RuntimeError(f"{flow}: {len(answers)} answers for {len(envelopes)} messages")
        by_index = dict(zip(envelopes, answers, strict=True))
        outcomes = []
        for index, message in enumerate(messages):
            outcomes.append(await self.run(flow, message, _replay(flow, by_index.get(index))))
        return outcomes

    async def _run(self, message: IncomingMessage, handler: Handler, parked_as: ParkedAs | None) -> Outcome:
        try:
            envelope = Envelope.from_bytes(message.body)
        except ValidationError as error:
            await self._park_invalid(message, InvalidMessage(_validation_summary(error)))
            return Outcome.PARKED
        try:
            await handler(envelope)
        except WaitingForDependency as error:
            if error.give_up_at is not None and self.clock() >= error.give_up_at:
                parked = PermanentError(error.exception_type, str(error))
                await self._park(message, envelope, parked, parked_as)
                return Outcome.PARKED
            return await self._retry_or_park(message, envelope, error, parked_as)
        except TransientError as error:
            return await self._retry_or_park(message, envelope, error, parked_as)
        except PermanentError as error:
            await self._park(message, envelope, error, parked_as)
            return Outcome.PARKED
        return Outcome.COMPLETED

    async def _retry_or_park(
        self, message: IncomingMessage, envelope: Envelope, error: TransientError, parked_as: ParkedAs | None
    ) -> Outcome:
        attempt = message.attempt
        # A dependency wait is bounded by its deadline, not by the attempts.
        if self.backoff.gives_up(attempt, error.retry_after) and not isinstance(error, WaitingForDependency):
            detail = f"gave up after {attempt} attempts; last error: {type(error).__name__}: {error}"
            await self._park(message, envelope, PermanentError("RETRIES_EXHAUSTED", detail), parked_as)
            return Outcome.PARKED
        delay = self.backoff.delay(attempt, error.retry_after, self.rng)
        copy = OutboundMessage(
            body=message.body,
            message_id=message_id_for(message.original_message_id, f"retry-{attempt + 1}"),
            session_id=message.session_id,
            scheduled_enqueue_time=self.clock() + timedelta(seconds=delay),
            correlation_id=envelope.correlation_id,
            subject=envelope.kind,
            application_properties={
                ATTEMPT_PROPERTY: attempt + 1,
                ORIGINAL_ID_PROPERTY: message.original_message_id,
            },
        )
        await self.transport.send(message.queue, [copy])
        return Outcome.RETRY_SCHEDULED

    async def _park(
        self, message: IncomingMessage, envelope: Envelope, error: PermanentError, parked_as: ParkedAs | None
    ) -> None:
        """Keep the envelope (or what `parked_as` makes of it) with the reason; owner, severity and
        fix hint come from the catalogue."""
        kept = envelope if parked_as is None else parked_as(envelope)
        await self.exceptions.record(
            envelope.kind,
            error.exception_type,
            error.business_key or envelope.key,
            detail=error.detail,
            payload=kept.model_dump_json(),
            queue=message.queue,
            correlation_id=envelope.correlation_id,
        )

    async def _park_invalid(self, message: IncomingMessage, error: InvalidMessage) -> None:
        await self.exceptions.record(
            "message",
            error.exception_type,
            message.message_id,
            detail=error.detail,
            payload=message.body[:MAX_PARKED_BODY_CHARS].decode("utf-8", "replace"),
            queue=message.queue,
        )


def _replay(flow: str, answer: object) -> Handler:
    """A handler that gives back what the batch flow answered for one envelope."""

    async def handler(envelope: Envelope) -> object:
        if isinstance(answer, IntegrationError):
            raise answer
        if isinstance(answer, Exception):
            # Only its type: a defect's message may quote the document (personal data).
            log.error("%s: defect %s for %s %s", flow, type(answer).__name__, envelope.kind, envelope.key)
            raise DefectInBatch(f"defect {type(answer).__name__} while the batch ran")
        return answer

    return handler


def _validation_summary(error: ValidationError) -> str:
    """Where the body failed validation, without quoting its values (they may be personal data)."""
    places = [".".join(str(p) for p in item.get("loc", ())) or "body" for item in error.errors()]
    return "not a valid envelope: " + ", ".join(
        f"{p} {item['type']}" for p, item in zip(places, error.errors(), strict=True)
    )
