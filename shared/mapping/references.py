"""The order's `client_reference` at Scend: readable, unique per BC document and release, stable.

Format: `<order no.>-<fingerprint>-R<release>`, e.g. `SO-1042-6F1C2B9A-R1`.

- *order no.*: the BC number, for people (the contract's `SO-1042-R1` example). Characters a
  file name or a URL would trip on become `_`, and it is cut at 30 characters.
- *fingerprint*: 8 hex digits of SHA-256 over the BC `systemId` (the order's immutable `id`).
  An order number can come back after a document is deleted; the fingerprint keeps the two
  documents apart, and a reference can be checked against the BC id it claims to belong to.
- *release*: 1 for the first Scend order of a BC document, 2 after it was cancelled at Scend and
  released again, and so on. The flow keeps it in the cross-reference, so every retry of one
  release computes the same reference.

At most 30 + 1 + 8 + 2 + 4 = 45 characters of `[A-Za-z0-9._-]`, within the contract's 50 printable
ASCII. The BC id itself is recovered through the cross-reference (`scend|<Scend id>` → `bc|<id>`);
the reference carries only enough of it to tell documents apart.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from uuid import UUID

NUMBER_MAX_LENGTH = 30
MAX_RELEASE = 9999
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")
_REFERENCE = re.compile(r"(?P<number>.+)-(?P<fingerprint>[0-9A-F]{8})-R(?P<release>[1-9][0-9]{0,3})")


def fingerprint(bc_id: UUID) -> str:
    """8 upper-case hex digits derived from the BC systemId."""
    return hashlib.sha256(str(bc_id).encode()).hexdigest()[:8].upper()


def client_reference(bc_id: UUID, number: str, release: int = 1) -> str:
    """The Scend `client_reference` for release `release` of the BC order `number` with id `bc_id`."""
    if not 1 <= release <= MAX_RELEASE:
        raise ValueError(f"release must be 1..{MAX_RELEASE}, not {release}")
    readable = _UNSAFE.sub("_", number.strip())[:NUMBER_MAX_LENGTH] or "_"
    return f"{readable}-{fingerprint(bc_id)}-R{release}"


@dataclass(frozen=True, slots=True)
class ParsedReference:
    number: str  # as written in the reference (unsafe characters replaced, maybe cut)
    fingerprint: str
    release: int

    def is_for(self, bc_id: UUID) -> bool:
        """Whether this reference was made for the BC document `bc_id`."""
        return self.fingerprint == fingerprint(bc_id)


def parse_client_reference(reference: str) -> ParsedReference | None:
    """The parts of a reference this module made, or None for any other (e.g. typed in at Scend)."""
    match = _REFERENCE.fullmatch(reference)
    if match is None:
        return None
    return ParsedReference(match["number"], match["fingerprint"], int(match["release"]))
