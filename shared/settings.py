"""Every app setting of the integration, named once, validated once at start-up."""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

from croniter import croniter
from pydantic import AfterValidator, AnyHttpUrl, Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class SettingsError(RuntimeError):
    """Raised when a setting is missing or invalid; the message names every such setting."""


class WriteBackMode(StrEnum):
    """How despatches, adjustments and receipts are written into Business Central (design §3)."""

    STANDARD = "standard"
    EXTENSION = "extension"


class TransportKind(StrEnum):
    SERVICEBUS = "servicebus"
    LOCAL = "local"


def _ncrontab(value: str) -> str:
    """Accept the six-field NCRONTAB form the Functions timer trigger uses (seconds first)."""
    if len(value.split()) != 6 or not croniter.is_valid(value, second_at_beginning=True):
        raise ValueError("must be a six-field NCRONTAB expression, e.g. '0 */5 * * * *'")
    return value


Schedule = Annotated[str, AfterValidator(_ncrontab)]


class Settings(BaseSettings):
    """One field per app setting; the environment variable is the upper-case field name.

    The Functions bindings read a few settings themselves (queue names, schedules, the Service Bus
    connection); they are declared here too so start-up validates them and Bicep can be checked
    against one list.
    """

    model_config = SettingsConfigDict(
        case_sensitive=False, extra="ignore", frozen=True, populate_by_name=True, env_ignore_empty=True
    )

    # Business Central
    bc_tenant_id: str = Field(min_length=1)
    bc_environment: str = Field(min_length=1)
    bc_company_id: str = Field(min_length=1)
    bc_client_id: str = Field(min_length=1)
    bc_client_secret: SecretStr | None = None
    bc_client_certificate_path: str | None = None
    bc_client_certificate_password: SecretStr | None = None
    bc_api_base_url: AnyHttpUrl = AnyHttpUrl("https://api.businesscentral.dynamics.com")
    bc_authority_host: AnyHttpUrl = AnyHttpUrl("https://login.microsoftonline.com")
    bc_web_client_url: AnyHttpUrl = AnyHttpUrl("https://businesscentral.dynamics.com")
    bc_writeback_mode: WriteBackMode = WriteBackMode.STANDARD
    bc_invoice_on_receipt: bool = Field(
        default=False,
        description="standard mode: receipts post with receiveAndInvoice, else go to purchasing to post",
    )
    bc_webhook_client_state: SecretStr = Field(min_length=16)
    bc_notification_url: AnyHttpUrl
    bc_requests_per_5_minutes: int = Field(default=6000, ge=1)
    bc_max_concurrent_requests: int = Field(default=5, ge=1, le=5)
    # One BC budget for every instance, kept in Table Storage (shared.store.request_budget); off:
    # each process counts only its own requests (one instance, tests, the local stack).
    bc_shared_budget: bool = False
    bc_page_size: int = Field(default=1000, ge=1, le=20000)
    # BC batches up to 1,000 notices per subscription (~350 bytes each); a 413 would delete it.
    bc_max_notification_body_bytes: int = Field(default=4_194_304, ge=65_536)
    bc_webhook_resources: str = "items,salesOrders"
    bc_subscription_renew_before_hours: float = Field(default=24.0, gt=0, lt=72)
    bc_ca_file: str | None = None  # a private CA to trust (on-premises BC, the local simulator)
    bc_request_timeout_seconds: float = Field(default=120.0, gt=0)

    # Scend
    scend_base_url: AnyHttpUrl
    scend_api_key: SecretStr = Field(min_length=1)
    scend_webhook_secrets: SecretStr = Field(min_length=1, description="comma-separated during rotation")
    scend_requests_per_minute: int = Field(default=600, ge=1)
    scend_timeout_seconds: float = Field(default=20.0, gt=0, description="per request; then in-doubt")

    # Mapping: lookup tables (shipment method/agent → Scend service, units) as JSON text or a file
    # path; unset means the defaults shipped in shared/mapping/default_lookups.json
    mapping_lookups: str | None = None

    # Storage: a connection string locally, the account URL with a managed identity in Azure
    tables_connection_string: SecretStr | None = None
    tables_account_url: AnyHttpUrl | None = None

    # Messaging: the Service Bus binding connection is named ServiceBusConnection in function_app.py
    messaging_transport: TransportKind = TransportKind.SERVICEBUS
    servicebus_connection: SecretStr | None = Field(default=None, alias="ServiceBusConnection")
    servicebus_namespace: str | None = Field(
        default=None, alias="ServiceBusConnection__fullyQualifiedNamespace"
    )
    local_transport_path: str = ".local/transport.sqlite3"

    # Queue names (design §2)
    items_queue: str = "items-to-scend"
    orders_queue: str = "orders-to-scend"
    purchase_orders_queue: str = "purchase-orders-to-scend"
    shipments_queue: str = "scend-shipments"
    returns_queue: str = "scend-returns"
    stock_queue: str = "scend-stock"
    receipts_queue: str = "scend-receipts"
    poll_requests_queue: str = "poll-requests"

    # Schedules (NCRONTAB, seconds first)
    poll_bc_items_schedule: Schedule = "0 */5 * * * *"
    poll_bc_sales_orders_schedule: Schedule = "0 * * * * *"
    poll_bc_purchase_orders_schedule: Schedule = "0 */10 * * * *"
    poll_scend_feeds_schedule: Schedule = "30 */2 * * * *"
    renew_bc_subscriptions_schedule: Schedule = "0 0 */6 * * *"
    run_audits_schedule: Schedule = "0 */15 * * * *"
    reconcile_stock_schedule: Schedule = "0 0 5 * * *"

    # Thresholds
    watermark_lookback_seconds: int = Field(default=120, ge=0)
    retry_max_attempts: int = Field(default=8, ge=1)
    retry_base_seconds: float = Field(default=2.0, gt=0)
    retry_max_seconds: float = Field(default=900.0, gt=0)
    dependency_wait_hours: float = Field(default=24.0, gt=0)
    order_accept_sla_minutes: int = Field(default=15, ge=1)
    despatch_cutoff_hours: float = Field(default=24.0, gt=0)
    watermark_stale_minutes: int = Field(default=30, ge=1)
    processed_event_retention_days: int = Field(default=30, ge=1)
    reports_dir: Path | None = Field(
        default=None, description="where the stock reconciliation writes its CSV and HTML reports"
    )
    max_webhook_body_bytes: int = Field(default=262_144, ge=1024)

    # Telemetry (Azure Monitor is used only when the connection string is set)
    applicationinsights_connection_string: SecretStr | None = None
    otel_service_name: str = "bc-scend-integration"

    @model_validator(mode="after")
    def _one_of_each(self) -> Settings:
        if self.bc_client_secret is None and not self.bc_client_certificate_path:
            raise ValueError("BC_CLIENT_SECRET or BC_CLIENT_CERTIFICATE_PATH must be set")
        if self.tables_connection_string is None and self.tables_account_url is None:
            raise ValueError("TABLES_CONNECTION_STRING or TABLES_ACCOUNT_URL must be set")
        if (
            self.messaging_transport is TransportKind.SERVICEBUS
            and self.servicebus_connection is None
            and not self.servicebus_namespace
        ):
            raise ValueError(
                "ServiceBusConnection or ServiceBusConnection__fullyQualifiedNamespace must be set"
            )
        return self

    @property
    def bc_webhook_resource_list(self) -> list[str]:
        """The BC entity sets we subscribe to (purchaseOrders is opt-in: BC does not document it)."""
        return [r.strip() for r in self.bc_webhook_resources.split(",") if r.strip()]

    @property
    def webhook_secrets(self) -> list[str]:
        """Scend webhook secrets, newest first; more than one only while a rotation is under way."""
        return [s.strip() for s in self.scend_webhook_secrets.get_secret_value().split(",") if s.strip()]


def setting_name(field_name: str) -> str:
    """The environment variable that carries a field (its alias, or its upper-case name)."""
    field = Settings.model_fields[field_name]
    return field.alias or field_name.upper()


def _describe(error: ValidationError) -> str:
    problems = []
    for item in error.errors():
        loc = item.get("loc") or ()
        name = setting_name(str(loc[0])) if loc and str(loc[0]) in Settings.model_fields else None
        message = str(item.get("msg", "invalid"))
        if item.get("type") == "missing":
            message = "is missing"
        problems.append(f"{name} {message}" if name else message.removeprefix("Value error, "))
    return "Invalid settings: " + "; ".join(problems)


def load_settings(**overrides: Any) -> Settings:
    """Read and validate every setting; raise one SettingsError naming each bad one (never its value)."""
    try:
        return Settings(**overrides)
    except ValidationError as error:
        raise SettingsError(_describe(error)) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return load_settings()
