"""Table Storage plumbing shared by the stores: table names, the client, keys, pages, conflicts."""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import re
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import Any

from azure.core import MatchConditions
from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceModifiedError
from azure.data.tables import EntityProperty, TableEntity, UpdateMode
from azure.data.tables.aio import TableClient, TableServiceClient

from shared.errors import ConcurrencyConflict
from shared.settings import Settings

CROSS_REFERENCES = "CrossReferences"
WATERMARKS = "Watermarks"
SYNC_EXCEPTIONS = "SyncExceptions"
PROCESSED_EVENTS = "ProcessedEvents"
RECONCILIATIONS = "Reconciliations"
ORDER_TIMELINE = "OrderTimeline"
REQUEST_BUDGETS = "RequestBudgets"
TRANSACTION_LIMIT = 100  # operations per entity-group transaction

_PREFIX = re.compile(r"^([A-Za-z][A-Za-z0-9]{0,29})?$")


@dataclass(frozen=True, slots=True)
class TableNames:
    """The integration's tables; a prefix (letters and digits) gives tests their own isolated set."""

    prefix: str = ""

    def __post_init__(self) -> None:
        if not _PREFIX.match(self.prefix):
            raise ValueError(f"table prefix: a letter, then up to 29 letters or digits, not {self.prefix!r}")

    @property
    def cross_references(self) -> str:
        return self.prefix + CROSS_REFERENCES

    @property
    def watermarks(self) -> str:
        return self.prefix + WATERMARKS

    @property
    def sync_exceptions(self) -> str:
        return self.prefix + SYNC_EXCEPTIONS

    @property
    def processed_events(self) -> str:
        return self.prefix + PROCESSED_EVENTS

    @property
    def reconciliations(self) -> str:
        return self.prefix + RECONCILIATIONS

    @property
    def order_timeline(self) -> str:
        return self.prefix + ORDER_TIMELINE

    @property
    def request_budgets(self) -> str:
        return self.prefix + REQUEST_BUDGETS

    def all(self) -> tuple[str, ...]:
        return (
            self.cross_references, self.watermarks, self.sync_exceptions,
            self.processed_events, self.reconciliations, self.order_timeline, self.request_budgets,
        )  # fmt: skip


# --- the client ---------------------------------------------------------------------------------


@asynccontextmanager
async def connect(
    *, connection_string: str | None = None, account_url: str | None = None
) -> AsyncIterator[TableServiceClient]:
    """An async TableServiceClient: from a connection string, else the account URL and a managed identity."""
    if connection_string:
        async with TableServiceClient.from_connection_string(connection_string) as service:
            yield service
        return
    if not account_url:
        raise ValueError("a connection string or an account URL is needed")
    from azure.identity.aio import DefaultAzureCredential  # only Azure needs it

    async with DefaultAzureCredential() as credential:
        service = TableServiceClient(account_url, credential=credential)
        async with service:
            yield service


def open_table_service(settings: Settings) -> AbstractAsyncContextManager[TableServiceClient]:
    """The table service named by TABLES_CONNECTION_STRING, or TABLES_ACCOUNT_URL with a managed identity."""
    secret = settings.tables_connection_string
    return connect(
        connection_string=secret.get_secret_value() if secret else None,
        account_url=str(settings.tables_account_url) if settings.tables_account_url else None,
    )


async def ensure_tables(service: TableServiceClient, names: TableNames | None = None) -> None:
    """Create every table that does not exist yet (safe to run from many workers at once)."""
    names = names or TableNames()
    await asyncio.gather(*(service.create_table_if_not_exists(name) for name in names.all()))


# --- keys -------------------------------------------------------------------------------------

# The service forbids / \ # ? and control characters in PartitionKey/RowKey. Azurite also
# rejects the signature of any single-entity request (read, update, delete) whose key holds one
# of ! $ & ' ( ) * , : ; = @ (AuthorizationFailure: it canonicalises the URL path differently from
# the SDK), so every ASCII character but letters, digits, - _ . is escaped, as `~XX` (hex code),
# and so are the C1 controls. For the same reason compound keys are joined with `|`, not the `:`
# of design §5 (`bc|<id>` for `bc:<id>`); `|` never occurs inside an escaped part.
_UNSAFE = re.compile("[^A-Za-z0-9._\\-\u00a0-\U0010ffff]")
_ESCAPED = re.compile("~([0-9A-F]{2})")
KEY_SEPARATOR = "|"


def escape_key(value: str) -> str:
    """A PartitionKey/RowKey-safe form of a business key (reversible: see `unescape_key`)."""
    return _UNSAFE.sub(lambda match: f"~{ord(match.group()):02X}", value)


def unescape_key(value: str) -> str:
    """The business key `escape_key` was given."""
    return _ESCAPED.sub(lambda match: chr(int(match.group(1), 16)), value)


def compound_key(*parts: str) -> str:
    """One key made of several business values, e.g. `compound_key("bc", id)` → `bc|<escaped id>`."""
    return KEY_SEPARATOR.join(escape_key(part) for part in parts)


# --- pages ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Page[T]:
    """One page of a listing; pass `continuation` back to get the next page (None: this was the last)."""

    items: list[T]
    continuation: str | None


def encode_continuation(token: Mapping[str, Any] | None) -> str | None:
    """An opaque string for the SDK's continuation dict (next partition and row keys)."""
    if not token:
        return None
    return base64.urlsafe_b64encode(json.dumps(dict(token), sort_keys=True).encode()).decode()


def decode_continuation(continuation: str | None) -> dict[str, Any] | None:
    if continuation is None:
        return None
    try:
        token = json.loads(base64.urlsafe_b64decode(continuation.encode()))
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise ValueError("invalid continuation token") from None
    if not isinstance(token, dict):
        raise ValueError("invalid continuation token")
    return token


async def read_page[T](
    table: TableClient,
    convert: Callable[[TableEntity], T],
    *,
    page_size: int,
    continuation: str | None,
    query_filter: str | None = None,
    parameters: dict[str, Any] | None = None,
) -> Page[T]:
    """Up to `page_size` entities matching the filter (all entities without one).

    The service may end a page early, even empty, with a continuation (partition boundaries, its
    five-second budget); empty pages are skipped here, short ones are passed on as they are.
    """
    token = decode_continuation(continuation)
    while True:
        if query_filter:
            entities = table.query_entities(query_filter, parameters=parameters, results_per_page=page_size)
        else:
            entities = table.list_entities(results_per_page=page_size)
        pages = entities.by_page(continuation_token=token)  # type: ignore[arg-type]  # Tables: a dict
        items = [convert(entity) async for entity in await anext(pages)]
        token = getattr(pages, "continuation_token", None)
        if items or not token:
            return Page(items, encode_continuation(token))


# --- writes -----------------------------------------------------------------------------------

# One operation of `submit_transaction`: ("create" | "update" | "upsert" | "delete", entity[, kwargs]).
type Operation = tuple[str, Mapping[str, Any]] | tuple[str, Mapping[str, Any], Mapping[str, Any]]


def if_match(etag: str) -> dict[str, Any]:
    """Keyword arguments that make a write succeed only while the row still has `etag`."""
    return {"etag": etag, "match_condition": MatchConditions.IfNotModified}


# 412 If-Match failed, 409 insert found a row, 404 the row read a moment ago is gone: each means
# someone else wrote first. In a transaction they arrive as a TableTransactionError with the code.
_CONFLICT_CODES = frozenset(
    {"UpdateConditionNotSatisfied", "ConditionNotMet", "EntityAlreadyExists", "ResourceNotFound"}
)


def error_code(error: HttpResponseError) -> str | None:
    """The service's error code (the Tables SDK sets it on the errors it raises)."""
    code = getattr(error, "error_code", None)
    if isinstance(code, Enum):  # TableErrorCode is a (str, Enum): str() would give its name
        code = code.value
    return str(code) if code is not None else None


def is_conflict(error: HttpResponseError) -> bool:
    # create_entity re-raises the undecoded error (no error_code), hence the type test as well.
    conflict_type = isinstance(error, ResourceExistsError | ResourceModifiedError)
    return conflict_type or error_code(error) in _CONFLICT_CODES


@contextmanager
def conflicts_as_transient(what: str) -> Iterator[None]:
    """Turn an ETag/insert conflict from the service into `ConcurrencyConflict` (re-read, decide again)."""
    try:
        yield
    except HttpResponseError as error:
        if is_conflict(error):
            reason = error_code(error) or error.status_code
            raise ConcurrencyConflict(f"{what}: someone else wrote first ({reason})") from error
        raise


async def write_guarded(table: TableClient, entity: Mapping[str, Any], etag: str | None, what: str) -> str:
    """Insert the row (etag None) or replace it If-Match `etag`; return the new ETag.

    `ConcurrencyConflict` when an insert finds the row, or the row changed or went since `etag`.
    """
    with conflicts_as_transient(what):
        if etag is None:
            result = await table.create_entity(entity)
        else:
            result = await table.update_entity(entity, mode=UpdateMode.REPLACE, **if_match(etag))
    return str(result["etag"])


# --- values -----------------------------------------------------------------------------------


def utcnow() -> datetime:
    """The stores' default clock (each store takes a `clock` so tests can pin time)."""
    return datetime.now(UTC)


def int_value(value: Any) -> int:
    """An integer property (Int64 ones come back wrapped in an EntityProperty)."""
    return int(value.value if isinstance(value, EntityProperty) else value)
