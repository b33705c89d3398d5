"""JSON `$batch` (reference §5, L-BATCH): up to 100 operations run in order through the same handler;
`Isolation: snapshot` makes the batch all-or-nothing (every response is still returned).

Fault rules apply to the operations inside a batch as well as to the batch itself (a rule for
`*shipAndInvoice` fires whether the action comes alone or in a batch): an error or a throttle
answers that operation only; a commit-then-drop runs the whole batch and then loses its answer,
which is what a client sees when BC committed and the connection broke.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from local.bc_sim.api import Api, Call, Reply
from local.bc_sim.errors import BcError
from local.bc_sim.faults import Decision
from local.bc_sim.routing import ApiRoot

INNER_HEADERS = {"content-type": "application/json; odata.metadata=minimal", "odata-version": "4.0"}


@dataclass
class InnerFaults:
    """The fault plan as the operations of one batch meet it; `lose_answer` once one of them says so."""

    decide: Callable[[str, str], Decision | None]  # (method, path) → the plan's decision
    record: Callable[[str, str, str], None]  # (method, path, fault) → statistics
    lose_answer: str | None = None
    fired: list[str] = field(default_factory=list)


async def run_batch(api: Api, call: Call, root: ApiRoot, faults: InnerFaults | None = None) -> Reply:
    try:
        requests = _requests(call, api.config.max_batch_operations)
    except BcError as error:
        return Reply.error(error)
    atomic = call.headers.get("isolation", "").strip().lower() == "snapshot"
    if atomic and any(_is_subscription(r) for r in requests):
        # A handshake awaits the network; other requests would then write inside this transaction.
        return Reply.error(BcError(400, "BadRequest", "Subscriptions cannot be changed in an atomic $batch."))
    responses: list[dict[str, Any]] = []
    with api.state.transaction() as tx:
        for request in requests:
            responses.append(await _run_one(api, call, root, request, faults))
        if atomic and any(r["status"] >= 400 for r in responses):
            tx.rollback_only = True
    return Reply(200, {"responses": responses})


def _requests(call: Call, limit: int) -> list[dict[str, Any]]:
    try:
        body = json.loads(call.body or b"null")
    except ValueError:
        raise BcError(400, "BadRequest", "Invalid Request Body") from None
    requests = body.get("requests") if isinstance(body, dict) else None
    if not isinstance(requests, list) or not all(isinstance(r, dict) for r in requests):
        raise BcError(400, "BadRequest", 'A JSON batch body is {"requests": [{"method", "url", ...}]}.')
    if len(requests) > limit:
        raise BcError(
            400, "BadRequest", f"The batch request has {len(requests)} operations; the maximum is {limit}."
        )
    for request in requests:
        if not isinstance(request.get("method"), str) or not isinstance(request.get("url"), str):
            raise BcError(400, "BadRequest", "Every batch operation needs a method and a url.")
        if not isinstance(request.get("headers", {}), dict):
            raise BcError(400, "BadRequest", "Batch operation headers must be an object.")
    return requests


def _is_subscription(request: dict[str, Any]) -> bool:
    return "subscriptions" in str(request.get("url", "")).split("?")[0]


async def _run_one(
    api: Api, outer: Call, root: ApiRoot, request: dict[str, Any], faults: InnerFaults | None
) -> dict[str, Any]:
    url = urllib.parse.urlsplit(request["url"])
    path = url.path if url.path.startswith("/") else f"{root.prefix}/{url.path}"
    headers = {str(k).lower(): str(v) for k, v in request.get("headers", {}).items()}
    body = request.get("body")
    call = Call(
        method=request["method"].upper(),
        path=path,
        query=dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True)),
        headers=headers,
        body=b"" if body is None else json.dumps(body).encode(),
        base_url=outer.base_url,
        principal=outer.principal,
    )
    decision = faults.decide(call.method, path) if faults is not None else None
    action = decision.action if decision is not None else None
    if path.endswith("/$batch"):
        reply = Reply.error(BcError(400, "BadRequest", "A $batch cannot contain another $batch."))
    elif action in ("error", "throttle"):
        assert decision is not None
        reply = Reply.error(_injected(decision))
    else:
        reply = await api.handle(call)
    if faults is not None and action is not None:
        faults.record(call.method, path, action)
        if action in ("drop", "commit_then_drop", "commit_then_hang"):
            faults.lose_answer = action
    response: dict[str, Any] = {
        "id": request.get("id"),
        "status": reply.status,
        "headers": {
            **(INNER_HEADERS if reply.body is not None else {}),
            **{k.lower(): v for k, v in reply.headers.items()},
        },
    }
    if reply.body is not None:
        response["body"] = reply.body
    return response


def _injected(decision: Decision) -> BcError:
    if decision.action == "throttle":
        return BcError(429, "Application_TooManyRequests", "Too many requests (injected fault).")
    return BcError(decision.status, "Internal_ServerError", "Injected fault inside a $batch.")
