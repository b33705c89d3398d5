"""The runtime builds every collaborator from settings once, against the real Table service."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from local.azurite import Azurite
from shared.mapping.lookups import Shipping, default_lookups
from shared.runtime import Runtime
from shared.settings import load_settings
from shared.store.tables import TableNames, connect
from shared.store.watermarks import Watermark

EXAMPLE = Path(__file__).resolve().parents[2] / "local.settings.example.json"


def runtime_for(azurite: Azurite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Runtime:
    """GIVEN the local stack's settings, pointed at this test's Azurite and transport file."""
    for name, value in json.loads(EXAMPLE.read_text())["Values"].items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("TABLES_CONNECTION_STRING", azurite.connection_string)
    monkeypatch.setenv("LOCAL_TRANSPORT_PATH", str(tmp_path / "transport.sqlite3"))
    return Runtime(load_settings(), names=TableNames(prefix="r" + uuid.uuid4().hex[:10]))


async def test_the_runtime_creates_the_tables_once_and_hands_out_the_same_stores(
    azurite: Azurite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime = runtime_for(azurite, tmp_path, monkeypatch)
    try:
        stores = await runtime.stores()
        assert await runtime.stores() is stores
        await stores.watermarks.save(
            Watermark(flow="poll_bc_items", source="bc", value="2026-11-27T09:00:00Z")
        )
        assert runtime.transport() is runtime.transport()
        assert (await runtime.transport().counts("orders-to-scend")).active == 0
        settler = await runtime.settler()
        assert settler.exceptions is stores.exceptions
    finally:
        await runtime.close()
    async with connect(connection_string=azurite.connection_string) as service:
        present = {t.name async for t in service.list_tables()}
    assert set(runtime.names.all()) <= present


def test_lookups_come_from_the_setting_or_the_shipped_defaults(
    azurite: Azurite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime = runtime_for(azurite, tmp_path, monkeypatch)
    standard = Shipping(shipment_method="STD")
    assert runtime.lookups().service_code(standard) == default_lookups().service_code(standard)
    own = tmp_path / "lookups.json"
    own.write_text(json.dumps({"services": [{"shipment_method": "STD", "service_code": "evri_standard"}]}))
    monkeypatch.setenv("MAPPING_LOOKUPS", str(own))
    runtime = Runtime(load_settings(), names=runtime.names)
    assert runtime.lookups().service_code(standard) == "evri_standard"
