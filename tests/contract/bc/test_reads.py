"""Reads against the simulator: released orders since a watermark, paging, enums, filters, master data."""

from __future__ import annotations

from datetime import timedelta

from local.bc_sim import BcSim
from shared.bc.client import BcClient
from shared.bc.enums import DocumentStatus
from shared.bc.odata import Field
from tests.contract.bc.conftest import ClientFactory
from tests.contract.bc.support import requests_to, seed

ORDERS_ROUTE = "GET /api/v2.0/companies({id})/salesOrders"


async def test_released_orders_come_with_their_lines_and_drafts_do_not(sim: BcSim, bc: BcClient) -> None:
    # GIVEN three released orders and one draft
    created = seed(sim, items=4, customers=2, locations=1, released_sales_orders=3, draft_sales_orders=1)
    # WHEN released orders are read
    orders = [order async for order in bc.sales.iter_released_orders()]
    # THEN exactly the three released ones, each with its lines, oldest change first
    numbers = [o["number"] for o in created["salesOrders"]]
    assert [o.number for o in orders] == numbers[:3]
    assert all(o.status == DocumentStatus.OPEN for o in orders)
    for order in orders:
        assert order.sales_order_lines
        assert {line.document_id for line in order.sales_order_lines} == {order.id}
        assert all(line.etag for line in order.sales_order_lines)
    stamps = [o.last_modified_date_time for o in orders]
    assert stamps == sorted(stamps)  # type: ignore[type-var]


async def test_the_watermark_bound_is_inclusive_and_later_changes_are_read(sim: BcSim, bc: BcClient) -> None:
    # GIVEN three released orders read once, and a watermark at the newest change
    seed(sim, items=2, customers=1, locations=1, released_sales_orders=3)
    first = [o async for o in bc.sales.iter_released_orders()]
    watermark = max(o.last_modified_date_time for o in first if o.last_modified_date_time)
    # WHEN a minute later one order changes
    sim.clock.advance(60)
    changed = first[0]
    updated = await bc.api.update(
        type(changed),
        bc.api.url(f"salesOrders({changed.id})"),
        changed.etag,
        {"externalDocumentNumber": "PO-77"},
    )
    # THEN a read from the old watermark returns the orders changed at it and the changed one
    since_old = [o.number async for o in bc.sales.iter_released_orders(changed_since=watermark)]
    at_watermark = [o.number for o in first if o.last_modified_date_time == watermark and o.id != changed.id]
    assert since_old == [*at_watermark, changed.number]
    # AND a read from just after the old watermark returns only the changed order
    later = [
        o.number async for o in bc.sales.iter_released_orders(changed_since=watermark + timedelta(seconds=1))
    ]
    assert later == [changed.number]
    # AND an order changed exactly at the bound is included (ge, not gt)
    assert updated.last_modified_date_time is not None
    exact = [
        o.number async for o in bc.sales.iter_released_orders(changed_since=updated.last_modified_date_time)
    ]
    assert exact == [changed.number]


async def test_paging_follows_next_links_one_request_per_page(sim: BcSim, make_client: ClientFactory) -> None:
    # GIVEN five released orders and a client asking for pages of two
    seed(sim, items=2, customers=1, locations=1, released_sales_orders=5)
    bc = await make_client(bc_page_size=2)
    # WHEN they are read
    orders = [o async for o in bc.sales.iter_released_orders()]
    # THEN all five arrive, in three requests
    assert len(orders) == 5
    assert len({o.id for o in orders}) == 5
    assert requests_to(sim, ORDERS_ROUTE)["requests"] == 3


async def test_an_enum_filters_escaped_and_reads_back_as_its_real_value(sim: BcSim, bc: BcClient) -> None:
    # GIVEN an order pending approval (In Review) among released ones
    created = seed(sim, items=2, customers=1, locations=1, released_sales_orders=2)
    in_review = created["salesOrders"][1]
    sim.state.update("salesOrders", in_review["id"], {"status": "In_x0020_Review"})
    # WHEN orders in review are read
    found = [o async for o in bc.sales.iter_orders(Field("status").eq(DocumentStatus.IN_REVIEW))]
    # THEN only that order, with its status as BC means it
    assert [(o.number, o.status) for o in found] == [(in_review["number"], "In Review")]


async def test_master_data_reads(sim: BcSim, bc: BcClient) -> None:
    created = seed(sim, items=3, customers=2, locations=2, shipment_methods=2, opening_stock=10)
    (company,) = await bc.master.companies()
    assert str(company.id) == sim.config.company_id
    items = [i async for i in bc.master.iter_items()]
    assert [i.number for i in items] == [i["number"] for i in created["items"]]
    assert all(i.type == "Inventory" and i.inventory == 10 for i in items)
    assert (await bc.master.find_item(items[1].number)) == items[1]
    assert await bc.master.find_item("NO-SUCH-SKU") is None
    customers = [c async for c in bc.master.iter_customers()]
    assert len(customers) == 2
    assert (await bc.master.get_customer(customers[0].id)).number == customers[0].number
    assert [loc.code for loc in await bc.master.locations()] == [
        loc["number"] for loc in created["locations"]
    ]
    assert len(await bc.master.shipment_methods()) == 2
    entries = [e async for e in bc.master.iter_item_ledger_entries(item_number=items[0].number)]
    assert [(e.entry_type, e.quantity, e.document_number) for e in entries] == [
        ("Positive Adjmt.", 10, "OPENING")
    ]
