"""Item export scenarios: BC item → poll → items queue → Settler → export handler → Scend product.

Real components: the BC simulator over loopback HTTPS, the Scend simulator over loopback, the stores
on Azurite, the local broker, and the Settler the Service Bus shell runs every delivery through.
"""

from __future__ import annotations

import uuid

import pytest

from shared.flows.item_export import ITEM_KIND, ItemState, is_warehouse_ready
from shared.messaging.settlement import Outcome
from shared.ops.catalogue import Owner, Severity
from shared.store.exceptions import ExceptionStatus
from tests.flows.items.support import ItemWorld

BAD_GTIN = "5012345678901"  # its check digit should be 0


async def test_a_new_item_becomes_a_warehouse_ready_product(world: ItemWorld) -> None:
    # GIVEN an inventory item in BC that Scend has never seen
    item_id = world.create_item("MUG-BLU")
    # WHEN the poll runs and its message is handled
    result = await world.poll()
    outcomes = await world.drain()
    # THEN Scend holds the product, the cross-reference is warehouse-ready under both keys, and the
    # order gate was told once
    assert (result.read, result.enqueued) == (1, 1)
    assert outcomes == {Outcome.COMPLETED: 1}
    product = world.product("MUG-BLU")
    assert (product.description, product.active, product.uom) == ("Mug MUG-BLU", True, "EA")
    ref = await world.cross_references.get_by_bc(ITEM_KIND, item_id)
    assert ref is not None
    assert (ref.scend_id, ref.bc_number, ref.state) == ("MUG-BLU", "MUG-BLU", ItemState.WAREHOUSE_READY)
    assert await is_warehouse_ready(world.cross_references, "MUG-BLU")
    assert not await is_warehouse_ready(world.cross_references, "MUG-RED")
    assert world.ready.skus == ["MUG-BLU"]
    assert world.product_puts() == 1


async def test_an_item_changed_while_the_poll_runs_is_picked_up_by_the_next_poll(world: ItemWorld) -> None:
    # GIVEN two items, and a read that a user's save interrupts after the first item
    first = world.create_item("MUG-1")
    world.advance(1)
    world.create_item("MUG-2")
    world.advance(1)
    read = world.bc.master.iter_items

    def interrupted(*, changed_since: object = None) -> object:
        async def items() -> object:
            async for item in read(changed_since=changed_since):  # type: ignore[arg-type]
                yield item
                if item.number == "MUG-1":
                    world.advance(5)  # the poll is slow: the user saves while it reads
                    world.change_item(first, displayName="Blue mug, large")

        return items()

    world.bc.master.iter_items = interrupted  # type: ignore[method-assign,assignment]
    first_poll = await world.poll()
    world.bc.master.iter_items = read  # type: ignore[method-assign]
    await world.drain()
    # WHEN the next poll runs
    world.advance(300)
    second_poll = await world.poll()
    await world.drain()
    # THEN the change made during the first poll reached Scend
    assert first_poll.read == 2
    assert second_poll.since is not None
    assert second_poll.since < first_poll.signpost
    assert world.product("MUG-1").description == "Blue mug, large"
    assert world.product_puts() == 3


async def test_the_overlap_sends_nothing_twice_to_scend(world: ItemWorld) -> None:
    # GIVEN an item exported by one poll
    world.create_item("MUG-1")
    await world.poll()
    await world.drain()
    # WHEN the next poll re-reads it inside the lookback
    world.advance(30)
    inside = await world.poll()
    # THEN the re-read message has the same id and duplicate detection drops it
    assert inside.read == 1
    assert await world.queued_ids() == []
    # WHEN a poll crashes between send and save, and the next one re-reads the item after the
    # broker's duplicate window has passed
    world.advance(60)
    saved = world.watermarks.save

    async def crash(*args: object) -> str:
        raise RuntimeError("the worker died before saving the watermark")

    world.watermarks.save = crash  # type: ignore[method-assign,assignment]
    with pytest.raises(RuntimeError):
        await world.poll()
    world.watermarks.save = saved  # type: ignore[method-assign]
    world.advance(15 * 60)
    again = await world.poll()
    assert again.enqueued == 1
    assert len(await world.queued_ids()) == 1  # the crashed poll's copy fell inside the window
    outcomes = await world.drain()
    # THEN the handler's version check skips the copy: one PUT in all, one ready call
    assert outcomes == {Outcome.COMPLETED: 1}
    assert world.product_puts() == 1
    assert world.ready.skus == ["MUG-1"]


async def test_unchanged_content_is_not_sent_again(world: ItemWorld) -> None:
    # GIVEN an exported item
    item_id = world.create_item("MUG-1", unitPrice=10)
    await world.poll()
    await world.drain()
    # WHEN a field Scend does not hold changes (the price), a new version, and the next poll runs
    world.advance(600)
    world.change_item(item_id, unitPrice=12.5)
    result = await world.poll()
    await world.drain()
    # THEN the version is recorded but Scend gets no request and the gate is not told again
    assert result.enqueued == 1
    assert world.product_puts() == 1
    ref = await world.cross_references.get_by_bc(ITEM_KIND, item_id)
    assert ref is not None
    assert ref.state == ItemState.WAREHOUSE_READY
    item = await world.bc.master.get_item(uuid.UUID(item_id))
    assert item.last_modified_date_time is not None
    assert ref.version == int(item.last_modified_date_time.timestamp()) * 1_000_000 + (
        item.last_modified_date_time.microsecond
    )
    assert world.ready.skus == ["MUG-1"]


async def test_a_blocked_item_becomes_an_inactive_product_and_is_not_ready(world: ItemWorld) -> None:
    # GIVEN a warehouse-ready item
    item_id = world.create_item("MUG-1")
    await world.poll()
    await world.drain()
    # WHEN it is blocked in BC
    world.advance(600)
    world.change_item(item_id, blocked=True)
    await world.poll()
    await world.drain()
    # THEN Scend holds it inactive, and orders for it wait
    assert world.product("MUG-1").active is False
    ref = await world.cross_references.get_by_bc(ITEM_KIND, item_id)
    assert ref is not None
    assert ref.state == ItemState.INACTIVE
    assert not await is_warehouse_ready(world.cross_references, "MUG-1")
    assert world.ready.skus == ["MUG-1"]
    assert world.product_puts() == 2


async def test_a_service_item_is_skipped(world: ItemWorld) -> None:
    # GIVEN a service item (installation)
    item_id = world.create_item("INSTALL", type="Service", gtin="")
    # WHEN it is polled and handled
    await world.poll()
    outcomes = await world.drain()
    # THEN nothing reaches Scend and the cross-reference says skipped
    assert outcomes == {Outcome.COMPLETED: 1}
    assert world.product_puts() == 0
    assert world.product("INSTALL") is None
    ref = await world.cross_references.get_by_bc(ITEM_KIND, item_id)
    assert ref is not None
    assert (ref.state, ref.scend_id) == (ItemState.SKIPPED, None)
    assert world.ready.skus == []


async def test_a_rejected_item_is_parked_for_master_data_then_fixed_and_resolved(world: ItemWorld) -> None:
    # GIVEN an item whose GTIN has a wrong check digit
    item_id = world.create_item("MUG-1", gtin=BAD_GTIN)
    # WHEN it is polled and handled
    await world.poll()
    outcomes = await world.drain()
    # THEN it is parked as ITEM_REJECTED_BY_WMS for master data, with the fix hint, and nothing was sent
    assert outcomes == {Outcome.PARKED: 1}
    parked = await world.exceptions.get(ITEM_KIND, "ITEM_REJECTED_BY_WMS", "MUG-1")
    assert parked is not None
    assert (parked.status, parked.owner, parked.severity) == (
        ExceptionStatus.OPEN,
        Owner.ECOMMERCE_MASTER_DATA,
        Severity.HIGH,
    )
    assert "check digit" in parked.detail
    assert parked.fix_hint.startswith("Correct the item card in Business Central")
    assert parked.queue == "items-to-scend"
    assert world.product_puts() == 0
    assert not await is_warehouse_ready(world.cross_references, "MUG-1")
    # WHEN master data corrects the GTIN in BC and the next poll runs
    world.advance(600)
    world.change_item(item_id, gtin="5012345678900")
    await world.poll()
    outcomes = await world.drain()
    # THEN the item is exported, the exception resolved, and the gate told once
    assert outcomes == {Outcome.COMPLETED: 1}
    assert world.product("MUG-1").barcodes[0].value == "5012345678900"
    resolved = await world.exceptions.get(ITEM_KIND, "ITEM_REJECTED_BY_WMS", "MUG-1")
    assert resolved is not None
    assert resolved.status == ExceptionStatus.RESOLVED
    assert world.ready.skus == ["MUG-1"]
