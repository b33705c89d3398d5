"""The posting marker: how a once-only standard posting (`shipAndInvoice`, `receiveAndInvoice`) is
made exactly once per Scend document, even when BC's answer is lost.

The race: (1) we post Scend shipment S on order O; (2) BC commits it; (3) the answer is lost
(timeout, dropped connection); (4) a blind retry ships and invoices S again. So before posting,
the flow saves a marker in O's cross-reference (its ETag guards it): the document, each line's
posted quantity before (Quantity Shipped / Received), and the units it is about to post. The
next attempt that finds the marker reads O and decides: every marked line moved by its units (or
O is gone: BC deletes a fully invoiced order) → committed, never posted again; otherwise → clear
the marker and post. Another document's marker younger than `STALE_AFTER` means its posting may
still be running: wait (a transient error). Older, it is settled the same way, by whoever finds it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from shared.errors import WaitingForDependency
from shared.store.crossrefs import CrossReference

MARKER = "posting"
STALE_AFTER = timedelta(minutes=15)  # BC cancels a request after 8 minutes: an older marker is settled


@dataclass(frozen=True, slots=True)
class PostingMarker:
    document: str  # the Scend id being posted
    before: dict[str, str]  # BC Line No. → posted quantity before
    units: dict[str, str]  # BC Line No. → units being posted
    since: datetime

    @classmethod
    def of(cls, ref: CrossReference) -> PostingMarker | None:
        value = ref.tracked().get(MARKER)
        if not isinstance(value, dict):
            return None
        return cls(
            str(value.get("document")),
            {str(k): str(v) for k, v in (value.get("before") or {}).items()},
            {str(k): str(v) for k, v in (value.get("units") or {}).items()},
            datetime.fromisoformat(str(value.get("since"))),
        )

    def on(self, ref: CrossReference) -> CrossReference:
        """`ref` carrying this marker (save it before posting)."""
        body = {
            "document": self.document,
            "before": self.before,
            "units": self.units,
            "since": self.since.isoformat(),
        }
        return ref.with_tracking(**{MARKER: body})

    def committed(self, posted_now: Mapping[str, Decimal] | None) -> bool:
        """Whether the posting reached BC, from each line's posted quantity now (None: the order
        is gone, which BC does to a fully invoiced order: it committed)."""
        if posted_now is None:
            return True
        return all(
            posted_now.get(line, Decimal(0)) >= Decimal(self.before.get(line, "0")) + Decimal(units)
            for line, units in self.units.items()
        )

    def wait_if_running(self, document: str, now: datetime, what: str) -> None:
        """Raise `WaitingForDependency` when another document's posting may still be running.

        A wait for the other document, not a failure of this one: it is bounded by the marker's age
        (after `STALE_AFTER` it is settled and this one goes on), not by the retry budget. Found by the
        chaos run: the host died after the first shipment of an order posted; that shipment's message
        came back only when its lock expired, and the second shipment had spent its attempts by then."""
        if self.document != document and now - self.since < STALE_AFTER:
            raise WaitingForDependency(
                f"{self.document} of {what} is being posted",
                exception_type="RETRIES_EXHAUSTED",
                give_up_at=self.since + 2 * STALE_AFTER,  # never reached: stale by then, and settled
            )

    def as_applied(self, at: datetime) -> dict[str, Any]:
        """The applied-documents entry of a posting settled in doubt."""
        return {"units": self.units, "at": at.isoformat(), "settled_in_doubt": True}


def cleared(ref: CrossReference) -> CrossReference:
    return ref.with_tracking(**{MARKER: None})
