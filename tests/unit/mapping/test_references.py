"""client_reference: one per BC document and release, the same on every retry, within the contract."""

from __future__ import annotations

import re
from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.mapping.contract import REFERENCE_MAX_LENGTH, REFERENCE_PATTERN
from shared.mapping.references import ParsedReference, client_reference, parse_client_reference
from tests.unit.mapping.fixtures import ORDER_ID

OTHER_ID = UUID("6a1b2c3d-0000-4000-8000-000000000002")
bc_numbers = st.text(min_size=1, max_size=35)  # BC Code[20] today; longer and any Unicode to be safe
releases = st.integers(min_value=1, max_value=9999)


def test_the_reference_is_the_order_number_a_fingerprint_of_the_bc_id_and_the_release() -> None:
    # GIVEN order SO-1042 with its systemId (pinned: a retry after a deployment must send the same)
    # THEN the first release, and a release after a cancel at Scend, read as the contract suggests
    assert client_reference(ORDER_ID, "SO-1042") == "SO-1042-32082CD6-R1"
    assert client_reference(ORDER_ID, "SO-1042", release=2) == "SO-1042-32082CD6-R2"


def test_a_reused_order_number_still_gets_its_own_reference() -> None:
    # GIVEN SO-1042 deleted and a new order numbered SO-1042 again (another systemId)
    # THEN the two documents have different references at Scend
    assert client_reference(OTHER_ID, "SO-1042") != client_reference(ORDER_ID, "SO-1042")


@pytest.mark.parametrize(
    ("number", "readable"),
    [("SO 1042/A", "SO_1042_A"), ("ORDRE-ÆØÅ", "ORDRE-___"), ("X" * 35, "X" * 30), (" ", "_")],
)
def test_characters_a_file_name_or_url_would_trip_on_become_underscores(number: str, readable: str) -> None:
    assert client_reference(ORDER_ID, number) == f"{readable}-32082CD6-R1"


@pytest.mark.parametrize("release", [0, -1, 10_000])
def test_a_release_outside_1_to_9999_is_a_defect(release: int) -> None:
    with pytest.raises(ValueError, match=r"release must be 1\.\.9999"):
        client_reference(ORDER_ID, "SO-1042", release)


def test_a_reference_reads_back_into_its_parts_and_can_be_checked_against_a_bc_id() -> None:
    parsed = parse_client_reference("SO-1042-32082CD6-R2")
    assert parsed == ParsedReference(number="SO-1042", fingerprint="32082CD6", release=2)
    assert parsed.is_for(ORDER_ID)
    assert not parsed.is_for(OTHER_ID)


@pytest.mark.parametrize(
    "foreign", ["SO-1042-R1", "SO-1042-32082cd6-R1", "SO-1042-32082CD6-R0", "-32082CD6-R1"]
)
def test_a_reference_made_elsewhere_does_not_parse(foreign: str) -> None:
    assert parse_client_reference(foreign) is None


@given(st.uuids(), bc_numbers, releases)
def test_every_reference_fits_the_contract_and_reads_back(bc_id: UUID, number: str, release: int) -> None:
    reference = client_reference(bc_id, number, release)
    # THEN it is printable ASCII within 50 characters, of the safe alphabet only
    assert len(reference) <= REFERENCE_MAX_LENGTH
    assert REFERENCE_PATTERN.fullmatch(reference)
    assert re.fullmatch(r"[A-Za-z0-9._-]+", reference)
    # AND it is the same on every call (a retry), and reads back to its release and its BC id
    assert client_reference(bc_id, number, release) == reference
    parsed = parse_client_reference(reference)
    assert parsed is not None
    assert parsed.release == release
    assert parsed.is_for(bc_id)


@given(st.uuids(), st.uuids(), bc_numbers, bc_numbers, releases)
def test_distinct_bc_documents_never_share_a_reference(
    first: UUID, second: UUID, first_number: str, second_number: str, release: int
) -> None:
    # GIVEN two different BC documents, with the same number or not
    if first == second:
        return
    # THEN their references differ, whatever the release
    references = {client_reference(first, n, release) for n in (first_number, second_number)}
    assert references.isdisjoint(
        {client_reference(second, n, release) for n in (first_number, second_number)}
    )


@given(st.uuids(), bc_numbers, releases, releases)
def test_each_release_of_one_document_has_its_own_reference(
    bc_id: UUID, number: str, release: int, other: int
) -> None:
    same = client_reference(bc_id, number, release) == client_reference(bc_id, number, other)
    assert same == (release == other)
