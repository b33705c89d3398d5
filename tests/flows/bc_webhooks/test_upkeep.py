"""Subscription upkeep against the BC simulator, with the real doorbell answering BC on loopback.

Real components: the BC simulator over HTTPS (handshakes, expiry, deletion on a refused
notification), the BC client, the doorbell handler, the local broker, the exception store on Azurite.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from local.bc_sim import BcSim, FaultPlan, FaultRule
from shared.bc.client import BcClient
from shared.bc.errors import BcAccessDenied
from shared.bc.models import Subscription
from shared.flows.bc_subscriptions import SUBSCRIPTION_LOST, Outcome, Upkeep, keep_subscriptions
from shared.store.exceptions import ExceptionStatus, ExceptionStore, SyncException
from tests.contract.bc.support import released_order, seed
from tests.flows.bc_webhooks.support import FUNCTION_KEY, Doorbell, queued

DAY = 24 * 3600.0
LIFETIME = timedelta(days=3)


async def upkeep(
    bc: BcClient, exceptions: ExceptionStore, doorbell: Doorbell, sim: BcSim
) -> dict[str, Upkeep]:
    """One run of `renew_bc_subscriptions`, on BC's clock, for items and sales orders."""
    results = await keep_subscriptions(
        bc=bc,
        exceptions=exceptions,
        notification_url=doorbell.url,
        client_state=doorbell.client_state,
        clock=sim.clock.now,
    )
    return {result.entity_set: result for result in results}


def outcomes(results: dict[str, Upkeep]) -> dict[str, Outcome]:
    return {name: result.outcome for name, result in results.items()}


def ids(results: dict[str, Upkeep]) -> dict[str, str | None]:
    return {name: result.subscription_id for name, result in results.items()}


async def at_bc(bc: BcClient) -> dict[str, Subscription]:
    """BC's subscriptions by entity set."""
    return {s.resource.rsplit("/", 1)[-1]: s for s in await bc.subscriptions.list()}


async def lost(exceptions: ExceptionStore, entity_set: str) -> SyncException | None:
    return await exceptions.get("subscription", SUBSCRIPTION_LOST, entity_set)


# --- create, and BC's changes ring the doorbell -----------------------------------------------------


async def test_upkeep_creates_both_subscriptions_and_bc_changes_become_poll_requests(
    sim: BcSim, bc: BcClient, exceptions: ExceptionStore, doorbell: Doorbell
) -> None:
    # GIVEN a BC environment with no subscriptions
    # WHEN the upkeep runs
    results = await upkeep(bc, exceptions, doorbell, sim)
    # THEN both subscriptions exist, each after BC's handshake with the real doorbell
    assert outcomes(results) == {"items": Outcome.CREATED, "salesOrders": Outcome.CREATED}
    subscriptions = await at_bc(bc)
    assert sorted(subscriptions) == ["items", "salesOrders"]
    assert {(s.notification_url, s.client_state) for s in subscriptions.values()} == {
        (doorbell.url, doorbell.client_state)
    }
    assert (doorbell.handshakes, doorbell.statuses) == (2, [200, 200])
    # WHEN a sales order is released (with two new items) and BC sends its notifications
    released_order(sim)
    (delivery,) = await sim.webhooks.deliver_due(everything=True)
    # THEN the doorbell accepted them and one poll request waits for each of the two polls
    assert (delivery.status, delivery.outcome) == (202, "delivered")
    assert {n["changeType"] for n in delivery.notifications} == {"created"}
    assert [q.message_id for q in await queued(doorbell.transport)] == [
        "poll-request:poll_bc_items:20261127T090000Z",
        "poll-request:poll_bc_sales_orders:20261127T090000Z",
    ]


async def test_a_collection_notice_from_bc_wakes_one_items_poll(
    sim: BcSim, bc: BcClient, exceptions: ExceptionStore, doorbell: Doorbell
) -> None:
    # GIVEN our subscriptions, and more items changed in BC's window than its collection threshold
    await upkeep(bc, exceptions, doorbell, sim)
    seed(sim, items=6)
    # WHEN BC sends its notification
    (delivery,) = await sim.webhooks.deliver_due(everything=True)
    # THEN it is one `collection` notice, accepted, and it wakes the items poll once
    (collection,) = delivery.notifications
    assert (collection["changeType"], delivery.status) == ("collection", 202)
    assert [q.message_id for q in await queued(doorbell.transport)] == [
        "poll-request:poll_bc_items:20261127T090000Z"
    ]


# --- renew ----------------------------------------------------------------------------------------------


async def test_a_subscription_with_more_than_a_day_to_live_is_left_alone(
    sim: BcSim, bc: BcClient, exceptions: ExceptionStore, doorbell: Doorbell
) -> None:
    first = await upkeep(bc, exceptions, doorbell, sim)
    sim.clock.advance(1 * DAY)  # two days left
    second = await upkeep(bc, exceptions, doorbell, sim)
    assert outcomes(second) == {"items": Outcome.KEPT, "salesOrders": Outcome.KEPT}
    assert ids(second) == ids(first)
    assert doorbell.handshakes == 2  # the creates' only: nothing was sent to BC


async def test_subscriptions_are_renewed_within_a_day_of_expiry(
    sim: BcSim, bc: BcClient, exceptions: ExceptionStore, doorbell: Doorbell
) -> None:
    # GIVEN our subscriptions, two days and one minute old (23 h 59 min left)
    first = await upkeep(bc, exceptions, doorbell, sim)
    now = sim.clock.advance(2 * DAY + 60)
    # WHEN the upkeep runs
    second = await upkeep(bc, exceptions, doorbell, sim)
    # THEN both are renewed in place (BC repeated the handshake) for three days from now
    assert outcomes(second) == {"items": Outcome.RENEWED, "salesOrders": Outcome.RENEWED}
    assert ids(second) == ids(first)
    assert doorbell.handshakes == 4
    for subscription in (await at_bc(bc)).values():
        assert subscription.expiration_date_time is not None
        assert abs((subscription.expiration_date_time - (now + LIFETIME)).total_seconds()) < 5


# --- re-create --------------------------------------------------------------------------------------------


async def test_a_subscription_bc_deleted_is_created_again(
    sim: BcSim, bc: BcClient, exceptions: ExceptionStore, doorbell: Doorbell
) -> None:
    # GIVEN BC deleted the items subscription (a refused notification, or by hand)
    first = await upkeep(bc, exceptions, doorbell, sim)
    items_id = first["items"].subscription_id
    assert items_id is not None
    sim.webhooks.delete(items_id)
    # WHEN the upkeep runs
    second = await upkeep(bc, exceptions, doorbell, sim)
    # THEN items has a new subscription; sales orders kept theirs
    assert outcomes(second) == {"items": Outcome.CREATED, "salesOrders": Outcome.KEPT}
    subscriptions = await at_bc(bc)
    assert subscriptions["items"].subscription_id not in (None, items_id)


async def test_subscriptions_that_expired_are_created_again(
    sim: BcSim, bc: BcClient, exceptions: ExceptionStore, doorbell: Doorbell
) -> None:
    await upkeep(bc, exceptions, doorbell, sim)
    sim.clock.advance(3 * DAY + 1)  # the upkeep did not run for three days: BC let them expire
    again = await upkeep(bc, exceptions, doorbell, sim)
    assert outcomes(again) == {"items": Outcome.CREATED, "salesOrders": Outcome.CREATED}
    assert sorted(await at_bc(bc)) == ["items", "salesOrders"]


async def test_a_subscription_deleted_between_list_and_renew_is_recreated(
    sim: BcSim, bc: BcClient, exceptions: ExceptionStore, doorbell: Doorbell, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN subscriptions due for renewal, and BC deletes each one just before our PATCH reaches it
    await upkeep(bc, exceptions, doorbell, sim)
    sim.clock.advance(2.5 * DAY)
    renew = bc.subscriptions.renew

    async def deleted_first(subscription: Subscription) -> Subscription:
        sim.webhooks.delete(subscription.subscription_id)
        return await renew(subscription)

    monkeypatch.setattr(bc.subscriptions, "renew", deleted_first)
    # WHEN the upkeep runs
    results = await upkeep(bc, exceptions, doorbell, sim)
    # THEN the renewal's 404 leads to a new subscription each
    assert outcomes(results) == {"items": Outcome.RECREATED, "salesOrders": Outcome.RECREATED}
    assert sorted(await at_bc(bc)) == ["items", "salesOrders"]


async def test_an_in_doubt_create_is_found_not_duplicated(
    sim: BcSim, bc: BcClient, exceptions: ExceptionStore, doorbell: Doorbell
) -> None:
    # GIVEN BC commits the first create but the reply is lost
    rule = FaultRule(method="POST", path="*/subscriptions", commit_then_drop_rate=1, times=1)
    sim.faults.set(FaultPlan(rules=[rule]))
    results = await upkeep(bc, exceptions, doorbell, sim)
    # THEN the upkeep finds it instead of creating a second one
    assert outcomes(results) == {"items": Outcome.CREATED, "salesOrders": Outcome.CREATED}
    assert len(await bc.subscriptions.list()) == 2


async def test_two_subscriptions_of_ours_for_one_entity_set_become_one(
    sim: BcSim, bc: BcClient, exceptions: ExceptionStore, doorbell: Doorbell
) -> None:
    # GIVEN two items subscriptions to our URL (two upkeep runs raced)
    resource = bc.subscriptions.resource("items")
    await bc.subscriptions.create(resource, doorbell.url, doorbell.client_state)
    sim.clock.advance(60)
    newer = await bc.subscriptions.create(resource, doorbell.url, doorbell.client_state)
    # WHEN the upkeep runs
    results = await upkeep(bc, exceptions, doorbell, sim)
    # THEN the one that lives longer is kept and the other deleted
    assert outcomes(results)["items"] is Outcome.KEPT
    assert ids(results)["items"] == newer.subscription_id
    assert [s.subscription_id for s in await bc.subscriptions.list() if s.resource == resource] == [
        newer.subscription_id
    ]


# --- clientState rotation -----------------------------------------------------------------------------


async def test_a_new_client_state_is_renewed_onto_the_subscriptions(
    sim: BcSim, bc: BcClient, exceptions: ExceptionStore, doorbell: Doorbell
) -> None:
    # GIVEN subscriptions with the old clientState, and BC_WEBHOOK_CLIENT_STATE rotated
    await upkeep(bc, exceptions, doorbell, sim)
    doorbell.client_state = "rotated-client-state-0002"
    # WHEN the upkeep runs (long before expiry)
    results = await upkeep(bc, exceptions, doorbell, sim)
    # THEN both carry the new state, and BC's next notification is accepted
    assert outcomes(results) == {"items": Outcome.RENEWED, "salesOrders": Outcome.RENEWED}
    assert {s.client_state for s in (await at_bc(bc)).values()} == {"rotated-client-state-0002"}
    seed(sim, items=1)
    (delivery,) = await sim.webhooks.deliver_due(everything=True)
    assert delivery.status == 202


async def test_a_notification_refused_for_its_client_state_costs_only_latency(
    sim: BcSim, bc: BcClient, exceptions: ExceptionStore, doorbell: Doorbell
) -> None:
    # GIVEN the clientState was rotated but the upkeep has not run yet
    await upkeep(bc, exceptions, doorbell, sim)
    doorbell.client_state = "rotated-client-state-0002"
    # WHEN BC notifies a change with the old state
    seed(sim, items=1)
    (delivery,) = await sim.webhooks.deliver_due(everything=True)
    # THEN the doorbell refuses it (401, nothing enqueued) and BC deletes that subscription
    assert (delivery.status, delivery.outcome) == (401, "subscription-deleted")
    assert await queued(doorbell.transport) == []
    assert sorted(await at_bc(bc)) == ["salesOrders"]
    # AND the next upkeep creates it again with the new state (the items poll reads the change anyway)
    results = await upkeep(bc, exceptions, doorbell, sim)
    assert outcomes(results) == {"items": Outcome.CREATED, "salesOrders": Outcome.RENEWED}


# --- SUBSCRIPTION_LOST ----------------------------------------------------------------------------------


async def test_a_notification_url_that_fails_the_handshake_opens_subscription_lost_until_it_works(
    sim: BcSim, bc: BcClient, exceptions: ExceptionStore, doorbell: Doorbell
) -> None:
    # GIVEN our endpoint answers 503 (the app is down), so BC's handshake fails
    doorbell.down = True
    # WHEN the upkeep runs
    results = await upkeep(bc, exceptions, doorbell, sim)
    # THEN BC has no subscription and SUBSCRIPTION_LOST is open once for each entity set, for IT
    assert outcomes(results) == {"items": Outcome.LOST, "salesOrders": Outcome.LOST}
    assert await bc.subscriptions.list() == []
    for name in ("items", "salesOrders"):
        row = await lost(exceptions, name)
        assert row is not None
        assert (row.status, row.count, row.owner) == (ExceptionStatus.OPEN, 1, "IT")
        assert row.detail == (
            f"The {name} subscription: BC refused to create it (POST subscriptions → HTTP 400 "
            f"Application_DialogException). Until it is back, {name} changes arrive with the next poll "
            "instead of within a minute."
        )
        assert FUNCTION_KEY not in row.detail
        assert doorbell.base_url not in row.detail
    # WHEN the endpoint is back and the upkeep runs again
    doorbell.down = False
    again = await upkeep(bc, exceptions, doorbell, sim)
    # THEN the subscriptions exist and the exceptions are resolved
    assert outcomes(again) == {"items": Outcome.CREATED, "salesOrders": Outcome.CREATED}
    for name in ("items", "salesOrders"):
        row = await lost(exceptions, name)
        assert row is not None
        assert (row.status, row.count, row.resolution) == (
            ExceptionStatus.RESOLVED,
            1,
            "subscription created by the upkeep",
        )


async def test_a_refused_renewal_is_lost_while_the_old_subscription_still_runs(
    sim: BcSim, bc: BcClient, exceptions: ExceptionStore, doorbell: Doorbell
) -> None:
    # GIVEN subscriptions due for renewal, and our endpoint failing the handshake
    first = await upkeep(bc, exceptions, doorbell, sim)
    sim.clock.advance(2.5 * DAY)
    doorbell.down = True
    # WHEN the upkeep runs twice
    await upkeep(bc, exceptions, doorbell, sim)
    results = await upkeep(bc, exceptions, doorbell, sim)
    # THEN the exception counts both runs and says when the subscription stops; BC still has it
    assert outcomes(results) == {"items": Outcome.LOST, "salesOrders": Outcome.LOST}
    row = await lost(exceptions, "items")
    assert row is not None
    expires = first["items"].expires_at
    assert expires is not None
    assert row.count == 2
    assert "BC refused to renew it (PATCH subscriptions → HTTP 400 Application_DialogException)" in row.detail
    assert f"it stops at {expires:%Y-%m-%dT%H:%M:%SZ}" in row.detail
    assert sorted(await at_bc(bc)) == ["items", "salesOrders"]
    # WHEN the endpoint is back
    doorbell.down = False
    again = await upkeep(bc, exceptions, doorbell, sim)
    # THEN they are renewed and the exception is resolved
    assert outcomes(again) == {"items": Outcome.RENEWED, "salesOrders": Outcome.RENEWED}
    row = await lost(exceptions, "items")
    assert row is not None
    assert row.status is ExceptionStatus.RESOLVED


async def test_a_temporary_bc_failure_while_the_subscription_lives_is_only_deferred(
    sim: BcSim, bc: BcClient, exceptions: ExceptionStore, doorbell: Doorbell
) -> None:
    # GIVEN subscriptions due for renewal, and BC answering every PATCH with 503
    await upkeep(bc, exceptions, doorbell, sim)
    sim.clock.advance(2.5 * DAY)
    sim.faults.set(FaultPlan(rules=[FaultRule(method="PATCH", path="*subscriptions*", error_rate=1)]))
    # WHEN the upkeep runs
    results = await upkeep(bc, exceptions, doorbell, sim)
    # THEN it waits for the next run: no exception, as each subscription still has half a day to live
    assert outcomes(results) == {"items": Outcome.DEFERRED, "salesOrders": Outcome.DEFERRED}
    assert (await exceptions.list_page()).items == []


async def test_a_temporary_bc_failure_that_leaves_no_subscription_is_lost(
    sim: BcSim, bc: BcClient, exceptions: ExceptionStore, doorbell: Doorbell
) -> None:
    # GIVEN BC answers every create with 503
    sim.faults.set(FaultPlan(rules=[FaultRule(method="POST", path="*/subscriptions", error_rate=1)]))
    # WHEN the upkeep runs
    results = await upkeep(bc, exceptions, doorbell, sim)
    # THEN there is no doorbell for either, and that is reported
    assert outcomes(results) == {"items": Outcome.LOST, "salesOrders": Outcome.LOST}
    row = await lost(exceptions, "salesOrders")
    assert row is not None
    assert row.count == 1
    assert "could not be created (RateLimited: POST subscriptions → HTTP 503" in row.detail


async def test_subscribing_to_an_entity_set_without_a_poll_flow_is_a_configuration_error(
    bc: BcClient, exceptions: ExceptionStore, doorbell: Doorbell, sim: BcSim
) -> None:
    with pytest.raises(ValueError, match="no poll flow for entity sets \\['customers'\\]"):
        await keep_subscriptions(
            bc=bc,
            exceptions=exceptions,
            notification_url=doorbell.url,
            client_state=doorbell.client_state,
            clock=sim.clock.now,
            resources=("items", "customers"),
        )


async def test_bc_unreachable_for_the_list_defers_everything_without_an_exception(
    sim: BcSim, bc: BcClient, exceptions: ExceptionStore, doorbell: Doorbell
) -> None:
    # GIVEN live subscriptions, and BC answering every subscription read with 503
    await upkeep(bc, exceptions, doorbell, sim)
    sim.faults.set(FaultPlan(rules=[FaultRule(method="GET", path="*subscriptions*", error_rate=1)]))
    # WHEN the upkeep runs
    results = await upkeep(bc, exceptions, doorbell, sim)
    # THEN it cannot tell what BC has, so it leaves everything to the next run
    assert outcomes(results) == {"items": Outcome.DEFERRED, "salesOrders": Outcome.DEFERRED}
    assert (await exceptions.list_page()).items == []


async def test_bc_refusing_the_list_opens_subscription_lost_for_each_entity_set(
    sim: BcSim, bc: BcClient, exceptions: ExceptionStore, doorbell: Doorbell, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN the app registration may no longer read subscriptions
    async def forbidden() -> list[Subscription]:
        raise BcAccessDenied("GET subscriptions", 403, "Authorization_InsufficientPermissions")

    monkeypatch.setattr(bc.subscriptions, "list", forbidden)
    # WHEN the upkeep runs
    results = await upkeep(bc, exceptions, doorbell, sim)
    # THEN both entity sets are reported lost, with BC's reason
    assert outcomes(results) == {"items": Outcome.LOST, "salesOrders": Outcome.LOST}
    row = await lost(exceptions, "items")
    assert row is not None
    assert row.detail.startswith(
        "The items subscription: BC refused to list the subscriptions "
        "(GET subscriptions → HTTP 403 Authorization_InsufficientPermissions)."
    )
