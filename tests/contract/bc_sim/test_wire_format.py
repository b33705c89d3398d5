"""The wire format of reference §2 and §5: statuses and escaped enums, @odata annotations, paging,
query options, BC's refusals, If-Match rules, $batch, error bodies."""

from __future__ import annotations

import re

import httpx
import pytest

from local.bc_sim import BcSim
from tests.contract.bc_sim.conftest import SimFactory, api_client
from tests.contract.bc_sim.support import Catalogue, assert_error, sales_order

ETAG = re.compile(r'^W/"JzE[A-Za-z0-9+/]+=*"$')


async def test_released_orders_are_status_open_and_drafts_are_draft(
    control: httpx.AsyncClient, bc: httpx.AsyncClient, shop: Catalogue
) -> None:
    # GIVEN two new orders, one of them released with BC's Release button
    draft = (await bc.post("salesOrders", json=sales_order(shop, (shop.item_a, 1)))).json()
    released = (await bc.post("salesOrders", json=sales_order(shop, (shop.item_a, 2)))).json()
    assert (await control.post(f"orders/salesOrders/{released['number']}/release")).status_code == 200
    # WHEN the client asks for released orders
    reply = await bc.get("salesOrders", params={"$filter": "status eq 'Open'", "$select": "number,status"})
    # THEN only the released one comes, as `Open`; the new one reads `Draft` (BC's Open)
    assert [(o["number"], o["status"]) for o in reply.json()["value"]] == [(released["number"], "Open")]
    assert draft["status"] == "Draft"


async def test_enum_values_travel_escaped_and_only_the_escaped_form_filters(
    bc: httpx.AsyncClient, shop: Catalogue
) -> None:
    # GIVEN an item created with the option's name, and the opening stock of 1000-BLU
    created = await bc.post(
        "items", json={"number": "SVC-1", "displayName": "Gift wrap", "type": "Non-Inventory"}
    )
    entries = (await bc.get("itemLedgerEntries", params={"$filter": "itemNumber eq '1000-BLU'"})).json()[
        "value"
    ]
    # THEN enums read escaped: Non_x002D_Inventory, Positive_x0020_Adjmt_x002E_, blank as _x0020_
    assert created.json()["type"] == "Non_x002D_Inventory"
    assert [(e["entryType"], e["documentType"], e["quantity"]) for e in entries] == [
        ("Positive_x0020_Adjmt_x002E_", "_x0020_", 50)
    ]
    # AND a filter takes the escaped value, while the display form is refused (not assumed to work)
    escaped = await bc.get("salesOrders", params={"$filter": "status eq 'In_x0020_Review'"})
    display = await bc.get("salesOrders", params={"$filter": "status eq 'In Review'"})
    assert (escaped.status_code, escaped.json()["value"]) == (200, [])
    assert_error(display, 400, "BadRequest")


async def test_every_entity_carries_its_context_and_a_weak_etag(
    sim: BcSim, bc: httpx.AsyncClient, shop: Catalogue
) -> None:
    collection = (await bc.get("items")).json()
    single = await bc.get(f"items({shop.item_a['id']})")
    service = f"{sim.api_url}/$metadata#companies({sim.config.company_id})"
    assert collection["@odata.context"] == f"{service}/items"
    assert [bool(ETAG.match(i["@odata.etag"])) for i in collection["value"]] == [True, True]
    assert single.json()["@odata.context"] == f"{service}/items/$entity"
    assert single.headers["ETag"] == single.json()["@odata.etag"]
    assert single.json()["inventory"] == 50


async def test_server_paging_hands_out_nextlinks_until_the_last_page(make_sim: SimFactory) -> None:
    # GIVEN a server page size of 3 and 7 items
    sim = await make_sim(page_size=3)
    for n in range(7):
        sim.docs.create("items", {"number": f"I{n}", "displayName": f"Item {n}"})
    async with api_client(sim) as bc:
        # WHEN the client follows @odata.nextLink from the first page
        pages, link = [], f"{sim.company_url}/items?$select=number"
        while link:
            body = (await bc.get(link)).json()
            pages.append([i["number"] for i in body["value"]])
            link = body.get("@odata.nextLink")
        # THEN it reads every item once, three per page, and the last page has no nextLink
        assert pages == [["I0", "I1", "I2"], ["I3", "I4", "I5"], ["I6"]]
        # AND Prefer: odata.maxpagesize lowers the page; $top caps the total across pages
        smaller = await bc.get("items", headers={"Prefer": "odata.maxpagesize=2"})
        assert (len(smaller.json()["value"]), smaller.headers["Preference-Applied"]) == (
            2,
            "odata.maxpagesize=2",
        )
        first = (await bc.get("items", params={"$top": "4", "$orderby": "number desc"})).json()
        second = (await bc.get(first["@odata.nextLink"])).json()
        assert [i["number"] for i in first["value"] + second["value"]] == ["I6", "I5", "I4", "I3"]
        assert "@odata.nextLink" not in second


async def test_query_options_filter_select_expand_order_and_slice(
    bc: httpx.AsyncClient, shop: Catalogue
) -> None:
    # GIVEN two orders for the same customer
    a = (await bc.post("salesOrders", json=sales_order(shop, (shop.item_a, 3), (shop.item_b, 1)))).json()
    b = (
        await bc.post(
            "salesOrders", json=sales_order(shop, (shop.item_b, 2), shipmentMethodId=shop.method["id"])
        )
    ).json()
    # WHEN expanding lines (nested: each line's item) and the shipment method, ordered by number desc
    reply = await bc.get(
        "salesOrders",
        params={
            "$filter": f"customerId eq {shop.customer['id']} and totalAmountExcludingTax ge 10",
            "$select": "number,totalAmountExcludingTax",
            "$expand": "salesOrderLines($select=lineObjectNumber,quantity;$expand=item($select=number)),"
            "shipmentMethod",
            "$orderby": "number desc",
        },
    )
    orders = reply.json()["value"]
    # THEN the shape is exactly what was selected, with expanded children in line order
    assert [o["number"] for o in orders] == [b["number"], a["number"]]
    assert [
        (ln["lineObjectNumber"], ln["quantity"], ln["item"]["number"]) for ln in orders[1]["salesOrderLines"]
    ] == [
        ("1000-BLU", 3, "1000-BLU"),
        ("2000-RED", 1, "2000-RED"),
    ]
    assert orders[0]["shipmentMethod"]["code"] == "NEXTDAY"
    assert orders[1]["shipmentMethod"] is None
    assert set(orders[0]) == {
        "@odata.etag",
        "number",
        "totalAmountExcludingTax",
        "salesOrderLines",
        "shipmentMethod",
    }
    # AND $skip/$top slice; dates, booleans, strings (case-insensitive) and functions filter
    sliced = await bc.get(
        "items", params={"$orderby": "number", "$skip": "1", "$top": "1", "$select": "number"}
    )
    assert [i["number"] for i in sliced.json()["value"]] == ["2000-RED"]
    for expression, expected in [
        (f"orderDate eq {a['orderDate']} and fullyShipped eq false", 2),
        ("number eq 's-ord101001'", 1),
        ("startswith(externalDocumentNumber, '') and contains(customerName, 'adatum')", 2),
        ("lastModifiedDateTime gt 2026-08-03T08:59:59.999Z", 2),
        ("lastModifiedDateTime gt 2026-08-03T09:00:00Z", 0),
    ]:
        found = await bc.get("salesOrders", params={"$filter": expression})
        assert (expression, len(found.json()["value"])) == (expression, expected)


async def test_sales_order_lines_cannot_be_listed_without_an_id_or_document_filter(
    bc: httpx.AsyncClient, shop: Catalogue
) -> None:
    order = (await bc.post("salesOrders", json=sales_order(shop, (shop.item_a, 1)))).json()
    unfiltered = await bc.get("salesOrderLines")
    filtered = await bc.get("salesOrderLines", params={"$filter": f"documentId eq {order['id']}"})
    message = assert_error(unfiltered, 400, "Application_DialogException")
    assert message.startswith("You must specify an Id or a Document Id to get the lines.")
    assert [ln["lineObjectNumber"] for ln in filtered.json()["value"]] == ["1000-BLU"]


async def test_or_is_allowed_on_one_field_only(bc: httpx.AsyncClient, shop: Catalogue) -> None:
    same_field = await bc.get("items", params={"$filter": "number eq '1000-BLU' or number eq '2000-RED'"})
    two_fields = await bc.get("items", params={"$filter": "number eq '1000-BLU' or displayName eq 'Red Cap'"})
    assert len(same_field.json()["value"]) == 2
    assert_error(two_fields, 400, "BadRequest")


async def test_patch_needs_if_match_and_a_stale_etag_is_a_conflict(
    bc: httpx.AsyncClient, shop: Catalogue
) -> None:
    url = f"items({shop.item_b['id']})"
    etag = (await bc.get(url)).json()["@odata.etag"]
    missing = await bc.patch(url, json={"displayName": "Cap"})
    fresh = await bc.patch(url, json={"displayName": "Cap"}, headers={"If-Match": etag})
    stale = await bc.patch(url, json={"displayName": "Hat"}, headers={"If-Match": etag})
    star = await bc.patch(url, json={"displayName": "Beret"}, headers={"If-Match": "*"})
    assert_error(missing, 400, "BadRequest_InvalidToken")
    assert (fresh.status_code, fresh.json()["displayName"]) == (200, "Cap")
    assert fresh.json()["@odata.etag"] not in (etag, star.json()["@odata.etag"])
    assert_error(stale, 409, "Request_EntityChanged")
    assert (star.status_code, star.json()["displayName"]) == (200, "Beret")
    # DELETE follows the same rule
    assert_error(await bc.delete(url), 400, "BadRequest_InvalidToken")


async def test_a_line_change_rewrites_the_order_lastmodified_and_etag(
    sim: BcSim, bc: httpx.AsyncClient, shop: Catalogue
) -> None:
    # GIVEN an order read at 09:00
    order = (
        await bc.post("salesOrders?$expand=salesOrderLines", json=sales_order(shop, (shop.item_a, 4)))
    ).json()
    line = order["salesOrderLines"][0]
    # WHEN one of its lines changes a minute later
    sim.clock.advance(60)
    patched = await bc.patch(
        f"salesOrderLines({line['id']})", json={"shipQuantity": 1}, headers={"If-Match": line["@odata.etag"]}
    )
    after = (await bc.get(f"salesOrders({order['id']})")).json()
    # THEN the header's lastModifiedDateTime and ETag moved with it
    assert patched.status_code == 200
    assert (order["lastModifiedDateTime"], after["lastModifiedDateTime"]) == (
        "2026-08-03T09:00:00.000Z",
        "2026-08-03T09:01:00.000Z",
    )
    assert after["@odata.etag"] != order["@odata.etag"]


async def test_batch_takes_at_most_100_operations(sim: BcSim, bc: httpx.AsyncClient, shop: Catalogue) -> None:
    one = {"method": "GET", "url": f"companies({sim.config.company_id})/items({shop.item_a['id']})"}
    full = await bc.post("../$batch", json={"requests": [{**one, "id": str(n)} for n in range(100)]})
    over = await bc.post("../$batch", json={"requests": [one] * 101})
    assert (full.status_code, len(full.json()["responses"]), full.json()["responses"][99]["id"]) == (
        200,
        100,
        "99",
    )
    assert {r["status"] for r in full.json()["responses"]} == {200}
    assert_error(over, 400, "BadRequest")


@pytest.mark.parametrize(("isolation", "survivors"), [("snapshot", []), (None, ["NEW-1"])])
async def test_a_snapshot_batch_is_all_or_nothing(
    sim: BcSim, bc: httpx.AsyncClient, shop: Catalogue, isolation: str | None, survivors: list[str]
) -> None:
    # GIVEN a batch whose second operation fails validation (URLs relative to the API root; the
    # company by name in a Company header, or in the path)
    company = sim.config.company_id
    requests = [
        {
            "id": "1",
            "method": "POST",
            "url": "items",
            "headers": {"Company": "CRONUS UK Ltd."},
            "body": {"number": "NEW-1", "displayName": "New"},
        },
        {
            "id": "2",
            "method": "PATCH",
            "url": f"companies({company})/items({shop.item_a['id']})",
            "headers": {"If-Match": "*"},
            "body": {"type": "Invalid Type"},
        },
    ]
    headers = {"Isolation": isolation} if isolation else {}
    # WHEN it runs
    reply = await bc.post("../$batch", json={"requests": requests}, headers=headers)
    # THEN every operation has its response; with snapshot isolation the created item is gone again
    responses = reply.json()["responses"]
    assert [(r["id"], r["status"]) for r in responses] == [("1", 201), ("2", 400)]
    assert responses[1]["body"]["error"]["code"] == "Unknown"
    assert responses[0]["headers"]["content-type"].startswith("application/json")
    found = (await bc.get("items", params={"$filter": "number eq 'NEW-1'"})).json()["value"]
    assert [i["number"] for i in found] == survivors


async def test_errors_use_bc_codes_and_body_shape(sim: BcSim, bc: httpx.AsyncClient, shop: Catalogue) -> None:
    assert_error(await bc.get("nosuchSet"), 404, "BadRequest_ResourceNotFound")
    assert_error(await bc.get("items(8f2b1c4e-0000-4000-8000-000000000001)"), 404, "Internal_RecordNotFound")
    assert_error(await bc.get("items(not-a-guid)"), 400, "BadRequest_NotFound")
    assert_error(await bc.get("items", params={"$filter": "number eq"}), 400, "BadRequest_NotFound")
    assert_error(await bc.get("items", params={"$select": "colour"}), 400, "BadRequest_NotFound")
    assert_error(await bc.post("items", json={"number": "1000-BLU"}), 400, "Internal_EntityWithSameKeyExists")
    renumber = await bc.patch(
        f"items({shop.item_b['id']})", json={"number": "1000-blu"}, headers={"If-Match": "*"}
    )
    assert_error(renumber, 400, "Internal_EntityWithSameKeyExists")
    assert_error(
        await bc.post("items", json={"number": "X", "inventory": 5}), 400, "Application_DialogException"
    )
    assert_error(await bc.post("salesOrders", json={"number": "S-1"}), 400, "BadRequest_InvalidOperation")
    assert_error(await bc.post("salesOrders", json={"colour": "red"}), 400, "BadRequest")
    assert_error(await bc.post("salesOrders", json={}), 400, "Application_DialogException")
    assert_error(
        await bc.post("items", json={"displayName": "x" * 101}), 400, "Application_StringExceededLength"
    )
    assert_error(await bc.post("salesShipments", json={}), 405, "BadRequest_MethodNotAllowed")
    assert_error(
        await bc.post(f"items({shop.item_a['id']})/Microsoft.NAV.post"),
        400,
        "BadRequest_MethodNotImplemented",
    )


async def test_a_failing_deep_insert_leaves_nothing_behind(bc: httpx.AsyncClient, shop: Catalogue) -> None:
    # GIVEN an order whose second line names an unknown item
    body = sales_order(shop, (shop.item_a, 1))
    body["salesOrderLines"].append({"lineObjectNumber": "NO-SUCH", "quantity": 1})
    # WHEN it is posted, THEN it fails and no header, line or number is left
    assert_error(await bc.post("salesOrders", json=body), 400, "Internal_RecordNotFound")
    assert (await bc.get("salesOrders")).json()["value"] == []
    retry = await bc.post("salesOrders", json=sales_order(shop, (shop.item_a, 1)))
    assert retry.json()["number"] == "S-ORD101001"


async def test_metadata_lists_enum_members_in_their_escaped_form(bc: httpx.AsyncClient) -> None:
    reply = await bc.get("../$metadata")
    assert reply.headers["content-type"].startswith("application/xml")
    assert '<Member Name="In_x0020_Review" Value="1"/>' in reply.text
    assert '<Action Name="shipAndInvoice" IsBound="true">' in reply.text


async def test_the_company_can_come_from_the_query_or_the_root(sim: BcSim, shop: Catalogue) -> None:
    async with api_client(sim, sim.api_url) as root:
        companies = (await root.get("companies")).json()["value"]
        by_query = await root.get("items", params={"company": sim.config.company_name, "$select": "number"})
        no_company = await root.get("items")
    assert [(c["id"], c["name"]) for c in companies] == [(sim.config.company_id, "CRONUS UK Ltd.")]
    assert [i["number"] for i in by_query.json()["value"]] == ["1000-BLU", "2000-RED"]
    assert_error(no_company, 400, "Internal_CompanyNotFound")


async def test_an_or_of_equalities_on_one_property_matches_any_of_them(
    bc: httpx.AsyncClient, shop: Catalogue
) -> None:
    numbers = [(await bc.post("salesOrders", json=sales_order(shop, (shop.item_a, 1)))).json()["number"]
               for _ in range(3)]  # fmt: skip

    async def matching(text: str) -> list[str]:
        reply = await bc.get("salesOrders", params={"$filter": text, "$select": "number"})
        return sorted(o["number"] for o in reply.json()["value"])

    # strings compare case-insensitively, in the set lookup as in the single comparison
    assert await matching(f"number eq '{numbers[0]}' or number eq '{numbers[2].lower()}'") == sorted(
        [numbers[0], numbers[2]]
    )
    assert await matching(f"number eq '{numbers[1]}' or number ne '{numbers[1]}'") == sorted(numbers)
    assert await matching("number eq 'NOPE' or number eq 'NONE'") == []
