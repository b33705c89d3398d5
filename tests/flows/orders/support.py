"""The order flow's world: simulators, stores and broker, with the steps the scenarios take."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from local.bc_sim import BcSim, SeedRequest
from local.bc_sim.orders import set_status
from local.scend_sim import ScendSim
from shared.bc.client import BcClient
from shared.flows.order_changes import order_envelope, order_reader, poll_bc_sales_orders, read_orders
from shared.flows.order_holds import HeldOrders
from shared.flows.order_release import OrderOutcome, handle_order
from shared.flows.rereads import reference_to
from shared.mapping.lookups import Lookups, default_lookups
from shared.messaging.envelope import Envelope
from shared.messaging.local import LocalTransport
from shared.messaging.queues import queue_specs
from shared.messaging.transport import QueueSpec
from shared.scend.rest import ContractRestAdapter
from shared.settings import Settings
from shared.store.crossrefs import CrossReferenceStore
from shared.store.exceptions import ExceptionStatus, ExceptionStore, SyncException
from shared.store.timeline import OrderTimelineStore
from shared.store.watermarks import WatermarkStore
from tests.contract.bc.support import EXAMPLE
from tests.contract.messaging.support import Clock
from tests.contract.scend.support import product
from tests.flows.drain import drain_queue, test_settler

START = datetime(2026, 11, 27, 9, 0, 0, tzinfo=UTC)
NOTHING: dict[str, Any] = {
    "items": 0, "customers": 0, "vendors": 0, "locations": 0, "shipment_methods": 0,
    "released_sales_orders": 0, "draft_sales_orders": 0, "released_purchase_orders": 0,
}  # fmt: skip


def orders_spec() -> QueueSpec:
    """The app's own `orders-to-scend` queue (sessions), from the example settings."""
    values = {k.lower(): v for k, v in json.loads(EXAMPLE.read_text())["Values"].items() if v != ""}
    values.pop("servicebusconnection", None)
    settings = Settings.model_validate(values)
    (spec,) = [s for s in queue_specs(settings) if s.name == settings.orders_queue]
    return spec


ORDERS = orders_spec().name


class Readiness:
    """What the item export has confirmed: the SKUs Scend knows."""

    def __init__(self) -> None:
        self.skus: set[str] = set()

    async def __call__(self, sku: str) -> bool:
        return sku in self.skus


@dataclass
class Catalogue:
    items: list[str]
    customer: str
    method_id: str


@dataclass
class World:
    bc_sim: BcSim
    scend_sim: ScendSim
    bc: BcClient
    scend: ContractRestAdapter
    transport: LocalTransport
    cross_references: CrossReferenceStore
    exceptions: ExceptionStore
    watermarks: WatermarkStore
    clock: Clock
    ready: Readiness
    outcomes: list[OrderOutcome] = field(default_factory=list)
    lookups: Lookups = field(default_factory=default_lookups)
    timeline: OrderTimelineStore | None = None

    # --- GIVEN ----------------------------------------------------------------------------------

    async def catalogue(self, items: int = 3, *, known: int | None = None) -> Catalogue:
        """Items in BC (the first `known` of them also at Scend and warehouse-ready), a customer, STD."""
        created = self.bc_sim.seed(
            SeedRequest(**NOTHING | {"items": items, "customers": 1, "shipment_methods": 1})
        )
        numbers = [row["number"] for row in created["items"]]
        for sku in numbers[: items if known is None else known]:
            await self.item_confirmed(sku)
        return Catalogue(numbers, created["customers"][0]["number"], created["shipmentMethods"][0]["id"])

    async def item_confirmed(self, sku: str) -> None:
        await self.scend.upsert_product(product(sku))
        self.scend_sim.warehouse.set_stock(sku, 1000)
        self.ready.skus.add(sku)

    def release(
        self, catalogue: Catalogue, lines: Iterable[tuple[str, int]], **header: str
    ) -> dict[str, str]:
        """A released BC order with these (item, quantity) lines and `header` fields; its id and number."""
        body = {
            "customerNumber": catalogue.customer,
            "shipmentMethodId": catalogue.method_id,
            "status": "Open",
            **header,
            "salesOrderLines": [
                {"lineType": "Item", "lineObjectNumber": sku, "quantity": qty} for sku, qty in lines
            ],
        }
        created = self.bc_sim.seed(SeedRequest(**NOTHING | {"entities": {"salesOrders": [body]}}))
        return created["salesOrders"][0]

    def tick(self) -> None:
        """Let BC's clock move on, so the next change has a later lastModifiedDateTime."""
        self.bc_sim.clock.advance(1)

    def reopen(self, order_id: str) -> None:
        self.tick()
        set_status(self.bc_sim.docs, "salesOrders", order_id, "Draft")

    def change_quantity(self, order_id: str, sequence_index: int, quantity: int) -> None:
        """Reopen, change one line's quantity, release again (BC's way to amend a released order)."""
        self.reopen(order_id)
        self.tick()
        lines = self.bc_sim.docs.state.lines("salesOrderLines", order_id)
        self.bc_sim.docs.modify("salesOrderLines", lines[sequence_index]["id"], {"quantity": quantity})
        self.tick()
        set_status(self.bc_sim.docs, "salesOrders", order_id, "Open")

    # --- WHEN -----------------------------------------------------------------------------------

    async def envelope(self, order_id: str) -> Envelope:
        """The order's message body as the poll would build it now."""
        async for order in read_orders(self.bc)(None):
            if str(order.id) == order_id:
                return order_envelope(order)
        raise AssertionError(f"no order {order_id} in BC")

    async def handle(self, envelope: Envelope) -> OrderOutcome:
        outcome = await handle_order(
            envelope,
            scend=self.scend,
            cross_references=self.cross_references,
            exceptions=self.exceptions,
            lookups=self.lookups,
            is_warehouse_ready=self.ready,
            clock=self.clock,
            queue=ORDERS,
            timeline=self.timeline,
            reread=order_reader(self.bc),
        )
        self.outcomes.append(outcome)
        return outcome

    async def poll(self) -> int:
        result = await poll_bc_sales_orders(
            bc=self.bc, watermarks=self.watermarks, transport=self.transport, queue=ORDERS, clock=self.clock
        )
        return result.enqueued

    @property
    def held_orders(self) -> HeldOrders:
        return HeldOrders(
            cross_references=self.cross_references, exceptions=self.exceptions,
            transport=self.transport, queue=ORDERS, is_warehouse_ready=self.ready, clock=self.clock,
        )  # fmt: skip

    async def release_held(self, sku: str) -> list[str]:
        return await self.held_orders.release_for_sku(sku)

    async def drain(self, *, duplicate_every: int = 0, max_rounds: int = 200) -> int:
        """Run every queued message through the trigger shell and the handler, as the host would:
        scheduled retries included (the broker's clock is moved to them). Returns messages run."""
        return await drain_queue(
            self.transport, ORDERS, flow="order_release",
            settler=test_settler(self.transport, self.exceptions, self.clock), handle=self._run,
            clock=self.clock, sessions=True, duplicate_every=duplicate_every, max_rounds=max_rounds,
            parked_as=reference_to,
        )  # fmt: skip

    async def _run(self, envelope: Envelope) -> None:
        await self.handle(envelope)

    # --- THEN -----------------------------------------------------------------------------------

    def scend_orders(self, order_number: str | None = None) -> list[Any]:
        return [
            o for o in self.scend_sim.state.orders.values()
            if order_number is None or o.client_reference.startswith(order_number + "-")
        ]  # fmt: skip

    async def open_exceptions(self) -> list[SyncException]:
        page = await self.exceptions.list_page(status=ExceptionStatus.OPEN, page_size=1000)
        return list(page.items)
