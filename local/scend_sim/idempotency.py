"""`Idempotency-Key` on every POST: the first answer is kept and replayed for the same request.

Keyed by (API key, Idempotency-Key). The same key with the same method, path and body bytes gets
the stored answer again, marked `Idempotent-Replayed: true`, without running the request again;
the same key with anything different is refused with 422 IDEMPOTENCY_KEY_REUSED (IETF
draft-ietf-httpapi-idempotency-key-header). Answers are kept when the request was handled (2xx
and 4xx); a request refused before it ran (401, 429, an injected fault) keeps nothing, so it can be
sent again with the same key.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from local.scend_sim.problems import Problem, field_error

HEADER = "Idempotency-Key"
MAX_LENGTH = 255


@dataclass(frozen=True, slots=True)
class Stored:
    fingerprint: str
    status: int
    body: bytes
    media_type: str
    headers: tuple[tuple[str, str], ...]


def fingerprint(method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + body).hexdigest()


def check_key(key: str | None, required: bool) -> None:
    if key is None:
        if required:
            raise Problem(
                400,
                "VALIDATION_FAILED",
                "every POST needs an Idempotency-Key header",
                errors=[field_error(HEADER, "REQUIRED", "send a key unique to this write")],
            )
        return
    if not key or len(key) > MAX_LENGTH or not key.isascii() or not key.isprintable():
        raise Problem(
            400,
            "VALIDATION_FAILED",
            "Idempotency-Key must be 1-255 printable ASCII characters",
            errors=[field_error(HEADER, "INVALID", "1-255 printable ASCII characters")],
        )


class IdempotencyStore:
    def __init__(self) -> None:
        self._stored: dict[tuple[str, str], Stored] = {}
        self.replays = 0

    def __len__(self) -> int:
        return len(self._stored)

    def recall(self, api_key: str, key: str, print_: str) -> Stored | None:
        stored = self._stored.get((api_key, key))
        if stored is None:
            return None
        if stored.fingerprint != print_:
            raise Problem(
                422,
                "IDEMPOTENCY_KEY_REUSED",
                "this Idempotency-Key was used for a different request",
                errors=[field_error(HEADER, "REUSED", "use a new key for a different write")],
            )
        self.replays += 1
        return stored

    def keep(self, api_key: str, key: str, stored: Stored) -> None:
        self._stored[(api_key, key)] = stored

    def clear(self) -> None:
        self._stored.clear()
        self.replays = 0
