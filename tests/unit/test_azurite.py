"""The Azurite launcher: its command line, its connection string and its message when missing."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from local import azurite


def test_the_command_line_runs_the_table_service_in_memory_on_loopback() -> None:
    command = azurite.azurite_command(10102)
    assert command[0].endswith("node_modules/.bin/azurite-table")
    assert command[1:] == [
        "--inMemoryPersistence", "--disableTelemetry", "--silent", "--skipApiVersionCheck",
        "--tableHost", "127.0.0.1", "--tablePort", "10102",
    ]  # fmt: skip


def test_a_location_replaces_in_memory_persistence(tmp_path: Path) -> None:
    command = azurite.azurite_command(10102, tmp_path)
    assert command[1:3] == ["--location", str(tmp_path)]
    assert "--inMemoryPersistence" not in command


def test_the_connection_string_names_the_development_account_on_that_port() -> None:
    assert azurite.connection_string_for(10102) == (
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;"
        f"AccountKey={azurite.AZURITE_ACCOUNT_KEY};TableEndpoint=http://127.0.0.1:10102/devstoreaccount1;"
    )


def test_a_missing_install_says_how_to_get_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # GIVEN node_modules was never installed
    monkeypatch.setattr(azurite, "AZURITE_TABLE", tmp_path / "azurite-table")
    # WHEN Azurite is started / THEN one clear line says what to run
    with pytest.raises(azurite.AzuriteError) as raised:
        azurite.start_azurite()
    assert str(raised.value) == "Azurite is not installed: run `make test` (it runs npm ci)"


def test_the_free_port_is_bindable() -> None:
    port = azurite.free_port()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", port))


def test_main_reports_a_missing_install_in_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(azurite, "AZURITE_TABLE", tmp_path / "azurite-table")
    assert azurite.main(["--port", "10102"]) == 1
    assert capsys.readouterr().err == "Azurite is not installed: run `make test` (it runs npm ci)\n"
