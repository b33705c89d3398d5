"""Scend webhook signatures (contract §3.3, the Standard Webhooks scheme): verify before anything else.

    Scend-Webhook-Id:        evt_…
    Scend-Webhook-Timestamp: unix seconds
    Scend-Webhook-Signature: v1,<base64 HMAC-SHA256(key, id + "." + timestamp + "." + raw body)> …

The signature is checked on the raw bytes as received (re-serialised JSON would not match), in
constant time, against every current secret: during a rotation Scend may sign with the old and the
new secret (several space-separated values) while we hold both (SCEND_WEBHOOK_SECRETS).
A timestamp more than 300 s from our clock is refused either way, so a captured request cannot be
replayed later; within the window, replays are caught by de-duplicating on the webhook id.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Mapping, Sequence
from datetime import datetime

from shared.errors import PermanentError

TOLERANCE_SECONDS = 300
ID_HEADER = "scend-webhook-id"
TIMESTAMP_HEADER = "scend-webhook-timestamp"
SIGNATURE_HEADER = "scend-webhook-signature"
_SECRET_PREFIX = "whsec_"  # noqa: S105 - the Standard Webhooks prefix, not a secret
_MAX_ID_LENGTH = 256
# Unix seconds have 10 digits until 2286. Bounded before int(): a long run of digits would overflow
# the float arithmetic below, or pass int()'s 4300-digit limit, and answer 500 instead of 401.
_MAX_TIMESTAMP_DIGITS = 12


class BadSignature(PermanentError):
    """A webhook that cannot be shown to come from Scend; the intake answers 401 and stores nothing.

    `reason` says which check failed (never a header value or the body), for the alert.
    """

    def __init__(self, reason: str) -> None:
        super().__init__("BAD_SIGNATURE", reason)
        self.reason = reason


def secret_key(secret: str) -> bytes:
    """The HMAC key of a secret: the base64 part of a `whsec_…` secret, else the secret's own bytes."""
    if secret.startswith(_SECRET_PREFIX):
        try:
            return base64.b64decode(secret.removeprefix(_SECRET_PREFIX), validate=True)
        except binascii.Error:
            raise ValueError("a whsec_ secret must be followed by base64") from None
    return secret.encode()


def verify(headers: Mapping[str, str], raw_body: bytes, secrets: Sequence[str], now: datetime) -> str:
    """Return the webhook id if any signature matches any secret within the time window.

    Raises `BadSignature` for a missing or malformed header, a timestamp more than 300 s in the past
    or the future, or a body or secret that does not match.
    """
    lowered = {name.lower(): value for name, value in headers.items()}
    webhook_id = _header(lowered, ID_HEADER)
    timestamp = _header(lowered, TIMESTAMP_HEADER)
    signatures = _signatures(_header(lowered, SIGNATURE_HEADER))
    if len(webhook_id) > _MAX_ID_LENGTH or not webhook_id.isascii() or not webhook_id.isprintable():
        raise BadSignature("malformed webhook id")
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= _MAX_TIMESTAMP_DIGITS):
        raise BadSignature("malformed timestamp")
    age = now.timestamp() - int(timestamp)
    if age > TOLERANCE_SECONDS:
        raise BadSignature("timestamp too old")
    if age < -TOLERANCE_SECONDS:
        raise BadSignature("timestamp in the future")
    if not secrets:
        raise BadSignature("no webhook secret configured")
    signed = f"{webhook_id}.{timestamp}.".encode() + raw_body
    for secret in secrets:
        expected = base64.b64encode(hmac.digest(secret_key(secret), signed, hashlib.sha256))
        # Every candidate is compared, so the time taken does not say which one matched.
        matched = [hmac.compare_digest(expected, candidate) for candidate in signatures]
        if any(matched):
            return webhook_id
    raise BadSignature("no signature matches a current secret")


def _header(headers: Mapping[str, str], name: str) -> str:
    value = headers.get(name, "").strip()
    if not value:
        raise BadSignature(f"missing {name} header")
    return value


def _signatures(header: str) -> list[bytes]:
    """The `v1` values of a signature header; other versions are ignored, none at all is malformed."""
    found = []
    for part in header.split():
        version, _, value = part.partition(",")
        if version == "v1" and value and value.isascii():
            found.append(value.encode())
    if not found:
        raise BadSignature("malformed signature header")
    return found
