"""OpenTelemetry for the app: traces, metrics and logs; Azure Monitor only when configured.

Spans carry document keys (kind, key, version, queue, message id), never personal data: only
attribute names on `ALLOWED_ATTRIBUTES` (or under `doc.` / `http.`) are recorded, so a caller cannot
leak a customer's name into Application Insights by passing it as an attribute.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import Span, Status, StatusCode

from shared import __version__

CONNECTION_STRING_SETTING = "APPLICATIONINSIGHTS_CONNECTION_STRING"
TRACER_NAME = "bc_scend"

ALLOWED_ATTRIBUTES = frozenset(
    {
        "flow",
        "queue",
        "message.id",
        "message.delivery_count",
        "attempt",
        "outcome",
        "error.type",
        "exception.type",
        "peer.service",
        "records",
    }
)
ALLOWED_PREFIXES = ("doc.", "http.", "watermark.")

_configured = False
log = logging.getLogger(__name__)


def configure_telemetry(service_name: str = "bc-scend-integration") -> None:
    """Install the providers once per process.

    With `APPLICATIONINSIGHTS_CONNECTION_STRING` set, the Azure Monitor distro exports traces,
    metrics and logs; without it the SDK providers still record (so tests can capture spans) but
    nothing is exported and the distro is never called.
    """
    global _configured
    if _configured:
        return
    _configured = True
    if os.environ.get(CONNECTION_STRING_SETTING):
        from azure.monitor.opentelemetry import configure_azure_monitor

        configure_azure_monitor(logger_name="shared")
        return
    if isinstance(trace.get_tracer_provider(), TracerProvider):
        return  # a provider is already installed (a test capturing spans, or the host's own)
    resource = Resource.create({"service.name": service_name, "service.version": __version__})
    trace.set_tracer_provider(TracerProvider(resource=resource))
    metrics.set_meter_provider(MeterProvider(resource=resource))


def safe_attributes(attributes: Mapping[str, Any]) -> dict[str, str | int | float | bool]:
    """Keep only allow-listed attribute names with scalar values; drop everything else."""
    kept: dict[str, str | int | float | bool] = {}
    for name, value in attributes.items():
        if value is None:
            continue
        if name not in ALLOWED_ATTRIBUTES and not name.startswith(ALLOWED_PREFIXES):
            continue
        kept[name] = value if isinstance(value, str | int | float | bool) else str(value)
    return kept


def tracer() -> trace.Tracer:
    return trace.get_tracer(TRACER_NAME, __version__)


@contextmanager
def flow_span(flow: str, **attributes: Any) -> Iterator[Span]:
    """A span around one run of a flow (one message, one poll, one request)."""
    with _span(f"flow {flow}", trace.SpanKind.INTERNAL, {"flow": flow, **attributes}) as span:
        yield span


@contextmanager
def outbound_span(peer: str, operation: str, **attributes: Any) -> Iterator[Span]:
    """A span around one call to Business Central, Scend or Azure storage."""
    attrs = {"peer.service": peer, **attributes}
    with _span(f"{peer} {operation}", trace.SpanKind.CLIENT, attrs) as span:
        yield span


@contextmanager
def _span(name: str, kind: trace.SpanKind, attributes: Mapping[str, Any]) -> Iterator[Span]:
    with tracer().start_as_current_span(
        name,
        kind=kind,
        attributes=safe_attributes(attributes),
        record_exception=False,
        set_status_on_exception=False,  # its description would quote the message
    ) as span:
        try:
            yield span
        except BaseException as error:
            # Only the error's type: its message may quote a payload.
            span.set_status(Status(StatusCode.ERROR, type(error).__name__))
            span.set_attribute("error.type", type(error).__name__)
            raise


# Instruments made through the API's proxy meter start recording once a provider is installed.
_documents = metrics.get_meter(TRACER_NAME, __version__).create_counter(
    "integration.documents", unit="{document}", description="documents handled, per flow and outcome"
)


def count_document(flow: str, outcome: str) -> None:
    """One document handled by a flow (the workbook's throughput per flow)."""
    _documents.add(1, {"flow": flow, "outcome": outcome})
