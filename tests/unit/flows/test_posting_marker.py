"""The posting marker decides an in-doubt standard posting from BC's quantities alone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from shared.errors import WaitingForDependency
from shared.flows.posting_marker import STALE_AFTER, PostingMarker, cleared
from shared.store.crossrefs import CrossReference

T0 = datetime(2026, 11, 28, 9, tzinfo=UTC)
MARKER = PostingMarker(document="shp_1", before={"10000": "1", "20000": "0"}, units={"10000": "2"}, since=T0)


def test_it_travels_in_the_cross_reference_and_is_cleared_from_it() -> None:
    ref = MARKER.on(CrossReference(kind="salesOrder", bc_id="x", bc_number="S-1", state="sent"))
    assert PostingMarker.of(ref) == MARKER
    assert PostingMarker.of(cleared(ref)) is None


@pytest.mark.parametrize(
    ("posted_now", "committed"),
    [
        ({"10000": Decimal(3), "20000": Decimal(0)}, True),  # moved by exactly its units
        ({"10000": Decimal(4)}, True),  # and more (a later posting on top)
        ({"10000": Decimal(1)}, False),  # nothing moved: post again
        ({"10000": Decimal(2)}, False),  # moved by less than its units: not this posting
        (None, True),  # the order is gone: BC removes a fully invoiced order
    ],
)
def test_it_is_committed_only_when_every_line_moved_by_its_units(
    posted_now: dict[str, Decimal] | None, committed: bool
) -> None:
    assert MARKER.committed(posted_now) is committed


def test_another_documents_fresh_marker_makes_the_caller_wait_and_a_stale_one_does_not() -> None:
    with pytest.raises(WaitingForDependency) as waiting:
        MARKER.wait_if_running("shp_2", T0 + timedelta(minutes=1), "order S-1")
    # a wait bounded by the marker's age, not by the retry budget: it never gives up before it is stale
    assert waiting.value.give_up_at is not None
    assert waiting.value.give_up_at > T0 + STALE_AFTER
    MARKER.wait_if_running("shp_1", T0 + timedelta(minutes=1), "order S-1")  # its own: settle it
    MARKER.wait_if_running("shp_2", T0 + STALE_AFTER, "order S-1")  # old enough to settle
