"""Webhook signatures: only a request signed with a current secret, within 300 s, gets through.

Every expected signature here is computed independently (hmac + base64 in the test), never with the
code under test, so a wrong signed string in the code cannot agree with itself.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.errors import InvalidMessage, PermanentError
from shared.scend.signatures import BadSignature, verify
from tests.unit.scend.support import Script, make_adapter

NOW = datetime(2026, 11, 27, 9, 30, tzinfo=UTC)
OLD_KEY = b"old-secret-key-bytes-0123456789"
NEW_KEY = b"new-secret-key-bytes-9876543210"
OLD = "whsec_" + base64.b64encode(OLD_KEY).decode()
NEW = "whsec_" + base64.b64encode(NEW_KEY).decode()
EVENT_ID = "evt_01JDS3"
BODY = json.dumps(
    {
        "id": EVENT_ID,
        "type": "shipment.despatched",
        "created_at": "2026-11-27T09:29:58Z",
        "api_version": "1",
        "data": {"id": "shp_1", "client_reference": "SO-1042-R1"},
        "resource_url": "/v1/shipments/shp_1",
    }
).encode()


def hmac_b64(key: bytes, webhook_id: str, timestamp: str, body: bytes) -> str:
    signed = webhook_id.encode() + b"." + timestamp.encode() + b"." + body
    return base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def headers(
    *keys: bytes, at: datetime = NOW, body: bytes = BODY, webhook_id: str = EVENT_ID
) -> dict[str, str]:
    timestamp = str(int(at.timestamp()))
    signature = " ".join(f"v1,{hmac_b64(k, webhook_id, timestamp, body)}" for k in keys)
    return {
        "Scend-Webhook-Id": webhook_id,
        "Scend-Webhook-Timestamp": timestamp,
        "Scend-Webhook-Signature": signature,
        "Scend-Event-Type": "shipment.despatched",
    }


def reason(hdrs: dict[str, str], body: bytes = BODY, secrets: tuple[str, ...] = (NEW,)) -> str:
    with pytest.raises(BadSignature) as raised:
        verify(hdrs, body, list(secrets), NOW)
    return raised.value.reason


def test_a_valid_signature_returns_the_webhook_id() -> None:
    assert verify(headers(NEW_KEY), BODY, [NEW], NOW) == EVENT_ID


def test_header_names_are_matched_whatever_their_case() -> None:
    lowered = {k.lower(): v for k, v in headers(NEW_KEY).items()}
    assert verify(lowered, BODY, [NEW], NOW) == EVENT_ID


def test_a_plain_secret_is_used_as_its_own_bytes() -> None:
    # GIVEN a secret without the whsec_ prefix (as in local.settings.example.json)
    assert verify(headers(b"local-only-webhook-secret"), BODY, ["local-only-webhook-secret"], NOW) == EVENT_ID


def test_a_tampered_body_is_refused() -> None:
    tampered = BODY.replace(b"SO-1042-R1", b"SO-1042-R2")
    assert reason(headers(NEW_KEY), tampered) == "no signature matches a current secret"


def test_re_serialised_json_is_refused_because_only_the_raw_bytes_count() -> None:
    reserialised = json.dumps(json.loads(BODY), indent=2).encode()
    assert reason(headers(NEW_KEY), reserialised) == "no signature matches a current secret"


def test_a_signature_with_the_wrong_secret_is_refused() -> None:
    assert reason(headers(b"someone-elses-key")) == "no signature matches a current secret"


def test_a_signature_over_another_id_is_refused() -> None:
    hdrs = headers(NEW_KEY)
    hdrs["Scend-Webhook-Id"] = "evt_other"
    assert reason(hdrs) == "no signature matches a current secret"


def test_a_signature_over_another_timestamp_is_refused() -> None:
    hdrs = headers(NEW_KEY)
    hdrs["Scend-Webhook-Timestamp"] = str(int(NOW.timestamp()) - 1)
    assert reason(hdrs) == "no signature matches a current secret"


@pytest.mark.parametrize("seconds", [0, 1, 299, 300])
def test_a_timestamp_up_to_300_seconds_off_either_way_is_accepted(seconds: int) -> None:
    for at in (NOW - timedelta(seconds=seconds), NOW + timedelta(seconds=seconds)):
        assert verify(headers(NEW_KEY, at=at), BODY, [NEW], NOW) == EVENT_ID


def test_a_stale_timestamp_is_refused_even_when_correctly_signed() -> None:
    assert reason(headers(NEW_KEY, at=NOW - timedelta(seconds=301))) == "timestamp too old"


def test_a_future_timestamp_is_refused_even_when_correctly_signed() -> None:
    assert reason(headers(NEW_KEY, at=NOW + timedelta(seconds=301))) == "timestamp in the future"


def test_during_rotation_either_secret_verifies_a_single_signature() -> None:
    # GIVEN we hold the new and the old secret while Scend rotates
    both = [NEW, OLD]
    # THEN a request signed with only the old, or only the new, is accepted
    assert verify(headers(OLD_KEY), BODY, both, NOW) == EVENT_ID
    assert verify(headers(NEW_KEY), BODY, both, NOW) == EVENT_ID


def test_during_rotation_two_signatures_verify_against_either_secret() -> None:
    # GIVEN Scend signs with both secrets (two space-separated values)
    hdrs = headers(OLD_KEY, NEW_KEY)
    # THEN we accept while holding the old one only, the new one only, or both
    for secrets in ([OLD], [NEW], [NEW, OLD]):
        assert verify(hdrs, BODY, secrets, NOW) == EVENT_ID


def test_after_rotation_the_retired_secret_no_longer_verifies() -> None:
    assert reason(headers(OLD_KEY), secrets=(NEW,)) == "no signature matches a current secret"


def test_other_signature_versions_are_ignored_but_a_v1_among_them_counts() -> None:
    hdrs = headers(NEW_KEY)
    hdrs["Scend-Webhook-Signature"] = "v1a,bm90LXVzZWQ= " + hdrs["Scend-Webhook-Signature"]
    assert verify(hdrs, BODY, [NEW], NOW) == EVENT_ID


@pytest.mark.parametrize(
    ("header", "value", "expected"),
    [
        ("Scend-Webhook-Id", None, "missing scend-webhook-id header"),
        ("Scend-Webhook-Timestamp", None, "missing scend-webhook-timestamp header"),
        ("Scend-Webhook-Signature", None, "missing scend-webhook-signature header"),
        ("Scend-Webhook-Signature", "", "missing scend-webhook-signature header"),
        ("Scend-Webhook-Signature", "not-a-signature", "malformed signature header"),
        ("Scend-Webhook-Signature", "v1,", "malformed signature header"),
        ("Scend-Webhook-Signature", "v2,abc=", "malformed signature header"),
        ("Scend-Webhook-Signature", "v1,ünïcode", "malformed signature header"),
        ("Scend-Webhook-Timestamp", "1764235800.5", "malformed timestamp"),
        ("Scend-Webhook-Timestamp", "-1764235800", "malformed timestamp"),
        ("Scend-Webhook-Timestamp", "2026-11-27T09:30:00Z", "malformed timestamp"),
        ("Scend-Webhook-Timestamp", "١٧٦٤٢٣٥٨٠٠", "malformed timestamp"),  # non-ASCII digits
        ("Scend-Webhook-Timestamp", "1" + "0" * 400, "malformed timestamp"),  # beyond a float: was a 500
        ("Scend-Webhook-Timestamp", "9" * 5000, "malformed timestamp"),  # beyond int()'s 4300 digits
        ("Scend-Webhook-Timestamp", "0" * 13, "malformed timestamp"),  # more digits than a timestamp has
        ("Scend-Webhook-Id", "evt\x00", "malformed webhook id"),
        ("Scend-Webhook-Id", "e" * 257, "malformed webhook id"),
    ],
)
def test_a_missing_or_malformed_header_is_refused(header: str, value: str | None, expected: str) -> None:
    hdrs = headers(NEW_KEY)
    if value is None:
        del hdrs[header]
    else:
        hdrs[header] = value
    assert reason(hdrs) == expected


def test_without_any_secret_nothing_verifies() -> None:
    assert reason(headers(NEW_KEY), secrets=()) == "no webhook secret configured"


def test_a_bad_signature_is_permanent_with_the_catalogue_code() -> None:
    with pytest.raises(BadSignature) as raised:
        verify(headers(b"wrong"), BODY, [NEW], NOW)
    assert isinstance(raised.value, PermanentError)
    assert raised.value.exception_type == "BAD_SIGNATURE"
    assert "SO-1042" not in str(raised.value)


@given(position=st.integers(min_value=0, max_value=len(BODY) - 1), byte=st.integers(0, 255))
def test_any_single_byte_change_of_the_body_is_refused(position: int, byte: int) -> None:
    if BODY[position] == byte:
        return  # not a change
    changed = BODY[:position] + bytes([byte]) + BODY[position + 1 :]
    with pytest.raises(BadSignature):
        verify(headers(NEW_KEY), changed, [NEW], NOW)


# Through the port


async def test_the_adapter_verifies_and_parses_the_event() -> None:
    async with make_adapter(Script([]), secrets=[NEW]) as scend:
        event = scend.verify_webhook(headers(NEW_KEY, at=datetime(2026, 11, 27, 9, 30, tzinfo=UTC)), BODY)
    assert (event.id, event.type, event.resource_url) == (
        EVENT_ID,
        "shipment.despatched",
        "/v1/shipments/shp_1",
    )
    assert event.data["id"] == "shp_1"


async def test_the_adapter_refuses_a_bad_signature_before_reading_the_body() -> None:
    async with make_adapter(Script([]), secrets=[NEW]) as scend:
        with pytest.raises(BadSignature):
            scend.verify_webhook(headers(OLD_KEY), b"not even json")


async def test_a_signed_body_that_is_not_an_event_is_an_invalid_message() -> None:
    body = b'{"hello": "Ada Lovelace"}'
    async with make_adapter(Script([]), secrets=[NEW]) as scend:
        with pytest.raises(InvalidMessage) as raised:
            scend.verify_webhook(headers(NEW_KEY, body=body), body)
    assert "Ada" not in str(raised.value)
    assert "type" in str(raised.value)
