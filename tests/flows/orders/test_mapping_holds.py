"""Orders held for a missing mapping go by themselves once IT adds the mapping to the lookup table."""

from __future__ import annotations

from shared.mapping.lookups import default_lookups, load_lookups
from shared.store.exceptions import ExceptionStatus
from tests.flows.orders.support import World

WITHOUT_STANDARD = '{"services": [{"shipment_method": "NEXTDAY", "service_code": "DPD_NEXT_DAY"}]}'


async def redrive(world: World, digest: str) -> list[str]:
    return await world.held_orders.release_after_lookup_change(digest, world.watermarks)


async def test_a_mapping_added_to_the_lookup_table_releases_the_orders_waiting_for_it(world: World) -> None:
    # GIVEN a lookup table without the shipment method the order uses, seen once by the order poll
    world.lookups = load_lookups(WITHOUT_STANDARD)
    assert await redrive(world, "table-1") == []
    cat = await world.catalogue(1)
    order = world.release(cat, [(cat.items[0], 3)])
    await world.poll()
    await world.drain()
    (held,) = await world.open_exceptions()
    assert held.type == "MAPPING_MISSING"
    assert world.scend_orders(order["number"]) == []
    # WHEN the order poll runs again with the same table, nothing is re-driven
    assert await redrive(world, "table-1") == []
    # AND WHEN IT adds the mapping (a new table) and the order poll runs
    world.lookups = default_lookups()
    assert await redrive(world, "table-2") == [order["id"]]
    await world.drain()
    # THEN the order is at Scend, once, and its exception resolved; a further run re-drives nothing
    (sent,) = world.scend_orders(order["number"])
    assert sent.status == "accepted"
    assert await world.open_exceptions() == []
    row = await world.exceptions.get("salesOrder", "MAPPING_MISSING", order["id"])
    assert row is not None
    assert row.status is ExceptionStatus.RESOLVED
    assert await redrive(world, "table-2") == []
