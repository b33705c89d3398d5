"""The one message body every queue carries."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

MAX_MESSAGE_ID_LENGTH = 128  # Service Bus rejects longer message ids


class Envelope(BaseModel):
    """A unit of work for one flow: what it is about (`kind`, `key`, `version`) and its payload.

    `kind:key:version` is the business idempotency key; it becomes the Service Bus `message_id`, so
    the broker's duplicate detection drops a second send of the same document version.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: str = Field(min_length=1, max_length=64)
    key: str = Field(min_length=1, max_length=256)
    version: str = Field(default="", max_length=256)
    correlation_id: str = Field(default_factory=lambda: uuid.uuid4().hex, max_length=128)
    occurred_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    payload: dict[str, Any] = Field(default_factory=dict)

    @property
    def idempotency_key(self) -> str:
        return message_id_for(self.kind, self.key, self.version)

    def to_bytes(self) -> bytes:
        return self.model_dump_json().encode()

    @classmethod
    def from_bytes(cls, body: bytes | str) -> Envelope:
        return cls.model_validate_json(body)


def message_id_for(*parts: str) -> str:
    """Join parts into a message id; a too-long id keeps a readable prefix and a stable hash."""
    joined = ":".join(p for p in parts if p != "")
    if len(joined) <= MAX_MESSAGE_ID_LENGTH:
        return joined
    digest = hashlib.sha256(joined.encode()).hexdigest()[:32]
    return f"{joined[: MAX_MESSAGE_ID_LENGTH - 33]}~{digest}"
