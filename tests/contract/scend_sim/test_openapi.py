"""The OpenAPI document: served, covering every contract route, and schemathesis finds no server
error (nor a status, header, content type or body the document does not describe)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import positive_data_acceptance

from local.scend_sim import ScendSimConfig, build_scend_sim
from local.scend_sim.api.contract import ROUTES
from local.scend_sim.api.openapi import OPERATIONS
from local.scend_sim.seeding import DEMO_PRODUCTS, DEMO_STOCK, seed
from tests.contract.scend_sim.support import ok

# In-process (ASGI), seeded with the demo catalogue so that valid orders, ASNs and returns exist.
SIM = build_scend_sim(
    ScendSimConfig(seed=3, rate_limit_per_minute=None, start_at=datetime(2026, 1, 5, 8, tzinfo=UTC))
)
seed(SIM.warehouse, DEMO_PRODUCTS, DEMO_STOCK)
schema = schemathesis.openapi.from_asgi("/openapi.json", SIM.app)
AUTH = {"Authorization": f"Bearer {SIM.api_key}"}


@schema.parametrize()
@settings(max_examples=20, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_no_operation_answers_a_server_error(case: schemathesis.Case[Any]) -> None:
    # Schema-valid data may still be refused on purpose (an unknown SKU or cursor): 4xx, documented.
    case.call_and_validate(headers=AUTH, excluded_checks=[positive_data_acceptance])


def test_every_route_is_documented_and_every_documented_route_exists() -> None:
    assert {(method, path) for method, path, _ in ROUTES} == set(OPERATIONS)


async def test_the_document_is_served_at_the_root(
    served: object, sim: object, api: httpx.AsyncClient
) -> None:
    document = await ok(await api.get(str(api.base_url).removesuffix("/v1/") + "/openapi.json"))
    assert document["openapi"] == "3.1.0"
    assert document["servers"] == [{"url": "/v1"}]
    create = document["paths"]["/orders"]["post"]
    assert {"201", "400", "401", "409", "422", "429", "503"} <= set(create["responses"])
    assert any(p["name"] == "Idempotency-Key" and p["required"] for p in create["parameters"])
    assert "patch" not in document["paths"]["/orders/{id}"]
