"""The operations API and dashboard over real stores and simulators: problems appear once with their
owner, meaning, fix hint and BC link; retry re-drives a fixed document; resolve records why; the
timeline and deep health answer; the dashboard renders in headless Chromium."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

from local.bc_sim.orders import set_status
from shared.ops.api import OpsApi
from shared.ops.dashboard import render_dashboard
from tests.flows.warehouse.support import Sent, Warehouse

ARTIFACTS = Path("test-artifacts")


async def over_despatched(warehouse: Warehouse) -> tuple[Sent, str, str]:
    """An order at Scend despatched with one unit more than ordered: QUANTITY_MISMATCH."""
    cat = await warehouse.catalogue(1)
    order = await warehouse.sent_order(cat, [(cat.items[0], 2)])
    (line,) = order.lines
    shipment = warehouse.despatch(order, [[(line, 3)]])
    await warehouse.poll("shipments")
    await warehouse.drain_shipments()
    return order, line, shipment.id


async def test_a_problem_is_listed_once_with_owner_meaning_hint_and_link(
    warehouse: Warehouse, ops: OpsApi
) -> None:
    order, _, shipment_id = await over_despatched(warehouse)
    answer = await ops.list_exceptions({"owner": "warehouse ops"})
    assert answer.status == 200
    (row,) = json.loads(answer.body)["items"]
    assert (row["type"], row["business_key"], row["owner"], row["count"]) == (
        "QUANTITY_MISMATCH", shipment_id, "warehouse ops", 1
    )  # fmt: skip
    assert row["meaning"].startswith("Scend reported more despatched")
    assert row["fix_hint"]
    assert row["retryable"] is True
    assert "page=42" in row["bc_link"]
    assert order.number in row["bc_link"]
    assert "payload" not in row  # a parked payload may hold personal data: never served
    assert json.loads((await ops.list_exceptions({"owner": "finance"})).body)["items"] == []
    assert (await ops.list_exceptions({"status": "nonsense"})).status == 400


async def test_retry_re_drives_a_fixed_document_and_its_success_resolves_the_exception(
    warehouse: Warehouse, ops: OpsApi
) -> None:
    order, line, shipment_id = await over_despatched(warehouse)
    # WHEN the order is corrected in BC (the customer did get 3) and the exception retried
    docs = warehouse.world.bc_sim.docs
    set_status(docs, "salesOrders", order.id, "Draft")
    docs.modify("salesOrderLines", docs.state.lines("salesOrderLines", order.id)[0]["id"], {"quantity": 3})
    set_status(docs, "salesOrders", order.id, "Open")
    answer = await ops.retry("shipment", "QUANTITY_MISMATCH", shipment_id)
    assert answer.status == 202
    await warehouse.drain_shipments()
    # THEN it posted and the exception resolved by itself
    assert warehouse.shipped(order) == {line: 3}
    assert await warehouse.world.open_exceptions() == []
    again = await ops.retry("shipment", "QUANTITY_MISMATCH", shipment_id)
    assert again.status == 409  # resolved: nothing to retry


async def test_resolve_needs_a_reason_and_records_it(warehouse: Warehouse, ops: OpsApi) -> None:
    _, _, shipment_id = await over_despatched(warehouse)
    assert (await ops.resolve("shipment", "QUANTITY_MISMATCH", shipment_id, b"{}")).status == 400
    done = await ops.resolve("shipment", "QUANTITY_MISMATCH", shipment_id, b'{"reason": "agreed with Scend"}')
    assert done.status == 200
    assert json.loads(done.body)["resolution"] == "by hand: agreed with Scend"
    assert (await ops.resolve("shipment", "NO_SUCH_TYPE", shipment_id, b'{"reason": "x"}')).status == 404


async def test_timeline_and_deep_health_answer(warehouse: Warehouse, ops: OpsApi) -> None:
    cat = await warehouse.catalogue(1)
    order = await warehouse.sent_order(cat, [(cat.items[0], 1)])
    warehouse.despatch(order)
    await warehouse.poll("shipments")
    await warehouse.drain_shipments()
    timeline = json.loads((await ops.timeline(order.number)).body)
    assert [step["stage"] for step in timeline["steps"]][:3] == ["released", "accepted", "despatched"]
    assert (await ops.timeline("NO-SUCH-ORDER")).status == 404
    health = await ops.deep_health()
    body = json.loads(health.body)
    assert health.status == 200
    assert (body["business_central"], body["scend"]) == ("reachable", "reachable")
    assert body["queues"]["scend-shipments"] == {"active": 0, "scheduled": 0, "dead_letter": 0}
    assert "poll_scend_shipments/scend" in body["watermarks"]
    assert (await ops.latest_reconciliation()).status == 404


async def test_the_dashboard_renders_in_headless_chromium(
    warehouse: Warehouse, ops: OpsApi, tmp_path: Path
) -> None:
    await over_despatched(warehouse)
    page = await render_dashboard(ops)
    html = tmp_path / "dashboard.html"
    await asyncio.to_thread(html.write_text, page, "utf-8")
    chromium = shutil.which("chromium")
    assert chromium is not None, "Chromium is needed: `make test` installs Debian's chromium"
    await asyncio.to_thread(ARTIFACTS.mkdir, exist_ok=True)
    screenshot = ARTIFACTS / "dashboard.png"
    flags = ["--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,900"]
    dom = await run(chromium, *flags, "--dump-dom", html.as_uri())
    assert 'data-owner="warehouse ops"' in dom
    assert 'data-type="QUANTITY_MISMATCH"' in dom
    assert "Check the despatch with Scend" in dom  # the fix hint
    assert 'data-stage="despatched"' in dom
    await run(chromium, *flags, f"--screenshot={screenshot.resolve()}", html.as_uri())
    assert (await asyncio.to_thread(screenshot.stat)).st_size > 10_000


async def run(*command: str) -> str:
    process = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL
    )
    out, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, command[-1]
    return out.decode()
