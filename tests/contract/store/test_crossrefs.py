"""CrossReferenceStore against Azurite: both rows in one transaction, ETag guards, lookups both ways."""

from __future__ import annotations

from typing import Any

import pytest
from azure.data.tables.aio import TableClient

from shared.errors import ConcurrencyConflict
from shared.store.crossrefs import CrossReference, CrossReferenceStore
from tests.contract.store.support import T0, Clock, all_pages, raw_rows


def order(bc_id: str = "b5d1", scend_id: str | None = "SC-77", **fields: Any) -> CrossReference:
    values: dict[str, Any] = {"kind": "sales_order", "bc_id": bc_id, "scend_id": scend_id,
                              "bc_number": "SO1001", "state": "released", "created_at": T0}  # fmt: skip
    return CrossReference.model_validate(values | fields)


async def test_a_new_reference_is_found_by_either_id(
    crossrefs: CrossReferenceStore, crossref_table: TableClient, clock: Clock
) -> None:
    # GIVEN an order BC knows as b5d1 and Scend as SC-77
    ref = order(content_hash="h1", version=3, tracking={"parcels": ["TRK1"]})
    # WHEN it is saved
    saved = await crossrefs.save(ref)
    # THEN both lookups return exactly the saved record, and the partition holds exactly two rows
    assert saved.etag is not None
    assert saved == ref.model_copy(update={"etag": saved.etag, "updated_at": clock.now})
    assert await crossrefs.get_by_bc("sales_order", "b5d1") == saved
    assert await crossrefs.get_by_scend("sales_order", "SC-77") == saved
    rows = await raw_rows(crossref_table)
    assert sorted(rows) == ["sales_order/bc|b5d1", "sales_order/scend|SC-77"]
    assert rows["sales_order/scend|SC-77"]["bc_id"] == "b5d1"


async def test_a_second_creator_gets_a_conflict_and_the_first_record_stands(
    crossrefs: CrossReferenceStore, crossref_table: TableClient
) -> None:
    # GIVEN worker A created the reference
    first = await crossrefs.save(order(state="released"))
    before = await raw_rows(crossref_table)
    # WHEN worker B, which also found none, creates it too
    with pytest.raises(ConcurrencyConflict):
        await crossrefs.save(order(state="sent"))
    # THEN nothing changed: A's record stands
    assert await raw_rows(crossref_table) == before
    assert await crossrefs.get_by_bc("sales_order", "b5d1") == first


async def test_a_stale_copy_is_refused_and_writes_nothing(
    crossrefs: CrossReferenceStore, crossref_table: TableClient
) -> None:
    # GIVEN a saved reference, read by worker B, then changed by worker A
    stale = await crossrefs.save(order())
    await crossrefs.save(stale.model_copy(update={"state": "accepted"}))
    before = await raw_rows(crossref_table)
    # WHEN B saves its stale copy with a new Scend id
    with pytest.raises(ConcurrencyConflict):
        await crossrefs.save(stale.model_copy(update={"state": "cancelled", "scend_id": "SC-99"}))
    # THEN neither row changed and no pointer for SC-99 appeared
    assert await raw_rows(crossref_table) == before
    assert await crossrefs.get_by_scend("sales_order", "SC-99") is None


async def test_a_write_landing_inside_the_save_fails_the_whole_transaction(
    crossrefs: CrossReferenceStore, crossref_table: TableClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a saved reference, and worker A that will write it just before B's transaction is sent
    # (after B's read), so only the If-Match inside B's transaction can catch it
    saved = await crossrefs.save(order())
    submit = crossref_table.submit_transaction
    interleaved = False

    async def a_writes_first(operations: Any, **kwargs: Any) -> Any:
        nonlocal interleaved
        if not interleaved:
            interleaved = True
            await submit([("update", {"PartitionKey": "sales_order", "RowKey": "bc|b5d1", "state": "by A"})])
        return await submit(operations, **kwargs)

    monkeypatch.setattr(crossref_table, "submit_transaction", a_writes_first)
    # WHEN B moves the reference to Scend id SC-99 (update bc row, insert SC-99, delete SC-77)
    with pytest.raises(ConcurrencyConflict):
        await crossrefs.save(saved.model_copy(update={"state": "by B", "scend_id": "SC-99"}))
    # THEN none of B's three operations landed: A's state stands and the old pointer is intact
    assert interleaved
    rows = await raw_rows(crossref_table)
    assert sorted(rows) == ["sales_order/bc|b5d1", "sales_order/scend|SC-77"]
    assert rows["sales_order/bc|b5d1"]["state"] == "by A"
    assert rows["sales_order/bc|b5d1"]["scend_id"] == "SC-77"


async def test_a_new_reference_claiming_a_taken_scend_id_writes_neither_row(
    crossrefs: CrossReferenceStore, crossref_table: TableClient
) -> None:
    # GIVEN order b5d1 is Scend's SC-77
    await crossrefs.save(order())
    before = await raw_rows(crossref_table)
    # WHEN a new order c7e2 is saved claiming SC-77 too (its bc row would be fine on its own)
    with pytest.raises(ConcurrencyConflict):
        await crossrefs.save(order(bc_id="c7e2", bc_number="SO1002"))
    # THEN the transaction failed as a whole: no bc|c7e2 row, and SC-77 still points at b5d1
    assert await raw_rows(crossref_table) == before
    assert await crossrefs.get_by_bc("sales_order", "c7e2") is None
    found = await crossrefs.get_by_scend("sales_order", "SC-77")
    assert found is not None
    assert found.bc_id == "b5d1"


async def test_changing_the_scend_id_moves_the_pointer(
    crossrefs: CrossReferenceStore, crossref_table: TableClient
) -> None:
    # GIVEN order b5d1 known to Scend as SC-77
    saved = await crossrefs.save(order())
    # WHEN Scend re-keys it as SC-78
    moved = await crossrefs.save(saved.model_copy(update={"scend_id": "SC-78"}))
    # THEN SC-78 finds it, SC-77 finds nothing, and exactly the bc row and the new pointer exist
    assert moved.etag != saved.etag
    assert await crossrefs.get_by_scend("sales_order", "SC-78") == moved
    assert await crossrefs.get_by_scend("sales_order", "SC-77") is None
    assert sorted(await raw_rows(crossref_table)) == ["sales_order/bc|b5d1", "sales_order/scend|SC-78"]


async def test_a_reference_gets_its_pointer_when_scend_assigns_an_id(
    crossrefs: CrossReferenceStore, crossref_table: TableClient
) -> None:
    # GIVEN an order not yet accepted by Scend: only the bc row exists
    pending = await crossrefs.save(order(scend_id=None, state="sent"))
    assert sorted(await raw_rows(crossref_table)) == ["sales_order/bc|b5d1"]
    # WHEN Scend accepts it as SC-77 and the reference is saved again, twice
    accepted = await crossrefs.save(pending.model_copy(update={"scend_id": "SC-77", "state": "accepted"}))
    again = await crossrefs.save(accepted.model_copy(update={"state": "picking"}))
    # THEN the pointer exists and both lookups give the latest record
    assert sorted(await raw_rows(crossref_table)) == ["sales_order/bc|b5d1", "sales_order/scend|SC-77"]
    assert await crossrefs.get_by_scend("sales_order", "SC-77") == again
    assert await crossrefs.get_by_bc("sales_order", "b5d1") == again


async def test_a_pointer_to_a_record_that_moved_on_reads_as_absent(
    crossrefs: CrossReferenceStore, crossref_table: TableClient
) -> None:
    # GIVEN a leftover pointer SC-70 → b5d1 while b5d1 is now SC-77 (a reader racing a move sees this)
    await crossrefs.save(order())
    await crossref_table.create_entity(
        {"PartitionKey": "sales_order", "RowKey": "scend|SC-70", "bc_id": "b5d1"}
    )
    # WHEN SC-70 is looked up / THEN it belongs to no one
    assert await crossrefs.get_by_scend("sales_order", "SC-70") is None


async def test_ids_with_characters_table_keys_forbid_round_trip(
    crossrefs: CrossReferenceStore, crossref_table: TableClient
) -> None:
    # GIVEN ids holding / \ # ? ' % ~ and a control character
    bc_id, scend_id = "SO/1001#A?b\\c", "o'neil%20~7E\t1"
    # WHEN saved and looked up both ways
    saved = await crossrefs.save(order(bc_id=bc_id, scend_id=scend_id, kind="sales/order"))
    # THEN both lookups return the ids exactly, and the stored keys are escaped
    assert await crossrefs.get_by_bc("sales/order", bc_id) == saved
    assert await crossrefs.get_by_scend("sales/order", scend_id) == saved
    assert saved.bc_id == bc_id
    assert saved.scend_id == scend_id
    assert sorted(await raw_rows(crossref_table)) == [
        "sales~2Forder/bc|SO~2F1001~23A~3Fb~5Cc",
        "sales~2Forder/scend|o~27neil~2520~7E7E~091",
    ]


async def test_listing_pages_through_one_kind_with_continuation_tokens(
    crossrefs: CrossReferenceStore,
) -> None:
    # GIVEN seven orders (with Scend pointers) and one purchase order
    for n in range(7):
        await crossrefs.save(order(bc_id=f"o{n}", scend_id=f"S{n}", bc_number=f"SO{n}"))
    await crossrefs.save(order(kind="purchase_order", bc_id="p1", scend_id="P1"))
    # WHEN the orders are listed three at a time, following the continuation
    pages = await all_pages(lambda token: crossrefs.list_page("sales_order", page_size=3, continuation=token))
    # THEN every order appears once, in order, on pages of 3, 3 and 1, and nothing else does
    assert [[ref.bc_id for ref in page] for page in pages] == [["o0", "o1", "o2"], ["o3", "o4", "o5"], ["o6"]]
