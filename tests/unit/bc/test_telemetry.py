"""Every request to BC is one `bc <METHOD> <entity set>` span carrying document keys only."""

from __future__ import annotations

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from shared.bc.http import document_key, operation_name
from tests.capture import span_exporter
from tests.unit.bc.support import COMPANY_ROOT, ORDER_ID, ROOT, Script, a_client, bc_error, ok, sales_order


@pytest.fixture
def spans() -> InMemorySpanExporter:
    exporter = span_exporter()
    exporter.clear()
    return exporter


@pytest.mark.parametrize(
    ("method", "url", "name", "key"),
    [
        ("GET", f"{ROOT}/companies", "GET companies", None),
        ("GET", f"{COMPANY_ROOT}/salesOrders?$filter=number%20eq%20'SO1'", "GET salesOrders", None),
        (
            "PATCH",
            f"{COMPANY_ROOT}/salesOrders(1)/salesOrderLines(2)",
            "PATCH salesOrders/salesOrderLines",
            "2",
        ),
        (
            "POST",
            f"{COMPANY_ROOT}/salesOrders(1)/Microsoft.NAV.shipAndInvoice",
            "POST salesOrders/shipAndInvoice",
            "1",
        ),
        ("POST", f"{ROOT}/$batch", "POST $batch", None),
        ("DELETE", f"{ROOT}/subscriptions('abc')", "DELETE subscriptions", "abc"),
        (
            "POST",
            "https://bc/v2.0/t/e/api/scendIntegration/warehouse/v1.0/companies(1)/shipmentPostings",
            "POST shipmentPostings",
            None,
        ),
    ],
)
def test_the_operation_names_the_entity_set_or_action_without_keys_or_query(
    method: str, url: str, name: str, key: str | None
) -> None:
    assert operation_name(method, url) == name
    assert document_key(url) == key


async def test_each_send_is_one_span_with_document_keys_only(spans: InMemorySpanExporter) -> None:
    # GIVEN BC answers 503 once, then an order whose customer is a person
    script = Script([bc_error(503, "x"), ok(sales_order())])
    async with a_client(script) as bc:
        # WHEN the order is read
        await bc.sales.get_order(ORDER_ID)
    # THEN two spans, one per send, with the order's key and no personal data or token
    first, second = spans.get_finished_spans()
    assert first.name == second.name == "bc GET salesOrders"
    assert dict(first.attributes or {}) == {
        "peer.service": "bc",
        "http.method": "GET",
        "attempt": 1,
        "doc.key": str(ORDER_ID),
        "outcome": "rate_limited",
        "http.status_code": 503,
        "http.error_code": "x",
    }
    assert (second.attributes or {})["outcome"] == "succeed"
    text = repr([dict(s.attributes or {}) for s in (first, second)])
    assert "Ada" not in text
    assert "token" not in text
