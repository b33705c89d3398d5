"""HTTP triggers through real HTTP on loopback: routes, methods, auth levels, replies."""

from __future__ import annotations

import httpx
import pytest

from tests.e2e.devhost import fixture_app
from tests.e2e.devhost.conftest import FUNCTION_KEY, MASTER_KEY


async def test_anonymous_route_answers_without_a_key(client: httpx.AsyncClient) -> None:
    # GIVEN an anonymous GET route  WHEN it is called without a key
    reply = await client.get("/api/hello")
    # THEN the function's reply comes back, with the worker's default content type
    assert (reply.status_code, reply.text) == (200, "hello")
    assert reply.headers["content-type"] == "text/plain; charset=utf-8"


@pytest.mark.parametrize(
    ("headers", "params", "status"),
    [
        ({}, {}, 401),
        ({"x-functions-key": "wrong"}, {}, 401),
        ({}, {"code": "wrong"}, 401),
        ({"x-functions-key": FUNCTION_KEY}, {}, 200),
        ({}, {"code": FUNCTION_KEY}, 200),
        ({"x-functions-key": MASTER_KEY}, {}, 200),
    ],
    ids=["no-key", "wrong-header", "wrong-code", "header", "code", "master"],
)
async def test_function_level_route_needs_a_key(
    client: httpx.AsyncClient, headers: dict[str, str], params: dict[str, str], status: int
) -> None:
    # GIVEN a function-level route
    before = len(fixture_app.calls["keyed"])
    # WHEN it is called with the given key (or none)
    reply = await client.get("/api/keyed", headers=headers, params=params)
    # THEN only a function or master key gets through; a refused call never reaches the function
    assert reply.status_code == status
    assert len(fixture_app.calls["keyed"]) - before == (1 if status == 200 else 0)
    if status == 200:
        assert reply.text == "keyed"


async def test_admin_level_route_takes_the_master_key_only(client: httpx.AsyncClient) -> None:
    with_function_key = await client.get("/api/ops/secret", headers={"x-functions-key": FUNCTION_KEY})
    with_master_key = await client.get("/api/ops/secret", params={"code": MASTER_KEY})
    assert (with_function_key.status_code, with_master_key.status_code) == (401, 200)


async def test_route_and_query_parameters_arrive(client: httpx.AsyncClient) -> None:
    # GIVEN the route items/{category:alpha}/{id:int?}
    full = await client.get("/api/items/books/42", params={"sort": "asc"})
    optional_left_out = await client.get("/api/items/books")
    constraint_broken = await client.get("/api/items/books/forty-two")
    # THEN parameters arrive by name; a missing optional one is absent; a broken constraint is no route
    assert full.json() == {"route": {"category": "books", "id": "42"}, "query": {"sort": "asc"}}
    assert full.headers["content-type"] == "application/json"
    assert optional_left_out.json() == {"route": {"category": "books"}, "query": {}}
    assert constraint_broken.status_code == 404


async def test_wrong_method_is_405_and_the_function_is_not_called(client: httpx.AsyncClient) -> None:
    before = len(fixture_app.calls["hello"])
    reply = await client.post("/api/hello", content=b"{}")
    assert (reply.status_code, reply.headers["allow"]) == (405, "GET")
    assert len(fixture_app.calls["hello"]) == before


async def test_unknown_path_is_404(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/nowhere")).status_code == 404
    assert (await client.get("/hello")).status_code == 404  # outside the route prefix


async def test_body_status_and_headers_pass_both_ways(client: httpx.AsyncClient) -> None:
    # GIVEN a route that echoes its body and sets headers, two of them Set-Cookie
    payload = bytes(range(256))
    reply = await client.put("/api/echo", content=payload, headers={"X-Probe": "p1"})
    # THEN status, body bytes and every header arrive as the function set them
    assert reply.status_code == 201
    assert reply.content == payload
    assert reply.headers["x-echo-method"] == "PUT"
    assert reply.headers["x-echo-header"] == "p1"
    assert reply.headers["content-type"] == "application/octet-stream"
    assert reply.headers.get_list("set-cookie") == ["a=1", "b=2"]


async def test_a_function_that_raises_is_500_without_its_traceback(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    # GIVEN a route whose function raises
    reply = await client.get("/api/boom")
    # THEN the caller gets a bare 500, and the log has the traceback and one summary line
    assert (reply.status_code, reply.content) == (500, b"")
    assert "customer 4711" in caplog.text
    lines = [record.getMessage() for record in caplog.records]
    summaries = [line for line in lines if line.startswith("Executed 'Functions.boom'")]
    assert len(summaries) == 1
    assert "Failed: RuntimeError, trigger=httpTrigger" in summaries[0]
    assert "4711" not in summaries[0]
