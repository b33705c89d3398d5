"""Filter literals, query text and paging: user data can never change the shape of a filter."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.bc.enums import DocumentStatus, ItemLedgerEntryType
from shared.bc.odata import Field, ForeignNextLink, Query, all_of, follow_pages, literal, modified_since

STRING_LITERAL = re.compile(r"^'(?:[^']|'')*'$")


def parse_string_literal(text: str) -> str:
    assert STRING_LITERAL.match(text), text
    return text[1:-1].replace("''", "'")


@given(st.text())
def test_any_string_becomes_one_quoted_literal_that_reads_back_as_itself(value: str) -> None:
    assert parse_string_literal(literal(value)) == value


@given(st.text())
def test_a_string_cannot_end_the_literal_and_add_a_clause(value: str) -> None:
    text = Field("externalDocumentNumber").eq(value).text
    assert text.startswith("externalDocumentNumber eq '")
    assert parse_string_literal(text.removeprefix("externalDocumentNumber eq ")) == value


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("O'Brien", "'O''Brien'"),
        ("x' or 1 eq 1 or 'a' eq 'a", "'x'' or 1 eq 1 or ''a'' eq ''a'"),
        (True, "true"),
        (False, "false"),
        (42, "42"),
        (Decimal("2.50"), "2.50"),
        (UUID("6a1b2c3d-0000-4000-8000-000000000001"), "6a1b2c3d-0000-4000-8000-000000000001"),
        (date(2026, 11, 27), "2026-11-27"),
        (datetime(2026, 11, 27, 9, 0, 0, 123456, tzinfo=UTC), "2026-11-27T09:00:00.123Z"),
        (datetime(2026, 11, 27, 10, 0, tzinfo=timezone(timedelta(hours=1))), "2026-11-27T09:00:00.000Z"),
        (DocumentStatus.IN_REVIEW, "'In_x0020_Review'"),
        (ItemLedgerEntryType.POSITIVE_ADJUSTMENT, "'Positive_x0020_Adjmt_x002E_'"),
    ],
)
def test_each_kind_of_value_is_written_as_odata_wants_it(value: object, expected: str) -> None:
    assert literal(value) == expected  # type: ignore[arg-type]


def test_a_naive_datetime_or_a_non_number_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone"):
        literal(datetime(2026, 11, 27, 9, 0))
    with pytest.raises(ValueError, match="finite"):
        literal(float("nan"))
    with pytest.raises(TypeError):
        literal(object())  # type: ignore[arg-type]


def test_a_field_name_that_is_not_an_identifier_is_refused() -> None:
    with pytest.raises(ValueError, match="property path"):
        Field("status eq 'Open' or id")


def test_released_orders_changed_since_a_watermark() -> None:
    since = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
    query = Query(
        filter=all_of(Field("status").eq(DocumentStatus.OPEN), modified_since(since)),
        expand=("salesOrderLines",),
        orderby=("lastModifiedDateTime asc",),
    )
    assert query.options() == {
        "$filter": "(status eq 'Open') and (lastModifiedDateTime ge 2026-11-27T09:00:00.000Z)",
        "$expand": "salesOrderLines",
        "$orderby": "lastModifiedDateTime asc",
    }
    # spaces travel as %20 (not `+`, which not every OData parser reads as a space); `$` and quotes stay
    assert query.url("https://bc/x/salesOrders") == (
        "https://bc/x/salesOrders?$filter=(status%20eq%20'Open')%20and%20"
        "(lastModifiedDateTime%20ge%202026-11-27T09:00:00.000Z)"
        "&$expand=salesOrderLines&$orderby=lastModifiedDateTime%20asc"
    )


def test_characters_that_would_end_a_query_option_are_percent_encoded() -> None:
    url = Query(filter=Field("externalDocumentNumber").eq("A&B#1+2")).url("https://bc/x")
    assert url == "https://bc/x?$filter=externalDocumentNumber%20eq%20'A%26B%231%2B2'"


async def test_paging_follows_next_links_until_the_last_page() -> None:
    pages = {
        "https://bc/items": {
            "value": [{"n": 1}, {"n": 2}],
            "@odata.nextLink": "https://bc/items?$skiptoken=2",
        },
        "https://bc/items?$skiptoken=2": {"value": [{"n": 3}]},
    }
    fetched: list[str] = []

    async def fetch(url: str) -> dict[str, object]:
        fetched.append(url)
        return pages[url]

    seen = [row["n"] async for page in follow_pages(fetch, "https://bc/items") for row in page]
    assert seen == [1, 2, 3]
    assert fetched == ["https://bc/items", "https://bc/items?$skiptoken=2"]


async def test_a_next_link_to_another_origin_is_not_followed_with_our_token() -> None:
    async def fetch(url: str) -> dict[str, object]:
        return {"value": [], "@odata.nextLink": "https://evil.example/items?$skiptoken=2"}

    with pytest.raises(ForeignNextLink):
        async for _ in follow_pages(fetch, "https://bc/items"):
            pass
