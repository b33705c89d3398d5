"""A small FunctionApp for the dev host's end-to-end tests; every invocation is recorded in `calls`."""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.FUNCTION)

calls: defaultdict[str, list[Any]] = defaultdict(list)
in_flight = {"ordered": 0, "ordered_max": 0}


def reset() -> None:
    calls.clear()
    in_flight.update(ordered=0, ordered_max=0)


@app.route(route="hello", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
async def hello(req: func.HttpRequest) -> func.HttpResponse:
    calls["hello"].append(req.method)
    return func.HttpResponse("hello")


@app.route(route="keyed", methods=["GET"])
def keyed(req: func.HttpRequest) -> func.HttpResponse:
    """Sync on purpose: the host runs it in a thread. Function level, the app's default."""
    calls["keyed"].append(req.method)
    return func.HttpResponse("keyed")


@app.route(route="ops/secret", methods=["GET"], auth_level=func.AuthLevel.ADMIN)
async def admin_only(req: func.HttpRequest) -> func.HttpResponse:
    calls["admin_only"].append(req.method)
    return func.HttpResponse("admin")


@app.route(route="items/{category:alpha}/{id:int?}", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
async def item(req: func.HttpRequest) -> func.HttpResponse:
    body = {"route": dict(req.route_params), "query": dict(req.params)}
    return func.HttpResponse(json.dumps(body), mimetype="application/json")


@app.route(route="echo", methods=["POST", "PUT"], auth_level=func.AuthLevel.ANONYMOUS)
async def echo(req: func.HttpRequest) -> func.HttpResponse:
    response = func.HttpResponse(
        req.get_body(),
        status_code=201,
        headers={"X-Echo-Method": req.method, "X-Echo-Header": req.headers.get("x-probe", "")},
        mimetype="application/octet-stream",
    )
    response.headers.add_header("Set-Cookie", "a=1")
    response.headers.add_header("Set-Cookie", "b=2")
    return response


@app.route(route="boom", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
async def boom(req: func.HttpRequest) -> func.HttpResponse:
    raise RuntimeError("customer 4711 has no address")  # must reach the log, never the caller


@app.route(route="slow", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
async def slow(req: func.HttpRequest) -> func.HttpResponse:
    await asyncio.sleep(float(req.params.get("seconds", "0.3")))
    calls["slow"].append("done")
    return func.HttpResponse("slow")


@app.timer_trigger(schedule="%FIXTURE_TICK_SCHEDULE%", arg_name="timer")
async def tick(timer: func.TimerRequest) -> None:
    calls["tick"].append((datetime.now(UTC), timer.past_due))


@app.timer_trigger(schedule="0 0 3 * * *", arg_name="timer")
def nightly(timer: func.TimerRequest) -> None:
    calls["nightly"].append(timer.past_due)


@app.service_bus_queue_trigger(
    arg_name="msg", queue_name="%FIXTURE_PLAIN_QUEUE%", connection="ServiceBusConnection"
)
async def plain(msg: func.ServiceBusMessage) -> None:
    calls["plain"].append(msg)
    if msg.get_body() == b"poison":
        raise ValueError("poison body")


@app.service_bus_queue_trigger(
    arg_name="batch",
    queue_name="%FIXTURE_BATCH_QUEUE%",
    connection="ServiceBusConnection",
    cardinality=func.Cardinality.MANY,
)
async def batched(batch: list[func.ServiceBusMessage]) -> None:
    calls["batched"].append([m.get_body().decode() for m in batch])
    if any(m.get_body() == b"poison" for m in batch):
        raise ValueError("poison in the batch")


@app.function_name("ordered")
@app.service_bus_queue_trigger(
    arg_name="msg",
    queue_name="%FIXTURE_SESSION_QUEUE%",
    connection="ServiceBusConnection",
    is_sessions_enabled=True,
)
async def record_in_order(msg: func.ServiceBusMessage, context: func.Context) -> None:
    in_flight["ordered"] += 1
    in_flight["ordered_max"] = max(in_flight["ordered_max"], in_flight["ordered"])
    try:
        await asyncio.sleep(0.02)  # long enough for two sessions to overlap
        calls["ordered"].append((msg.session_id, msg.get_body().decode(), context.function_name))
    finally:
        in_flight["ordered"] -= 1
