"""Auth levels as Azure decides them: who gets through with which key."""

from __future__ import annotations

import azure.functions as func
import pytest

from local.devhost.auth import Keys, is_authorised, presented_key

KEYS = Keys(function_keys=("function-key",), master_key="master-key")
ANONYMOUS, FUNCTION, ADMIN = func.AuthLevel.ANONYMOUS, func.AuthLevel.FUNCTION, func.AuthLevel.ADMIN


@pytest.mark.parametrize(
    ("level", "key", "allowed"),
    [
        (ANONYMOUS, None, True),
        (ANONYMOUS, "wrong", True),
        (FUNCTION, None, False),
        (FUNCTION, "wrong", False),
        (FUNCTION, "function-key", True),
        (FUNCTION, "master-key", True),
        (FUNCTION, "FUNCTION-KEY", False),  # keys are case-sensitive
        (ADMIN, None, False),
        (ADMIN, "function-key", False),
        (ADMIN, "master-key", True),
    ],
)
def test_auth_level_decision(level: func.AuthLevel, key: str | None, allowed: bool) -> None:
    assert is_authorised(level, key, KEYS) is allowed


def test_with_no_keys_configured_nothing_but_anonymous_gets_through() -> None:
    # GIVEN no DEVHOST_FUNCTION_KEY / DEVHOST_MASTER_KEY (or empty ones)
    keys = Keys.from_settings({"DEVHOST_FUNCTION_KEY": "", "DEVHOST_MASTER_KEY": ""})
    # THEN an empty key never matches an empty setting
    assert keys == Keys()
    assert not is_authorised(FUNCTION, "", keys)
    assert not is_authorised(ADMIN, "", keys)
    assert is_authorised(ANONYMOUS, None, keys)


def test_keys_come_from_the_settings() -> None:
    keys = Keys.from_settings({"DEVHOST_FUNCTION_KEY": "f", "DEVHOST_MASTER_KEY": "m"})
    assert keys == Keys(function_keys=("f",), master_key="m")


def test_the_key_header_is_read_before_the_code_query_parameter() -> None:
    assert presented_key({"x-functions-key": "from-header"}, {"code": "from-query"}) == "from-header"
    assert presented_key({}, {"code": "from-query"}) == "from-query"
    assert presented_key({}, {}) is None
