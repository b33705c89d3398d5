"""Audits over real stores and simulators: each finding raised once to its owner while it holds,
and resolved by the first audit that finds it no longer true."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest

from shared.flows.audits import Audits, AuditThresholds
from shared.messaging.envelope import Envelope
from shared.messaging.transport import OutboundMessage
from shared.settings import WriteBackMode
from shared.store.exceptions import ExceptionStatus
from tests.flows.orders.support import START
from tests.flows.warehouse.support import SHIPMENTS, Warehouse, warehouse_specs

THRESHOLDS = AuditThresholds(
    accept_sla=timedelta(minutes=15),
    despatch_cutoff=timedelta(hours=24),
    watermark_stale=timedelta(minutes=30),
)


@pytest.fixture
def mode() -> WriteBackMode:
    return WriteBackMode.STANDARD


def audits(warehouse: Warehouse, clock: Callable[[], datetime]) -> Audits:
    world = warehouse.world
    return Audits(
        bc=world.bc, cross_references=world.cross_references, watermarks=world.watermarks,
        exceptions=world.exceptions, transport=world.transport, queues=warehouse_specs(),
        thresholds=THRESHOLDS, clock=clock,
    )  # fmt: skip


async def open_of(warehouse: Warehouse, exception_type: str) -> dict[str, int]:
    page = await warehouse.world.exceptions.list_page(status=ExceptionStatus.OPEN, type=exception_type)
    return {row.business_key: row.count for row in page.items}


async def test_an_order_released_but_never_at_scend_is_raised_until_it_arrives(warehouse: Warehouse) -> None:
    world = warehouse.world
    cat = await warehouse.catalogue(1)
    order = world.release(cat, [(cat.items[0], 1)])  # released in BC; no poll has run
    later = world.bc_sim.clock.now() + timedelta(minutes=20)
    assert (await audits(warehouse, lambda: later).run())["ORDER_NOT_IN_WMS"] == 1
    await audits(warehouse, lambda: later).run()
    assert await open_of(warehouse, "ORDER_NOT_IN_WMS") == {order["id"]: 2}  # one row, counted again
    # WHEN the poll sends it, the next audit resolves it
    await world.poll()
    await world.drain()
    await audits(warehouse, lambda: later).run()
    assert await open_of(warehouse, "ORDER_NOT_IN_WMS") == {}


async def test_an_accepted_order_not_despatched_by_the_cut_off_is_overdue_until_despatched(
    warehouse: Warehouse,
) -> None:
    cat = await warehouse.catalogue(1)
    order = await warehouse.sent_order(cat, [(cat.items[0], 1)])  # accepted at START (the world's clock)
    assert (await audits(warehouse, lambda: START + timedelta(hours=23)).run())["DESPATCH_OVERDUE"] == 0
    assert (await audits(warehouse, lambda: START + timedelta(hours=25)).run())["DESPATCH_OVERDUE"] == 1
    (row,) = (await warehouse.world.exceptions.list_page(type="DESPATCH_OVERDUE")).items
    assert (row.business_key, row.owner) == (order.id, "warehouse ops")
    warehouse.despatch(order)
    await warehouse.poll("shipments")
    await warehouse.drain_shipments()
    await audits(warehouse, lambda: START + timedelta(hours=26)).run()
    assert await open_of(warehouse, "DESPATCH_OVERDUE") == {}


async def test_stale_watermarks_and_dead_letters_are_raised_and_cleared(warehouse: Warehouse) -> None:
    world = warehouse.world
    await warehouse.poll("shipments")  # read at START
    await world.transport.send(
        SHIPMENTS,
        [OutboundMessage(body=Envelope(kind="shipment", key="x").to_bytes(), message_id="m1")],
    )
    async with world.transport.receiver(SHIPMENTS, max_wait=0) as receiver:
        assert receiver is not None
        (message,) = await receiver.receive(max_messages=1, max_wait=0)
        await receiver.dead_letter(message, "test", "a message that escaped the shell")
    found = await audits(warehouse, lambda: START + timedelta(minutes=45)).run()
    assert found["WATERMARK_STALE"] == 1
    assert await open_of(warehouse, "DEAD_LETTERS") == {SHIPMENTS: 1}
    assert await open_of(warehouse, "WATERMARK_STALE") == {"poll_scend_shipments/scend": 1}
    # WHEN the feed is read again and the dead letter replayed
    world.clock.advance(timedelta(minutes=45))
    await warehouse.poll("shipments")
    (dead,) = await world.transport.peek_dead_letters(SHIPMENTS)
    await world.transport.resubmit_dead_letter(SHIPMENTS, dead.sequence_number)
    await audits(warehouse, lambda: START + timedelta(minutes=46)).run()
    assert await open_of(warehouse, "WATERMARK_STALE") == {}
    assert await open_of(warehouse, "DEAD_LETTERS") == {}
