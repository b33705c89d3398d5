"""The demo scenario run by `make demo` against the local stack, and its summary."""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import httpx
from rich.console import Console
from rich.table import Table

from shared.bc.client import client_from_settings
from shared.messaging.factory import create_transport
from shared.messaging.queues import queue_specs
from shared.scend.rest import ContractRestAdapter
from shared.settings import load_settings
from shared.store.tables import TableNames, connect, ensure_tables

if TYPE_CHECKING:
    from local.stack import Endpoints


@dataclass
class Summary:
    """What the demo saw, step by step: a line per check and whether it held."""

    rows: list[tuple[str, str, bool]] = field(default_factory=list)

    def add(self, step: str, result: str, ok: bool) -> None:
        self.rows.append((step, result, ok))

    @property
    def passed(self) -> bool:
        return all(ok for _, _, ok in self.rows)


async def run_demo(endpoints: Endpoints, console: Console) -> bool:
    """Walk the stack end to end and print what happened and where to look."""
    summary = Summary()
    async with httpx.AsyncClient(base_url=endpoints.devhost, timeout=10.0) as http:
        await _step(summary, "Health through the dev host", _health(http, summary))
        await _step(summary, "Functions indexed from function_app.py", _functions(http, summary))
    await _step(summary, "Integration tables on Azurite", _tables(endpoints, summary))
    await _step(summary, "Queues", _queues(summary))
    await _step(summary, "Business Central (simulator)", _business_central(summary))
    await _step(summary, "Scend (simulator)", _scend(summary))
    _print(console, endpoints, summary)
    return summary.passed


async def _step(summary: Summary, name: str, step: Awaitable[None]) -> None:
    """Run one step; a failure is a red line in the summary (with the error's type), not a traceback."""
    try:
        await step
    except Exception as error:
        summary.add(name, f"failed: {type(error).__name__}: {error} (see .local/logs/)", False)


async def _health(http: httpx.AsyncClient, summary: Summary) -> None:
    reply = await http.get("/api/health")
    body = reply.json()
    summary.add(
        "Health through the dev host",
        f"GET /api/health → {reply.status_code}, version {body.get('version')}, "
        f"settings loaded: {body.get('settings_loaded')}",
        reply.status_code == 200 and body.get("settings_loaded") is True,
    )


async def _functions(http: httpx.AsyncClient, summary: Summary) -> None:
    status = (await http.get("/admin/host/status")).json()
    names = [f["name"] if isinstance(f, dict) else str(f) for f in status.get("functions", [])]
    summary.add("Functions indexed from function_app.py", ", ".join(names) or "none", bool(names))


async def _tables(endpoints: Endpoints, summary: Summary) -> None:
    async with connect(connection_string=endpoints.tables_connection_string) as service:
        names = TableNames()
        await ensure_tables(service, names)
        present = [t.name async for t in service.list_tables()]
    wanted = names.all()
    summary.add(
        "Integration tables on Azurite",
        ", ".join(name for name in wanted if name in present),
        all(name in present for name in wanted),
    )


async def _queues(summary: Summary) -> None:
    settings = load_settings()
    transport = create_transport(settings)
    try:
        depths = []
        for spec in queue_specs(settings):
            counts = await transport.counts(spec.name)
            depths.append(f"{spec.name} {counts.active}/{counts.scheduled}/{counts.dead_letter}")
    finally:
        await transport.close()
    summary.add("Queues (active/scheduled/dead-lettered)", "; ".join(depths), True)


async def _business_central(summary: Summary) -> None:
    """The BC client against the simulator: a token from the Entra stand-in, then paged reads."""
    async with client_from_settings(load_settings()) as bc:
        companies = await bc.master.companies()
        items = [item async for item in bc.master.iter_items()]
        released = [order async for order in bc.sales.iter_released_orders()]
    summary.add(
        "Business Central (simulator, HTTPS, client credentials)",
        f"company {companies[0].name if companies else '?'}: {len(items)} items, "
        f"{len(released)} released sales orders",
        bool(companies) and bool(items),
    )


async def _scend(summary: Summary) -> None:
    """The Scend contract adapter against the simulator: the stock snapshot, paged."""
    adapter = ContractRestAdapter.from_settings(load_settings())
    try:
        stock = await adapter.get_stock_snapshot()
    finally:
        await adapter.aclose()
    on_hand = sum(level.on_hand for level in stock)
    summary.add(
        "Scend (simulator, contract adapter)", f"{len(stock)} SKUs, {on_hand} units on hand", bool(stock)
    )


def _print(console: Console, endpoints: Endpoints, summary: Summary) -> None:
    table = Table(title="Demo summary", show_lines=False)
    table.add_column("Step")
    table.add_column("What happened")
    table.add_column("", justify="center")
    for step, result, ok in summary.rows:
        table.add_row(step, result, "[green]✓[/]" if ok else "[red]✗[/]")
    console.print(table)
    console.print(
        f"Where to look: logs in .local/logs/ (azurite, bc_sim, scend_sim, devhost); "
        f"simulator controls at {endpoints.bc}/_sim/ and {endpoints.scend}/_sim/ (local/README.md); "
        f"`make up` keeps the stack running with the dev host at {endpoints.devhost}."
    )
    console.print("[bold green]Demo passed.[/]" if summary.passed else "[bold red]Demo failed.[/]")
