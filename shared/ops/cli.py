"""`bcscend`: the operations command line (typer and rich), for IT and the on-call engineer.

    bcscend status                                   deep health and open exceptions by owner
    bcscend exceptions [--owner O] [--type T] [--kind K] [--status open|resolved|all]
    bcscend retry KIND TYPE KEY                      re-drive one exception's document
    bcscend resolve KIND TYPE KEY --reason "…"
    bcscend replay-dead-letters --queue Q [--dry-run]
    bcscend reconcile                                the stock reconciliation, now, with its reports
    bcscend backfill --since 2026-11-01              re-read BC items and orders changed since then

Settings come from the environment (the app settings); on a developer's machine, a
`local.settings.json` in the working directory fills in what the environment does not set.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from shared.flows import asn_export, item_export, order_changes
from shared.flows.poll_requests import PollContext, run_poll
from shared.flows.reconciliation import reconcile_stock, write_reports
from shared.messaging.envelope import Envelope
from shared.ops.api import OpsApi, ops_for
from shared.runtime import Runtime
from shared.settings import load_settings
from shared.store.exceptions import ExceptionStatus
from shared.store.watermarks import Watermark

app = typer.Typer(help="Operations for the Business Central ↔ Scend integration.", no_args_is_help=True)
console = Console()
BC_SOURCES = {  # each BC poll's watermark source, as its flow names it
    "poll_bc_items": item_export.SOURCE,
    "poll_bc_sales_orders": order_changes.SOURCE,
    "poll_bc_purchase_orders": asn_export.SOURCE,
}
BC_POLLS = tuple(BC_SOURCES)


def _local_settings(path: Path = Path("local.settings.json")) -> None:
    """Fill unset environment variables from a local.settings.json (a developer's machine)."""
    if not path.is_file():
        return
    values = json.loads(path.read_text(encoding="utf-8")).get("Values", {})
    for name, value in values.items():
        if value != "":
            os.environ.setdefault(name, str(value))


def _runtime() -> Runtime:
    """The runtime the commands work with (tests replace this to point at their own stores)."""
    _local_settings()
    return Runtime(load_settings())


def _run[T](work: Callable[[Runtime], Awaitable[T]]) -> T:
    async def main() -> T:
        runtime = RUNTIME()
        try:
            return await work(runtime)
        finally:
            await runtime.close()

    return asyncio.run(main())


RUNTIME: Callable[[], Runtime] = _runtime


@app.command()
def status() -> None:
    """BC and Scend reachable, queue depths, dead letters, watermark ages, open exceptions by owner."""

    async def work(runtime: Runtime) -> tuple[int, dict[str, Any], dict[str, int]]:
        ops = await ops_for(runtime)
        health = await ops.deep_health()
        owners: dict[str, int] = {}
        page = await ops.exceptions.list_page(status=ExceptionStatus.OPEN, page_size=1000)
        for row in page.items:
            owners[row.owner] = owners.get(row.owner, 0) + 1
        return health.status, json.loads(health.body), owners

    code, health, owners = _run(work)
    console.print(f"Business Central: {health['business_central']}   Scend: {health['scend']}")
    queues = Table("Queue", "Active", "Scheduled", "Dead letters", title="Queues")
    for name, counts in health["queues"].items():
        dead = counts["dead_letter"]
        queues.add_row(
            name, str(counts["active"]), str(counts["scheduled"]), f"[red]{dead}[/]" if dead else "0"
        )
    console.print(queues)
    marks = Table("Poll", "Last read", "Age (min)", title="Watermarks")
    for name, mark in health["watermarks"].items():
        marks.add_row(name, str(mark["last_success"] or "never"), str(mark["age_minutes"]))
    console.print(marks)
    by_owner = Table("Owner", "Open exceptions", title="Exceptions")
    for owner, count in sorted(owners.items()):
        by_owner.add_row(owner, str(count))
    console.print(by_owner)
    raise typer.Exit(0 if code == 200 else 1)


@app.command()
def exceptions(
    owner: Annotated[str | None, typer.Option(help="finance, warehouse ops, purchasing, …")] = None,
    type: Annotated[str | None, typer.Option("--type", help="a catalogue code")] = None,
    kind: Annotated[str | None, typer.Option(help="salesOrder, shipment, receipt, …")] = None,
    status: Annotated[str, typer.Option(help="open, resolved or all")] = "open",
    limit: Annotated[int, typer.Option(help="at most this many")] = 50,
) -> None:
    """The exceptions, newest problems first within each owner, with what to do."""
    query = {k: v for k, v in {"owner": owner, "type": type, "kind": kind, "status": status}.items() if v}
    query["page_size"] = str(min(limit, 200))

    async def work(runtime: Runtime) -> tuple[int, dict[str, Any]]:
        answer = await (await ops_for(runtime)).list_exceptions(query)
        return answer.status, json.loads(answer.body)

    code, body = _run(work)
    if code != 200:
        console.print(f"[red]{body.get('error')}[/]")
        raise typer.Exit(2)
    table = Table("Owner", "Type", "Kind", "Document", "Times", "Last seen", "What to do", title="Exceptions")
    for row in body["items"]:
        table.add_row(row["owner"], row["type"], row["kind"], row["business_key"], str(row["count"]),
                      str(row["last_seen"])[:16], row["fix_hint"])  # fmt: skip
    console.print(table)
    console.print(
        f"{len(body['items'])} shown" + (" (more: raise --limit)" if body.get("continuation") else "")
    )


@app.command()
def retry(kind: str, type: str, key: str) -> None:
    """Send one exception's document back through its flow."""
    answer = _run(lambda runtime: _call(runtime, lambda ops: ops.retry(kind, type, key)))
    _report(*answer)


@app.command()
def resolve(kind: str, type: str, key: str, reason: Annotated[str, typer.Option(help="why")]) -> None:
    """Close one exception by hand, saying why."""
    body = json.dumps({"reason": reason}).encode()
    _report(*_run(lambda runtime: _call(runtime, lambda ops: ops.resolve(kind, type, key, body))))


async def _call(runtime: Runtime, call: Callable[[OpsApi], Awaitable[Any]]) -> tuple[int, dict[str, Any]]:
    answer = await call(await ops_for(runtime))
    return answer.status, json.loads(answer.body)


def _report(code: int, body: dict[str, Any]) -> None:
    if code >= 400:
        console.print(f"[red]{body.get('error')}[/]")
        raise typer.Exit(2)
    console.print_json(data=body)


@app.command("replay-dead-letters")
def replay_dead_letters(
    queue: Annotated[str, typer.Option(help="the queue whose dead letters to replay")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="show what each would do; change nothing")
    ] = False,
) -> None:
    """Show each dead letter (why it died, what it is, what a replay does), then replay them."""

    async def work(runtime: Runtime) -> list[tuple[str, str, str]]:
        transport = runtime.transport()
        letters = await transport.peek_dead_letters(queue, max_messages=1000)
        done = []
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task(f"{queue}", total=len(letters))
            for letter in letters:
                what = _describe_letter(letter.body)
                if dry_run:
                    outcome = f"would go back to {queue} as a replay of {letter.message_id}"
                else:
                    outcome = (
                        f"replayed as {await transport.resubmit_dead_letter(queue, letter.sequence_number)}"
                    )
                done.append((f"{letter.dead_letter_reason or '?'}", what, outcome))
                progress.advance(task)
        return done

    rows = _run(work)
    table = Table("Why it died", "What it is", "What happens", title=f"Dead letters of {queue}")
    for row in rows:
        table.add_row(*row)
    console.print(table)
    console.print(f"{len(rows)} dead letter(s)" + (" (dry run: nothing changed)" if dry_run else ""))


def _describe_letter(body: bytes) -> str:
    try:
        envelope = Envelope.from_bytes(body)
    except ValueError:
        return f"not an envelope ({len(body)} bytes): a replay would be parked as MESSAGE_INVALID"
    return f"{envelope.kind} {envelope.key}" + (f" version {envelope.version}" if envelope.version else "")


@app.command()
def reconcile(
    reports: Annotated[
        Path | None, typer.Option(help="folder for the CSV and HTML (else REPORTS_DIR)")
    ] = None,
) -> None:
    """Run the stock reconciliation now and write its reports."""

    async def work(runtime: Runtime) -> tuple[Any, tuple[Path, Path] | None]:
        stores = await runtime.stores()
        summary = await reconcile_stock(
            scend=runtime.scend(), bc=runtime.bc(), watermarks=stores.watermarks,
            processed=stores.processed_events, exceptions=stores.exceptions,
            reconciliations=stores.reconciliations, clock=lambda: datetime.now(UTC),
        )  # fmt: skip
        folder = reports or runtime.settings.reports_dir
        written = await write_reports(stores.reconciliations, summary, folder) if folder else None
        return summary, written

    summary, written = _run(work)
    console.print(
        f"{summary.skus_compared} SKUs: {summary.matched} the same, {summary.in_flight} in flight, "
        f"{summary.explained} explained, [bold]{summary.unexplained} unexplained[/]"
    )
    if written:
        console.print(f"Reports: {written[0]} and {written[1]}")


@app.command()
def backfill(
    since: Annotated[str, typer.Option(help="a date, YYYY-MM-DD: re-read BC changes since then")],
) -> None:
    """Re-read BC items, sales and purchase orders changed since a date (each poll's watermark is
    moved back; the flows skip what they have already applied, so this is safe to run)."""
    try:
        start = datetime.combine(date.fromisoformat(since), time(0, tzinfo=UTC))
    except ValueError:
        console.print("[red]--since must be a date like 2026-11-01[/]")
        raise typer.Exit(2) from None

    async def work(runtime: Runtime) -> list[str]:
        stores = await runtime.stores()
        context = PollContext(
            bc=runtime.bc(), watermarks=stores.watermarks, transport=runtime.transport(),
            settings=runtime.settings, clock=lambda: datetime.now(UTC),
        )  # fmt: skip
        done = []
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("backfill", total=len(BC_POLLS))
            for flow in BC_POLLS:
                current = await stores.watermarks.get(flow, BC_SOURCES[flow])
                await stores.watermarks.save(
                    Watermark(flow=flow, source=BC_SOURCES[flow], value=start.isoformat(),
                              etag=current.etag if current else None)
                )  # fmt: skip
                result = await run_poll(flow, context)
                read, sent = (result.read, result.enqueued) if result else (0, 0)
                done.append(f"{flow}: {read} read, {sent} enqueued")
                progress.advance(task)
        return done

    for line in _run(work):
        console.print(line)


def main() -> None:
    app(prog_name="bcscend")


if __name__ == "__main__":
    main()
