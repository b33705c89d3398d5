"""Personal data and secrets stay out of what operators and Application Insights see (issue 11,
security review): orders whose customer and ship-to carry known values are released, held for an
item Scend does not have, and refused; the logs (every logger, DEBUG), the spans and every row of
every table (exception rows with their payload, cross-references, the timeline, processed events)
are searched for those values and for the app's secrets.

A parked order's exception row keeps the order's reference, not the order (`shared.flows.rereads`);
the hold re-drive and Retry send that reference and the order flow reads the order from BC as it is
then: one request for a parked order, none for any other."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime

import pytest
from azure.data.tables.aio import TableServiceClient

from local.bc_sim.orders import set_status
from shared.ops.api import OpsApi
from shared.store.reconciliations import ReconciliationStore
from shared.store.tables import TableNames
from shared.store.timeline import OrderTimelineStore
from tests.flows.leaks import CUSTOMER_NAME, SHIP_TO, Leaks, app_secrets, name_customer
from tests.flows.orders.support import Catalogue, World, orders_spec
from tests.flows.warehouse.support import SETTINGS

BAD_POSTCODE = "QQ99 9QQ-QUARTZ"  # too long for Scend (12): refused, the order waits for people
MOVED_TO = "12 Newmarker Road"  # the ship-to after the customer moved


def personal_order(world: World, cat: Catalogue, items: list[str], **changes: str) -> dict[str, str]:
    return world.release(cat, [(sku, 1) for sku in items], **SHIP_TO | changes)


def change_in_bc(world: World, order_id: str, changes: dict[str, str]) -> None:
    """Reopen the order, change its header, release it again (a new lastModifiedDateTime)."""
    world.reopen(order_id)
    world.tick()
    world.bc_sim.docs.modify("salesOrders", order_id, changes)
    world.tick()
    set_status(world.bc_sim.docs, "salesOrders", order_id, "Open")


def bc_requests(world: World) -> Counter[str]:
    counted: Counter[str] = Counter()
    for principal in world.bc_sim.statistics()["principals"].values():
        for route, counts in principal["routes"].items():
            counted[route] += counts["requests"]
    return counted


@pytest.fixture
def ops(world: World, table_service: TableServiceClient, table_names: TableNames) -> OpsApi:
    world.timeline = OrderTimelineStore(table_service.get_table_client(table_names.order_timeline))
    return OpsApi(
        settings=SETTINGS, exceptions=world.exceptions, cross_references=world.cross_references,
        timeline_store=world.timeline,
        reconciliations=ReconciliationStore(table_service.get_table_client(table_names.reconciliations)),
        watermarks=world.watermarks, transport=world.transport, queues=[orders_spec()], bc=world.bc,
        scend=world.scend, clock=lambda: datetime.now(UTC),
    )  # fmt: skip


async def test_names_addresses_and_secrets_never_reach_logs_spans_or_any_table(
    world: World, leaks: Leaks, ops: OpsApi
) -> None:
    leaks.start()
    # GIVEN an order that can be released, one waiting for an item Scend has never heard of, and one
    # whose postcode Scend refuses
    cat = await world.catalogue(2, known=1)
    name_customer(world, cat.customer)
    released = personal_order(world, cat, [cat.items[0]])
    waiting = personal_order(world, cat, [cat.items[1]])
    refused = personal_order(world, cat, [cat.items[0]], shipToPostCode=BAD_POSTCODE)
    # WHEN all three are polled and handled
    assert await world.poll() == 3
    await world.drain()
    # THEN the first reached Scend with its ship-to (that is its job); the others wait for people
    (sent,) = world.scend_orders(released["number"])
    assert sent.ship_to.line1 == SHIP_TO["shipToAddressLine1"]
    problems = {(row.type, row.business_key): row for row in await world.open_exceptions()}
    assert set(problems) == {("SKU_NOT_IN_WMS", waiting["id"]), ("ORDER_REJECTED_BY_WMS", refused["id"])}
    # AND each exception row keeps the order's reference, which Retry can send
    for (_, key), row in problems.items():
        kept = json.loads(row.payload or "{}")
        number = waiting["number"] if key == waiting["id"] else refused["number"]
        assert (kept["kind"], kept["key"], kept["payload"]) == (
            "salesOrder",
            key,
            {"@reread": True, "number": number},
        )
        assert row.queue == orders_spec().name
    listed = json.loads((await ops.list_exceptions({})).body)["items"]
    assert {(r["document"], r["retryable"]) for r in listed} == {
        (waiting["number"], True),
        (refused["number"], True),
    }
    # AND none of the personal values or secrets is in the logs, the spans or any table
    places = await leaks.places()
    places.assert_searched("logs", "spans", "table SyncExceptions", "table CrossReferences")
    places.assert_none_holds([CUSTOMER_NAME, *SHIP_TO.values(), BAD_POSTCODE, *app_secrets(world)])


async def test_a_held_order_is_re_driven_as_bc_has_it_now_with_one_bc_read(
    world: World, leaks: Leaks
) -> None:
    leaks.start()
    # GIVEN an order held for an item Scend does not know yet; handling it cost no BC request
    cat = await world.catalogue(2, known=1)
    order = personal_order(world, cat, [cat.items[0], cat.items[1]])
    assert await world.poll() == 1
    world.bc_sim.stats.reset()
    await world.drain()
    assert bc_requests(world) == Counter()
    # AND the customer moved while it waited, and no poll has seen that yet
    change_in_bc(world, order["id"], {"shipToAddressLine1": MOVED_TO})
    # WHEN Scend confirms the item and the hold is re-driven
    await world.item_confirmed(cat.items[1])
    world.bc_sim.stats.reset()
    assert await world.release_held(cat.items[1]) == [order["id"]]
    await world.drain()
    # THEN the order reached Scend once, at the address BC has now, for one read of that order
    (sent,) = world.scend_orders(order["number"])
    assert sent.ship_to.line1 == MOVED_TO
    assert sum(bc_requests(world).values()) == 1, bc_requests(world)
    (route,) = bc_requests(world)
    assert route == "GET /api/v2.0/companies({id})/salesOrders({id})", route
    assert await world.open_exceptions() == []
    (await leaks.places()).assert_none_holds([*SHIP_TO.values(), MOVED_TO, *app_secrets(world)])


async def test_retry_of_a_refused_order_sends_it_as_corrected_in_bc(world: World, ops: OpsApi) -> None:
    # GIVEN an order Scend refused for its postcode, parked for customer services
    cat = await world.catalogue(1)
    order = personal_order(world, cat, [cat.items[0]], shipToPostCode=BAD_POSTCODE)
    await world.poll()
    await world.drain()
    (problem,) = await world.open_exceptions()
    assert problem.type == "ORDER_REJECTED_BY_WMS"
    # WHEN the postcode is corrected in BC and the exception retried
    change_in_bc(world, order["id"], {"shipToPostCode": SHIP_TO["shipToPostCode"]})
    answer = await ops.retry("salesOrder", problem.type, order["id"])
    assert answer.status == 202, answer.body
    world.bc_sim.stats.reset()
    await world.drain()
    # THEN the corrected order reached Scend (read once from BC) and the exception resolved itself
    (sent,) = world.scend_orders(order["number"])
    assert sent.ship_to.postcode == SHIP_TO["shipToPostCode"]
    assert sum(bc_requests(world).values()) == 1, bc_requests(world)
    assert await world.open_exceptions() == []
