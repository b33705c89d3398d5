"""The `bcscend` command line against real stores (Azurite), a local broker file and the simulators."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner, Result

from local.azurite import Azurite
from local.bc_sim import BcSim
from shared.messaging.envelope import Envelope
from shared.messaging.local import LocalTransport
from shared.messaging.queues import queue_specs
from shared.messaging.transport import OutboundMessage
from shared.ops import cli
from shared.runtime import Runtime
from shared.settings import Settings
from shared.store.exceptions import ExceptionStore
from shared.store.tables import TableNames
from tests.contract.bc.support import settings_for
from tests.flows.conftest import ScendTenant

QUEUE = "scend-returns"


@pytest.fixture
async def settings(served_bc: BcSim, scend_tenant: ScendTenant, azurite: Azurite, tmp_path: Path) -> Settings:
    served_bc.reset()
    return settings_for(
        served_bc,
        scend_base_url=scend_tenant.sim.base_url,
        scend_api_key=scend_tenant.sim.api_key,
        tables_connection_string=azurite.connection_string,
        messaging_transport="local",
        local_transport_path=str(tmp_path / "transport.sqlite3"),
    )


@pytest.fixture
def bcscend(settings: Settings, table_names: TableNames, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """The CLI, on this test's tables and broker file."""
    monkeypatch.setattr(cli, "RUNTIME", lambda: Runtime(settings, table_names))
    monkeypatch.setattr(cli, "console", Console(width=200))  # no wrapping of codes in the tables
    return CliRunner()


async def invoke(runner: CliRunner, *args: str) -> Result:
    return await asyncio.to_thread(runner.invoke, cli.app, list(args), catch_exceptions=False)


async def test_exceptions_lists_what_each_owner_has_to_do(
    bcscend: CliRunner, table_service: object, table_names: TableNames
) -> None:
    exceptions = ExceptionStore(table_service.get_table_client(table_names.sync_exceptions))  # type: ignore[attr-defined]
    await exceptions.record("stock", "STOCK_VARIANCE", "SKU-1", detail="Scend has 3 more")
    await exceptions.record("shipment", "ORPHANED_FULFILMENT", "shp_9", detail="no such order")
    result = await invoke(bcscend, "exceptions", "--owner", "finance")
    assert result.exit_code == 0, result.output
    assert "STOCK_VARIANCE" in result.output
    assert "ORPHANED_FULFILMENT" not in result.output
    assert "1 shown" in result.output


async def test_replay_dead_letters_shows_first_and_changes_nothing_on_a_dry_run(
    bcscend: CliRunner, settings: Settings
) -> None:
    broker = LocalTransport(settings.local_transport_path, queue_specs(settings))
    try:
        body = Envelope(kind="return", key="ret_1", version="inspected").to_bytes()
        await broker.send(QUEUE, [OutboundMessage(body=body, message_id="return:ret_1:inspected")])
        async with broker.receiver(QUEUE, max_wait=0) as receiver:
            assert receiver is not None
            (message,) = await receiver.receive(max_messages=1, max_wait=0)
            await receiver.dead_letter(message, "MaxDeliveryCountExceeded", "the worker died on it")
        dry = await invoke(bcscend, "replay-dead-letters", "--queue", QUEUE, "--dry-run")
        assert dry.exit_code == 0, dry.output
        assert "MaxDeliveryCountExceeded" in dry.output
        assert "return ret_1 version inspected" in dry.output
        assert "dry run: nothing changed" in dry.output
        assert (await broker.counts(QUEUE)).dead_letter == 1
        real = await invoke(bcscend, "replay-dead-letters", "--queue", QUEUE)
        assert real.exit_code == 0, real.output
        counts = await broker.counts(QUEUE)
        assert (counts.dead_letter, counts.active) == (0, 1)
    finally:
        await broker.close()


async def test_status_reports_both_systems_reachable(bcscend: CliRunner) -> None:
    result = await invoke(bcscend, "status")
    assert result.exit_code == 0, result.output
    assert "Business Central: reachable" in result.output
    assert "Scend: reachable" in result.output


async def test_backfill_moves_the_bc_polls_back_and_runs_them(bcscend: CliRunner) -> None:
    result = await invoke(bcscend, "backfill", "--since", "2026-11-01")
    assert result.exit_code == 0, result.output
    for flow in ("poll_bc_items", "poll_bc_sales_orders", "poll_bc_purchase_orders"):
        assert f"{flow}:" in result.output
    bad = await invoke(bcscend, "backfill", "--since", "last week")
    assert bad.exit_code == 2
