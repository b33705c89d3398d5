"""The control surface under `/_sim/` (no auth): reset, seed, release/reopen/delete orders, faults,
statistics, webhook flush and the clock. Documented in local/bc_sim/README.md."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from local.bc_sim import orders
from local.bc_sim.clock import wire_datetime
from local.bc_sim.errors import BcError
from local.bc_sim.faults import FaultPlan
from local.bc_sim.seed import SeedRequest

if TYPE_CHECKING:
    from local.bc_sim.server import BcSim

ORDER_SETS = ("salesOrders", "purchaseOrders")
type Handler = Callable[[Request], Awaitable[Response]]


class ResetRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    seed: SeedRequest | None = Field(None, description="seed a catalogue after the reset")


class AdvanceRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    seconds: float = Field(ge=0, le=30 * 24 * 3600)


def _guarded(handler: Handler) -> Handler:
    async def run(request: Request) -> Response:
        try:
            return await handler(request)
        except BcError as error:
            return JSONResponse(error.body(), status_code=error.status)
        except ValidationError as error:
            detail = json.loads(error.json(include_url=False, include_input=False))
            return JSONResponse(
                {"error": {"code": "BadRequest", "message": "Invalid body", "details": detail}}, 400
            )

    return run


async def _body[M: BaseModel](request: Request, model: type[M], *, optional: bool = False) -> M:
    raw = await request.body()
    if optional and not raw.strip():
        return model()
    try:
        data = json.loads(raw)
    except ValueError:
        raise BcError(400, "BadRequest", "The body must be JSON.") from None
    return model.model_validate(data)


def routes(sim: BcSim) -> list[Route]:
    docs = sim.docs

    async def reset(request: Request) -> Response:
        body = await _body(request, ResetRequest, optional=True)
        sim.reset()
        created = sim.seed(body.seed) if body.seed is not None else {}
        return JSONResponse({"reset": True, "created": created})

    async def seed(request: Request) -> Response:
        return JSONResponse({"created": sim.seed(await _body(request, SeedRequest, optional=True))})

    def order(request: Request) -> tuple[str, dict[str, Any]]:
        entity_set, key = request.path_params["set"], request.path_params["key"]
        if entity_set not in ORDER_SETS:
            raise BcError(
                404, "BadRequest_ResourceNotFound", f"Only {' and '.join(ORDER_SETS)} can be changed here."
            )
        row = docs.state.get(entity_set, key) or docs.state.find(entity_set, "number", key)
        if row is None:
            raise BcError(404, "Internal_RecordNotFound", f"No {entity_set[:-1]} with id or number '{key}'.")
        return entity_set, row

    async def release(request: Request) -> Response:
        entity_set, row = order(request)
        orders.set_status(docs, entity_set, row["id"], orders.RELEASED)
        return JSONResponse({"id": row["id"], "number": row["number"], "status": row["status"]})

    async def reopen(request: Request) -> Response:
        entity_set, row = order(request)
        orders.set_status(docs, entity_set, row["id"], orders.DRAFT)
        return JSONResponse({"id": row["id"], "number": row["number"], "status": row["status"]})

    async def delete_order(request: Request) -> Response:
        entity_set, row = order(request)
        docs.remove(entity_set, row["id"])
        return Response(status_code=204)

    async def faults(request: Request) -> Response:
        if request.method == "PUT":
            sim.faults.set(await _body(request, FaultPlan))
        elif request.method == "DELETE":
            sim.faults.set(FaultPlan())
        return JSONResponse(sim.faults.snapshot())

    async def stats(request: Request) -> Response:
        if request.method == "DELETE":
            sim.stats.reset()
        return JSONResponse(sim.statistics())

    async def webhooks(request: Request) -> Response:
        return JSONResponse(sim.webhooks.snapshot())

    async def flush(request: Request) -> Response:
        delivered = await sim.webhooks.deliver_due(everything=True)
        return JSONResponse({"deliveries": [d.as_json() for d in delivered]})

    async def clock(request: Request) -> Response:
        return JSONResponse({"now": wire_datetime(sim.clock.now())})

    async def advance(request: Request) -> Response:
        body = await _body(request, AdvanceRequest)
        try:
            sim.clock.advance(body.seconds)
        except ValueError as error:
            raise BcError(400, "BadRequest", str(error)) from None
        delivered = await sim.webhooks.deliver_due()
        return JSONResponse(
            {"now": wire_datetime(sim.clock.now()), "deliveries": [d.as_json() for d in delivered]}
        )

    async def inventory(request: Request) -> Response:
        items = docs.state.tables["items"].rows
        return JSONResponse(
            [
                {
                    "itemId": item_id,
                    "itemNumber": items[item_id]["number"] if item_id in items else "",
                    "locationCode": location,
                    "quantity": quantity,
                }
                for (item_id, location), quantity in sorted(docs.state.stock_at.items())
            ]
        )

    async def config(request: Request) -> Response:
        return JSONResponse(sim.describe())

    table: list[tuple[str, Handler, list[str]]] = [
        ("/_sim/reset", reset, ["POST"]),
        ("/_sim/seed", seed, ["POST"]),
        ("/_sim/orders/{set}/{key}/release", release, ["POST"]),
        ("/_sim/orders/{set}/{key}/reopen", reopen, ["POST"]),
        ("/_sim/orders/{set}/{key}", delete_order, ["DELETE"]),
        ("/_sim/faults", faults, ["GET", "PUT", "DELETE"]),
        ("/_sim/stats", stats, ["GET", "DELETE"]),
        ("/_sim/webhooks", webhooks, ["GET"]),
        ("/_sim/webhooks/flush", flush, ["POST"]),
        ("/_sim/clock", clock, ["GET"]),
        ("/_sim/clock/advance", advance, ["POST"]),
        ("/_sim/inventory", inventory, ["GET"]),
        ("/_sim/config", config, ["GET"]),
    ]
    return [Route(path, _guarded(handler), methods=methods) for path, handler, methods in table]
