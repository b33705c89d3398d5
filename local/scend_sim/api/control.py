"""The control surface under /_sim/: reset, seed, the clock, explicit warehouse work, faults,
webhook flushing and secrets, statistics. No API key; loopback only, like the whole simulator."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from local.scend_sim import seeding
from local.scend_sim.adjustments import USUAL_STATES, AdjustmentSpec
from local.scend_sim.api.pipeline import JSON, problem_response
from local.scend_sim.core import Simulator
from local.scend_sim.despatch import ParcelPlan
from local.scend_sim.faults import FaultPlan, HttpFault
from local.scend_sim.inbound import ReceiptPlan, Received
from local.scend_sim.models import control as c
from local.scend_sim.models.returns import ReturnLineIn
from local.scend_sim.orders import open_quantity
from local.scend_sim.problems import Problem, field_error, validation_problem
from local.scend_sim.returns import Arrived, Verdict

Answer = BaseModel | dict[str, Any] | list[Any] | None
Action = Callable[[Simulator, Request, bytes], Awaitable[Answer]]


def _parse[M: BaseModel](model: type[M], body: bytes) -> M:
    try:
        return model.model_validate_json(body if body.strip() else b"{}")
    except ValidationError as error:
        raise validation_problem(error) from None


def _dump(answer: Answer) -> bytes:
    if isinstance(answer, BaseModel):
        return answer.model_dump_json().encode()
    return json.dumps(answer, default=str).encode()


def _control(sim: Simulator, action: Action) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        request_id = sim.request_id()
        try:
            answer = await action(sim, request, await request.body())
        except Problem as problem:
            return problem_response(problem, request_id)
        if answer is None:
            return Response(status_code=204)
        return Response(_dump(answer), media_type=JSON)

    return endpoint


def _sync(work: Callable[[Simulator, Request, bytes], Answer]) -> Action:
    async def run(sim: Simulator, request: Request, body: bytes) -> Answer:
        return work(sim, request, body)

    return run


def _id(request: Request) -> str:
    return str(request.path_params["id"])


# Tenant


def health(sim: Simulator, request: Request, body: bytes) -> Answer:
    return {"status": "ok", "now": sim.state.now().isoformat(), "seed": sim.seed, "resets": sim.resets}


def reset(sim: Simulator, request: Request, body: bytes) -> Answer:
    given = _parse(c.ResetIn, body)
    sim.reset(given.seed, given.start_at)
    return health(sim, request, body)


def seed(sim: Simulator, request: Request, body: bytes) -> Answer:
    given = _parse(c.SeedIn, body)
    products = [*(seeding.DEMO_PRODUCTS if given.demo else ()), *given.products]
    stock = [*(seeding.DEMO_STOCK if given.demo else ())]
    stock += [seeding.Shelf(s.sku, s.available, s.quarantined, s.damaged) for s in given.stock]
    count, shelves = seeding.seed(sim.warehouse, products, stock)
    return {"products": count, "stock": shelves}


def config(sim: Simulator, request: Request, body: bytes) -> Answer:
    cfg = sim.config
    return {
        "api_key": cfg.api_key,
        "seed": sim.seed,
        "rate_limit_per_minute": sim.limiter.per_minute,
        "require_idempotency_key": cfg.require_idempotency_key,
        "service_codes": {code: dataclasses.asdict(s) for code, s in cfg.service_codes.items()},
        "countries": sorted(cfg.countries),
        "policy": dataclasses.asdict(cfg.policy),
        "webhook_backoff_seconds": list(cfg.webhook_backoff_seconds),
    }


# Clock


def clock(sim: Simulator, request: Request, body: bytes) -> Answer:
    return {"now": sim.state.now().isoformat(), "realtime": sim.realtime, "speed": sim.speed}


def advance(sim: Simulator, request: Request, body: bytes) -> Answer:
    done = sim.warehouse.advance(_parse(c.AdvanceIn, body).minutes)
    return {"now": done.now.isoformat(), "tasks_run": done.tasks_run}


def realtime(sim: Simulator, request: Request, body: bytes) -> Answer:
    given = _parse(c.RealtimeIn, body)
    sim.set_realtime(given.enabled, given.speed)
    return clock(sim, request, body)


# Orders


def pick(sim: Simulator, request: Request, body: bytes) -> Answer:
    return sim.warehouse.start_picking(_id(request))


def despatch(sim: Simulator, request: Request, body: bytes) -> Answer:
    given = _parse(c.DespatchIn, body)
    if given.parcels is None:
        order = sim.warehouse.order(_id(request))
        lines = [(line.line_ref, open_quantity(line)) for line in order.lines if open_quantity(line)]
        if not lines:
            raise Problem(
                422, "VALIDATION_FAILED", "nothing is open", errors=[field_error("parcels", "EMPTY", "")]
            )
        plans = [ParcelPlan(lines=lines)]
    else:
        plans = [
            ParcelPlan(
                [(line.line_ref, line.quantity) for line in parcel.lines],
                parcel.weight_kg,
                parcel.tracking_number,
            )
            for parcel in given.parcels
        ]
    return sim.warehouse.despatch(_id(request), plans, carrier=given.carrier, service=given.service)


# Stock


def adjustment(sim: Simulator, request: Request, body: bytes) -> Answer:
    given = _parse(c.AdjustmentIn, body)
    chosen = {"from_state", "to_state"} & given.model_fields_set
    states = None
    if chosen:
        source, target = USUAL_STATES.get(given.reason_code, (None, None))
        states = (
            given.from_state if "from_state" in chosen else source,
            given.to_state if "to_state" in chosen else target,
        )
    spec = AdjustmentSpec(
        sku=given.sku,
        reason_code=given.reason_code,
        quantity=given.quantity,
        states=states,
        reason_text=given.reason_text,
        count_ref=given.count_ref,
        source_ref=given.source_ref,
        batch=given.batch,
        user=given.user,
    )
    return sim.warehouse.adjust(spec)


def count(sim: Simulator, request: Request, body: bytes) -> Answer:
    given = _parse(c.CountIn, body)
    made = sim.warehouse.count(str(request.path_params["sku"]), given.counted, given.count_ref, given.user)
    return {"adjustment": made.model_dump(mode="json") if made else None}


def set_stock(sim: Simulator, request: Request, body: bytes) -> Answer:
    given = _parse(c.SetStockIn, body)
    sku = str(request.path_params["sku"])
    sim.warehouse.set_stock(sku, given.available, given.quarantined, given.damaged)
    return sim.state.ledger.level(sku).snapshot(sku, sim.state.now())


# Inbound


def arrive(sim: Simulator, request: Request, body: bytes) -> Answer:
    return sim.warehouse.arrive_asn(_id(request))


def receipt(sim: Simulator, request: Request, body: bytes) -> Answer:
    given = _parse(c.ReceiptIn, body)
    if given.lines is None:
        asn = sim.warehouse.asn(_id(request))
        lines = [
            Received(ref=line.line_ref, qty_received=line.qty_expected - line.qty_received)
            for line in asn.lines
            if line.qty_expected > line.qty_received
        ]
    else:
        lines = [
            Received(
                ref=line.line_ref,
                qty_received=line.qty_received,
                qty_damaged=line.qty_damaged,
                batch=line.batch,
                expiry=line.expiry,
            )
            for line in given.lines
        ]
    unexpected = [
        Received(
            sku=u.sku, qty_received=u.qty_received, qty_damaged=u.qty_damaged, batch=u.batch, expiry=u.expiry
        )
        for u in given.unexpected_lines
    ]
    return sim.warehouse.receive_asn(_id(request), ReceiptPlan(lines, unexpected, given.is_final))


# Returns


def _arrived(lines: list[ReturnLineIn]) -> list[Arrived]:
    return [Arrived(line.sku, line.quantity, line.customer_reason) for line in lines]


def return_arrives(sim: Simulator, request: Request, body: bytes) -> Answer:
    given = _parse(c.ReturnArrivalIn, body)
    return sim.warehouse.return_arrives(given.rma, given.order_reference, _arrived(given.lines))


def receive_return(sim: Simulator, request: Request, body: bytes) -> Answer:
    given = _parse(c.ReturnReceiveIn, body)
    return sim.warehouse.receive_return(_id(request), _arrived(given.lines or []))


def inspect_return(sim: Simulator, request: Request, body: bytes) -> Answer:
    given = _parse(c.InspectIn, body)
    verdicts = {
        line.line_no: Verdict(line.condition, line.disposition, line.notes, tuple(line.photo_urls))
        for line in given.lines
    }
    return sim.warehouse.inspect_return(_id(request), verdicts)


def complete_return(sim: Simulator, request: Request, body: bytes) -> Answer:
    return sim.warehouse.complete_return(_id(request))


# Faults


def get_faults(sim: Simulator, request: Request, body: bytes) -> Answer:
    return sim.faults.describe()


def put_faults(sim: Simulator, request: Request, body: bytes) -> Answer:
    sim.set_faults(_parse(FaultPlan, body))
    return sim.faults.describe()


def add_fault(sim: Simulator, request: Request, body: bytes) -> Answer:
    sim.faults.add(_parse(HttpFault, body))
    return sim.faults.describe()


def clear_faults(sim: Simulator, request: Request, body: bytes) -> Answer:
    sim.set_faults(FaultPlan())
    return sim.faults.describe()


# Webhooks


async def flush(sim: Simulator, request: Request, body: bytes) -> Answer:
    done = await sim.hub.flush(release_delayed=_parse(c.FlushIn, body).release_delayed)
    return dataclasses.asdict(done)


def deliveries(sim: Simulator, request: Request, body: bytes) -> Answer:
    return [dataclasses.asdict(attempt) for attempt in sim.hub.log]


def secrets(sim: Simulator, request: Request, body: bytes) -> Answer:
    return {"secrets": sim.hub.subscriptions.get(_id(request)).secrets}


def set_secrets(sim: Simulator, request: Request, body: bytes) -> Answer:
    sim.hub.subscriptions.set_secrets(_id(request), _parse(c.SecretsIn, body).secrets)
    return secrets(sim, request, body)


def rotate(sim: Simulator, request: Request, body: bytes) -> Answer:
    secret = sim.hub.subscriptions.rotate(_id(request), retire_old=_parse(c.RotateIn, body).retire_old)
    return {"secret": secret, "secrets": sim.hub.subscriptions.get(_id(request)).secrets}


def enable(sim: Simulator, request: Request, body: bytes) -> Answer:
    sim.hub.subscriptions.enable(_id(request))
    return sim.hub.subscriptions.get(_id(request)).resource()


# Statistics


def stats(sim: Simulator, request: Request, body: bytes) -> Answer:
    references = request.query_params.get("references", "true").lower() != "false"
    report = sim.stats.report(sim.state, references=references)
    report["webhooks"] = dict(sim.hub.counts) | {"pending": len(sim.hub.pending)}
    report["idempotency"] = {"stored": len(sim.idempotency), "replays": sim.idempotency.replays}
    return report


def clear_stats(sim: Simulator, request: Request, body: bytes) -> Answer:
    sim.stats.clear()
    return None


CONTROL: tuple[tuple[str, str, Action], ...] = (
    ("GET", "/health", _sync(health)),
    ("GET", "/config", _sync(config)),
    ("POST", "/reset", _sync(reset)),
    ("POST", "/seed", _sync(seed)),
    ("GET", "/clock", _sync(clock)),
    ("POST", "/clock/advance", _sync(advance)),
    ("POST", "/clock/realtime", _sync(realtime)),
    ("POST", "/orders/{id}/pick", _sync(pick)),
    ("POST", "/orders/{id}/despatch", _sync(despatch)),
    ("POST", "/adjustments", _sync(adjustment)),
    ("POST", "/stock/{sku}/count", _sync(count)),
    ("PUT", "/stock/{sku}", _sync(set_stock)),
    ("POST", "/asns/{id}/arrive", _sync(arrive)),
    ("POST", "/asns/{id}/receipts", _sync(receipt)),
    ("POST", "/returns", _sync(return_arrives)),
    ("POST", "/returns/{id}/receive", _sync(receive_return)),
    ("POST", "/returns/{id}/inspect", _sync(inspect_return)),
    ("POST", "/returns/{id}/complete", _sync(complete_return)),
    ("GET", "/faults", _sync(get_faults)),
    ("PUT", "/faults", _sync(put_faults)),
    ("POST", "/faults/http", _sync(add_fault)),
    ("DELETE", "/faults", _sync(clear_faults)),
    ("POST", "/webhooks/flush", flush),
    ("GET", "/webhooks/deliveries", _sync(deliveries)),
    ("GET", "/webhooks/{id}/secrets", _sync(secrets)),
    ("PUT", "/webhooks/{id}/secrets", _sync(set_secrets)),
    ("POST", "/webhooks/{id}/rotate", _sync(rotate)),
    ("POST", "/webhooks/{id}/enable", _sync(enable)),
    ("GET", "/stats", _sync(stats)),
    ("DELETE", "/stats", _sync(clear_stats)),
)


def control_routes(sim: Simulator) -> list[Route]:
    return [
        Route("/_sim" + path, _control(sim, action), methods=[method]) for method, path, action in CONTROL
    ]
