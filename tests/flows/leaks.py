"""Known personal values to feed through the flows, and where they (and the app's secrets) could leak
to, searched as one text per place: every log record (any logger, DEBUG), every finished span
(attributes and events), every row of every table the integration writes (exception rows with all
their properties, payload included; cross-references; the order timeline; processed events;
watermarks; reconciliations)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

import pytest
from azure.data.tables.aio import TableServiceClient
from opentelemetry.sdk.trace import ReadableSpan

from shared.store.tables import TableNames
from tests.capture import span_exporter
from tests.flows.orders.support import World

CUSTOMER_NAME = "Zelda Quartzfield"
SHIP_TO = {  # a sales order's header fields that are personal data, each a value found nowhere else
    "shipToName": "Zelda Quartzfield-Home",
    "shipToContact": "Yorick Marker",
    "shipToAddressLine1": "77 Quartzfield Lane",
    "shipToAddressLine2": "Flat Q9",
    "shipToCity": "Markerbury",
    "shipToPostCode": "ZZ9 9QQ",
    "phoneNumber": "+44 7700 900977",
    "email": "zelda.quartzfield@example.test",
}


def name_customer(world: World, number: str, name: str = CUSTOMER_NAME) -> None:
    """Give the BC customer `number` a personal name (orders, invoices and memos copy it)."""
    (customer,) = [c for c in world.bc_sim.docs.state.rows("customers") if c["number"] == number]
    world.bc_sim.docs.modify("customers", customer["id"], {"displayName": name})


def app_secrets(world: World) -> list[str]:
    """The BC client secret and the Scend API key the world's clients use."""
    return [world.bc_sim.config.client_secret, world.scend_sim.api_key]


@dataclass
class Places:
    """The captured text of each place, by name (`logs`, `spans`, `table <name>`)."""

    text: dict[str, str]

    def assert_none_holds(self, values: Iterable[str]) -> None:
        found = [(value, place) for value in values for place, text in self.text.items() if value in text]
        assert not found, "personal data or a secret leaked: " + ", ".join(f"{v!r} in {p}" for v, p in found)

    def assert_searched(self, *places: str) -> None:
        """These places hold something, so a search of them proves something."""
        empty = [place for place in places if not self.text.get(place)]
        assert not empty, f"nothing captured in {empty}: the search would prove nothing"


@dataclass
class Leaks:
    caplog: pytest.LogCaptureFixture
    table_service: TableServiceClient
    table_names: TableNames

    def start(self) -> None:
        """Capture from now on: every logger at DEBUG, spans from an empty exporter."""
        self.caplog.set_level(logging.DEBUG)
        span_exporter().clear()

    async def places(self) -> Places:
        text = {
            "logs": "\n".join(
                f"{r.name} {r.getMessage()} {r.exc_text or ''} {r.__dict__}" for r in self.caplog.records
            ),
            "spans": "\n".join(_span_text(span) for span in span_exporter().get_finished_spans()),
        }
        for table in self.table_names.all():
            client = self.table_service.get_table_client(table)
            rows = [str(dict(entity)) async for entity in client.list_entities()]
            text[f"table {table.removeprefix(self.table_names.prefix)}"] = "\n".join(rows)
        return Places(text)


def _span_text(span: ReadableSpan) -> str:
    events = [(event.name, dict(event.attributes or {})) for event in span.events]
    return f"{span.name} {dict(span.attributes or {})} {events}"
