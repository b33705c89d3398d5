"""Held sales orders: the per-SKU hold index, the one open exception per held order, and the re-drive.

An order whose SKU the warehouse does not know yet (`SKU_NOT_IN_WMS`), or whose shipping has no
Scend service code (`MAPPING_MISSING`), is *held*, not failed (design §2, "dependencies wait").

The hold index lives in the CrossReferences table, one partition per reason: `salesOrderHold|sku|
<SKU>` for each missing SKU and `salesOrderHold|mapping` for a missing mapping, one `bc|<order id>`
row per order, state `held` or `released`. So "which orders wait for SKU X" is one partition read,
never a scan of all orders. Rows are kept (state `released`) rather than deleted: the store has no
delete, and a re-hold of the same order simply flips the row back.

The exception row keeps the order's reference, not the order (`payload`: kind, BC id, version,
number; `shared.flows.rereads`), so no name or address is stored with it: a re-drive re-enqueues
that reference in the order's session and the handler reads the order from Business Central as it
is now (one request per re-driven order, none while nothing is held).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from shared.errors import ConcurrencyConflict
from shared.flows.rereads import reference_to
from shared.messaging.envelope import Envelope, message_id_for
from shared.messaging.transport import OutboundMessage, Transport
from shared.store.crossrefs import CrossReference, CrossReferenceStore
from shared.store.exceptions import ExceptionStatus, ExceptionStore
from shared.store.watermarks import Watermark, WatermarkStore

log = logging.getLogger(__name__)

ORDER_KIND = "salesOrder"
HOLD_PREFIX = "salesOrderHold"
SKU_NOT_IN_WMS = "SKU_NOT_IN_WMS"
MAPPING_MISSING = "MAPPING_MISSING"
HOLD_TYPES = (SKU_NOT_IN_WMS, MAPPING_MISSING)
HELD, RELEASED = "held", "released"

WarehouseReady = Callable[[str], Awaitable[bool]]


def hold_partition(reason: str, sku: str | None = None) -> str:
    """The index partition of one hold reason (and SKU)."""
    return f"{HOLD_PREFIX}|sku|{sku}" if reason == SKU_NOT_IN_WMS else f"{HOLD_PREFIX}|mapping"


def hold_partitions(reason: str, skus: Iterable[str]) -> list[str]:
    return (
        [hold_partition(reason, sku) for sku in sorted(skus)]
        if reason == SKU_NOT_IN_WMS
        else [hold_partition(reason)]
    )


async def mark_index(
    cross_references: CrossReferenceStore, partitions: Iterable[str], order_id: str, number: str, state: str
) -> None:
    """Set this order's row in each index partition to `state` (insert when new, else If-Match)."""
    for partition in partitions:
        row = await cross_references.get_by_bc(partition, order_id)
        if row is None:
            if state == RELEASED:
                continue
            row = CrossReference(kind=partition, bc_id=order_id, bc_number=number, state=state)
        elif row.state == state:
            continue
        else:
            row = row.model_copy(update={"state": state})
        await cross_references.save(row)


async def record_hold(
    exceptions: ExceptionStore,
    envelope: Envelope,
    *,
    reason: str,
    detail: str,
    queue: str | None,
) -> None:
    """Open (or count) the hold's exception with the order's reference (never the order: it holds
    personal data), and resolve the other hold reason's.

    So a held order has exactly one open exception: held for a SKU, then for a mapping once the
    SKU arrived, it shows only the mapping problem.
    """
    await exceptions.record(
        ORDER_KIND,
        reason,
        envelope.key,
        detail=detail,
        payload=reference_to(envelope).model_dump_json(),
        queue=queue,
        correlation_id=envelope.correlation_id,
    )
    for other in HOLD_TYPES:
        if other != reason:
            await exceptions.resolve(ORDER_KIND, other, envelope.key, f"the order is now held for {reason}")


MAPPING_MARK = ("order_mapping_holds", "lookups")  # (flow, source) of the last lookup table seen


@dataclass(frozen=True, slots=True)
class HeldOrders:
    """Re-drives held orders: each one's reference goes back to the orders queue, in its session."""

    cross_references: CrossReferenceStore
    exceptions: ExceptionStore
    transport: Transport
    queue: str
    is_warehouse_ready: WarehouseReady
    clock: Callable[[], datetime]

    async def release_for_sku(self, sku: str) -> list[str]:
        """Re-drive every order held for `sku` whose SKUs are now all warehouse-ready; their order ids.

        The item export calls this (its `on_warehouse_ready` hook) once Scend confirms the item; the
        handler gates each order again and sends it. Race it tolerates: (1) the re-drive enqueues
        order A; (2) A's BC version changes and the poll enqueues the new version; (3) the handler
        runs both in session order and skips whichever is older than the cross-reference — the
        re-drive never overtakes a newer version.
        """
        return await self._redrive(hold_partition(SKU_NOT_IN_WMS, sku), SKU_NOT_IN_WMS, f"sku-{sku}")

    async def release_ready_sku_holds(self) -> list[str]:
        """Re-drive every order held for SKUs that are all warehouse-ready by now; their order ids.

        The sweep behind `release_for_sku` (the items timer runs it): the item export's hook can be
        missed, and then an order would wait for people although nothing is missing. Races it
        covers: (1) the order handler finds SKU X not ready; (2) the export confirms X and re-drives
        the orders held for X, before (3) the handler writes the order's hold; or the host dies
        between the export's confirmation and its re-drive, and the retry finds X already
        exported. One range query over the hold index's held rows; nothing else while none waits.
        """
        redriven: list[str] = []
        seen: set[str] = set()
        prefix = hold_partition(SKU_NOT_IN_WMS, "")
        continuation: str | None = None
        while True:
            page = await self.cross_references.list_in_state_page(prefix, HELD, continuation=continuation)
            for row in page.items:
                if row.bc_id not in seen:
                    seen.add(row.bc_id)
                    if await self._redrive_one(row, SKU_NOT_IN_WMS, "sweep"):
                        redriven.append(row.bc_id)
            continuation = page.continuation
            if continuation is None:
                return redriven

    async def release_mapping_holds(self) -> list[str]:
        """Re-drive every order held for a missing mapping; those still unmapped are held again by
        the handler, with no new count."""
        return await self._redrive(hold_partition(MAPPING_MISSING), MAPPING_MISSING, "mapping")

    async def release_after_lookup_change(self, lookups_digest: str, watermarks: WatermarkStore) -> list[str]:
        """Re-drive the mapping holds once per new lookup table, so a mapping added by IT releases
        the orders waiting for it without anybody re-sending them (every order poll calls this).

        The digest of the table last acted on is kept in Watermarks. Race it tolerates: two runs
        see the new digest at once and both re-drive; the handler re-holds or sends each order once
        (its version check and the idempotent create), and the second save conflicts harmlessly.
        """
        mark = await watermarks.get(*MAPPING_MARK)
        if mark is not None and mark.value == lookups_digest:
            return []
        released = await self.release_mapping_holds()
        flow, source = MAPPING_MARK
        etag = mark.etag if mark is not None else None
        seen = Watermark(flow=flow, source=source, value=lookups_digest, last_success=self.clock(), etag=etag)
        try:
            await watermarks.save(seen)
        except ConcurrencyConflict:
            log.info("mapping holds: another run recorded the new lookup table first")
        return released

    async def _redrive(self, partition: str, reason: str, cause: str) -> list[str]:
        redriven: list[str] = []
        continuation: str | None = None
        while True:
            page = await self.cross_references.list_page(partition, continuation=continuation)
            for row in page.items:
                if row.state == HELD and await self._redrive_one(row, reason, cause):
                    redriven.append(row.bc_id)
            continuation = page.continuation
            if continuation is None:
                return redriven

    async def _redrive_one(self, row: CrossReference, reason: str, cause: str) -> bool:
        order = await self.cross_references.get_by_bc(ORDER_KIND, row.bc_id)
        held = order.tracking.get("held") if order is not None and isinstance(order.tracking, dict) else None
        if not isinstance(held, dict) or held.get("reason") != reason:
            await mark_index(
                self.cross_references, [row.kind], row.bc_id, row.bc_number, RELEASED
            )  # stale row
            return False
        skus = held.get("skus")
        for sku in skus if isinstance(skus, list) else []:
            if not await self.is_warehouse_ready(str(sku)):
                return False  # still waiting for another SKU: that SKU's confirmation re-drives it
        problem = await self.exceptions.get(ORDER_KIND, reason, row.bc_id)
        if problem is None or problem.status is not ExceptionStatus.OPEN or problem.payload is None:
            log.warning("held order %s has no open %s exception with its reference", row.bc_number, reason)
            return False
        envelope = reference_to(Envelope.from_bytes(problem.payload))  # a row from before: its reference
        stamp = self.clock().strftime("%Y%m%dT%H%M")
        message = OutboundMessage(
            body=envelope.to_bytes(),
            # Not the envelope's own id: that one may still be inside the duplicate detection window.
            message_id=message_id_for(envelope.idempotency_key, f"redrive-{cause}-{stamp}"),
            session_id=envelope.key,
            correlation_id=envelope.correlation_id,
            subject=envelope.kind,
        )
        await self.transport.send(self.queue, [message])
        return True
