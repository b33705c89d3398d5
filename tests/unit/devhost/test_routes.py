"""Route templates as the Functions host matches them, and which route answers a method."""

from __future__ import annotations

import pytest

from local.devhost.routes import Matched, MethodNotAllowed, RouteTable, RouteTemplate


@pytest.mark.parametrize(
    ("template", "path", "expected"),
    [
        ("api/health", "/api/health", {}),
        ("api/health", "/API/Health/", {}),  # literals ignore case; a trailing slash is fine
        ("api/health", "/api/health/extra", None),
        ("api/orders/{id}", "/api/orders/SO-1001", {"id": "SO-1001"}),
        ("api/orders/{id}", "/api/orders", None),
        ("api/orders/{id}/lines/{line}", "/api/orders/7/lines/3", {"id": "7", "line": "3"}),
        ("api/orders/{id?}", "/api/orders", {}),
        ("api/orders/{id?}", "/api/orders/7", {"id": "7"}),
        ("api/items/{id:int}", "/api/items/42", {"id": "42"}),
        ("api/items/{id:int}", "/api/items/abc", None),
        ("api/items/{kind:alpha}/{id:int?}", "/api/items/books", {"kind": "books"}),
        ("api/page/{n=1}", "/api/page", {"n": "1"}),
        ("api/files/{*path}", "/api/files/a/b/c.txt", {"path": "a/b/c.txt"}),
        ("api/files/{*path}", "/api/files", {}),
        ("api/export/{name}.csv", "/api/export/stock.csv", {"name": "stock"}),
        ("api/export/{name}.csv", "/api/export/stock.json", None),
        ("api", "/api", {}),
    ],
)
def test_template_match(template: str, path: str, expected: dict[str, str] | None) -> None:
    assert RouteTemplate.parse(template).match(path) == expected


def table() -> RouteTable[str]:
    return RouteTable(
        "api",
        [
            ("orders/{id}", frozenset({"GET"}), "get_order"),
            ("orders/{id}", frozenset({"DELETE"}), "cancel_order"),
            ("orders/summary", frozenset({"GET"}), "summary"),
            ("scend/events", frozenset({"POST"}), "scend_events"),
            ("anything", None, "any_method"),
        ],
    )


def test_a_literal_segment_wins_over_a_parameter() -> None:
    assert table().resolve("/api/orders/summary", "GET") == Matched("summary", {})
    assert table().resolve("/api/orders/SO-1", "GET") == Matched("get_order", {"id": "SO-1"})


def test_the_route_for_the_method_answers() -> None:
    assert table().resolve("/api/orders/SO-1", "delete") == Matched("cancel_order", {"id": "SO-1"})


def test_a_path_that_matches_for_other_methods_only_is_method_not_allowed() -> None:
    assert table().resolve("/api/orders/SO-1", "POST") == MethodNotAllowed(frozenset({"GET", "DELETE"}))
    assert table().resolve("/api/scend/events", "GET") == MethodNotAllowed(frozenset({"POST"}))


def test_a_route_without_methods_takes_every_method_and_no_match_is_none() -> None:
    assert table().resolve("/api/anything", "PATCH") == Matched("any_method", {})
    assert table().resolve("/api/nothing", "GET") is None
    assert table().resolve("/orders/SO-1", "GET") is None  # outside the prefix


def test_an_empty_route_prefix() -> None:
    routes = RouteTable("", [("health", None, "health")])
    assert routes.resolve("/health", "GET") == Matched("health", {})
    assert routes.resolve("/api/health", "GET") is None
