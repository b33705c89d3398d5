"""Backoff: jittered exponential pauses, never shorter than Retry-After, long waits left to the shell."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from shared.bc.backoff import Backoff, parse_retry_after

BACKOFF = Backoff(attempts=4, base_seconds=1.0, max_seconds=8.0, max_wait_seconds=30.0)


@pytest.mark.parametrize(
    ("attempt", "low", "high"), [(1, 0.5, 1), (2, 1, 2), (3, 2, 4), (4, 4, 8), (9, 4, 8)]
)
def test_pauses_grow_exponentially_with_jitter_up_to_the_cap(attempt: int, low: float, high: float) -> None:
    rng = random.Random(3)
    pauses = [BACKOFF.delay(attempt, None, rng) for _ in range(200)]
    assert all(low <= p <= high for p in pauses)
    assert len(set(pauses)) > 100  # jittered, not fixed


def test_a_pause_is_never_shorter_than_retry_after() -> None:
    assert BACKOFF.delay(1, 12.0, random.Random(1)) == 12.0


def test_the_client_gives_up_when_attempts_are_spent_or_retry_after_is_too_long() -> None:
    assert not BACKOFF.gives_up(3, None)
    assert BACKOFF.gives_up(4, None)
    assert not BACKOFF.gives_up(1, 30.0)
    assert BACKOFF.gives_up(1, 30.5)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("7", 7.0),
        (" 0 ", 0.0),
        ("Fri, 27 Nov 2026 09:00:30 GMT", 30.0),
        ("Fri, 27 Nov 2026 08:59:00 GMT", 0.0),
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after_reads_seconds_or_an_http_date(header: str | None, seconds: float | None) -> None:
    assert parse_retry_after(header, now=datetime(2026, 11, 27, 9, 0, tzinfo=UTC)) == seconds
