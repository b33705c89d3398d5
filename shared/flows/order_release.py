"""Order release, amend and cancel: one BC sales order version in, at most one Scend effect out.

The handler of the `orders-to-scend` session queue (one session per BC order id, so one order's
messages never run concurrently). The cross-reference `salesOrder / bc|<order id>` is the memory:

| state       | meaning                                                                      |
|-------------|------------------------------------------------------------------------------|
| `held`      | released in BC, waiting for a SKU or a mapping; nothing at Scend              |
| `sent`      | Scend order `scend_id` (release `version`) carries the content `content_hash` |
| `cancelled` | the last Scend order was cancelled (reopened/deleted in BC, or amend pending) |
| `withdrawn` | held, then reopened or deleted in BC before it ever reached Scend             |

A message is the order as the poll read it (no BC request), a deleted-order envelope, or the
reference a parked order's exception row keeps (`shared.flows.rereads`: Retry and the hold re-drive
send it), which is read again from BC through `reread`, so it goes on as the order is now.

`tracking` holds `applied` (the last BC version acted on), `release`, `client_reference` and,
while held, `held` = {version, reason, skus}; once sent, `customer` and per-SKU `lines` (price,
location) for a return's credit memo. The shipment confirmation flow adds `shipments`, `posting`
and `despatch` (`partial` / `complete`): a fully despatched order deleted in BC (invoiced) is closed,
not cancelled. Amend = cancel the Scend order, then create release
+1 (the contract has no PATCH); cancel is refused once picking started → `ORDER_NOT_CANCELLABLE`,
and nothing changes at Scend or in the cross-reference.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from shared.bc.enums import DocumentStatus
from shared.bc.models import SalesOrder
from shared.errors import PermanentError
from shared.flows.order_changes import OrderReader, order_envelope
from shared.flows.order_holds import (
    HELD,
    MAPPING_MISSING,
    ORDER_KIND,
    RELEASED,
    SKU_NOT_IN_WMS,
    WarehouseReady,
    hold_partitions,
    mark_index,
    record_hold,
)
from shared.flows.rereads import is_reference, reference_number
from shared.mapping.lookups import Lookups
from shared.mapping.orders import map_order, order_version, required_skus
from shared.mapping.references import client_reference
from shared.mapping.skips import Skipped
from shared.messaging.envelope import Envelope
from shared.scend.models import Order, OrderRequest
from shared.scend.outcomes import OrderNotCancellable, ScendRejected
from shared.scend.port import ScendPort
from shared.store.crossrefs import CrossReference, CrossReferenceStore
from shared.store.exceptions import ExceptionStore
from shared.store.timeline import OrderTimelineStore, Stage

log = logging.getLogger(__name__)

DELETED = "@deleted"  # payload marker of a deleted-order envelope (see `deleted_order_envelope`)
SENT, CANCELLED, WITHDRAWN = "sent", "cancelled", "withdrawn"
CANCELLED_AT_SCEND = "cancelled"
DESPATCHED_AT_SCEND = "despatched"  # Scend's order status once every unit has left
DESPATCHED_IN_FULL = "complete"  # tracking["despatch"] (shared.flows.despatch.COMPLETE)
_LINE_FIELD = re.compile(r"lines\[(\d+)\]")


class OrderOutcome(StrEnum):
    SENT = "sent"
    AMENDED = "amended"
    CANCELLED = "cancelled"
    HELD = "held"
    UNCHANGED = "unchanged"
    STALE = "stale"
    IGNORED = "ignored"


def deleted_order_envelope(order_id: UUID | str, number: str, deleted_at: datetime) -> Envelope:
    """The message for an order deleted in BC (from a `deleted` notification or an audit)."""
    return Envelope(
        kind=ORDER_KIND,
        key=str(order_id),
        version=deleted_at.isoformat(),
        payload={DELETED: True, "number": number},
    )


def _tracking(ref: CrossReference | None) -> dict[str, Any]:
    return dict(ref.tracking) if ref is not None and isinstance(ref.tracking, dict) else {}


def _when(value: object) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None


def is_stale(envelope: Envelope, ref: CrossReference | None) -> bool:
    """Whether a newer (or the same) version was already acted on, or a newer one is held.

    Race it prevents: (1) version 1 fails transiently and its retry copy goes to the back of the
    session; (2) version 2 (the customer removed a line) is sent; (3) the copy of version 1 runs
    and would re-create the removed line. Comparing with `applied` skips step 3. A held version
    is not applied, so the same version may run again (the re-drive), but an older one may not.
    """
    track = _tracking(ref)
    version = _when(envelope.version)
    if version is None:
        return False
    applied = _when(track.get("applied"))
    held = track.get("held")
    held_version = _when(held.get("version")) if isinstance(held, dict) else None
    return (applied is not None and version <= applied) or (
        held_version is not None and version < held_version
    )


async def handle_order(
    envelope: Envelope,
    *,
    scend: ScendPort,
    cross_references: CrossReferenceStore,
    exceptions: ExceptionStore,
    lookups: Lookups,
    is_warehouse_ready: WarehouseReady,
    clock: Callable[[], datetime],
    queue: str | None = None,
    timeline: OrderTimelineStore | None = None,
    reread: OrderReader | None = None,
) -> OrderOutcome:
    """Apply one version of one BC sales order to Scend; see the module docstring for the states.

    `reread` reads an order from BC again (`order_changes.order_reader`); only a parked order's
    reference needs it."""
    flow = _OrderFlow(envelope, scend, cross_references, exceptions, lookups, is_warehouse_ready, queue)
    flow.timeline = timeline
    flow.clock = clock
    flow.reread = reread
    return await flow.run()


class _OrderFlow:
    def __init__(
        self,
        envelope: Envelope,
        scend: ScendPort,
        cross_references: CrossReferenceStore,
        exceptions: ExceptionStore,
        lookups: Lookups,
        is_warehouse_ready: WarehouseReady,
        queue: str | None,
    ) -> None:
        self.envelope = envelope
        self.scend = scend
        self.xrefs = cross_references
        self.exceptions = exceptions
        self.lookups = lookups
        self.ready = is_warehouse_ready
        self.queue = queue
        self.ref: CrossReference | None = None
        self.timeline: OrderTimelineStore | None = None
        self.original: dict[str, Any] | None = None  # what a return credit needs (customer, prices)
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)
        self.reread: OrderReader | None = None

    @property
    def key(self) -> str:
        return self.envelope.key

    async def run(self) -> OrderOutcome:
        self.ref = await self.xrefs.get_by_bc(ORDER_KIND, self.key)
        if is_stale(self.envelope, self.ref):
            return OrderOutcome.STALE
        if is_reference(self.envelope):
            self.envelope = await self._read_again()
            if is_stale(self.envelope, self.ref):
                return OrderOutcome.STALE
        payload = self.envelope.payload
        if payload.get(DELETED):
            known = self.ref.bc_number if self.ref is not None else self.key
            return await self._withdraw(str(payload.get("number") or known), "deleted in Business Central")
        order = SalesOrder.model_validate(payload)
        if order.status != DocumentStatus.OPEN:
            return await self._withdraw(order.number, f"status {order.status} in Business Central")
        return await self._release(order)

    async def _read_again(self) -> Envelope:
        """The order as BC has it now, for a parked order's reference (one BC request); an order
        gone from BC meanwhile becomes its deleted-order envelope."""
        number = reference_number(self.envelope) or (self.ref.bc_number if self.ref is not None else "")
        if self.reread is None:  # a wiring defect: parked (a reference, nothing personal), not lost
            raise PermanentError(
                "MESSAGE_INVALID", f"order {number}: a parked order to read again, but no BC reader",
                business_key=self.key,
            )  # fmt: skip
        order = await self.reread(self.key)
        current = order_envelope(order) if order is not None else deleted_order_envelope(
            self.key, number, self.clock()
        )  # fmt: skip
        kept = {"correlation_id": self.envelope.correlation_id, "occurred_at": self.envelope.occurred_at}
        return current.model_copy(update=kept)

    # --- released in BC ---------------------------------------------------------------------------

    async def _release(self, order: SalesOrder) -> OrderOutcome:
        track = _tracking(self.ref)
        state = self.ref.state if self.ref is not None else None
        release = int(track.get("release", 0))
        at_scend = state == SENT and self.ref is not None and self.ref.scend_id is not None
        try:
            mapped = map_order(order, self.lookups, release=max(release, 1))
        except PermanentError as error:
            if error.exception_type == MAPPING_MISSING:
                return await self._hold(order, MAPPING_MISSING, [], error.detail)
            raise PermanentError(error.exception_type, error.detail, business_key=self.key) from error
        if isinstance(mapped, Skipped):
            return await self._withdraw(order.number, mapped.reason)
        if at_scend and self.ref is not None and order_version(mapped) == self.ref.content_hash:
            previous = self.ref
            await self._save(order, state=SENT, release=release, held=None)
            if track.get("held"):  # a held amendment was undone in BC: nothing waits any more
                await self._release_index(previous)
                await self.exceptions.resolve_document(
                    ORDER_KIND, self.key, "the held change was undone in BC"
                )
            return OrderOutcome.UNCHANGED
        missing = sorted([sku for sku in required_skus(order) if not await self.ready(sku)])
        if missing:
            detail = f"order {order.number}: not in the WMS yet: " + ", ".join(missing)
            return await self._hold(order, SKU_NOT_IN_WMS, missing, detail)
        next_release = release + 1 if at_scend or state == CANCELLED else max(release, 1)
        if at_scend:
            await self._cancel_for_amend(order)
        request = mapped.model_copy(
            update={"client_reference": client_reference(order.id, order.number, next_release)}
        )
        try:
            created = await self.scend.create_order(request)
        except ScendRejected as refused:
            if at_scend:  # the old release is gone: say so in the cross-reference before anything else
                await self._save(order, state=CANCELLED, release=release, held=None, applied=False)
            if refused.exception_type == SKU_NOT_IN_WMS:
                skus = _refused_skus(request, refused.fields) or sorted(required_skus(order))
                return await self._hold(order, SKU_NOT_IN_WMS, skus, refused.detail)
            if refused.exception_type == MAPPING_MISSING:
                return await self._hold(order, MAPPING_MISSING, [], refused.detail)
            raise PermanentError(refused.exception_type, refused.detail, business_key=self.key) from refused
        await self._sent(order, request, created, next_release)
        return OrderOutcome.AMENDED if at_scend else OrderOutcome.SENT

    async def _cancel_for_amend(self, order: SalesOrder) -> None:
        """Cancel the current Scend order before its replacement is created.

        Guards the half-applied amend: (1) BC line 2 changes from 3 to 5 units; (2) Scend has
        already despatched part of the order; (3) a cancel would take only the open units, and the
        replacement would ship everything again. So only an order still `accepted` (or already
        cancelled by an earlier attempt of this same amend) is replaced; anything else is refused
        before any write, and Scend's own 409 covers picking starting between our read and cancel.
        """
        assert self.ref is not None
        assert self.ref.scend_id is not None
        reference = str(_tracking(self.ref).get("client_reference", ""))
        current = await self.scend.get_order_by_reference(reference) if reference else None
        if current is not None and current.status == CANCELLED_AT_SCEND:
            return
        if current is not None and current.status != "accepted":
            raise PermanentError(
                "ORDER_NOT_CANCELLABLE",
                f"order {order.number} changed in BC, but Scend order {reference} is {current.status}:"
                " the change was not applied",
                business_key=self.key,
            )
        await self._cancel_at_scend(order.number, self.ref.scend_id)

    async def _cancel_at_scend(self, number: str, scend_id: str) -> bool:
        """Cancel the Scend order; False when there was nothing left to cancel because a deleted
        order had left the warehouse in full (BC deletes an order once all of it is shipped and
        invoiced, and that deletion can overtake the despatch flow's own note of it)."""
        try:
            await self.scend.cancel_order(scend_id, version=self.envelope.version)
        except ScendRejected as refused:
            if (
                self.envelope.payload.get(DELETED)
                and isinstance(refused, OrderNotCancellable)
                and refused.current_status == DESPATCHED_AT_SCEND
            ):
                return False
            detail = f"order {number}: {refused.detail}; nothing was changed at Scend"
            raise PermanentError(refused.exception_type, detail, business_key=self.key) from refused
        return True

    async def _sent(self, order: SalesOrder, request: OrderRequest, created: Order, release: int) -> None:
        previous = self.ref
        self.original = original_of(order) | {"accepted_at": self.clock().isoformat()}  # audits: overdue
        self.ref = (previous or _new_ref(self.key, order.number)).model_copy(
            update={"scend_id": created.id, "content_hash": order_version(request)}
        )
        await self._save(order, state=SENT, release=release, held=None)
        await self._release_index(previous)
        await self.exceptions.resolve_document(
            ORDER_KIND, self.key, f"sent to Scend as {request.client_reference}"
        )
        if self.timeline is not None:
            await self.timeline.record(
                order.number, Stage.RELEASED, f"R{release}", bc_order_id=self.key,
                detail={"version": self.envelope.version},
            )  # fmt: skip
            await self.timeline.record(
                order.number, Stage.ACCEPTED, f"R{release}", bc_order_id=self.key,
                detail={"occurred_at": str(created.updated_at or ""), "scend_order_id": created.id,
                        "client_reference": created.client_reference,
                        "status": created.status},
            )  # fmt: skip

    # --- reopened, deleted, or nothing to ship -------------------------------------------------------

    async def _withdraw(self, number: str, why: str) -> OrderOutcome:
        ref = self.ref
        if ref is None:
            return await self._withdraw_unrecorded(number)
        release = int(_tracking(ref).get("release", 0))
        if _tracking(ref).get("despatch") == DESPATCHED_IN_FULL:
            # Everything has left the warehouse: BC deletes a fully shipped and invoiced order, so
            # this is the order closing, not a cancellation (nothing is left to cancel at Scend).
            await self._save_number(number, state=ref.state, release=release)
            return OrderOutcome.IGNORED
        if ref.state == SENT and ref.scend_id is not None:
            if not await self._cancel_at_scend(number, ref.scend_id):
                log.info("order %s deleted in BC after Scend despatched all of it: closed", number)
                await self._save_number(number, state=ref.state, release=release)
                return OrderOutcome.IGNORED
            await self._save_number(number, state=CANCELLED, release=release)
            await self.exceptions.resolve_document(ORDER_KIND, self.key, f"cancelled at Scend: {why}")
            return OrderOutcome.CANCELLED
        if ref.state == HELD or _tracking(ref).get("held"):
            await self._save_number(
                number, state=WITHDRAWN if ref.state == HELD else ref.state, release=release
            )
            await self._release_index(ref)
            await self.exceptions.resolve_document(ORDER_KIND, self.key, f"no longer to be sent: {why}")
            return OrderOutcome.CANCELLED
        await self._save_number(number, state=ref.state, release=release)
        return OrderOutcome.IGNORED

    async def _withdraw_unrecorded(self, number: str) -> OrderOutcome:
        """A reopened order with no cross-reference: normally never released, so nothing to do.

        Race it covers: (1) release 1 is created at Scend; (2) the worker dies before the
        cross-reference is written; (3) the customer reopens the order. Without this lookup the
        Scend order would ship. One Scend read per such message; no BC request.
        """
        if not self.envelope.payload.get(DELETED):
            order_id = UUID(self.key)
            found = await self.scend.get_order_by_reference(client_reference(order_id, number, 1))
            if found is not None and found.status != CANCELLED_AT_SCEND:
                await self._cancel_at_scend(number, found.id)
                self.ref = _new_ref(self.key, number).model_copy(update={"scend_id": found.id})
                await self._save_number(number, state=CANCELLED, release=1)
                return OrderOutcome.CANCELLED
        return OrderOutcome.IGNORED

    # --- holds ---------------------------------------------------------------------------------------

    async def _hold(self, order: SalesOrder, reason: str, skus: list[str], detail: str) -> OrderOutcome:
        """Hold this version: index it, keep one open exception with its reference, leave Scend alone.

        Idempotent: the same version held for the same reason and SKUs again (a duplicate message,
        or a re-drive that came too early) changes nothing and counts nothing.
        """
        held = {"version": self.envelope.version, "reason": reason, "skus": skus}
        track = _tracking(self.ref)
        if track.get("held") == held and self.ref is not None:
            return OrderOutcome.HELD
        previous = self.ref
        state = previous.state if previous is not None and previous.state in (SENT, CANCELLED) else HELD
        if previous is None:
            self.ref = _new_ref(self.key, order.number)
        await self._save(order, state=state, release=int(track.get("release", 0)), held=held, applied=False)
        await self._release_index(previous, keep=hold_partitions(reason, skus))
        await mark_index(self.xrefs, hold_partitions(reason, skus), self.key, order.number, HELD)
        await record_hold(self.exceptions, self.envelope, reason=reason, detail=detail, queue=self.queue)
        return OrderOutcome.HELD

    async def _release_index(self, previous: CrossReference | None, keep: list[str] | None = None) -> None:
        held = _tracking(previous).get("held")
        if previous is None or not isinstance(held, dict):
            return
        skus = [str(s) for s in held.get("skus") or []]
        stale = [p for p in hold_partitions(str(held.get("reason")), skus) if p not in (keep or [])]
        await mark_index(self.xrefs, stale, self.key, previous.bc_number, RELEASED)

    # --- the cross-reference -------------------------------------------------------------------------

    async def _save(
        self,
        order: SalesOrder,
        *,
        state: str,
        release: int,
        held: dict[str, Any] | None,
        applied: bool = True,
    ) -> None:
        await self._save_number(order.number, state=state, release=release, held=held, applied=applied)

    async def _save_number(
        self,
        number: str,
        *,
        state: str,
        release: int,
        held: dict[str, Any] | None = None,
        applied: bool = True,
    ) -> None:
        """Write the record If-Match the copy read at the start (a concurrent writer → transient)."""
        base = self.ref or _new_ref(self.key, number)
        track = _tracking(base)
        if applied:
            track["applied"] = self.envelope.version
        track.pop("held", None)
        if held is not None:
            track["held"] = held
        if release:
            track["release"] = release
            track["client_reference"] = client_reference(UUID(self.key), number, release)
        if self.original is not None:
            track.update(self.original)
        updated = base.model_copy(
            update={"state": state, "version": release, "tracking": track, "bc_number": number}
        )
        self.ref = await self.xrefs.save(updated)


def original_of(order: SalesOrder) -> dict[str, Any]:
    """What a return's credit memo needs once the order may be gone from BC: the customer, and per
    SKU the price paid and the location it shipped from (no personal data)."""
    lines: dict[str, Any] = {}
    for line in order.sales_order_lines or ():
        if line.line_object_number and line.line_object_number not in lines:
            lines[line.line_object_number] = {
                "price": str(line.unit_price) if line.unit_price is not None else None,
                "location_id": str(line.location_id) if line.location_id else None,
            }
    return {"customer": order.customer_number, "lines": lines}


def _new_ref(order_id: str, number: str) -> CrossReference:
    return CrossReference(kind=ORDER_KIND, bc_id=order_id, bc_number=number, state=HELD)


def _refused_skus(request: OrderRequest, fields: list[str]) -> list[str]:
    """The SKUs Scend named in `lines[i].sku` paths."""
    skus = set()
    for field in fields:
        match = _LINE_FIELD.match(field)
        if match and int(match[1]) < len(request.lines):
            skus.add(request.lines[int(match[1])].sku)
    return sorted(skus)
