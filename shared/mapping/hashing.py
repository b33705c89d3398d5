"""Content fingerprints: one stable hash of exactly the JSON body a Scend request sends."""

from __future__ import annotations

import hashlib
import json

from pydantic import BaseModel

from shared.scend.models import wire_body

DIGEST_LENGTH = 32  # hex digits: 128 bits, short enough for message ids and table rows


def canonical_json(model: BaseModel) -> str:
    """The body as canonical JSON: sorted keys, no spaces, UTF-8 as is; equal bodies, equal text."""
    return json.dumps(wire_body(model), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def digest(model: BaseModel) -> str:
    """A SHA-256 prefix of the canonical JSON: equal iff the bodies sent would be equal."""
    return hashlib.sha256(canonical_json(model).encode()).hexdigest()[:DIGEST_LENGTH]
