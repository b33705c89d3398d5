"""The error taxonomy: what a flow raises decides what happens to the message that ran it.

Flows raise; the trigger shell (`shared.messaging.settlement`) settles. Nothing else retries.

- `TransientError` and its children: the same work may succeed later → a copy of the message is
  scheduled with jittered exponential backoff (honouring `retry_after`) until the budget is spent.
- `PermanentError`: retrying the same input cannot help → the message is parked as an exception
  row (payload, owner, fix hint) and not retried blindly.
- Anything else is a defect: it escapes the shell, the host abandons the message, and the broker
  dead-letters it after `maxDeliveryCount`.
"""

from __future__ import annotations

from datetime import datetime


class IntegrationError(Exception):
    """Base of every error the integration raises on purpose."""


class TransientError(IntegrationError):
    """Timeouts, 429, 5xx, lock and ETag conflicts: try again later."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RateLimited(TransientError):
    """The other side asked us to slow down (429, or 503 with Retry-After)."""


class ConcurrencyConflict(TransientError):
    """An ETag no longer matches: someone else wrote first; re-read and decide again."""


class InDoubt(TransientError):
    """A write was sent but its outcome is unknown (timeout, dropped connection).

    The next attempt must look the record up at the other side by our reference before writing
    again; it never simply resends.
    """


class WaitingForDependency(TransientError):
    """The document depends on another that has not arrived yet (design §2: dependencies wait).

    Retried like any transient error until `give_up_at`; after that the shell raises
    `exception_type` as a permanent exception instead.
    """

    def __init__(
        self,
        message: str,
        *,
        exception_type: str,
        give_up_at: datetime | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, retry_after=retry_after)
        self.exception_type = exception_type
        self.give_up_at = give_up_at


class PermanentError(IntegrationError):
    """Bad data, an unknown SKU, a missing mapping: a person must fix something first.

    `exception_type` is a code from the exception catalogue (`shared.ops.catalogue`), which knows
    the owner team, the severity and the fix hint; `detail` adds what is specific to this document.
    """

    def __init__(self, exception_type: str, detail: str, *, business_key: str | None = None) -> None:
        super().__init__(f"{exception_type}: {detail}")
        self.exception_type = exception_type
        self.detail = detail
        self.business_key = business_key


class InvalidMessage(PermanentError):
    """A message body that is not a valid envelope: parked as it came, never retried."""

    def __init__(self, detail: str) -> None:
        super().__init__("MESSAGE_INVALID", detail)
