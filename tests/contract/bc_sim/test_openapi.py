"""The simulator's OpenAPI document: it lists every surface, and schemathesis finds no 5xx against it
(in process, a bounded run of a few hundred requests). The fault plan, seeding, reset and clock are
left out of the fuzzing: faults would inject 5xx on purpose, the others would wipe or age the state."""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import Case
from schemathesis.core.result import Ok

from local.bc_sim import BcSim
from tests.contract.bc_sim.support import sim_config, small_shop

EXCLUDED = r"^/_sim/(faults|seed|reset|clock/advance)$"
EXAMPLES_PER_OPERATION = 3


def test_the_document_lists_every_surface() -> None:
    sim = BcSim()
    paths = sim.openapi_document()["paths"]
    tenant, env, company = sim.config.tenant, sim.config.environment, "companies({companyId})"
    standard, custom = (
        f"/v2.0/{tenant}/{env}/api/v2.0",
        f"/v2.0/{tenant}/{env}/api/scendIntegration/warehouse/v1.0",
    )
    expected = {
        f"/{tenant}/oauth2/v2.0/token",
        f"{standard}/{company}/salesOrders({{id}})/Microsoft.NAV.shipAndInvoice",
        f"{standard}/{company}/purchaseOrders({{id}})/Microsoft.NAV.receiveAndInvoice",
        f"{standard}/{company}/salesOrders({{id}})/salesOrderLines",
        f"{standard}/$batch",
        f"{standard}/subscriptions('{{subscriptionId}}')",
        f"{custom}/{company}/shipmentConfirmations({{id}})/Microsoft.NAV.post",
        f"{custom}/{company}/stockAdjustments",
        f"{custom}/$batch",
        "/_sim/reset",
        "/_sim/webhooks/flush",
    }
    assert expected <= set(paths)
    assert "post" not in paths[f"{standard}/{company}/salesShipments"]  # posted documents are read-only


def test_no_generated_request_makes_the_simulator_fail() -> None:
    # GIVEN the small shop, served in process, and every operation of its own OpenAPI document
    sim = BcSim(sim_config(handshake_timeout_seconds=0.2, requests_per_window=1_000_000))
    small_shop(sim)
    headers = {"Authorization": f"Bearer {sim.access_token()}"}
    schema = schemathesis.openapi.from_asgi("/openapi.json", sim.app).exclude(path_regex=EXCLUDED)
    operations = [result.ok() for result in schema.get_all_operations() if isinstance(result, Ok)]
    seen: list[tuple[str, int]] = []

    # WHEN a few cases per operation are generated and sent
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def fuzz(case: Case[Any]) -> None:
            response = case.call(headers=headers)
            seen.append((case.operation.label, response.status_code))
            # THEN no answer is a server error
            assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.text[:300]}"

        fuzz()
    # AND the run reached the handlers: every operation was called, with successes and refusals among them
    statuses = {status for _, status in seen}
    assert {label for label, _ in seen} == {op.label for op in operations}
    assert {200, 201, 400, 404} <= statuses
