"""The order timeline on Azurite: a step written again is one step; steps read back oldest first."""

from __future__ import annotations

from azure.data.tables.aio import TableServiceClient

from shared.store.tables import TableNames
from shared.store.timeline import MAX_DETAIL_CHARS, OrderTimelineStore, Stage
from tests.contract.store.support import Clock


def store(table_service: TableServiceClient, table_names: TableNames, clock: Clock) -> OrderTimelineStore:
    return OrderTimelineStore(table_service.get_table_client(table_names.order_timeline), clock=clock)


async def test_steps_read_back_oldest_first_and_a_repeat_replaces_itself(
    table_service: TableServiceClient, table_names: TableNames, clock: Clock
) -> None:
    timeline = store(table_service, table_names, clock)
    await timeline.record("S-ORD/1:1", Stage.RELEASED, "R1", bc_order_id="id-1")
    await timeline.record(
        "S-ORD/1:1", Stage.ACCEPTED, "R1", bc_order_id="id-1", detail={"scend_order_id": "o1"}
    )
    clock.advance(minutes=5)
    await timeline.record("S-ORD/1:1", Stage.DESPATCHED, "shp_1", bc_order_id="id-1", detail={"parcels": [1]})
    # a retried message writes the same step again, with what it knows now
    await timeline.record(
        "S-ORD/1:1", Stage.DESPATCHED, "shp_1", bc_order_id="id-1", detail={"parcels": [1, 2]}
    )
    await timeline.record("S-ORD/2", Stage.RELEASED, "R1", bc_order_id="id-2")
    steps = await timeline.read("S-ORD/1:1")
    assert [(s.stage, s.reference) for s in steps] == [
        (Stage.RELEASED, "R1"), (Stage.ACCEPTED, "R1"), (Stage.DESPATCHED, "shp_1")
    ]  # fmt: skip
    assert steps[2].detail == {"parcels": [1, 2]}
    assert steps[1].at < steps[2].at


async def test_an_oversized_detail_is_cut_not_refused(
    table_service: TableServiceClient, table_names: TableNames, clock: Clock
) -> None:
    timeline = store(table_service, table_names, clock)
    await timeline.record(
        "S-1", Stage.DESPATCHED, "shp_9", bc_order_id="x", detail={"notes": "x" * MAX_DETAIL_CHARS}
    )
    (step,) = await timeline.read("S-1")
    assert step.detail["truncated"] is True
