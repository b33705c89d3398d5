"""Webhook secrets and signatures (contract §3.3, Standard Webhooks).

A secret is `whsec_` + base64 of 24 random bytes; its HMAC key is those bytes. The signature of a
delivery is `v1,` + base64(HMAC-SHA256(key, id + "." + timestamp + "." + raw body)); with several
secrets active (a rotation), the header carries one such value per secret, space-separated.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import random
from collections.abc import Sequence

PREFIX = "whsec_"


def new_secret(rng: random.Random) -> str:
    return PREFIX + base64.b64encode(rng.randbytes(24)).decode()


def is_secret(text: str) -> bool:
    if not text.startswith(PREFIX):
        return False
    try:
        return len(base64.b64decode(text.removeprefix(PREFIX), validate=True)) >= 16
    except ValueError:
        return False


def key_of(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(PREFIX))


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.digest(key_of(secret), signed, hashlib.sha256)).decode()


def signature_header(secrets: Sequence[str], message_id: str, timestamp: int, body: bytes) -> str:
    return " ".join(signature(secret, message_id, timestamp, body) for secret in secrets)
