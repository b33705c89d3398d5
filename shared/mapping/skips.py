"""The answer a transform gives for a BC record that has no place in the warehouse."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Skipped:
    """Nothing to send, on purpose; `reason` says why, in words fit for a log line or a timeline."""

    reason: str
