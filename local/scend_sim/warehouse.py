"""The warehouse: every write (contract and control surface) and the clock that does the work.

`advance(minutes)` runs the agenda in time order, moving the warehouse clock to each task's time:
accepted orders are picked (`pick_after_minutes` after they could be), packed and despatched;
ASNs are confirmed, arrive at `expected_at` and are received; expected returns arrive, are
inspected and completed; and, when the policy says so, stock is damaged, written off, found or
lost every hour. Whenever free stock grows, orders waiting for it are allocated, oldest first.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Never

from local.scend_sim import adjustments, catalogue, inbound, orders, returns
from local.scend_sim.config import ScendSimConfig
from local.scend_sim.despatch import ParcelPlan, despatch
from local.scend_sim.inbound import ReceiptPlan
from local.scend_sim.models.inbound import Asn, AsnIn, Receipt
from local.scend_sim.models.orders import CancelIn, Order, OrderIn
from local.scend_sim.models.products import Product, ProductIn
from local.scend_sim.models.returns import Return, ReturnIn
from local.scend_sim.models.shipments import Shipment
from local.scend_sim.models.stock import Adjustment, StockChange
from local.scend_sim.policies import Policies
from local.scend_sim.problems import Problem, not_found
from local.scend_sim.state import SimState, Task
from local.scend_sim.tracking import TrackingNumbers


@dataclass(frozen=True, slots=True)
class Advanced:
    now: datetime
    tasks_run: int


class Warehouse:
    def __init__(self, state: SimState, config: ScendSimConfig, seed: int) -> None:
        self.state = state
        self.config = config
        self.policy = config.policy
        self.policies = Policies(config.policy, random.Random(f"{seed}:warehouse"))
        self.tracking = TrackingNumbers(random.Random(f"{seed}:tracking"))
        if self.policy.stock_events_per_day > 0:
            state.agenda.schedule(state.now() + timedelta(hours=1), "stock.event", "")

    # Lookups that answer 404 problems

    def order(self, order_id: str) -> Order:
        return self.state.orders.get(order_id) or _raise(not_found("order", order_id))

    def asn(self, asn_id: str) -> Asn:
        return self.state.asns.get(asn_id) or _raise(not_found("ASN", asn_id))

    def return_(self, return_id: str) -> Return:
        return self.state.returns.get(return_id) or _raise(not_found("return", return_id))

    # Contract writes

    def upsert_product(self, sku: str, body: ProductIn) -> tuple[Product, bool]:
        return catalogue.upsert_product(self.state, sku, body)

    def create_order(self, body: OrderIn) -> Order:
        order, changes = orders.create_order(
            self.state, body, self.config.service_codes, self.config.countries
        )
        self._stock_changed(changes)
        self._plan_pick(order)
        return order

    def cancel_order(self, order_id: str, body: CancelIn) -> Order:
        order = self.order(order_id)
        self._after(orders.cancel_order(self.state, order, body))
        return order

    def create_asn(self, body: AsnIn) -> Asn:
        asn = inbound.create_asn(self.state, body)
        confirm = self.policy.asn_confirm_minutes
        if confirm is not None:
            confirmed_at = self.state.now() + timedelta(minutes=confirm)
            self.state.agenda.schedule(confirmed_at, "asn.confirm", asn.id)
            self.state.agenda.schedule(max(confirmed_at, asn.expected_at), "asn.arrive", asn.id)
        return asn

    def cancel_asn(self, asn_id: str) -> Asn:
        asn = self.asn(asn_id)
        inbound.cancel_asn(self.state, asn)
        return asn

    def pre_advise_return(self, body: ReturnIn) -> Return:
        ret = returns.pre_advise(self.state, body)
        if self.policy.return_receive_minutes is not None:
            due = self.state.now() + timedelta(minutes=self.policy.return_receive_minutes)
            self.state.agenda.schedule(due, "return.receive", ret.id)
        return ret

    # The clock

    def advance(self, minutes: float) -> Advanced:
        """Do all the work due in the next `minutes`, each task at its own time."""
        until = self.state.now() + timedelta(minutes=minutes)
        done = 0
        while (task := self.state.agenda.pop_due(until)) is not None:
            self.state.clock.move_to(task.due)
            self._run(task)
            done += 1
        self.state.clock.move_to(until)
        return Advanced(self.state.now(), done)

    def _run(self, task: Task) -> None:
        state = self.state
        match task.kind.partition(".")[0]:
            case "order":
                order = state.orders[task.target]
                if state.order_work[order.id].token == task.token:
                    self._order_step(task.kind, order)
            case "asn":
                self._asn_step(task.kind, state.asns[task.target])
            case "return":
                self._return_step(task.kind, state.returns[task.target])
            case "stock":
                spec = self.policies.stock_event(state)
                if spec is not None:
                    self._after(adjustments.adjust(state, spec).changes)
                state.agenda.schedule(state.now() + timedelta(hours=1), "stock.event", "")

    def _order_step(self, kind: str, order: Order) -> None:
        work = self.state.order_work[order.id]
        if kind == "order.pick":
            work.pick_planned = False
            if order.status in orders.CANCELLABLE and any(line.qty_allocated for line in order.lines):
                self._start_wave(order)
        elif kind == "order.pack" and order.status == "picking":
            orders.set_status(self.state, order, "packed")
            self._schedule(order, self.policy.pack_minutes, "order.despatch")
        elif kind == "order.despatch" and order.status == "packed" and work.wave:
            done = despatch(self.state, order, self.policies.parcels(work.wave), self.tracking)
            self._after(done.changes)
            self._plan_pick(order)

    def _start_wave(self, order: Order) -> None:
        self.state.order_work[order.id].wave = self.policies.wave(order)
        orders.set_status(self.state, order, "picking")
        self._schedule(order, self.policy.pick_minutes, "order.pack")

    def _asn_step(self, kind: str, asn: Asn) -> None:
        if kind == "asn.confirm" and asn.status == "created":
            inbound.set_status(self.state, asn, "awaiting_delivery")
        elif kind == "asn.arrive" and asn.status in inbound.CANCELLABLE:
            self._arrived(asn)
        elif kind == "asn.receive" and asn.status == "arrived":
            self._after(inbound.receive(self.state, asn, self.policies.receipt(self.state, asn)).changes)

    def _return_step(self, kind: str, ret: Return) -> None:
        if kind == "return.receive" and ret.status == "expected":
            self._after(returns.receive(self.state, ret))
            self._plan_inspection(ret)
        elif kind == "return.inspect" and ret.status == "received":
            self._after(returns.inspect(self.state, ret, self.policies.inspection(ret)))
            self._plan_completion(ret)
        elif kind == "return.complete" and ret.status == "inspected":
            returns.complete(self.state, ret)

    # Explicit actions (the control surface)

    def start_picking(self, order_id: str) -> Order:
        order = self.order(order_id)
        if order.status not in orders.CANCELLABLE or not any(line.qty_allocated for line in order.lines):
            raise Problem(
                409, "INVALID_STATE", f"order {order.id} has nothing to pick", current_status=order.status
            )
        self._replan(order)
        self._start_wave(order)
        return order

    def despatch(
        self,
        order_id: str,
        parcels: Sequence[ParcelPlan],
        *,
        carrier: str | None = None,
        service: str | None = None,
    ) -> Shipment:
        """Despatch what is given, whatever the order's state (but cancelled); any wave is dropped."""
        order = self.order(order_id)
        if order.status == "cancelled":
            raise Problem(409, "INVALID_STATE", f"order {order.id} is cancelled", current_status="cancelled")
        done = despatch(self.state, order, parcels, self.tracking, carrier=carrier, service=service)
        self._after(done.changes)
        self._replan(order)
        return done.shipment

    def adjust(self, spec: adjustments.AdjustmentSpec) -> Adjustment:
        done = adjustments.adjust(self.state, spec)
        self._after(done.changes)
        assert done.adjustment is not None
        return done.adjustment

    def count(
        self, sku: str, counted: int, count_ref: str | None = None, user: str | None = None
    ) -> Adjustment | None:
        done = adjustments.count(self.state, sku, counted, count_ref, user)
        self._after(done.changes)
        return done.adjustment

    def set_stock(
        self, sku: str, available: int, quarantined: int = 0, damaged: int = 0
    ) -> list[StockChange]:
        if sku not in self.state.products:
            raise not_found("product", sku)
        changes = adjustments.set_stock(self.state, sku, available, quarantined, damaged)
        self._after(changes)
        return changes

    def arrive_asn(self, asn_id: str) -> Asn:
        asn = self.asn(asn_id)
        if asn.status in inbound.CANCELLABLE:
            self._arrived(asn)
        else:
            inbound.arrive(self.state, asn)
        return asn

    def receive_asn(self, asn_id: str, plan: ReceiptPlan) -> Receipt:
        done = inbound.receive(self.state, self.asn(asn_id), plan)
        self._after(done.changes)
        return done.receipt

    def return_arrives(
        self, rma: str | None, order_reference: str | None, lines: Sequence[returns.Arrived]
    ) -> Return:
        ret, changes = returns.arrive(self.state, rma, order_reference, lines)
        self._after(changes)
        if ret.status == "received":
            self._plan_inspection(ret)
        return ret

    def receive_return(self, return_id: str, lines: Sequence[returns.Arrived] = ()) -> Return:
        ret = self.return_(return_id)
        self._after(returns.receive(self.state, ret, lines))
        self._plan_inspection(ret)
        return ret

    def inspect_return(self, return_id: str, verdicts: Mapping[int, returns.Verdict]) -> Return:
        ret = self.return_(return_id)
        self._after(returns.inspect(self.state, ret, verdicts))
        self._plan_completion(ret)
        return ret

    def complete_return(self, return_id: str) -> Return:
        ret = self.return_(return_id)
        returns.complete(self.state, ret)
        return ret

    # Bookkeeping shared by every action

    def _after(self, changes: list[StockChange]) -> None:
        """Announce the stock changes, then give newly free stock to the orders waiting for it."""
        self._stock_changed(changes)
        self._reallocate(change.sku for change in changes if change.to_state == "available")

    def _stock_changed(self, changes: list[StockChange]) -> None:
        if not changes or not self.state.events.wants("stock.changed"):
            return
        before = self.state.feeds.stock_changes.cursor(changes[0].seq - 1)
        data = {
            "changes": [change.model_dump(mode="json") for change in changes],
            "from_seq": changes[0].seq,
            "to_seq": changes[-1].seq,
        }
        self.state.events.publish("stock.changed", data, f"/v1/stock/changes?since_cursor={before}")

    def _reallocate(self, skus: Iterable[str]) -> None:
        for sku in dict.fromkeys(skus):
            for order_id in list(self.state.waiting.get(sku, {})):
                if self.state.ledger.level(sku).available <= 0:
                    break
                order = self.state.orders[order_id]
                if order.status in ("despatched", "cancelled"):
                    self.state.waiting[sku].pop(order_id, None)
                    continue
                self._stock_changed(orders.allocate(self.state, order))
                self._plan_pick(order)

    def _plan_pick(self, order: Order) -> None:
        work = self.state.order_work[order.id]
        if (
            order.status in orders.CANCELLABLE
            and not work.pick_planned
            and work.wave is None
            and any(line.qty_allocated for line in order.lines)
        ):
            work.pick_planned = True
            self._schedule(order, self.policy.pick_after_minutes, "order.pick")

    def _replan(self, order: Order) -> None:
        work = self.state.order_work[order.id]
        work.token += 1
        work.wave = None
        work.pick_planned = False
        self._plan_pick(order)

    def _schedule(self, order: Order, minutes: int, kind: str) -> None:
        due = self.state.now() + timedelta(minutes=minutes)
        self.state.agenda.schedule(due, kind, order.id, self.state.order_work[order.id].token)

    def _arrived(self, asn: Asn) -> None:
        inbound.set_status(self.state, asn, "arrived")
        if self.policy.asn_receive_minutes is not None:
            due = self.state.now() + timedelta(minutes=self.policy.asn_receive_minutes)
            self.state.agenda.schedule(due, "asn.receive", asn.id)

    def _plan_inspection(self, ret: Return) -> None:
        if self.policy.return_inspect_minutes is not None:
            due = self.state.now() + timedelta(minutes=self.policy.return_inspect_minutes)
            self.state.agenda.schedule(due, "return.inspect", ret.id)

    def _plan_completion(self, ret: Return) -> None:
        if self.policy.return_complete_minutes is not None:
            due = self.state.now() + timedelta(minutes=self.policy.return_complete_minutes)
            self.state.agenda.schedule(due, "return.complete", ret.id)


def _raise(problem: Problem) -> Never:
    raise problem
