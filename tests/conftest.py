"""Fixtures for the whole suite: one Azurite per test session, fresh tables for each test."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
from azure.data.tables.aio import TableServiceClient

from local.azurite import Azurite, start_azurite
from shared.store.tables import TableNames, connect, ensure_tables


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that needs Azurite, so `-m "not azurite"` runs the rest without Node.js."""
    for item in items:
        if "azurite" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.azurite)


@pytest.fixture(scope="session")
def azurite() -> Iterator[Azurite]:
    """An in-memory Azurite table service, started on first use and stopped at the end of the session."""
    server = start_azurite()
    yield server
    server.stop()


@pytest.fixture(scope="session")
async def table_service(azurite: Azurite) -> AsyncIterator[TableServiceClient]:
    async with connect(connection_string=azurite.connection_string) as service:
        yield service


@pytest.fixture
async def table_names(table_service: TableServiceClient) -> AsyncIterator[TableNames]:
    """The integration's tables under a prefix of this test's own, created empty, deleted after."""
    names = TableNames(prefix="t" + uuid.uuid4().hex[:12])
    await ensure_tables(table_service, names)
    yield names
    for name in names.all():
        await table_service.delete_table(name)
