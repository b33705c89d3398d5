"""HTTP authorisation by auth level, with function and master keys, as Azure Functions decides it."""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass

import azure.functions as func

FUNCTION_KEY_SETTING = "DEVHOST_FUNCTION_KEY"
MASTER_KEY_SETTING = "DEVHOST_MASTER_KEY"
KEY_HEADER = "x-functions-key"
KEY_QUERY = "code"


@dataclass(frozen=True, slots=True)
class Keys:
    """The keys the host accepts; an empty or missing key accepts nothing."""

    function_keys: tuple[str, ...] = ()
    master_key: str | None = None

    @classmethod
    def from_settings(cls, environ: Mapping[str, str]) -> Keys:
        function_key = environ.get(FUNCTION_KEY_SETTING, "")
        return cls(
            function_keys=(function_key,) if function_key else (),
            master_key=environ.get(MASTER_KEY_SETTING) or None,
        )


def presented_key(headers: Mapping[str, str], query: Mapping[str, str]) -> str | None:
    """The key a caller sent: the `x-functions-key` header, else the `code` query parameter."""
    return headers.get(KEY_HEADER) or query.get(KEY_QUERY) or None


def is_master(key: str | None, keys: Keys) -> bool:
    return _same(key, keys.master_key)


def is_authorised(level: func.AuthLevel, key: str | None, keys: Keys) -> bool:
    """anonymous: anyone; function: a function key or the master key; admin: the master key only."""
    if level is func.AuthLevel.ANONYMOUS:
        return True
    if is_master(key, keys):
        return True
    return level is func.AuthLevel.FUNCTION and any(_same(key, k) for k in keys.function_keys)


def _same(presented: str | None, expected: str | None) -> bool:
    # compare_digest: a key check must not leak, through its timing, how much of a guess was right.
    if not presented or not expected:
        return False
    return hmac.compare_digest(presented.encode(), expected.encode())
