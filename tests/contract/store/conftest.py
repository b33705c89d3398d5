"""One store per table, each on this test's fresh tables in the session's Azurite."""

from __future__ import annotations

import pytest
from azure.data.tables.aio import TableClient, TableServiceClient

from shared.store.crossrefs import CrossReferenceStore
from shared.store.exceptions import ExceptionStore
from shared.store.processed import ProcessedEventStore
from shared.store.tables import TableNames
from shared.store.watermarks import WatermarkStore
from tests.contract.store.support import Clock


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def crossref_table(table_service: TableServiceClient, table_names: TableNames) -> TableClient:
    return table_service.get_table_client(table_names.cross_references)


@pytest.fixture
def crossrefs(crossref_table: TableClient, clock: Clock) -> CrossReferenceStore:
    return CrossReferenceStore(crossref_table, clock=clock)


@pytest.fixture
def watermarks(table_service: TableServiceClient, table_names: TableNames) -> WatermarkStore:
    return WatermarkStore(table_service.get_table_client(table_names.watermarks))


@pytest.fixture
def exceptions_table(table_service: TableServiceClient, table_names: TableNames) -> TableClient:
    return table_service.get_table_client(table_names.sync_exceptions)


@pytest.fixture
def exceptions(exceptions_table: TableClient, clock: Clock) -> ExceptionStore:
    return ExceptionStore(exceptions_table, clock=clock)


@pytest.fixture
def processed(
    table_service: TableServiceClient, table_names: TableNames, clock: Clock
) -> ProcessedEventStore:
    return ProcessedEventStore(table_service.get_table_client(table_names.processed_events), clock=clock)
