"""What an exception row keeps of a parked BC document: a reference to read it again, not the document.

A BC sales order carries its customer's name, ship-to address, phone and e-mail; a purchase order its
vendor's name. A parked message's exception row is kept for months and read by people, so it holds
only `reference_to(envelope)`: the same kind, key (the BC id, so the same session), version and
correlation id, and a payload of `{"@reread": true, "number": <BC number>}`. Retry (ops API) and the
hold re-drive send that reference back to the flow's queue; the flow sees `is_reference`, reads the
document from BC as it is *now* (one request) and goes on with that version.

No request is spent while nothing is parked: only a reference is read again, and a reference
older than what the flow has already applied is skipped before any read. A document deleted in BC
meanwhile reads as None and the flow treats it as deleted.
"""

from __future__ import annotations

from shared.messaging.envelope import Envelope

REREAD = "@reread"


def reference_to(envelope: Envelope) -> Envelope:
    """The envelope an exception row keeps for a BC document: who it is, never what it says."""
    number = envelope.payload.get("number")
    return Envelope(
        kind=envelope.kind,
        key=envelope.key,
        version=envelope.version,
        correlation_id=envelope.correlation_id,
        occurred_at=envelope.occurred_at,
        payload={REREAD: True, "number": number if isinstance(number, str) else ""},
    )


def is_reference(envelope: Envelope) -> bool:
    return envelope.payload.get(REREAD) is True


def reference_number(envelope: Envelope) -> str:
    return str(envelope.payload.get("number") or "")
