"""An order's timeline: released → accepted → despatched (parcels, carrier, tracking) → invoiced,
and its returns, readable by the BC order number (design §5's tables, plus this one).

Partition: the BC order number; row: `<stage>|<reference>` (the release, the Scend shipment id, the
invoice number…). A stage is written with an upsert under a key that names what happened, so a
retried or duplicated message writes the same row again and the timeline never shows a step twice.
In `standard` write-back mode this is where the tracking numbers live: BC's standard API has no
field for them. Order numbers can come back after a delete, so every row also names the BC order id.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from enum import StrEnum
from typing import Any

from azure.data.tables import TableEntity, UpdateMode
from azure.data.tables.aio import TableClient
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, JsonValue

from shared.store.tables import compound_key, escape_key, utcnow

MAX_DETAIL_CHARS = 30_000  # one Table string property holds 32K UTF-16 units


class Stage(StrEnum):
    RELEASED = "released"  # released in BC and picked up by the integration
    HELD = "held"  # waiting for a SKU or a mapping before it can go to Scend
    ACCEPTED = "accepted"  # Scend accepted it as an order (one row per release)
    CANCELLED = "cancelled"  # cancelled at Scend (reopened or deleted in BC)
    DESPATCHED = "despatched"  # one row per Scend shipment: parcels, carrier, tracking, lines
    INVOICED = "invoiced"  # a posted sales invoice for the order (standard mode posts one per despatch)
    RETURN_RECEIVED = "return_received"  # a return arrived at Scend
    CREDIT_MEMO_DRAFTED = "credit_memo_drafted"  # the draft credit memo for an inspected return


class TimelineEvent(BaseModel):
    model_config = ConfigDict(frozen=True)

    order_number: str
    stage: Stage
    reference: str  # what makes the step unique: release, shipment id, invoice number, return id
    at: AwareDatetime
    bc_order_id: str
    detail: dict[str, JsonValue] = Field(default_factory=dict)


def _keys(number: str, stage: Stage, reference: str) -> dict[str, str]:
    return {"PartitionKey": escape_key(number), "RowKey": compound_key(stage.value, reference)}


def _from_entity(entity: TableEntity) -> TimelineEvent:
    return TimelineEvent(
        order_number=entity["order_number"],
        stage=Stage(entity["stage"]),
        reference=entity["reference"],
        at=entity["at"],
        bc_order_id=entity["bc_order_id"],
        detail=json.loads(entity.get("detail") or "{}"),
    )


class OrderTimelineStore:
    """Reads and writes the OrderTimeline table."""

    def __init__(self, table: TableClient, *, clock: Callable[[], datetime] = utcnow) -> None:
        self._table = table
        self._clock = clock

    async def record(
        self,
        number: str,
        stage: Stage,
        reference: str,
        *,
        bc_order_id: str,
        at: datetime | None = None,
        detail: dict[str, Any] | None = None,
    ) -> TimelineEvent:
        """Write one step (again: the same key replaces itself, so a retry adds nothing).

        `at` is when the integration learnt of it (one clock for every step, so the order reads true);
        when it happened at the source goes in `detail` as `occurred_at`.
        """
        text = json.dumps(detail or {}, separators=(",", ":"), default=str)
        if len(text) > MAX_DETAIL_CHARS:
            text = json.dumps({"truncated": True, "chars": len(text)})
        event = TimelineEvent(
            order_number=number,
            stage=stage,
            reference=reference,
            at=at or self._clock(),
            bc_order_id=bc_order_id,
            detail=json.loads(text),
        )
        entity = {
            **_keys(number, stage, reference),
            "order_number": number,
            "stage": stage.value,
            "reference": reference,
            "at": event.at,
            "bc_order_id": bc_order_id,
            "detail": text,
        }
        await self._table.upsert_entity(entity, mode=UpdateMode.REPLACE)
        return event

    async def read(self, number: str) -> list[TimelineEvent]:
        """Every step of the order `number`, oldest first."""
        entities = self._table.query_entities(
            "PartitionKey eq @number", parameters={"number": escape_key(number)}
        )
        events = [_from_entity(entity) async for entity in entities]
        return sorted(events, key=lambda e: (e.at, list(Stage).index(e.stage), e.reference))
