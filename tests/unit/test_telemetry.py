"""Telemetry: spans carry document keys and nothing else; Azure Monitor only when configured."""

from __future__ import annotations

import sys

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from shared import telemetry
from tests.capture import span_exporter


@pytest.fixture
def spans() -> InMemorySpanExporter:
    exporter = span_exporter()
    exporter.clear()
    return exporter


def test_a_flow_span_keeps_document_keys_and_drops_personal_data(spans: InMemorySpanExporter) -> None:
    with telemetry.flow_span(
        "order_release",
        **{"doc.kind": "salesOrder", "doc.key": "SO1001"},
        customer_name="Ada Lovelace",
        email="ada@example.com",
    ):
        pass
    (span,) = spans.get_finished_spans()
    assert span.name == "flow order_release"
    assert dict(span.attributes or {}) == {
        "flow": "order_release",
        "doc.kind": "salesOrder",
        "doc.key": "SO1001",
    }


def test_a_failing_call_records_the_error_type_but_not_its_message(spans: InMemorySpanExporter) -> None:
    with pytest.raises(ValueError, match="Ada"), telemetry.outbound_span("scend", "POST /orders"):
        raise ValueError("ship to Ada Lovelace, 1 Analytical Row")
    (span,) = spans.get_finished_spans()
    assert span.status.status_code is StatusCode.ERROR
    assert span.status.description == "ValueError"
    assert (span.attributes or {})["error.type"] == "ValueError"
    assert span.events == ()  # no exception event quoting the message


def test_without_a_connection_string_azure_monitor_is_never_imported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(telemetry.CONNECTION_STRING_SETTING, raising=False)
    monkeypatch.setattr(telemetry, "_configured", False)
    monkeypatch.setitem(sys.modules, "azure.monitor.opentelemetry", None)  # importing it would fail
    telemetry.configure_telemetry()
    assert telemetry._configured


def test_with_a_connection_string_the_azure_monitor_distro_is_configured(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[dict[str, object]] = []

    class Distro:
        @staticmethod
        def configure_azure_monitor(**kwargs: object) -> None:
            calls.append(kwargs)

    monkeypatch.setenv(
        telemetry.CONNECTION_STRING_SETTING, "InstrumentationKey=00000000-0000-0000-0000-000000000000"
    )
    monkeypatch.setattr(telemetry, "_configured", False)
    monkeypatch.setitem(sys.modules, "azure.monitor.opentelemetry", Distro)
    telemetry.configure_telemetry()
    assert calls == [{"logger_name": "shared"}]
