"""An order deleted in Business Central is cancelled at Scend: BC's `deleted` notice, the one change
a watermark poll cannot see, travels doorbell → poll-requests → the order's own session."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from shared.flows.bc_notifications import (
    DELETION_KIND,
    Notice,
    NotificationRequest,
    deletions_in,
    receive_bc_notification,
)
from shared.flows.order_release import OrderOutcome
from shared.flows.poll_requests import PollContext, handle_poll_request
from shared.messaging.envelope import Envelope
from shared.messaging.local import LocalTransport
from shared.messaging.queues import queue_specs
from shared.settings import Settings
from tests.contract.bc.support import EXAMPLE
from tests.flows.orders.support import World

COMPANY_PATH = "/api/v2.0/companies(1f2e3d4c-5b6a-4789-9abc-def012345678)"


def app_settings() -> Settings:
    values = {k.lower(): v for k, v in json.loads(EXAMPLE.read_text())["Values"].items() if v != ""}
    values.pop("servicebusconnection", None)
    return Settings.model_validate(values)


FIXED = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)  # for what only compares notices with each other


def deleted_notice(order_id: str, resource_set: str = "salesOrders", at: datetime | None = None) -> Notice:
    """BC's deleted notice, stamped `at` (default: now). A deletion must be newer than the order version
    the flow applied, so scenarios stamp it with the BC simulator's clock (shared by the session's
    tests, it runs ahead of real time); the transport schedules by the real clock."""
    return Notice(
        client_state="ours",
        resource=f"{COMPANY_PATH}/{resource_set}({order_id})",
        change_type="deleted",
        last_modified_date_time=at or datetime.now(UTC),
    )


def test_only_deleted_sales_order_notices_become_deletions() -> None:
    order_id = "6a1b2c3d-0000-4000-8000-000000000001"
    notices = [
        deleted_notice(order_id, at=FIXED),
        deleted_notice(order_id, at=FIXED),  # BC may repeat one
        deleted_notice(order_id, "items", at=FIXED),
        Notice(
            client_state="ours", resource=f"{COMPANY_PATH}/salesOrders({order_id})", change_type="updated"
        ),
        Notice(client_state="ours", resource=f"{COMPANY_PATH}/salesOrders", change_type="deleted"),
    ]
    (deletion,) = deletions_in(notices, datetime(2026, 11, 28, tzinfo=UTC))
    envelope = Envelope.from_bytes(deletion.message().body)
    assert (envelope.kind, envelope.key, envelope.payload) == (
        DELETION_KIND,
        order_id,
        {"entity_set": "salesOrders"},
    )
    assert deletion.message().message_id == f"{DELETION_KIND}:{order_id}:2026-11-28T09:00:00+00:00"


async def test_a_deleted_order_is_cancelled_at_scend_through_its_session(world: World) -> None:
    # GIVEN an order released in BC and sent to Scend
    cat = await world.catalogue(1)
    order = world.release(cat, [(cat.items[0], 2)])
    await world.poll()
    await world.drain()
    (sent,) = world.scend_orders(order["number"])
    assert sent.status == "accepted"
    # WHEN BC notifies its deletion and the poll-request consumer forwards it
    world.tick()  # BC stamps the deletion with its own clock, after the order's last change
    notice = deleted_notice(order["id"], at=world.bc_sim.clock.now())
    (deletion,) = deletions_in([notice], datetime.now(UTC))
    context = PollContext(
        bc=world.bc,
        watermarks=world.watermarks,
        transport=world.transport,
        settings=app_settings(),
        clock=world.clock,
    )
    assert await handle_poll_request(Envelope.from_bytes(deletion.message().body), context=context) is None
    await world.drain()
    # THEN the Scend order is cancelled and the cross-reference says so, under the BC number
    (cancelled,) = world.scend_orders(order["number"])
    assert cancelled.status == "cancelled"
    ref = await world.cross_references.get_by_bc("salesOrder", order["id"])
    assert ref is not None
    assert ref.state == "cancelled"
    assert world.outcomes[-1] == OrderOutcome.CANCELLED


async def test_an_order_bc_deletes_after_scend_despatched_all_of_it_is_closed_not_a_problem(
    world: World,
) -> None:
    # GIVEN an order sent to Scend and despatched there in full, before the despatch flow has
    # written "despatched in full" on its cross-reference (the posting's deletion overtook it)
    from local.scend_sim.despatch import ParcelPlan

    cat = await world.catalogue(1)
    order = world.release(cat, [(cat.items[0], 2)])
    await world.poll()
    await world.drain()
    (sent,) = world.scend_orders(order["number"])
    world.scend_sim.warehouse.despatch(sent.id, [ParcelPlan(lines=[(sent.lines[0].line_ref, 2)])])
    # WHEN BC's deletion of the invoiced order arrives
    world.tick()  # BC stamps the deletion with its own clock, after the order's last change
    notice = deleted_notice(order["id"], at=world.bc_sim.clock.now())
    (deletion,) = deletions_in([notice], datetime.now(UTC))
    context = PollContext(
        bc=world.bc, watermarks=world.watermarks, transport=world.transport, settings=app_settings(),
        clock=world.clock,
    )  # fmt: skip
    assert await handle_poll_request(Envelope.from_bytes(deletion.message().body), context=context) is None
    await world.drain()
    # THEN nothing is cancelled and nobody is told: the order simply closed
    assert world.outcomes[-1] == OrderOutcome.IGNORED
    (still,) = world.scend_orders(order["number"])
    assert still.status == "despatched"
    assert [e.type for e in await world.open_exceptions()] == []


async def test_the_doorbell_enqueues_the_deletion_beside_the_poll_request() -> None:
    settings = app_settings()
    (spec,) = [s for s in queue_specs(settings) if s.name == settings.poll_requests_queue]
    transport = LocalTransport(":memory:", [spec])
    order_id = "6a1b2c3d-0000-4000-8000-000000000001"
    notice = deleted_notice(order_id)
    body = {"value": [{**notice.model_dump(by_alias=True, mode="json"), "clientState": "s" * 20}]}
    reply = await receive_bc_notification(
        NotificationRequest(method="POST", body=json.dumps(body).encode()),
        client_state="s" * 20,
        transport=transport,
        queue=spec.name,
        clock=lambda: notice.last_modified_date_time + timedelta(seconds=5),
    )
    assert reply.status == 202
    counts = await transport.counts(spec.name)
    assert (counts.active, counts.scheduled) == (1, 1)  # the deletion now; the poll at the bucket's end
    async with transport.receiver(spec.name) as receiver:
        assert receiver is not None
        (now,) = await receiver.receive(max_messages=5, max_wait=0.05)
    assert Envelope.from_bytes(now.body).kind == DELETION_KIND
    await transport.close()
