"""The demo scenario run by `make demo` against the local stack, and its summary."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import httpx
from rich.console import Console
from rich.table import Table

from shared.messaging.factory import create_transport
from shared.messaging.queues import queue_specs
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
        await _health(http, summary)
        await _functions(http, summary)
    await _tables(endpoints, summary)
    await _queues(summary)
    _print(console, endpoints, summary)
    return summary.passed


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


def _print(console: Console, endpoints: Endpoints, summary: Summary) -> None:
    table = Table(title="Demo summary", show_lines=False)
    table.add_column("Step")
    table.add_column("What happened")
    table.add_column("", justify="center")
    for step, result, ok in summary.rows:
        table.add_row(step, result, "[green]✓[/]" if ok else "[red]✗[/]")
    console.print(table)
    console.print(
        f"Where to look: logs in .local/logs/ (azurite.log, devhost.log); "
        f"`make up` keeps the stack running with the dev host at {endpoints.devhost}."
    )
    console.print("[bold green]Demo passed.[/]" if summary.passed else "[bold red]Demo failed.[/]")
