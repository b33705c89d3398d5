"""The world of despatches and returns: the order world (BC and Scend simulators, Azurite, a local
broker), plus the timeline, the Scend feeds, and the shipment and return handlers run as the host would."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from local.bc_sim import SeedRequest
from local.scend_sim.despatch import ParcelPlan
from local.scend_sim.inbound import ReceiptPlan, Received
from local.scend_sim.returns import Arrived, Verdict
from shared.flows.asn_export import export_asn, poll_bc_purchase_orders, purchase_order_reader
from shared.flows.despatch import Despatches
from shared.flows.item_export import export_item, poll_bc_items
from shared.flows.receipts import Receipts
from shared.flows.rereads import reference_to
from shared.flows.returns import Returns
from shared.flows.scend_feeds import FEEDS, FeedResult, poll_scend_feed
from shared.flows.stock_adjustments import StockAdjustments
from shared.messaging.envelope import Envelope
from shared.messaging.queues import queue_specs
from shared.messaging.settlement import BatchHandler, Outcome, ParkedAs
from shared.messaging.transport import QueueSpec
from shared.scend.models import Return, Shipment
from shared.settings import Settings, WriteBackMode
from shared.store.processed import ProcessedEventStore
from shared.store.timeline import OrderTimelineStore, TimelineEvent
from tests.contract.bc.support import EXAMPLE
from tests.flows.drain import drain_queue, test_settler
from tests.flows.orders.support import NOTHING, Catalogue, World


def app_settings() -> Settings:
    values = {k.lower(): v for k, v in json.loads(EXAMPLE.read_text())["Values"].items() if v != ""}
    values.pop("servicebusconnection", None)
    return Settings.model_validate(values)


SETTINGS = app_settings()
SHIPMENTS, RETURNS, STOCK = SETTINGS.shipments_queue, SETTINGS.returns_queue, SETTINGS.stock_queue
RECEIPTS, PURCHASE_ORDERS = SETTINGS.receipts_queue, SETTINGS.purchase_orders_queue
ITEMS = SETTINGS.items_queue


def warehouse_specs() -> list[QueueSpec]:
    wanted = {SETTINGS.orders_queue, SHIPMENTS, RETURNS, STOCK, RECEIPTS, PURCHASE_ORDERS, ITEMS}
    return [spec for spec in queue_specs(SETTINGS) if spec.name in wanted]


@dataclass
class Sent:
    """A BC order that reached Scend through the order flow."""

    id: str
    number: str
    scend_id: str
    lines: dict[str, int]  # line_ref (BC Line No.) → quantity
    skus: dict[str, str]  # line_ref → SKU


@dataclass
class Warehouse:
    """The order world plus what comes back from the warehouse."""

    world: World
    timeline: OrderTimelineStore
    processed: ProcessedEventStore
    mode: WriteBackMode = WriteBackMode.STANDARD
    settled: Counter[Outcome] = field(default_factory=Counter)
    wait: timedelta = timedelta(hours=24)
    invoice_on_receipt: bool = False

    # --- GIVEN ----------------------------------------------------------------------------------

    async def catalogue(self, items: int = 3) -> Catalogue:
        return await self.world.catalogue(items)

    async def sent_order(self, catalogue: Catalogue, lines: Sequence[tuple[str, int]], **header: str) -> Sent:
        """A released BC order (with `header` fields), polled and sent to Scend by the order flow."""
        created = self.world.release(catalogue, lines, **header)
        await self.world.poll()
        await self.world.drain()
        ref = await self.world.cross_references.get_by_bc("salesOrder", created["id"])
        assert ref is not None, "the order did not reach Scend"
        assert ref.scend_id is not None, "the order did not reach Scend"
        rows = self.world.bc_sim.docs.state.lines("salesOrderLines", created["id"])
        return Sent(
            created["id"], created["number"], ref.scend_id,
            {str(r["sequence"]): int(r["quantity"]) for r in rows},
            {str(r["sequence"]): r["lineObjectNumber"] for r in rows},
        )  # fmt: skip

    def despatch(
        self, order: Sent, parcels: Sequence[Sequence[tuple[str, int]]] | None = None, **kwargs: Any
    ) -> Shipment:
        """Scend despatches `parcels` (line_ref, units) of the order; None: every open unit, one parcel."""
        if parcels is None:
            at_scend = self.world.scend_sim.state.orders[order.scend_id]
            parcels = [[(line.line_ref, line.qty_ordered - line.qty_despatched - line.qty_cancelled)
                        for line in at_scend.lines]]  # fmt: skip
        plans = [ParcelPlan(lines=[(ref, units) for ref, units in p if units]) for p in parcels]
        plans = [plan for plan in plans if plan.lines]
        shipment = self.world.scend_sim.warehouse.despatch(order.scend_id, plans, **kwargs)
        return Shipment.model_validate(json.loads(shipment.model_dump_json()))

    def open_units(self, order: Sent) -> int:
        at_scend = self.world.scend_sim.state.orders[order.scend_id]
        return sum(line.qty_ordered - line.qty_despatched - line.qty_cancelled for line in at_scend.lines)

    def customer_returns(
        self, order: Sent, lines: Sequence[tuple[str, int]], *, rma: str | None = None
    ) -> str:
        """A parcel from the customer arrives at Scend quoting the order's reference; its return id."""
        reference = self.world.scend_sim.state.orders[order.scend_id].client_reference
        ret = self.world.scend_sim.warehouse.return_arrives(rma, reference, [Arrived(s, q) for s, q in lines])
        return ret.id

    def inspect(self, return_id: str, verdicts: dict[int, tuple[str, str]] | None = None) -> None:
        graded = {n: Verdict(c, d) for n, (c, d) in (verdicts or {}).items()}  # type: ignore[arg-type]
        self.world.scend_sim.warehouse.inspect_return(return_id, graded)

    # --- WHEN -----------------------------------------------------------------------------------

    async def poll(self, feed: str) -> FeedResult:
        return await poll_scend_feed(
            FEEDS[feed], scend=self.world.scend, watermarks=self.world.watermarks,
            transport=self.world.transport, queue=getattr(SETTINGS, FEEDS[feed].queue_setting),
            exceptions=self.world.exceptions, clock=self.world.clock, stale_after=timedelta(minutes=30),
        )  # fmt: skip

    @property
    def despatches(self) -> Despatches:
        return Despatches(
            bc=self.world.bc, cross_references=self.world.cross_references,
            exceptions=self.world.exceptions, timeline=self.timeline, lookups=self.world.lookups,
            mode=self.mode, clock=self.world.clock, dependency_wait=self.wait, processed=self.processed,
        )  # fmt: skip

    @property
    def returns(self) -> Returns:
        return Returns(
            bc=self.world.bc, cross_references=self.world.cross_references,
            exceptions=self.world.exceptions, timeline=self.timeline, lookups=self.world.lookups,
            clock=self.world.clock, dependency_wait=self.wait,
        )  # fmt: skip

    async def drain_shipments(
        self, *, duplicate_every: int = 0, max_rounds: int = 400, wait_for_retries: bool = True
    ) -> int:
        despatches = self.despatches
        return await self.drain(
            SHIPMENTS, "shipment_confirmation", despatches.confirm, False, duplicate_every, max_rounds,
            wait_for_retries, handle_many=despatches.confirm_many,
        )  # fmt: skip

    @property
    def stock_adjustments(self) -> StockAdjustments:
        return StockAdjustments(
            bc=self.world.bc, cross_references=self.world.cross_references, exceptions=self.world.exceptions,
            lookups=self.world.lookups, mode=self.mode, processed=self.processed,
        )  # fmt: skip

    async def drain_stock(self, *, duplicate_every: int = 0) -> int:
        adjustments = self.stock_adjustments
        return await self.drain(STOCK, "stock_adjustment", adjustments.apply, False, duplicate_every, 400)

    # --- items ------------------------------------------------------------------------------------

    async def poll_items(self) -> int:
        world = self.world
        result = await poll_bc_items(
            bc=world.bc, watermarks=world.watermarks, transport=world.transport, queue=ITEMS,
            lookback=timedelta(minutes=2), clock=world.clock,
        )  # fmt: skip
        return result.enqueued

    async def drain_items(self) -> int:
        world = self.world

        async def handle(envelope: Envelope) -> None:
            await export_item(
                envelope, scend=world.scend, cross_references=world.cross_references,
                exceptions=world.exceptions, lookups=world.lookups,
            )  # fmt: skip

        return await self.drain(ITEMS, "items_to_scend", handle, False, 0, 400)

    # --- inbound ---------------------------------------------------------------------------------

    def released_po(
        self, catalogue: Catalogue, lines: Sequence[tuple[str, int]], **vendor_fields: str
    ) -> dict[str, str]:
        """A released BC purchase order with these (item, quantity) lines from a new vendor (with
        `vendor_fields`: its name, address…)."""
        world = self.world
        made = {"entities": {"vendors": [vendor_fields]}} if vendor_fields else {"vendors": 1}
        vendor = world.bc_sim.seed(SeedRequest(**NOTHING | made))["vendors"][0]
        body = {
            "vendorNumber": vendor["number"],
            "status": "Open",
            "requestedReceiptDate": "2026-12-01",
            "purchaseOrderLines": [
                {"lineType": "Item", "lineObjectNumber": sku, "quantity": qty} for sku, qty in lines
            ],
        }
        return world.bc_sim.seed(SeedRequest(**NOTHING | {"entities": {"purchaseOrders": [body]}}))[
            "purchaseOrders"
        ][0]

    async def poll_purchase_orders(self) -> int:
        result = await poll_bc_purchase_orders(
            bc=self.world.bc,
            watermarks=self.world.watermarks,
            transport=self.world.transport,
            queue=PURCHASE_ORDERS,
            clock=self.world.clock,
        )
        return result.enqueued

    async def drain_purchase_orders(self, *, wait_for_retries: bool = True) -> int:
        world = self.world

        async def handle(envelope: Envelope) -> None:
            await export_asn(
                envelope,
                scend=world.scend,
                cross_references=world.cross_references,
                exceptions=world.exceptions,
                is_warehouse_ready=world.ready,
                dependency_wait=self.wait,
                reread=purchase_order_reader(world.bc),
            )

        return await self.drain(
            PURCHASE_ORDERS, "asn_export", handle, True, 0, 400, wait_for_retries, parked_as=reference_to
        )

    @property
    def receipts(self) -> Receipts:
        return Receipts(
            bc=self.world.bc,
            cross_references=self.world.cross_references,
            exceptions=self.world.exceptions,
            mode=self.mode,
            invoice_on_receipt=self.invoice_on_receipt,
            clock=self.world.clock,
            dependency_wait=self.wait,
            processed=self.processed,
        )

    async def drain_receipts(self, *, duplicate_every: int = 0, wait_for_retries: bool = True) -> int:
        receipts = self.receipts
        return await self.drain(
            RECEIPTS, "receipt_confirmation", receipts.confirm, False, duplicate_every, 400, wait_for_retries
        )

    def asn_of(self, po_number: str) -> Any:
        return next(
            a for a in self.world.scend_sim.state.asns.values() if a.client_reference.startswith(po_number)
        )

    def receive(
        self,
        asn_id: str,
        lines: Sequence[tuple[str, int, int]],
        *,
        unexpected: Sequence[tuple[str, int]] = (),
        final: bool = True,
    ) -> str:
        """Scend receives (line_ref, good, damaged) units of the ASN and unadvised (sku, units)."""
        plan = ReceiptPlan(
            lines=[Received(ref=ref, qty_received=good, qty_damaged=bad) for ref, good, bad in lines],
            unexpected=[Received(sku=sku, qty_received=units) for sku, units in unexpected],
            is_final=final,
        )
        sim = self.world.scend_sim.warehouse
        asn = sim.asn(asn_id)
        if asn.status in ("created", "awaiting_delivery"):
            sim.arrive_asn(asn_id)
        return sim.receive_asn(asn_id, plan).id

    def bc_po_lines(self, po_id: str) -> dict[str, tuple[float, float]]:
        """line No. → (received, invoiced) in BC."""
        rows = self.world.bc_sim.docs.state.lines("purchaseOrderLines", po_id)
        return {
            str(r["sequence"]): (float(r["receivedQuantity"]), float(r["invoicedQuantity"])) for r in rows
        }

    async def drain_returns(
        self, *, duplicate_every: int = 0, max_rounds: int = 400, wait_for_retries: bool = True
    ) -> int:
        returns = self.returns
        return await self.drain(RETURNS, "return_to_credit_memo", returns.handle, False, duplicate_every,
                                max_rounds, wait_for_retries)  # fmt: skip

    async def drain(
        self,
        queue: str,
        flow: str,
        handle: Callable[[Envelope], Awaitable[Any]],
        sessions: bool,
        duplicate_every: int,
        max_rounds: int,
        wait_for_retries: bool = True,
        handle_many: BatchHandler | None = None,
        parked_as: ParkedAs | None = None,
    ) -> int:
        world = self.world
        return await drain_queue(
            world.transport,
            queue,
            flow=flow,
            settler=test_settler(world.transport, world.exceptions, world.clock),
            handle=handle,
            clock=world.clock,
            sessions=sessions,
            duplicate_every=duplicate_every,
            max_rounds=max_rounds,
            wait_for_retries=wait_for_retries,
            settled=self.settled,
            handle_many=handle_many,
            parked_as=parked_as,
        )

    def stock_at(self, sku: str, location: str) -> float:
        """BC's stock of an item at a location, as its ledger entries add up."""
        state = self.world.bc_sim.docs.state
        item = state.find("items", "number", sku)
        assert item is not None
        return float(state.stock_at.get((item["id"], location), 0))

    def beyond_the_wait(self) -> None:
        """Move the shell's clock past every dependency wait (envelopes carry real time)."""
        self.world.clock.now = datetime.now(UTC) + self.wait + timedelta(hours=1)

    # --- THEN -----------------------------------------------------------------------------------

    def shipped(self, order: Sent) -> dict[str, int]:
        """Units on the order's posted BC shipments, per line_ref (the order line's Line No.)."""
        state = self.world.bc_sim.docs.state
        by_sku: Counter[str] = Counter()
        for shipment in state.rows("salesShipments"):
            if shipment.get("orderNumber") == order.number:
                for line in state.lines("salesShipmentLines", shipment["id"]):
                    by_sku[line["lineObjectNumber"]] += int(line["quantity"])
        return {ref: by_sku[sku] for ref, sku in order.skus.items() if by_sku[sku]}

    def posted_shipments(self, order: Sent) -> int:
        state = self.world.bc_sim.docs.state
        return sum(1 for s in state.rows("salesShipments") if s.get("orderNumber") == order.number)

    def invoices(self, order: Sent) -> int:
        state = self.world.bc_sim.docs.state
        return sum(1 for s in state.rows("salesInvoices") if s.get("orderNumber") == order.number)

    def credit_memos(self, return_id: str) -> list[dict[str, Any]]:
        state = self.world.bc_sim.docs.state
        return [m for m in state.rows("salesCreditMemos") if m.get("externalDocumentNumber") == return_id]

    def credit_memo_lines(self, memo: dict[str, Any]) -> list[dict[str, Any]]:
        return self.world.bc_sim.docs.state.lines("salesCreditMemoLines", memo["id"])

    async def timeline_of(self, order: Sent) -> list[TimelineEvent]:
        return await self.timeline.read(order.number)

    def scend_return(self, return_id: str) -> Return:
        ret = self.world.scend_sim.state.returns[return_id]
        return Return.model_validate(json.loads(ret.model_dump_json()))
