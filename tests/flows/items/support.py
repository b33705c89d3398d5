"""The item export's world: both simulators, the stores, the broker, and the steps a scenario takes."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from local.bc_sim import BcSim
from local.scend_sim import ScendSim
from shared.bc.client import BcClient
from shared.flows.item_export import export_item, poll_bc_items
from shared.flows.polling import PollResult
from shared.mapping.lookups import Lookups
from shared.messaging.envelope import Envelope
from shared.messaging.local import LocalTransport
from shared.messaging.settlement import IncomingMessage, Outcome, Settler
from shared.scend.rest import ContractRestAdapter
from shared.store.crossrefs import CrossReferenceStore
from shared.store.exceptions import ExceptionStore
from shared.store.watermarks import WatermarkStore

ITEMS = "items-to-scend"
PRODUCT_PUT = "PUT /v1/products/{sku}"


@dataclass
class ReadyCalls:
    """`on_warehouse_ready`, recorded: the SKUs it was called with, in order."""

    skus: list[str] = field(default_factory=list)

    async def __call__(self, sku: str) -> None:
        self.skus.append(sku)


@dataclass
class ItemWorld:
    bc_sim: BcSim
    scend_sim: ScendSim
    bc: BcClient
    scend: ContractRestAdapter
    transport: LocalTransport
    watermarks: WatermarkStore
    cross_references: CrossReferenceStore
    exceptions: ExceptionStore
    settler: Settler
    lookups: Lookups
    lookback: timedelta
    ready: ReadyCalls

    # --- BC ---------------------------------------------------------------------------------

    def create_item(self, number: str, **fields: Any) -> str:
        """An inventory item with a valid GTIN, as a user creates it in BC; its id."""
        body = {
            "number": number,
            "displayName": f"Mug {number}",
            "type": "Inventory",
            "gtin": "5012345678900",
            "baseUnitOfMeasureCode": "PCS",
        } | fields
        return str(self.bc_sim.docs.create("items", body)["id"])

    def change_item(self, item_id: str, **fields: Any) -> None:
        self.bc_sim.docs.modify("items", item_id, fields)

    def advance(self, seconds: float) -> None:
        """Time passes on both sides (the BC simulator's clock is the poll's and the broker's)."""
        self.bc_sim.clock.advance(seconds)

    # --- the flow -----------------------------------------------------------------------------

    async def poll(self) -> PollResult:
        return await poll_bc_items(
            bc=self.bc,
            watermarks=self.watermarks,
            transport=self.transport,
            queue=ITEMS,
            lookback=self.lookback,
            clock=self.bc_sim.clock.now,
        )

    async def drain(self) -> Counter[Outcome]:
        """Deliver every waiting item message through the Settler, as the Service Bus shell does."""
        outcomes: Counter[Outcome] = Counter()

        async def handler(envelope: Envelope) -> None:
            await export_item(
                envelope,
                scend=self.scend,
                cross_references=self.cross_references,
                exceptions=self.exceptions,
                lookups=self.lookups,
                on_warehouse_ready=self.ready,
            )

        async with self.transport.receiver(ITEMS) as receiver:
            assert receiver is not None
            while batch := await receiver.receive(max_messages=50, max_wait=0.05):
                for received in batch:
                    message = IncomingMessage(
                        queue=ITEMS,
                        body=received.body,
                        message_id=received.message_id,
                        delivery_count=received.delivery_count,
                        application_properties=dict(received.application_properties),
                    )
                    outcomes[await self.settler.run("items_to_scend", message, handler)] += 1
                    await receiver.complete(received)
        return outcomes

    async def queued_ids(self) -> list[str]:
        async with self.transport.receiver(ITEMS) as receiver:
            assert receiver is not None
            return [m.message_id for m in await receiver.peek(max_messages=1000)]

    # --- Scend --------------------------------------------------------------------------------

    def product_puts(self) -> int:
        stats = self.scend_sim.stats.routes.get(PRODUCT_PUT)
        return stats.requests if stats is not None else 0

    def product(self, sku: str) -> Any:
        return self.scend_sim.state.products.get(sku)
