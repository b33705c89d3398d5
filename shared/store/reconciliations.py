"""Stock reconciliation runs: one row per SKU that differs, and one summary row per run.

Partition = run id, row = SKU (design §5), for the SKUs whose Scend and BC quantities differ (a
catalogue of 20,000 matching SKUs writes 20,000 nothing). The run's summary lives in partition
`runs`, row = run id (`20261128T050000Z-<4 hex>`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from enum import StrEnum

from azure.data.tables import TableEntity, UpdateMode
from azure.data.tables.aio import TableClient
from pydantic import AwareDatetime, BaseModel, ConfigDict

from shared.store.tables import TRANSACTION_LIMIT, escape_key, unescape_key

RUNS = "runs"


class Classification(StrEnum):
    IN_FLIGHT = "in_flight"  # documents on their way (not yet read, or posted by finance later)
    EXPLAINED = "explained"  # an open exception holds the difference
    UNEXPLAINED = "unexplained"  # nothing explains it: STOCK_VARIANCE


class SkuVariance(BaseModel):
    model_config = ConfigDict(frozen=True)

    sku: str
    bc_quantity: float
    scend_quantity: float
    in_flight: float  # Scend − BC that documents on their way account for
    explained: float  # Scend − BC that open exceptions account for
    classification: Classification

    @property
    def variance(self) -> float:
        return self.scend_quantity - self.bc_quantity

    @property
    def unexplained(self) -> float:
        return self.variance - self.in_flight - self.explained


class RunSummary(BaseModel):
    model_config = ConfigDict(frozen=True)

    run_id: str
    started_at: AwareDatetime
    finished_at: AwareDatetime
    skus_compared: int
    matched: int
    in_flight: int
    explained: int
    unexplained: int
    only_in_bc: int
    only_in_scend: int


class ReconciliationStore:
    """Reads and writes the Reconciliations table."""

    def __init__(self, table: TableClient) -> None:
        self._table = table

    async def save_variances(self, run_id: str, rows: Sequence[SkuVariance]) -> None:
        """Write up to any number of SKU rows, in transactions of 100 (one partition per run)."""
        for start in range(0, len(rows), TRANSACTION_LIMIT):
            chunk = rows[start : start + TRANSACTION_LIMIT]
            await self._table.submit_transaction(
                [("upsert", _entity(run_id, row), {"mode": UpdateMode.REPLACE}) for row in chunk]
            )

    async def save_summary(self, summary: RunSummary) -> None:
        keys = {"PartitionKey": RUNS, "RowKey": escape_key(summary.run_id)}
        entity = {**keys, **summary.model_dump(mode="json")}
        await self._table.upsert_entity(entity, mode=UpdateMode.REPLACE)

    async def latest(self) -> RunSummary | None:
        """The run that started last (one summary row per run: a few hundred a year)."""
        runs = [
            RunSummary.model_validate(_fields(entity, RunSummary))
            async for entity in self._table.query_entities("PartitionKey eq @p", parameters={"p": RUNS})
        ]
        return max(runs, key=lambda run: (run.started_at, run.finished_at), default=None)

    async def variances(self, run_id: str) -> AsyncIterator[SkuVariance]:
        """The run's SKU rows in SKU order, streamed."""
        entities = self._table.query_entities("PartitionKey eq @p", parameters={"p": escape_key(run_id)})
        async for entity in entities:
            fields = _fields(entity, SkuVariance) | {"sku": unescape_key(entity["RowKey"])}
            yield SkuVariance.model_validate(fields)


def _entity(run_id: str, row: SkuVariance) -> dict[str, object]:
    return {"PartitionKey": escape_key(run_id), "RowKey": escape_key(row.sku), **row.model_dump(mode="json")}


def _fields(entity: TableEntity, model: type[BaseModel]) -> dict[str, object]:
    return {name: entity.get(name) for name in model.model_fields}


def run_id_for(at: datetime, suffix: str) -> str:
    return f"{at:%Y%m%dT%H%M%SZ}-{suffix}"
