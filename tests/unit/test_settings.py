"""Settings: every setting validated once, and a bad one named in one message."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shared.settings import Settings, SettingsError, TransportKind, WriteBackMode, load_settings, setting_name

EXAMPLE = Path(__file__).resolve().parents[2] / "local.settings.example.json"


@pytest.fixture
def example_env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """GIVEN the environment the local stack runs with (local.settings.example.json)."""
    values: dict[str, str] = json.loads(EXAMPLE.read_text())["Values"]
    for name in list(Settings.model_fields):
        monkeypatch.delenv(setting_name(name), raising=False)
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values


def test_the_example_settings_load_with_local_values(example_env: dict[str, str]) -> None:
    settings = load_settings()
    assert settings.messaging_transport is TransportKind.LOCAL
    assert settings.bc_writeback_mode is WriteBackMode.STANDARD
    assert settings.tables_account_url is None  # empty means unset
    assert settings.webhook_secrets == ["whsec_bG9jYWwtb25seS13ZWJob29rLXNlY3JldA=="]
    assert settings.orders_queue == "orders-to-scend"


def test_every_setting_is_listed_in_the_example(example_env: dict[str, str]) -> None:
    names = {setting_name(field) for field in Settings.model_fields}
    assert names - set(example_env) == set()


def test_a_missing_setting_stops_start_up_with_one_message_naming_it(
    example_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BC_TENANT_ID")
    with pytest.raises(SettingsError) as raised:
        load_settings()
    assert str(raised.value) == "Invalid settings: BC_TENANT_ID is missing"


def test_an_invalid_setting_is_named_without_its_value(
    example_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POLL_BC_ITEMS_SCHEDULE", "every five minutes")
    monkeypatch.setenv("BC_WRITEBACK_MODE", "sometimes")
    with pytest.raises(SettingsError) as raised:
        load_settings()
    message = str(raised.value)
    assert "POLL_BC_ITEMS_SCHEDULE" in message
    assert "BC_WRITEBACK_MODE" in message
    assert "every five minutes" not in message
    assert "sometimes" not in message


def test_a_short_client_state_is_refused_without_echoing_it(
    example_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BC_WEBHOOK_CLIENT_STATE", "short")
    with pytest.raises(SettingsError, match="BC_WEBHOOK_CLIENT_STATE") as raised:
        load_settings()
    assert "short'" not in str(raised.value)


def test_either_a_secret_or_a_certificate_is_needed_for_business_central(
    example_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BC_CLIENT_SECRET")
    with pytest.raises(SettingsError, match="BC_CLIENT_SECRET or BC_CLIENT_CERTIFICATE_PATH"):
        load_settings()
    monkeypatch.setenv("BC_CLIENT_CERTIFICATE_PATH", "/certs/bc.pem")
    assert load_settings().bc_client_certificate_path == "/certs/bc.pem"


def test_service_bus_needs_a_connection_unless_the_local_transport_is_used(
    example_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MESSAGING_TRANSPORT", "servicebus")
    with pytest.raises(SettingsError, match="ServiceBusConnection"):
        load_settings()
    monkeypatch.setenv("ServiceBusConnection__fullyQualifiedNamespace", "sb-x.servicebus.windows.net")
    assert load_settings().servicebus_namespace == "sb-x.servicebus.windows.net"


def test_secrets_do_not_show_in_the_settings_repr(example_env: dict[str, str]) -> None:
    text = repr(load_settings())
    assert "bc-sim-local-secret" not in text
    assert "local-only-scend-key" not in text
