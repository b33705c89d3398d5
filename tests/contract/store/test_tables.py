"""Opening the table service from settings and creating the tables, against Azurite."""

from __future__ import annotations

import asyncio

from pydantic import SecretStr

from local.azurite import Azurite
from shared.settings import Settings
from shared.store.tables import TableNames, ensure_tables, open_table_service


async def test_the_service_opens_from_the_connection_string_setting_and_creates_every_table(
    azurite: Azurite,
) -> None:
    # GIVEN settings naming Azurite by connection string, and a prefix no test has used
    settings = Settings.model_construct(
        tables_connection_string=SecretStr(azurite.connection_string), tables_account_url=None
    )
    names = TableNames("settings1")
    async with open_table_service(settings) as service:
        # WHEN the tables are ensured twice (two workers starting at once)
        await asyncio.gather(ensure_tables(service, names), ensure_tables(service, names))
        # THEN the five tables exist, once each
        listed = sorted([table.name async for table in service.list_tables()])
        try:
            assert [name for name in listed if name.startswith("settings1")] == sorted(names.all())
        finally:
            for name in names.all():
                await service.delete_table(name)
