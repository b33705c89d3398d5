"""Processed events: which inbound events were handled already (partition = event kind, row = id).

Race the insert-only write prevents: (1) Scend delivers shipment event E twice, to two workers;
(2) both look E up and find nothing; (3) both post the shipment to Business Central. Here each
worker calls `record` instead of looking up: the service inserts the row for exactly one of them
(True) and refuses the other (False), which then skips the event.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import datetime, timedelta

from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError
from azure.data.tables import TableEntity
from azure.data.tables.aio import TableClient
from pydantic import AwareDatetime, BaseModel, ConfigDict

from shared.errors import ConcurrencyConflict
from shared.store.tables import TRANSACTION_LIMIT, conflicts_as_transient, escape_key, unescape_key, utcnow

RETENTION = timedelta(days=30)  # PROCESSED_EVENT_RETENTION_DAYS' default


class ProcessedEvent(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: str
    event_id: str
    outcome: str
    recorded_at: AwareDatetime
    expires_at: AwareDatetime


def _from_entity(entity: TableEntity) -> ProcessedEvent:
    return ProcessedEvent(
        kind=unescape_key(entity["PartitionKey"]),
        event_id=unescape_key(entity["RowKey"]),
        outcome=entity["outcome"],
        recorded_at=entity["recorded_at"],
        expires_at=entity["expires_at"],
    )


class ProcessedEventStore:
    """Reads and writes the ProcessedEvents table."""

    def __init__(self, table: TableClient, *, clock: Callable[[], datetime] = utcnow) -> None:
        self._table = table
        self._clock = clock

    async def record(self, kind: str, event_id: str, outcome: str, retention: timedelta) -> bool:
        """True if this call recorded the event, False if it was recorded before (insert-only)."""
        now = self._clock()
        entity = {
            "PartitionKey": escape_key(kind),
            "RowKey": escape_key(event_id),
            "outcome": outcome,
            "recorded_at": now,
            "expires_at": now + retention,
        }
        try:
            await self._table.create_entity(entity)
        except ResourceExistsError:
            return False
        return True

    async def get(self, kind: str, event_id: str) -> ProcessedEvent | None:
        try:
            return _from_entity(await self._table.get_entity(escape_key(kind), escape_key(event_id)))
        except ResourceNotFoundError:
            return None

    async def purge_expired(self, now: datetime) -> int:
        """Delete every event that expired before `now`; return how many this call deleted.

        Deletes go in transactions of up to 100 rows of one partition. If a concurrent purge
        deleted a row of a chunk first, that whole chunk fails and is left: the next purge gets it.
        """
        expired = [
            entity
            async for entity in self._table.query_entities(
                "expires_at lt @now", parameters={"now": now}, select=["PartitionKey", "RowKey"]
            )
        ]
        deleted = 0
        for _, rows in itertools.groupby(expired, key=lambda entity: entity["PartitionKey"]):
            for chunk in itertools.batched(rows, TRANSACTION_LIMIT, strict=False):
                try:
                    with conflicts_as_transient("processed events purge"):
                        await self._table.submit_transaction([("delete", row) for row in chunk])
                except ConcurrencyConflict:
                    continue
                deleted += len(chunk)
        return deleted
