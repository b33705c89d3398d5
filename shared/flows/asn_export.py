"""ASN export: released BC purchase orders become Scend advance shipping notices.

`poll_bc_purchase_orders` (timer) enqueues every purchase order changed since the watermark, any
status, to `purchase-orders-to-scend` (sessions keyed by the PO id, so one PO's versions never
overtake each other). `export_asn` applies one version; the cross-reference `purchaseOrder /
bc|<PO id>` remembers the Scend ASN id, the release and a fingerprint of what the warehouse sees:

- released, no ASN yet: create it (`client_reference` = PO number);
- released, changed where Scend would see it: cancel the ASN and create `<PO>-R<n+1>`; refused
  once the goods have arrived (`ASN_NOT_CANCELLABLE` for purchasing, nothing changed at Scend);
- released, any other change (a receipt posted, a price): nothing;
- reopened: cancel the ASN (the same refusal applies);
- a SKU the warehouse does not know yet: wait (retried) up to `DEPENDENCY_WAIT_HOURS`, then
  `SKU_NOT_IN_WMS`.

A parked purchase order's exception row keeps its reference, not the order (the vendor's name:
`shared.flows.rereads`); Retry sends the reference and `export_asn` reads the order from BC again
through `reread` (one request). One gone from BC meanwhile is handled as reopened: its ASN is
cancelled.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from uuid import UUID

from pydantic import ValidationError

from shared.bc.client import BcClient
from shared.bc.enums import DocumentStatus
from shared.bc.errors import BcRecordNotFound
from shared.bc.models import PurchaseOrder
from shared.errors import InvalidMessage, PermanentError, WaitingForDependency
from shared.flows.order_changes import DEFAULT_LOOKBACK
from shared.flows.polling import PollResult, poll_changes
from shared.flows.rereads import is_reference, reference_number
from shared.mapping.asns import asn_fingerprint, asn_reference, map_asn
from shared.mapping.skips import Skipped
from shared.messaging.envelope import Envelope
from shared.messaging.transport import OutboundMessage, Transport
from shared.scend.calls import field_places
from shared.scend.outcomes import ScendRejected
from shared.scend.port import ScendPort
from shared.store.crossrefs import CrossReference, CrossReferenceStore
from shared.store.exceptions import ExceptionStore
from shared.store.watermarks import WatermarkStore

PO_KIND = "purchaseOrder"
FLOW, SOURCE = "poll_bc_purchase_orders", "bc:purchaseOrders"
SENT, CANCELLED, NOT_SENT = "sent", "cancelled", "not_sent"
CANCELLED_AT_SCEND = "cancelled"
GONE = "Deleted"  # the status a purchase order read again has once it is gone from BC

PurchaseOrderReader = Callable[[str], Awaitable[PurchaseOrder | None]]


class AsnOutcome(StrEnum):
    SENT = "sent"
    AMENDED = "amended"
    CANCELLED = "cancelled"
    UNCHANGED = "unchanged"
    STALE = "stale"
    IGNORED = "ignored"


# --- the poll ----------------------------------------------------------------------------------------


def purchase_order_envelope(order: PurchaseOrder) -> Envelope:
    """Kind `purchaseOrder`, key the BC id, version lastModifiedDateTime (ISO), payload the order."""
    version = order.last_modified_date_time.isoformat() if order.last_modified_date_time else ""
    return Envelope(kind=PO_KIND, key=str(order.id), version=version, payload=order.wire(exclude_none=False))


def purchase_order_message(order: PurchaseOrder) -> OutboundMessage:
    envelope = purchase_order_envelope(order)
    return OutboundMessage(
        body=envelope.to_bytes(),
        message_id=envelope.idempotency_key,
        session_id=envelope.key,
        correlation_id=envelope.correlation_id,
        subject=envelope.kind,
    )


async def poll_bc_purchase_orders(
    *,
    bc: BcClient,
    watermarks: WatermarkStore,
    transport: Transport,
    queue: str,
    clock: Callable[[], datetime],
    lookback: timedelta = DEFAULT_LOOKBACK,
) -> PollResult:
    """Enqueue every purchase order changed since the watermark to `queue` (purchase-orders-to-scend)."""
    return await poll_changes(
        flow=FLOW,
        source=SOURCE,
        watermarks=watermarks,
        transport=transport,
        queue=queue,
        read=lambda since: bc.purchasing.iter_orders(changed_since=since),
        to_message=purchase_order_message,
        lookback=lookback,
        clock=clock,
    )


def purchase_order_reader(bc: BcClient) -> PurchaseOrderReader:
    """Reads one purchase order by its BC id as it is now, with its lines; None once it is gone."""

    async def read(order_id: str) -> PurchaseOrder | None:
        try:
            return await bc.purchasing.get_order(UUID(order_id))
        except BcRecordNotFound:
            return None

    return read


# --- the handler -------------------------------------------------------------------------------------


async def export_asn(
    envelope: Envelope,
    *,
    scend: ScendPort,
    cross_references: CrossReferenceStore,
    exceptions: ExceptionStore,
    is_warehouse_ready: Callable[[str], Awaitable[bool]],
    dependency_wait: timedelta,
    reread: PurchaseOrderReader | None = None,
) -> AsnOutcome:
    """Apply one version of one BC purchase order to Scend; see the module docstring."""
    ref = await cross_references.get_by_bc(PO_KIND, envelope.key)
    track = _tracking(ref)
    if _is_stale(envelope.version, track.get("applied")):
        return AsnOutcome.STALE
    if is_reference(envelope):
        envelope = await _read_again(envelope, reread)
        if _is_stale(envelope.version, track.get("applied")):
            return AsnOutcome.STALE
    try:
        order = PurchaseOrder.model_validate(envelope.payload)
    except ValidationError as error:
        raise InvalidMessage(f"not a BC purchase order: {field_places(error)}") from None
    at_scend = ref is not None and ref.state == SENT and ref.scend_id is not None
    release = int(track.get("release", 0))
    save = _Saver(cross_references, ref, order, envelope.version)
    if order.status != DocumentStatus.OPEN:
        if at_scend:
            await _cancel(scend, ref, order)
            await save(state=CANCELLED)
            return AsnOutcome.CANCELLED
        await save()
        return AsnOutcome.IGNORED
    mapped = map_asn(order, release=max(release, 1))
    if isinstance(mapped, Skipped):
        await save()
        return AsnOutcome.IGNORED
    fingerprint = asn_fingerprint(order, mapped)
    if at_scend and ref is not None and ref.content_hash == fingerprint:
        await save()
        return AsnOutcome.UNCHANGED
    missing = sorted({line.sku for line in mapped.lines if not await is_warehouse_ready(line.sku)})
    if missing:
        raise WaitingForDependency(
            f"purchase order {order.number}: not in the WMS yet: {', '.join(missing)}",
            exception_type="SKU_NOT_IN_WMS",
            give_up_at=envelope.occurred_at + dependency_wait,
        )
    next_release = (
        release + 1 if at_scend or (ref is not None and ref.state == CANCELLED) else max(release, 1)
    )
    if at_scend:
        await _cancel(scend, ref, order)
    request = mapped.model_copy(update={"client_reference": asn_reference(order.number, next_release)})
    try:
        created = await scend.create_asn(request)
    except ScendRejected as refused:
        raise PermanentError(refused.exception_type, refused.detail, business_key=envelope.key) from refused
    await save(state=SENT, scend_id=created.id, fingerprint=fingerprint, release=next_release)
    await exceptions.resolve_document(
        PO_KIND, envelope.key, f"sent to Scend as ASN {request.client_reference}"
    )
    return AsnOutcome.AMENDED if at_scend else AsnOutcome.SENT


async def _read_again(reference: Envelope, reread: PurchaseOrderReader | None) -> Envelope:
    """The purchase order as BC has it now (one request), for a parked order's reference; one gone
    from BC reads as a non-released order of that number, so its ASN is cancelled."""
    number = reference_number(reference)
    if reread is None:  # a wiring defect: parked (a reference, nothing personal), not lost
        raise PermanentError(
            "MESSAGE_INVALID", f"purchase order {number}: a parked order to read again, but no BC reader",
            business_key=reference.key,
        )  # fmt: skip
    order = await reread(reference.key)
    if order is None:
        payload = {"id": reference.key, "number": number, "status": GONE}
        return reference.model_copy(update={"payload": payload})
    # The reference's occurred_at: a dependency wait counts from the first attempt, not each re-read.
    kept = {"correlation_id": reference.correlation_id, "occurred_at": reference.occurred_at}
    return purchase_order_envelope(order).model_copy(update=kept)


async def _cancel(scend: ScendPort, ref: CrossReference | None, order: PurchaseOrder) -> None:
    assert ref is not None
    assert ref.scend_id is not None
    try:
        await scend.cancel_asn(ref.scend_id)
    except ScendRejected as refused:
        detail = (
            f"purchase order {order.number} changed in BC, but {refused.detail}; nothing changed at Scend"
        )
        raise PermanentError(refused.exception_type, detail, business_key=str(order.id)) from refused


class _Saver:
    """Writes the PO's cross-reference If-Match the copy read at the start."""

    def __init__(
        self, store: CrossReferenceStore, ref: CrossReference | None, order: PurchaseOrder, version: str
    ) -> None:
        self.store, self.ref, self.order, self.version = store, ref, order, version

    async def __call__(
        self,
        *,
        state: str | None = None,
        scend_id: str | None = None,
        fingerprint: str | None = None,
        release: int | None = None,
    ) -> None:
        base = self.ref or CrossReference(kind=PO_KIND, bc_id=str(self.order.id), bc_number=self.order.number,
                                          state=NOT_SENT)  # fmt: skip
        track = _tracking(base) | {"applied": self.version}
        if release is not None:
            track |= {"release": release, "client_reference": asn_reference(self.order.number, release)}
        changes: dict[str, Any] = {"tracking": track, "bc_number": self.order.number}
        if state is not None:
            changes["state"] = state
        if scend_id is not None:
            changes |= {"scend_id": scend_id, "content_hash": fingerprint, "version": release or base.version}
        self.ref = await self.store.save(base.model_copy(update=changes))


def _tracking(ref: CrossReference | None) -> dict[str, Any]:
    return dict(ref.tracking) if ref is not None and isinstance(ref.tracking, dict) else {}


def _is_stale(version: str, applied: object) -> bool:
    if not version or not isinstance(applied, str) or not applied:
        return False
    return datetime.fromisoformat(version) <= datetime.fromisoformat(applied)
