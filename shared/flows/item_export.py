"""Item export: the `poll_bc_items` poll and the handler that makes each BC item a Scend product.

The poll (`poll_bc_items`) sends one `item` envelope per item version to `items-to-scend`; the
handler (`export_item`) maps it, skips what Scend already holds, upserts the product, and records the
cross-reference. The order gate asks `is_warehouse_ready(sku)`.

Cross-reference: kind `item`, keyed by the BC item id (`bc|<id>`), with `scend_id` = the SKU (the
item number: Scend keys products by SKU). The store keeps the `scend|<sku>` pointer in the same
transaction, so `get_by_scend("item", sku)` is the lookup by SKU the order gate needs; a renumbered
item moves its pointer, and two items cannot claim one SKU. `version` holds the item's
`lastModifiedDateTime` in microseconds since the epoch, `tracking["product"]` the product last sent.

Race the version check and the converge loop prevent (the items queue has no sessions, so two
versions of one item can run at once): (1) handlers A (version 2) and B (version 3) both read the
cross-reference at version 1; (2) B upserts version 3 and saves; (3) A's upsert lands after it,
so Scend holds the older content; (4) A's save fails If-Match. A then re-reads, sees version 3 is
newer than what it sent, and puts version 3's product (from `tracking`) back, saving the
cross-reference again so that any still newer writer conflicts and converges the same way.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from shared.bc.client import BcClient
from shared.bc.models import Item
from shared.errors import ConcurrencyConflict, InDoubt
from shared.flows.polling import PollResult, poll_changes
from shared.mapping.items import content_hash, map_item
from shared.mapping.lookups import Lookups
from shared.mapping.skips import Skipped
from shared.messaging.envelope import Envelope
from shared.messaging.transport import OutboundMessage, Transport
from shared.scend.models import Product
from shared.scend.port import ScendPort
from shared.store.crossrefs import CrossReference, CrossReferenceStore
from shared.store.exceptions import ExceptionStore
from shared.store.watermarks import WatermarkStore

log = logging.getLogger(__name__)

FLOW = "poll_bc_items"
SOURCE = "bc:items"
ITEM_KIND = "item"
MAX_ROUNDS = 5  # of the converge loop; each round at least one contender's save wins


class ItemState(StrEnum):
    WAREHOUSE_READY = "warehouse_ready"  # Scend confirmed an active product
    INACTIVE = "inactive"  # blocked in BC: sent to Scend as inactive, orders for it are refused
    SKIPPED = "skipped"  # a service or non-inventory item: nothing for the warehouse


class ItemOutcome(StrEnum):
    EXPORTED = "exported"
    UNCHANGED = "unchanged"  # a newer version with the content Scend holds: no request
    STALE = "stale"  # an older (or the same) version than the one recorded: nothing done
    SKIPPED = "skipped"
    SUPERSEDED = "superseded"  # a newer version landed meanwhile; Scend was left holding it


WarehouseReady = Callable[[str], Awaitable[None]]


async def _nothing(sku: str) -> None:
    return None


# --- the poll ---------------------------------------------------------------------------------------


def item_envelope(item: Item) -> Envelope:
    """One envelope per item version: key = BC id, version = lastModifiedDateTime.

    The payload is the item as read: items carry no personal data.
    """
    modified = item.last_modified_date_time
    return Envelope(
        kind=ITEM_KIND,
        key=str(item.id),
        version=modified.isoformat() if modified is not None else "",
        occurred_at=modified or datetime.now(UTC),
        payload=item.wire(),
    )


def item_message(item: Item) -> OutboundMessage:
    envelope = item_envelope(item)
    return OutboundMessage(
        body=envelope.to_bytes(),
        message_id=envelope.idempotency_key,
        correlation_id=envelope.correlation_id,
        subject=ITEM_KIND,
    )


async def poll_bc_items(
    *,
    bc: BcClient,
    watermarks: WatermarkStore,
    transport: Transport,
    queue: str,
    lookback: timedelta,
    clock: Callable[[], datetime],
    batch_size: int = 100,
) -> PollResult:
    """Enqueue every item changed since the watermark (see `polling.poll_changes`)."""

    def read(since: datetime | None) -> AsyncIterator[Item]:
        return bc.master.iter_items(changed_since=since)

    return await poll_changes(
        flow=FLOW, source=SOURCE, watermarks=watermarks, transport=transport, queue=queue,
        read=read, to_message=item_message, lookback=lookback, clock=clock, batch_size=batch_size,
    )  # fmt: skip


# --- the gate -----------------------------------------------------------------------------------


async def item_reference_for_sku(cross_references: CrossReferenceStore, sku: str) -> CrossReference | None:
    """The item cross-reference of a SKU (= BC item number), through its `scend|<sku>` pointer."""
    return await cross_references.get_by_scend(ITEM_KIND, sku)


async def is_warehouse_ready(cross_references: CrossReferenceStore, sku: str) -> bool:
    """True once Scend confirmed the SKU as an active product (a blocked item is not ready)."""
    ref = await item_reference_for_sku(cross_references, sku)
    return ref is not None and ref.state == ItemState.WAREHOUSE_READY


# --- the handler --------------------------------------------------------------------------------


def version_number(version: str) -> int:
    """An item version (ISO lastModifiedDateTime) as microseconds since the epoch: comparable, storable."""
    if not version:
        return 0
    moment = datetime.fromisoformat(version)
    return int(moment.timestamp()) * 1_000_000 + moment.microsecond


async def export_item(
    envelope: Envelope,
    *,
    scend: ScendPort,
    cross_references: CrossReferenceStore,
    exceptions: ExceptionStore,
    lookups: Lookups,
    on_warehouse_ready: WarehouseReady = _nothing,
) -> ItemOutcome:
    """Make Scend hold this item version, exactly once; raise `PermanentError` when it cannot.

    `ITEM_REJECTED_BY_WMS` (from the mapping or from Scend) and `MAPPING_MISSING` propagate for the
    shell to park. A later success resolves the item's open exceptions; an active product confirmed
    by Scend calls `on_warehouse_ready(sku)` once.
    """
    item = Item.model_validate(envelope.payload)
    version = version_number(envelope.version)
    current = await cross_references.get_by_bc(ITEM_KIND, envelope.key)
    if current is not None and current.version >= version:
        return ItemOutcome.STALE
    mapped = map_item(item, lookups)
    if isinstance(mapped, Skipped):
        log.info("item %s skipped: %s", item.number, mapped.reason)
        await _save_skipped(cross_references, current, envelope.key, item.number, version)
        await _resolve(exceptions, item, envelope.key, "the item is not a warehouse item")
        return ItemOutcome.SKIPPED
    outcome, saved = await _converge(scend, cross_references, current, envelope.key, mapped, version)
    if outcome is ItemOutcome.SUPERSEDED:
        return outcome
    await _resolve(exceptions, item, envelope.key, f"Scend accepted item {item.number}")
    if outcome is ItemOutcome.EXPORTED and saved.state == ItemState.WAREHOUSE_READY:
        await on_warehouse_ready(mapped.sku)
    return outcome


async def _converge(
    scend: ScendPort,
    cross_references: CrossReferenceStore,
    current: CrossReference | None,
    bc_id: str,
    product: Product,
    version: int,
) -> tuple[ItemOutcome, CrossReference]:
    """Upsert `product` unless Scend holds it already and save the cross-reference If-Match; after a
    conflict, re-read and leave Scend holding the newest version (see the module docstring)."""
    ours_hash = content_hash(product)
    sent = False
    for _ in range(MAX_ROUNDS):
        if current is not None and current.version > version:
            if not sent:
                return ItemOutcome.STALE, current
            restore = _snapshot(current)
            if restore is not None:
                await _upsert(scend, restore)
            target, outcome = current, ItemOutcome.SUPERSEDED
        else:
            unchanged = (
                current is not None and current.content_hash == ours_hash and current.scend_id == product.sku
            )
            if not unchanged:
                await _upsert(scend, product)
                sent = True
            target = _reference(current, bc_id, product, ours_hash, version)
            outcome = ItemOutcome.EXPORTED if sent else ItemOutcome.UNCHANGED
        try:
            return outcome, await cross_references.save(target)
        except ConcurrencyConflict:
            current = await cross_references.get_by_bc(ITEM_KIND, bc_id)
    raise ConcurrencyConflict(f"item {bc_id}: cross-reference still contended after {MAX_ROUNDS} rounds")


async def _upsert(scend: ScendPort, product: Product) -> Product:
    """PUT the product; after an unknown outcome, Scend's copy decides (design §2, in-doubt writes)."""
    try:
        return await scend.upsert_product(product)
    except InDoubt:
        held = await scend.get_product(product.sku)
        if held is not None and content_hash(held) == content_hash(product):
            return held
        raise


def _snapshot(ref: CrossReference) -> Product | None:
    body = ref.tracking.get("product") if isinstance(ref.tracking, dict) else None
    return Product.model_validate(body) if isinstance(body, dict) else None


def _reference(
    current: CrossReference | None, bc_id: str, product: Product, digest: str, version: int
) -> CrossReference:
    state = ItemState.WAREHOUSE_READY if product.active else ItemState.INACTIVE
    fields = {
        "scend_id": product.sku,
        "bc_number": product.sku,
        "state": state.value,
        "content_hash": digest,
        "version": version,
        "tracking": {"product": product.model_dump(mode="json")},
    }
    if current is None:
        return CrossReference.model_validate({"kind": ITEM_KIND, "bc_id": bc_id, **fields})
    return current.model_copy(update=fields)


async def _save_skipped(
    cross_references: CrossReferenceStore,
    current: CrossReference | None,
    bc_id: str,
    number: str,
    version: int,
) -> None:
    fields = {"bc_number": number, "state": ItemState.SKIPPED.value, "content_hash": None, "version": version}
    if current is None:
        ref = CrossReference.model_validate({"kind": ITEM_KIND, "bc_id": bc_id, **fields})
    else:
        ref = current.model_copy(update=fields)
    await cross_references.save(ref)


async def _resolve(exceptions: ExceptionStore, item: Item, bc_id: str, resolution: str) -> None:
    """Exceptions are parked under the item number (the mapping's business key) or, failing that, the id."""
    for key in dict.fromkeys((item.number, bc_id)):
        await exceptions.resolve_document(ITEM_KIND, key, resolution)
