"""Key escaping, compound keys, continuation tokens, table names and conflict mapping (no Azurite)."""

from __future__ import annotations

import re

import pytest
from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError
from hypothesis import example, given
from hypothesis import strategies as st

from shared.errors import ConcurrencyConflict
from shared.store.tables import (
    KEY_SEPARATOR,
    TableNames,
    compound_key,
    conflicts_as_transient,
    decode_continuation,
    encode_continuation,
    escape_key,
    unescape_key,
)

# What may reach the service: letters, digits, - _ . and non-ASCII printable characters, `~XX` escapes.
STORED_KEY = re.compile(r"^(?:[A-Za-z0-9._\-\u00a0-\U0010ffff]|~[0-9A-F]{2})*$")


@given(st.text())
@example("SO/1001#A?b\\c")
@example("o'neil:1 (2) & 3%20~7E")
@example("\x00\x1f\x7f\x85\x9f")
def test_escaping_round_trips_and_leaves_only_safe_characters(key: str) -> None:
    escaped = escape_key(key)
    assert unescape_key(escaped) == key
    assert STORED_KEY.match(escaped)


@given(st.text(alphabet=st.characters(categories=["L", "N"]) | st.sampled_from("-_.")))
def test_keys_without_unsafe_characters_are_stored_as_they_are(key: str) -> None:
    assert escape_key(key) == key


def test_a_known_key_escapes_readably() -> None:
    assert escape_key("SO/1001#A?b\\c") == "SO~2F1001~23A~3Fb~5Cc"


@given(st.lists(st.text(), min_size=2, max_size=2), st.lists(st.text(), min_size=2, max_size=2))
def test_compound_keys_of_different_parts_differ(left: list[str], right: list[str]) -> None:
    # The separator never occurs inside an escaped part, so ("a|b", "c") and ("a", "b|c") differ.
    assert (compound_key(*left) == compound_key(*right)) == (left == right)
    assert compound_key(*left).count(KEY_SEPARATOR) == 1


@given(st.dictionaries(st.sampled_from(["PartitionKey", "RowKey"]), st.text(), min_size=1))
def test_continuation_tokens_round_trip(token: dict[str, str]) -> None:
    encoded = encode_continuation(token)
    assert encoded is not None
    assert encoded.isascii()
    assert decode_continuation(encoded) == token


def test_no_continuation_means_the_last_page() -> None:
    assert encode_continuation(None) is None
    assert encode_continuation({}) is None
    assert decode_continuation(None) is None


@pytest.mark.parametrize("garbage", ["not base64!", "bnVsbA==", "WzFd", "\u00e9"])
def test_a_corrupt_continuation_token_is_refused(garbage: str) -> None:
    with pytest.raises(ValueError, match="invalid continuation token"):
        decode_continuation(garbage)


def test_table_names_take_a_prefix() -> None:
    assert TableNames().all() == (
        "CrossReferences", "Watermarks", "SyncExceptions", "ProcessedEvents", "Reconciliations",
        "OrderTimeline", "RequestBudgets",
    )  # fmt: skip
    assert TableNames("t1a2").watermarks == "t1a2Watermarks"
    with pytest.raises(ValueError, match="table prefix"):
        TableNames("1-bad")


def service_error(code: str, kind: type[HttpResponseError] = HttpResponseError) -> HttpResponseError:
    error = kind(message=code)
    error.error_code = code  # type: ignore[attr-defined]  # as the Tables SDK sets it
    return error


@pytest.mark.parametrize(
    "error",
    [
        service_error("UpdateConditionNotSatisfied"),
        service_error("EntityAlreadyExists"),
        service_error("ResourceNotFound", ResourceNotFoundError),
        ResourceExistsError(message="no code: create_entity's undecoded error"),
    ],
)
def test_conflicts_become_transient(error: HttpResponseError) -> None:
    with pytest.raises(ConcurrencyConflict, match="someone else wrote first"), conflicts_as_transient("row"):
        raise error


@pytest.mark.parametrize(
    "error", [service_error("PropertyValueTooLarge"), service_error("TableNotFound", ResourceNotFoundError)]
)
def test_other_service_errors_pass_through(error: HttpResponseError) -> None:
    with pytest.raises(type(error)) as raised, conflicts_as_transient("row"):
        raise error
    assert raised.value is error
