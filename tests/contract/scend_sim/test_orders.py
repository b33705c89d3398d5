"""Orders: references, idempotency, validation codes and the cancel rule."""

from __future__ import annotations

import httpx
import pytest

from local.scend_sim import ScendSim
from tests.contract.scend_sim.support import key, ok, order_body

pytestmark = pytest.mark.usefixtures("stocked")


async def test_an_order_is_accepted_and_reserves_its_stock(api: httpx.AsyncClient) -> None:
    # GIVEN 100 TEE-BLK-M on the shelf
    # WHEN an order for 3 is created
    response = await api.post("/orders", json=order_body("SO-1-R1", ("10000", "TEE-BLK-M", 3)), headers=key())
    # THEN it is accepted, its line reserved, and it can be read back by id and by reference
    order = await ok(response, 201)
    assert response.headers["location"] == f"/v1/orders/{order['id']}"
    assert order["status"] == "accepted"
    assert order["carrier"] == "royal_mail"
    assert order["lines"] == [
        {
            "line_ref": "10000",
            "sku": "TEE-BLK-M",
            "qty_ordered": 3,
            "qty_allocated": 3,
            "qty_despatched": 0,
            "qty_cancelled": 0,
            "unit_price": None,
            "currency": None,
        }
    ]
    assert await ok(await api.get(f"/orders/{order['id']}")) == order
    found = await ok(await api.get("/orders", params={"client_reference": "SO-1-R1"}))
    assert found == {"data": [order], "next_cursor": None}
    stock = await ok(await api.get("/stock"))
    tee = next(level for level in stock["data"] if level["sku"] == "TEE-BLK-M")
    assert (tee["on_hand"], tee["allocated"], tee["available"]) == (100, 3, 97)


async def test_an_unknown_reference_finds_nothing(api: httpx.AsyncClient) -> None:
    assert await ok(await api.get("/orders", params={"client_reference": "SO-NONE"})) == {
        "data": [],
        "next_cursor": None,
    }


async def test_a_second_order_with_the_same_reference_is_a_409_naming_the_first(
    api: httpx.AsyncClient, control: httpx.AsyncClient, sim: ScendSim
) -> None:
    # GIVEN an order SO-2-R1
    first = await ok(
        await api.post("/orders", json=order_body("SO-2-R1", ("1", "CAP-NVY", 1)), headers=key()), 201
    )
    # WHEN the same reference is sent again under a new Idempotency-Key (even with other lines)
    again = await api.post("/orders", json=order_body("SO-2-R1", ("1", "MUG-WHT", 5)), headers=key())
    # THEN 409 DUPLICATE_REFERENCE with existing_id, and Scend still holds one order for it
    problem = await ok(again, 409)
    assert again.headers["content-type"] == "application/problem+json"
    assert problem["code"] == "DUPLICATE_REFERENCE"
    assert problem["existing_id"] == first["id"]
    assert set(problem) >= {"type", "title", "status", "code", "detail", "errors", "request_id"}
    assert len(sim.state.orders) == 1
    report = await ok(await control.get("/stats"))
    orders = report["resources"]["orders"]
    assert orders["by_client_reference"] == {"SO-2-R1": 1}
    assert orders["attempts_by_client_reference"] == {"SO-2-R1": 2}
    assert orders["duplicates_by_client_reference"] == {"SO-2-R1": 1}


async def test_the_same_key_and_body_replays_the_first_answer(api: httpx.AsyncClient, sim: ScendSim) -> None:
    body, headers = order_body("SO-3-R1", ("1", "CAP-NVY", 1)), key()
    first = await api.post("/orders", json=body, headers=headers)
    second = await api.post("/orders", json=body, headers=headers)
    assert (first.status_code, second.status_code) == (201, 201)
    assert second.content == first.content
    assert second.headers["idempotent-replayed"] == "true"
    assert second.headers["location"] == first.headers["location"]
    assert len(sim.state.orders) == 1


async def test_the_same_key_with_another_body_is_refused(api: httpx.AsyncClient, sim: ScendSim) -> None:
    headers = key()
    await ok(await api.post("/orders", json=order_body("SO-4-R1", ("1", "CAP-NVY", 1)), headers=headers), 201)
    reused = await api.post("/orders", json=order_body("SO-4-R2", ("1", "CAP-NVY", 1)), headers=headers)
    assert (await ok(reused, 422))["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert [o.client_reference for o in sim.state.orders.values()] == ["SO-4-R1"]


async def test_a_post_without_an_idempotency_key_is_refused(api: httpx.AsyncClient, sim: ScendSim) -> None:
    problem = await ok(await api.post("/orders", json=order_body("SO-5-R1", ("1", "CAP-NVY", 1))), 400)
    assert problem["errors"][0]["field"] == "Idempotency-Key"
    assert sim.state.orders == {}


async def test_no_api_key_is_401(sim: ScendSim) -> None:
    async with httpx.AsyncClient(base_url=sim.base_url) as anonymous:
        response = await anonymous.get("/orders")
        wrong = await anonymous.get("/orders", headers={"Authorization": "Bearer nope"})
    assert (await ok(response, 401))["code"] == "UNAUTHORIZED"
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert wrong.status_code == 401


@pytest.mark.parametrize(
    ("change", "status", "code", "field"),
    [
        ({"service_code": "PIGEON"}, 422, "UNKNOWN_SERVICE_CODE", "service_code"),
        ({"ship_to.postcode": "XYZ"}, 422, "INVALID_ADDRESS", "ship_to.postcode"),
        ({"ship_to.country_code": "US"}, 422, "INVALID_ADDRESS", "ship_to.country_code"),
        ({"lines.0.sku": "NO-SUCH-SKU"}, 422, "SKU_NOT_FOUND", "lines[0].sku"),
        ({"lines.0.quantity": 0}, 422, "VALIDATION_FAILED", "lines[0].quantity"),
        ({"lines.0.quantity": "2"}, 422, "VALIDATION_FAILED", "lines[0].quantity"),
        ({"order_date": "yesterday"}, 422, "VALIDATION_FAILED", "order_date"),
        ({"colour": "blue"}, 422, "VALIDATION_FAILED", "colour"),
        (
            {"lines.1": {"line_ref": "1", "sku": "CAP-NVY", "quantity": 1}},
            422,
            "VALIDATION_FAILED",
            "lines[1].line_ref",
        ),
    ],
)
async def test_a_bad_order_is_refused_with_its_code_and_field(
    api: httpx.AsyncClient, sim: ScendSim, change: dict[str, object], status: int, code: str, field: str
) -> None:
    body = order_body("SO-BAD-R1", ("1", "CAP-NVY", 1))
    for path, value in change.items():
        _set(body, path, value)
    problem = await ok(await api.post("/orders", json=body, headers=key()), status)
    assert problem["code"] == code
    assert field in [error["field"] for error in problem["errors"]]
    assert sim.state.orders == {}


async def test_an_inactive_product_cannot_be_ordered(api: httpx.AsyncClient) -> None:
    await ok(await api.put("/products/MUG-WHT", json={"description": "Mug, white", "active": False}))
    problem = await ok(
        await api.post("/orders", json=order_body("SO-6-R1", ("1", "MUG-WHT", 1)), headers=key()), 422
    )
    assert problem["code"] == "SKU_NOT_FOUND"


async def test_malformed_json_is_400(api: httpx.AsyncClient) -> None:
    response = await api.post(
        "/orders", content=b"{not json", headers=key() | {"content-type": "application/json"}
    )
    assert (await ok(response, 400))["code"] == "VALIDATION_FAILED"


async def test_an_order_is_cancelled_before_picking_and_its_stock_freed(
    api: httpx.AsyncClient, sim: ScendSim
) -> None:
    order = await ok(
        await api.post("/orders", json=order_body("SO-7-R1", ("1", "TEE-BLK-S", 4)), headers=key()), 201
    )
    cancelled = await ok(await api.post(f"/orders/{order['id']}/cancel", headers=key()))
    assert cancelled["status"] == "cancelled"
    assert cancelled["lines"][0]["qty_cancelled"] == 4
    assert cancelled["lines"][0]["qty_allocated"] == 0
    level = sim.state.ledger.level("TEE-BLK-S")
    assert (level.on_hand, level.allocated, level.available) == (100, 0, 100)
    # Cancelling it again answers the cancelled order
    assert (await ok(await api.post(f"/orders/{order['id']}/cancel", headers=key())))["status"] == "cancelled"


async def test_a_cancel_after_picking_started_is_409_with_the_status(
    api: httpx.AsyncClient, control: httpx.AsyncClient
) -> None:
    # GIVEN an order the warehouse has started to pick
    order = await ok(
        await api.post("/orders", json=order_body("SO-8-R1", ("1", "TEE-BLK-L", 1)), headers=key()), 201
    )
    await ok(await control.post("/clock/advance", json={"minutes": 15}))
    assert (await ok(await api.get(f"/orders/{order['id']}")))["status"] == "picking"
    # WHEN it is cancelled
    refused = await api.post(f"/orders/{order['id']}/cancel", json={}, headers=key())
    # THEN 409 ORDER_NOT_CANCELLABLE with current_status, and the order goes on
    problem = await ok(refused, 409)
    assert (problem["code"], problem["current_status"]) == ("ORDER_NOT_CANCELLABLE", "picking")
    await ok(await control.post("/clock/advance", json={"minutes": 15}))
    assert (await ok(await api.get(f"/orders/{order['id']}")))["status"] == "despatched"


async def test_a_partial_cancel_takes_units_off_lines(api: httpx.AsyncClient) -> None:
    body = order_body("SO-9-R1", ("1", "TEE-BLK-S", 5), ("2", "CAP-NVY", 2))
    order = await ok(await api.post("/orders", json=body, headers=key()), 201)
    partial = {"lines": [{"line_ref": "1", "quantity": 2}, {"line_ref": "2"}]}
    after = await ok(await api.post(f"/orders/{order['id']}/cancel", json=partial, headers=key()))
    assert after["status"] == "accepted"
    assert [(line["qty_cancelled"], line["qty_allocated"]) for line in after["lines"]] == [(2, 3), (2, 0)]
    too_many = await api.post(
        f"/orders/{order['id']}/cancel", json={"lines": [{"line_ref": "1", "quantity": 4}]}, headers=key()
    )
    assert (await ok(too_many, 422))["errors"][0]["field"] == "lines[0].quantity"
    rest = await ok(
        await api.post(f"/orders/{order['id']}/cancel", json={"lines": [{"line_ref": "1"}]}, headers=key())
    )
    assert rest["status"] == "cancelled"


async def test_an_unknown_order_is_404(api: httpx.AsyncClient) -> None:
    assert (await ok(await api.get("/orders/ord_99999999"), 404))["code"] == "NOT_FOUND"
    assert (await api.post("/orders/ord_99999999/cancel", headers=key())).status_code == 404


async def test_orders_cannot_be_amended(api: httpx.AsyncClient) -> None:
    response = await api.patch("/orders/ord_00000001", json={})
    assert response.status_code == 405
    assert "POST" not in response.headers["allow"]


async def test_lists_page_with_a_cursor_and_end_with_null(api: httpx.AsyncClient) -> None:
    for n in range(5):
        await ok(
            await api.post("/orders", json=order_body(f"SO-L{n}", ("1", "CAP-NVY", 1)), headers=key()), 201
        )
    seen, cursor = [], None
    while True:
        page = await ok(
            await api.get("/orders", params={"limit": 2} | ({"cursor": cursor} if cursor else {}))
        )
        seen += [order["client_reference"] for order in page["data"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"SO-L{n}" for n in range(5)]
    assert (await api.get("/orders", params={"limit": 0})).status_code == 400
    assert (await api.get("/orders", params={"cursor": "nonsense"})).status_code == 400


def _set(body: dict[str, object], path: str, value: object) -> None:
    *parents, last = path.split(".")
    target: object = body
    for part in parents:
        target = target[int(part)] if isinstance(target, list) else target[part]  # type: ignore[index]
    if isinstance(target, list):
        if int(last) < len(target):
            target[int(last)] = value
        else:
            target.append(value)
    else:
        target[last] = value  # type: ignore[index]
