"""Everything the simulated warehouse holds: records by id and reference, feeds, stock, the agenda.

Plain containers; the rules that change them live in the modules named after each business area.
"""

from __future__ import annotations

import heapq
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from pydantic import BaseModel

from local.scend_sim.feeds import Feed
from local.scend_sim.models.inbound import Asn, Receipt
from local.scend_sim.models.orders import Order
from local.scend_sim.models.products import Product
from local.scend_sim.models.returns import Return
from local.scend_sim.models.shipments import Shipment
from local.scend_sim.models.stock import Adjustment, StockChange
from local.scend_sim.models.webhooks import EventType
from local.scend_sim.stock import StockLedger


class EventSink(Protocol):
    """Where business events go (the webhook hub); `wants` lets a quiet system skip the work."""

    def wants(self, event_type: EventType) -> bool: ...

    def publish(self, event_type: EventType, resource: BaseModel | dict[str, object], url: str) -> None: ...


class NoEvents:
    def wants(self, event_type: EventType) -> bool:
        return False

    def publish(self, event_type: EventType, resource: BaseModel | dict[str, object], url: str) -> None:
        return None


class SimClock:
    """The warehouse clock: simulated UTC time that only moves forward, when told to."""

    def __init__(self, start: datetime) -> None:
        self._now = start

    def now(self) -> datetime:
        return self._now

    def move_to(self, moment: datetime) -> None:
        if moment > self._now:
            self._now = moment


@dataclass(order=True, frozen=True, slots=True)
class Task:
    """Work the warehouse will do at `due`; a stale `token` (the plan changed since) is skipped."""

    due: datetime
    seq: int
    kind: str = field(compare=False)
    target: str = field(compare=False)
    token: int = field(compare=False, default=0)


class Agenda:
    def __init__(self) -> None:
        self._heap: list[Task] = []
        self._seq = 0

    def __len__(self) -> int:
        return len(self._heap)

    def schedule(self, due: datetime, kind: str, target: str, token: int = 0) -> None:
        self._seq += 1
        heapq.heappush(self._heap, Task(due, self._seq, kind, target, token))

    def pop_due(self, until: datetime) -> Task | None:
        if self._heap and self._heap[0].due <= until:
            return heapq.heappop(self._heap)
        return None


@dataclass(slots=True)
class OrderWork:
    """The warehouse's own notes on an order: the pick wave in progress and the plan's token."""

    wave: dict[str, int] | None = None
    token: int = 0
    pick_planned: bool = False


class Ids:
    """Sequential ids per prefix (`ord_00000001`): deterministic, and sortable as text."""

    def __init__(self) -> None:
        self._next: Counter[str] = Counter()

    def new(self, prefix: str) -> str:
        self._next[prefix] += 1
        return f"{prefix}_{self._next[prefix]:08d}"


class Feeds:
    def __init__(self, epoch: int) -> None:
        self.shipments: Feed[Shipment] = Feed("shipments", epoch)
        self.stock_changes: Feed[StockChange] = Feed("stock-changes", epoch)
        self.adjustments: Feed[Adjustment] = Feed("stock-adjustments", epoch)
        self.receipts: Feed[Receipt] = Feed("receipts", epoch)
        self.returns: Feed[Return] = Feed("returns", epoch)


class SimState:
    def __init__(self, start: datetime, epoch: int = 0, events: EventSink | None = None) -> None:
        self.epoch = epoch
        self.clock = SimClock(start)
        self.events: EventSink = events or NoEvents()
        self.ids = Ids()
        self.agenda = Agenda()
        self.feeds = Feeds(epoch)
        self.ledger = StockLedger(self.feeds.stock_changes)
        self.products: dict[str, Product] = {}
        self.orders: dict[str, Order] = {}
        self.order_refs: dict[str, str] = {}
        self.order_work: dict[str, OrderWork] = {}
        self.waiting: dict[str, dict[str, None]] = {}  # sku → orders waiting for its stock, oldest first
        self.shipments: dict[str, Shipment] = {}
        self.asns: dict[str, Asn] = {}
        self.asn_refs: dict[str, str] = {}
        self.receipts: dict[str, Receipt] = {}
        self.returns: dict[str, Return] = {}
        self.return_refs: dict[str, str] = {}
        self.adjustments: dict[str, Adjustment] = {}

    def now(self) -> datetime:
        return self.clock.now()
