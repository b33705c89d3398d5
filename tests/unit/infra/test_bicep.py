"""The Bicep sets exactly the app settings the code reads, both ways, and builds the queues and
tables the code expects."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

from pydantic_core import PydanticUndefined

from shared.messaging.queues import queue_specs
from shared.settings import Settings, setting_name
from shared.store.tables import TableNames

ROOT = Path(__file__).parents[3]
MAIN = (ROOT / "infra" / "main.bicep").read_text(encoding="utf-8")
APP = (ROOT / "function_app.py").read_text(encoding="utf-8")
EXAMPLE = json.loads((ROOT / "local.settings.example.json").read_text(encoding="utf-8"))["Values"]

# Read by the Functions host or the Azure SDKs, not by shared/settings.py.
PLATFORM = {
    "AzureWebJobsStorage__accountName", "AzureWebJobsStorage__credential", "AzureWebJobsStorage__clientId",
    "ServiceBusConnection__credential", "ServiceBusConnection__clientId", "AZURE_CLIENT_ID",
}  # fmt: skip
# Settings Azure does not set, each for a reason.
LOCAL_ONLY = {
    "TABLES_CONNECTION_STRING": "Azure uses TABLES_ACCOUNT_URL with the managed identity",
    "ServiceBusConnection": "Azure uses the namespace with the managed identity",
    "LOCAL_TRANSPORT_PATH": "the local broker only",
    "BC_CA_FILE": "the simulator's certificate authority only",
    "REPORTS_DIR": "a local folder; in Azure the reports are read through the operations API",
    "BC_CLIENT_CERTIFICATE_PATH": "the client secret is used; a certificate is an alternative",
    "BC_CLIENT_CERTIFICATE_PASSWORD": "the same",
    "MAPPING_LOOKUPS": "the lookup table shipped with the code, unless a brand overrides it",
}
# Settings whose code default is right in Azure (change them in the portal or here when tuning).
DEFAULTED = {
    "BC_API_BASE_URL", "BC_AUTHORITY_HOST", "BC_WEB_CLIENT_URL", "BC_REQUESTS_PER_5_MINUTES",
    "BC_MAX_CONCURRENT_REQUESTS", "BC_PAGE_SIZE", "BC_MAX_NOTIFICATION_BODY_BYTES", "BC_WEBHOOK_RESOURCES",
    "BC_SUBSCRIPTION_RENEW_BEFORE_HOURS", "BC_REQUEST_TIMEOUT_SECONDS", "SCEND_REQUESTS_PER_MINUTE",
    "SCEND_TIMEOUT_SECONDS", "WATERMARK_LOOKBACK_SECONDS", "RETRY_MAX_ATTEMPTS", "RETRY_BASE_SECONDS",
    "RETRY_MAX_SECONDS", "DEPENDENCY_WAIT_HOURS", "ORDER_ACCEPT_SLA_MINUTES", "DESPATCH_CUTOFF_HOURS",
    "WATERMARK_STALE_MINUTES", "PROCESSED_EVENT_RETENTION_DAYS", "MAX_WEBHOOK_BODY_BYTES",
}  # fmt: skip


def bicep_app_settings() -> dict[str, str]:
    block = MAIN[MAIN.index("appSettings: {") : MAIN.index("\n    }\n  }\n}", MAIN.index("appSettings: {"))]
    return dict(re.findall(r"^\s{6}([A-Za-z_][A-Za-z0-9_]*): (.+)$", block, re.MULTILINE))


def settings_names() -> set[str]:
    return {setting_name(name) for name in Settings.model_fields}


def binding_names() -> set[str]:
    return set(re.findall(r"%([A-Z_]+)%", APP))


def test_every_bicep_setting_is_read_by_the_app_or_the_platform() -> None:
    unknown = set(bicep_app_settings()) - settings_names() - binding_names() - PLATFORM
    assert unknown == set()


def test_every_binding_and_every_required_setting_is_set_in_bicep() -> None:
    required = {setting_name(n) for n, f in Settings.model_fields.items() if f.default is PydanticUndefined}
    assert binding_names() - set(bicep_app_settings()) == set()
    # required: the secrets are Key Vault references, the rest plain values
    missing = required - set(bicep_app_settings()) - {"ServiceBusConnection"}
    assert missing == set()


def test_every_setting_is_either_set_in_azure_or_left_out_for_a_written_reason() -> None:
    left_out = settings_names() - set(bicep_app_settings())
    assert left_out == set(LOCAL_ONLY) | DEFAULTED


def test_secrets_come_from_key_vault_never_from_a_plain_value() -> None:
    secret_fields = {
        setting_name(n) for n, f in Settings.model_fields.items() if "SecretStr" in str(f.annotation)
    } & set(bicep_app_settings())
    # The Application Insights connection string identifies where to send telemetry; it is not a
    # credential (the resource's own output, never typed in), so it is set directly.
    secret_fields -= {"APPLICATIONINSIGHTS_CONNECTION_STRING"}
    assert len(secret_fields) == 4  # BC client secret and client state, Scend key and webhook secrets
    secret_fields.add("BC_NOTIFICATION_URL")  # not a SecretStr, but it carries the function key
    for name in secret_fields:
        assert "secret}" in bicep_app_settings()[name], name


def test_the_queues_are_the_apps_own_with_their_properties() -> None:
    values = {k.lower(): v for k, v in EXAMPLE.items() if v != ""}
    values.pop("servicebusconnection", None)
    specs = {s.name: s for s in queue_specs(Settings.model_validate(values))}
    declared = re.findall(
        r"\{ name: '([a-z-]+)', requiresSession: (true|false), maxDeliveryCount: (\d+),"
        r" lockDuration: '(\w+)', duplicateDetectionWindow: '(\w+)', timeToLive: '(\w+)' \}",
        MAIN,
    )
    assert {name for name, *_ in declared} == set(specs)
    for name, session, deliveries, lock, window, ttl in declared:
        spec = specs[name]
        assert (session == "true", int(deliveries)) == (spec.requires_session, spec.max_delivery_count), name
        assert (iso(lock), iso(window), iso(ttl)) == (
            spec.lock_duration, spec.duplicate_detection_window, spec.default_time_to_live
        ), name  # fmt: skip


def test_the_tables_are_the_apps_own() -> None:
    declared = re.search(r"var tables = \[(.*?)\]", MAIN)
    assert declared is not None
    assert set(re.findall(r"'(\w+)'", declared[1])) == set(TableNames().all())


def iso(duration: str) -> timedelta:
    """PT1M, PT10M, PT1H, P14D."""
    match = re.fullmatch(r"P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?", duration)
    assert match is not None, duration
    days, hours, minutes, seconds = (int(g or 0) for g in match.groups())
    return timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
