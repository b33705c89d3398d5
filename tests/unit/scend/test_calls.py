"""Reads, PUTs, ASNs and credentials: the outcome table as the adapter applies it."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from datetime import timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from shared.errors import InDoubt, InvalidMessage, TransientError
from shared.scend.calls import SCEND_BACKOFF
from shared.scend.http import idempotency_key
from shared.scend.models import AsnLineRequest, AsnRequest, Product
from shared.scend.outcomes import ScendRejected, UnexpectedResponse
from shared.scend.rest import ContractRestAdapter
from shared.settings import Settings, load_settings, setting_name
from tests.capture import span_exporter
from tests.unit.scend.support import (
    NOW,
    Script,
    Sleeps,
    listing,
    make_adapter,
    ok,
    order_json,
    order_request,
    problem,
    timeout,
)

PRODUCT = {
    "sku": "1000-BLU",
    "description": "Blue mug",
    "barcodes": [{"type": "EAN13", "value": "5012345678900"}],
}


def asn_request() -> AsnRequest:
    return AsnRequest(
        client_reference="PO-2001",
        supplier="Mugs Ltd",
        expected_at=NOW + timedelta(days=3),
        lines=[AsnLineRequest(line_ref="10000", sku="1000-BLU", qty_expected=48)],
    )


def asn_json(asn_id: str = "asn_1") -> dict[str, Any]:
    return {"id": asn_id, "client_reference": "PO-2001", "status": "created", "lines": []}


# Reads: the scripted counter (fail once, always fail, fail then succeed)


async def test_a_read_that_fails_once_succeeds_on_the_second_attempt() -> None:
    script = Script([problem(500, "INTERNAL"), ok(PRODUCT)])
    async with make_adapter(script) as scend:
        product = await scend.get_product("1000-BLU")
    assert product is not None
    assert product.barcodes[0].value == "5012345678900"
    assert script.sent == ["GET /products/1000-BLU"] * 2


async def test_a_read_that_always_fails_gives_up_after_the_budget_as_transient() -> None:
    sleeps = Sleeps()
    script = Script([problem(500, "INTERNAL")] * 4)
    async with make_adapter(script, sleeps=sleeps) as scend:
        with pytest.raises(TransientError) as raised:
            await scend.get_product("1000-BLU")
    # THEN exactly four attempts, three jittered waits between half the backoff's ceiling and all of it
    assert len(script.requests) == 4
    assert type(raised.value) is TransientError
    assert SCEND_BACKOFF.attempts == 4
    assert len(sleeps.calls) == 3
    for attempt, wait in enumerate(sleeps.calls, start=1):
        ceiling = min(SCEND_BACKOFF.max_seconds, SCEND_BACKOFF.base_seconds * 2 ** (attempt - 1))
        assert ceiling / 2 <= wait <= ceiling


async def test_a_read_that_times_out_twice_then_answers_is_simply_read_again() -> None:
    script = Script([timeout(), httpx.RemoteProtocolError("dropped"), ok(PRODUCT)])
    async with make_adapter(script) as scend:
        assert await scend.get_product("1000-BLU") is not None
    assert len(script.requests) == 3


async def test_a_product_scend_does_not_know_is_none() -> None:
    script = Script([problem(404, "NOT_FOUND")])
    async with make_adapter(script) as scend:
        assert await scend.get_product("NOPE") is None


async def test_a_retry_after_given_as_a_date_is_honoured() -> None:
    sleeps = Sleeps()
    later = format_datetime(NOW + timedelta(seconds=5), usegmt=True)
    script = Script([problem(503, "UNAVAILABLE", headers={"Retry-After": later}), ok(PRODUCT)])
    async with make_adapter(script, sleeps=sleeps) as scend:
        await scend.get_product("1000-BLU")
    assert sleeps.calls[0] >= 5


async def test_a_sku_with_a_slash_stays_one_path_segment() -> None:
    script = Script([ok(PRODUCT | {"sku": "A/B 1"})])
    async with make_adapter(script) as scend:
        await scend.get_product("A/B 1")
    assert script.requests[0].url.raw_path.endswith(b"/products/A%2FB%201")


async def test_an_answer_that_does_not_fit_the_model_is_a_defect_naming_fields_not_values() -> None:
    script = Script([ok({"sku": "1000-BLU", "description": "Blue mug", "weight_kg": "Ada Lovelace"})])
    async with make_adapter(script) as scend:
        with pytest.raises(UnexpectedResponse) as raised:
            await scend.get_product("1000-BLU")
    assert "weight_kg" in str(raised.value)
    assert "Ada" not in str(raised.value)


async def test_an_unexpected_status_is_a_defect() -> None:
    script = Script([problem(418)])
    async with make_adapter(script) as scend:
        with pytest.raises(UnexpectedResponse):
            await scend.get_product("1000-BLU")


# Products: PUT is idempotent, so it is simply sent again


async def test_an_upsert_that_timed_out_is_sent_again_unchanged() -> None:
    script = Script([timeout(), ok(PRODUCT)])
    product = Product.model_validate(PRODUCT)
    async with make_adapter(script) as scend:
        assert await scend.upsert_product(product) == product
    assert script.sent == ["PUT /products/1000-BLU"] * 2
    assert script.body(0) == script.body(1)
    assert script.keys("PUT") == [None, None]  # PUT needs no Idempotency-Key


async def test_a_refused_item_is_item_rejected_by_wms() -> None:
    script = Script([problem(422, "VALIDATION_FAILED", errors=[{"field": "barcodes[0].value"}])])
    async with make_adapter(script) as scend:
        with pytest.raises(ScendRejected) as raised:
            await scend.upsert_product(Product.model_validate(PRODUCT))
    assert raised.value.exception_type == "ITEM_REJECTED_BY_WMS"
    assert raised.value.fields == ["barcodes[0].value"]


# ASNs: the same in-doubt rules as orders


async def test_an_asn_that_timed_out_but_landed_is_found_by_its_po_number() -> None:
    script = Script([timeout(), ok(listing(asn_json()))])
    async with make_adapter(script) as scend:
        asn = await scend.create_asn(asn_request())
    assert script.sent == ["POST /asns", "GET /asns?client_reference=PO-2001"]
    assert asn.id == "asn_1"
    assert script.keys() == [idempotency_key("POST /asns", "PO-2001")]


async def test_an_asn_duplicate_reference_returns_the_existing_asn() -> None:
    script = Script([problem(409, "DUPLICATE_REFERENCE", existing_id="asn_7"), ok(asn_json("asn_7"))])
    async with make_adapter(script) as scend:
        assert (await scend.create_asn(asn_request())).id == "asn_7"
    assert script.sent == ["POST /asns", "GET /asns/asn_7"]


async def test_an_asn_lookup_that_fails_leaves_the_asn_in_doubt() -> None:
    script = Script([timeout(), *[problem(503)] * 4])
    async with make_adapter(script) as scend:
        with pytest.raises(InDoubt):
            await scend.create_asn(asn_request())
    assert script.sent.count("POST /asns") == 1


@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
        (422, "VALIDATION_FAILED", "ASN_REJECTED_BY_WMS"),
        (422, "SKU_NOT_FOUND", "SKU_NOT_IN_WMS"),
        (400, "SKU_NOT_FOUND", "SKU_NOT_IN_WMS"),
    ],
)
async def test_a_refused_asn_names_its_owner(status: int, code: str, expected: str) -> None:
    script = Script([problem(status, code)])
    async with make_adapter(script) as scend:
        with pytest.raises(ScendRejected) as raised:
            await scend.create_asn(asn_request())
    assert raised.value.exception_type == expected
    assert len(script.requests) == 1


# Orders: the rest of the refusal table


@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
        (422, "VALIDATION_FAILED", "ORDER_REJECTED_BY_WMS"),
        (400, "VALIDATION_FAILED", "ORDER_REJECTED_BY_WMS"),
        (422, "INVALID_ADDRESS", "ORDER_REJECTED_BY_WMS"),
        (422, "UNKNOWN_SERVICE_CODE", "MAPPING_MISSING"),
        (400, "UNKNOWN_SERVICE_CODE", "MAPPING_MISSING"),
        (422, "SKU_NOT_FOUND", "SKU_NOT_IN_WMS"),
        (422, None, "ORDER_REJECTED_BY_WMS"),
        (401, "UNAUTHORIZED", "SCEND_AUTH_FAILED"),
        (403, "FORBIDDEN", "SCEND_AUTH_FAILED"),
    ],
)
async def test_a_refused_order_is_permanent_with_its_catalogue_code(
    status: int, code: str | None, expected: str
) -> None:
    script = Script([problem(status, code)])
    async with make_adapter(script) as scend:
        with pytest.raises(ScendRejected) as raised:
            await scend.create_order(order_request())
    assert raised.value.exception_type == expected
    assert len(script.requests) == 1  # never retried blindly


# Credentials: refresh once, then permanent


@dataclass
class RotatingKey:
    """A key source whose refresh returns the next key (as Key Vault would after a rotation)."""

    keys: list[str]
    refreshes: int = 0

    async def get(self, *, refresh: bool = False) -> str:
        if refresh:
            self.refreshes += 1
        return self.keys[min(self.refreshes, len(self.keys) - 1)]


async def test_a_401_refreshes_the_key_once_and_succeeds_with_the_new_one() -> None:
    keys = RotatingKey(["old-key", "new-key"])
    script = Script([problem(401, "UNAUTHORIZED"), ok(order_json(), 201)])
    async with make_adapter(script, api_key=keys) as scend:
        await scend.create_order(order_request())
    assert [r.headers["Authorization"] for r in script.requests] == ["Bearer old-key", "Bearer new-key"]
    assert keys.refreshes == 1


async def test_a_401_after_the_refresh_is_permanent_for_it() -> None:
    keys = RotatingKey(["old-key", "new-key"])
    script = Script([problem(401, "UNAUTHORIZED"), problem(401, "UNAUTHORIZED")])
    async with make_adapter(script, api_key=keys) as scend:
        with pytest.raises(ScendRejected) as raised:
            await scend.get_product("1000-BLU")
    assert raised.value.exception_type == "SCEND_AUTH_FAILED"
    assert len(script.requests) == 2
    assert keys.refreshes == 1


async def test_a_static_key_refused_is_not_sent_again() -> None:
    script = Script([problem(403, "FORBIDDEN")])
    async with make_adapter(script) as scend:
        with pytest.raises(ScendRejected):
            await scend.get_product("1000-BLU")
    assert len(script.requests) == 1


# Telemetry: one span per request, route template and document key only


async def test_every_request_has_a_span_with_the_route_and_document_key_only() -> None:
    spans = span_exporter()
    spans.clear()
    script = Script([timeout(), ok(listing(order_json()))])
    async with make_adapter(script) as scend:
        await scend.create_order(order_request())
    names = [(s.name, dict(s.attributes or {})) for s in spans.get_finished_spans()]
    assert [n for n, _ in names] == ["scend POST /orders", "scend GET /orders"]
    post, get = (a for _, a in names)
    assert post == {
        "peer.service": "scend",
        "doc.key": "SO-1042-R1",
        "http.request.method": "POST",
        "error.type": "Unanswered",
    }
    assert get["http.response.status_code"] == 200
    assert get["outcome"] == "success"
    recorded = repr(names)
    for personal in ("Ada", "SW1A", "example.com"):
        assert personal not in recorded


# Settings

EXAMPLE_SETTINGS = Path(__file__).resolve().parents[3] / "local.settings.example.json"


@pytest.fixture
def app_settings(monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The local example settings, with a Scend URL and two webhook secrets (a rotation)."""
    for name in Settings.model_fields:
        monkeypatch.delenv(setting_name(name), raising=False)
    for name, value in json.loads(EXAMPLE_SETTINGS.read_text())["Values"].items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("SCEND_BASE_URL", "https://tenant.api.scend.example/v1")
    monkeypatch.setenv("SCEND_WEBHOOK_SECRETS", "whsec_bmV3LXNlY3JldA==, whsec_b2xkLXNlY3JldA==")
    return load_settings()


async def test_the_adapter_is_built_from_the_app_settings(app_settings: Settings) -> None:
    script = Script([ok(PRODUCT)])
    adapter = ContractRestAdapter.from_settings(app_settings, transport=httpx.MockTransport(script))
    async with adapter as scend:
        await scend.get_product("1000-BLU")
        # the old secret of the rotation still verifies (its key is the base64 after whsec_)
        webhook_id, timestamp, body = "evt_1", str(int(time.time())), b'{"id": "evt_1"}'
        signed = f"{webhook_id}.{timestamp}.".encode() + body
        signature = base64.b64encode(hmac.digest(b"old-secret", signed, hashlib.sha256)).decode()
        headers = {
            "Scend-Webhook-Id": webhook_id,
            "Scend-Webhook-Timestamp": timestamp,
            "Scend-Webhook-Signature": f"v1,{signature}",
        }
        with pytest.raises(InvalidMessage):  # verified; the body is simply not an event
            scend.verify_webhook(headers, body)
    request = script.requests[0]
    assert str(request.url) == "https://tenant.api.scend.example/v1/products/1000-BLU"
    assert request.headers["Authorization"] == "Bearer local-only-scend-key"
    assert request.extensions["timeout"]["read"] == 20.0
