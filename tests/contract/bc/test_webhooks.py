"""Webhook subscriptions against the simulator: create (with the handshake), renew, list, delete."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from local.bc_sim import BcSim, FaultPlan, FaultRule
from local.serving import LoopbackServer
from shared.bc.client import BcClient
from shared.bc.errors import BcRequestRejected
from shared.errors import ConcurrencyConflict, InDoubt
from tests.contract.bc.support import seed

CLIENT_STATE = "contract-test-client-state"


@dataclass
class Receiver:
    """Our notification endpoint: echoes `validationToken`, counts handshakes, refuses when told to."""

    url: str = ""
    handshakes: int = 0
    refuse: bool = False
    notifications: list[object] = field(default_factory=list)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    state = Receiver()

    async def notify(request: Request) -> Response:
        token = request.query_params.get("validationToken")
        if token is not None:
            state.handshakes += 1
            return PlainTextResponse(token, status_code=500 if state.refuse else 200)
        state.notifications.append(await request.json())
        return Response(status_code=202)

    server = LoopbackServer()
    await server.start(Starlette(routes=[Route("/api/bc/notifications", notify, methods=["GET", "POST"])]))
    state.url = f"{server.base_url}/api/bc/notifications"
    yield state
    await server.stop()


async def test_a_subscription_is_created_renewed_listed_and_deleted(
    sim: BcSim, bc: BcClient, receiver: Receiver
) -> None:
    resource = bc.subscriptions.resource("salesOrders")
    created = await bc.subscriptions.create(resource, receiver.url, CLIENT_STATE)
    assert (created.resource, created.notification_url, created.client_state) == (
        resource,
        receiver.url,
        CLIENT_STATE,
    )
    assert receiver.handshakes == 1
    sim.clock.advance(3600)
    renewed = await bc.subscriptions.renew(created)
    assert receiver.handshakes == 2
    assert renewed.expiration_date_time is not None
    assert created.expiration_date_time is not None
    assert (renewed.expiration_date_time - created.expiration_date_time).total_seconds() == pytest.approx(
        3600, abs=1
    )
    assert [s.subscription_id for s in await bc.subscriptions.list()] == [created.subscription_id]
    found = await bc.subscriptions.find(resource, receiver.url)
    assert found is not None
    assert found.subscription_id == created.subscription_id
    assert await bc.subscriptions.find(bc.subscriptions.resource("items"), receiver.url) is None
    assert (await bc.subscriptions.get(created.subscription_id)).etag == renewed.etag
    assert await bc.subscriptions.delete(renewed) is True
    assert await bc.subscriptions.list() == []
    assert await bc.subscriptions.delete(renewed) is False  # already gone: not an error


async def test_renewing_with_a_stale_etag_is_a_conflict(sim: BcSim, bc: BcClient, receiver: Receiver) -> None:
    created = await bc.subscriptions.create(bc.subscriptions.resource("items"), receiver.url, CLIENT_STATE)
    await bc.subscriptions.renew(created)
    with pytest.raises(ConcurrencyConflict):
        await bc.subscriptions.renew(created)


async def test_a_failed_handshake_refuses_the_subscription(
    sim: BcSim, bc: BcClient, receiver: Receiver
) -> None:
    receiver.refuse = True
    with pytest.raises(BcRequestRejected) as raised:
        await bc.subscriptions.create(bc.subscriptions.resource("items"), receiver.url, CLIENT_STATE)
    assert raised.value.bc_code == "Application_DialogException"
    assert await bc.subscriptions.list() == []


async def test_a_change_rings_the_doorbell_with_our_client_state(
    sim: BcSim, bc: BcClient, receiver: Receiver
) -> None:
    sub = await bc.subscriptions.create(bc.subscriptions.resource("items"), receiver.url, CLIENT_STATE)
    seed(sim, items=1)
    await sim.webhooks.deliver_due(everything=True)
    (body,) = receiver.notifications
    (notice,) = body["value"]  # type: ignore[index]
    assert notice["subscriptionId"] == sub.subscription_id
    assert notice["clientState"] == CLIENT_STATE
    assert notice["changeType"] == "created"


async def test_a_create_committed_then_dropped_is_in_doubt_and_found_not_duplicated(
    sim: BcSim, bc: BcClient, receiver: Receiver
) -> None:
    sim.faults.set(
        FaultPlan(rules=[FaultRule(method="POST", path="*/subscriptions", commit_then_drop_rate=1, times=1)])
    )
    resource = bc.subscriptions.resource("salesOrders")
    with pytest.raises(InDoubt):
        await bc.subscriptions.create(resource, receiver.url, CLIENT_STATE)
    assert receiver.handshakes == 1
    found = await bc.subscriptions.find(resource, receiver.url)
    assert found is not None
    assert len(await bc.subscriptions.list()) == 1
