"""Backoff: jittered exponential pauses, never shorter than Retry-After, long waits left to the shell.

One schedule for the BC client, the Scend adapter and the trigger shell; each only sets its numbers.
"""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from shared.retry import Backoff, parse_retry_after

BACKOFF = Backoff(attempts=4, base_seconds=1.0, max_seconds=8.0, max_wait_seconds=30.0)
NOW = datetime(2026, 11, 27, 9, 30, tzinfo=UTC)


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


def test_inline_waiters_give_up_when_attempts_are_spent_or_retry_after_is_too_long() -> None:
    assert not BACKOFF.gives_up(3, None)
    assert BACKOFF.gives_up(4, None)
    assert not BACKOFF.gives_up(1, 30.0)
    assert BACKOFF.gives_up(1, 30.5)


def test_a_schedule_that_never_waits_inline_gives_up_only_when_attempts_are_spent() -> None:
    # GIVEN the trigger shell's kind of schedule: a copy is scheduled, so no Retry-After is too long
    shell = Backoff(attempts=3, base_seconds=10.0, max_seconds=60.0, max_wait_seconds=math.inf)
    assert not shell.gives_up(1, 86_400.0)
    assert shell.gives_up(3, None)
    assert shell.delay(1, 86_400.0, random.Random(1)) == 86_400.0


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        (None, None),
        ("", None),
        ("   ", None),
        ("7", 7.0),
        ("12", 12.0),
        (" 0 ", 0.0),
        (" 2.5 ", 2.5),
        ("-3", 0.0),
        ("Fri, 27 Nov 2026 09:30:30 GMT", 30.0),
        ("Fri, 27 Nov 2026 09:30:30 -0000", 30.0),  # no zone: read as UTC
        ("Fri, 27 Nov 2026 09:29:00 GMT", 0.0),
        ("soon", None),
        ("inf", None),
        ("nan", None),
    ],
)
def test_retry_after_reads_seconds_or_an_http_date(header: str | None, seconds: float | None) -> None:
    assert parse_retry_after(header, now=NOW) == seconds


def test_retry_after_as_a_date_is_counted_from_the_current_time_by_default() -> None:
    header = format_datetime(datetime.now(UTC) + timedelta(seconds=90), usegmt=True)
    seconds = parse_retry_after(header)
    assert seconds is not None
    assert 85 <= seconds <= 90
