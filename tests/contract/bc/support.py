"""Building clients for the simulator, seeding it, and reading its statistics."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from local.bc_sim import BcSim, SeedRequest
from shared.bc.client import BcClient, client_from_settings
from shared.ratelimit import RequestBudget
from shared.retry import Backoff
from shared.settings import Settings

EXAMPLE = Path(__file__).resolve().parents[3] / "local.settings.example.json"
FAST = Backoff(attempts=4, base_seconds=0.01, max_seconds=0.05, max_wait_seconds=30.0)


class Sleeps:
    """The client's pauses, recorded and not waited for (Retry-After would otherwise cost seconds)."""

    def __init__(self) -> None:
        self.pauses: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.pauses.append(seconds)


def settings_for(sim: BcSim, **overrides: Any) -> Settings:
    """The example settings pointed at the simulator: its URLs, identity, CA and a short timeout."""
    values = {k.lower(): v for k, v in json.loads(EXAMPLE.read_text())["Values"].items() if v != ""}
    values.pop("servicebusconnection", None)
    config = sim.config
    values.update(
        bc_api_base_url=sim.base_url,
        bc_authority_host=sim.base_url,
        bc_tenant_id=config.tenant,
        bc_environment=config.environment,
        bc_company_id=config.company_id,
        bc_client_id=config.client_id,
        bc_client_secret=config.client_secret,
        bc_ca_file=str(sim.ca_file),
        bc_request_timeout_seconds=5.0,
        bc_page_size=1000,
    )
    values.update(overrides)
    return Settings.model_validate(values)


def client_for(
    sim: BcSim,
    *,
    sleeps: Sleeps | None = None,
    backoff: Backoff = FAST,
    budget: RequestBudget | None = None,
    **overrides: Any,
) -> BcClient:
    return client_from_settings(
        settings_for(sim, **overrides), budget=budget, backoff=backoff, sleep=sleeps or Sleeps()
    )


def seed(sim: BcSim, **counts: Any) -> dict[str, list[dict[str, str]]]:
    """A small deterministic catalogue: nothing unless asked for."""
    return sim.seed(SeedRequest(**(_NOTHING | counts)))


def released_order(sim: BcSim, quantities: tuple[int, ...] = (3, 2), *, stock: int = 50) -> str:
    """GIVEN a released sales order with one item line per quantity (items in stock at SCEND); its number."""
    catalogue = seed(sim, items=len(quantities), customers=1, locations=1, opening_stock=stock)
    customer = catalogue["customers"][0]["number"]
    lines = [
        {"lineType": "Item", "lineObjectNumber": item["number"], "quantity": quantity}
        for item, quantity in zip(catalogue["items"], quantities, strict=True)
    ]
    order = {"customerNumber": customer, "status": "Open", "salesOrderLines": lines}
    created = sim.seed(SeedRequest(**_NOTHING, entities={"salesOrders": [order]}))
    return created["salesOrders"][0]["number"]


_NOTHING: dict[str, Any] = dict(
    items=0, customers=0, vendors=0, locations=0, shipment_methods=0, released_sales_orders=0,
    draft_sales_orders=0, released_purchase_orders=0, draft_purchase_orders=0, opening_stock=0,
)  # fmt: skip


def requests_to(sim: BcSim, route: str) -> dict[str, Any]:
    """Statistics of one route (`"POST /api/v2.0/companies({id})/salesCreditMemos"`) for our client."""
    principal = sim.statistics()["principals"].get(sim.config.client_id, {"routes": {}})
    return principal["routes"].get(route, {"requests": 0, "statuses": {}, "faults": {}})  # type: ignore[no-any-return]


def posted(sim: BcSim) -> dict[str, Any]:
    return sim.statistics()["posted"]  # type: ignore[no-any-return]
