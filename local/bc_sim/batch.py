"""JSON `$batch` (reference §5, L-BATCH): up to 100 operations run in order through the same handler;
`Isolation: snapshot` makes the batch all-or-nothing (every response is still returned).
"""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

from local.bc_sim.api import Api, Call, Reply
from local.bc_sim.errors import BcError
from local.bc_sim.routing import ApiRoot

INNER_HEADERS = {"content-type": "application/json; odata.metadata=minimal", "odata-version": "4.0"}


async def run_batch(api: Api, call: Call, root: ApiRoot) -> Reply:
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
            responses.append(await _run_one(api, call, root, request))
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


async def _run_one(api: Api, outer: Call, root: ApiRoot, request: dict[str, Any]) -> dict[str, Any]:
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
    if path.endswith("/$batch"):
        reply = Reply.error(BcError(400, "BadRequest", "A $batch cannot contain another $batch."))
    else:
        reply = await api.handle(call)
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
