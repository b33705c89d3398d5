"""The demo scenario run by `make demo` against the local stack, and its summary."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
from rich.console import Console
from rich.table import Table

from shared.bc.client import BcClient, client_from_settings
from shared.messaging.factory import create_transport
from shared.messaging.queues import queue_specs
from shared.scend.rest import ContractRestAdapter
from shared.settings import load_settings
from shared.store.exceptions import ExceptionStatus, ExceptionStore, SyncException
from shared.store.reconciliations import ReconciliationStore, RunSummary
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
    await _step(summary, "BC webhooks", _bc_webhooks(endpoints, summary))
    await _step(summary, "Items and orders to Scend", _items_and_orders(endpoints, summary))
    await _step(summary, "Despatches and returns back in BC", _despatch_and_returns(endpoints, summary))
    await _step(summary, "Stock and inbound", _stock_and_inbound(endpoints, summary))
    from local.demo_operations import documents_moved, operations

    await _step(summary, "Problems reach their owners", operations(endpoints, summary))
    _print(console, endpoints, summary)
    await _print_totals(console, endpoints, documents_moved)
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


async def _bc_webhooks(endpoints: Endpoints, summary: Summary) -> None:
    """Subscriptions made through the dev host's handshake; a released order rings the doorbell."""
    settings = load_settings()
    ca = str(settings.bc_ca_file) if settings.bc_ca_file else True
    async with (
        httpx.AsyncClient(base_url=endpoints.devhost, timeout=30.0) as host,
        httpx.AsyncClient(base_url=f"{endpoints.bc}/_sim", verify=ca, timeout=30.0) as sim,
    ):
        run = await host.post(
            "/admin/functions/renew_bc_subscriptions",
            json={"input": ""},
            headers={"x-functions-key": endpoints.master_key},
        )
        subscriptions = await _eventually(lambda: _subscriptions(sim), lambda found: len(found) >= 2)
        async with client_from_settings(settings) as bc:
            order = await anext(bc.sales.iter_released_orders())
        await sim.post(f"/orders/salesOrders/{order.id}/reopen")
        await sim.post(f"/orders/salesOrders/{order.id}/release")
        flushed = (await sim.post("/webhooks/flush")).json().get("deliveries", [])
    transport = create_transport(settings)
    try:
        counts = await transport.counts(settings.poll_requests_queue)
    finally:
        await transport.close()
    statuses = sorted({str(d.get("status")) for d in flushed})
    summary.add(
        "BC webhooks: subscriptions and the doorbell",
        f"renew_bc_subscriptions → {run.status_code}; subscribed to {', '.join(sorted(subscriptions))}; "
        f"order {order.number} reopened and released → {len(flushed)} notification batch(es) answered "
        f"{', '.join(statuses) or 'none'}; poll requests waiting: {counts.active + counts.scheduled}",
        run.status_code == 202
        and len(subscriptions) >= 2
        and bool(flushed)
        and counts.active + counts.scheduled >= 1,
    )


async def _items_and_orders(endpoints: Endpoints, summary: Summary) -> None:
    """Run the two polls now (as their timers would); items, then released orders, reach Scend."""
    settings = load_settings()
    master = {"x-functions-key": endpoints.master_key}
    async with client_from_settings(settings) as bc:
        item_numbers = {item.number async for item in bc.master.iter_items() if item.type == "Inventory"}
        released = {order.number async for order in bc.sales.iter_released_orders()}
    # Scend's side is read sparingly (its API allows 120 requests a minute, shared with the app) or
    # through the simulator's control surface, which has no limit.
    async with (
        httpx.AsyncClient(base_url=endpoints.devhost, timeout=30.0) as host,
        httpx.AsyncClient(
            base_url=endpoints.scend,
            headers={"Authorization": f"Bearer {settings.scend_api_key.get_secret_value()}"},
            timeout=30.0,
        ) as scend,
    ):
        # Orders first, on purpose: the warehouse does not know the items yet, so they are held.
        await host.post("/admin/functions/poll_bc_sales_orders", json={"input": ""}, headers=master)
        held_first = await _eventually(
            lambda: _exceptions(endpoints, kind="salesOrder"), lambda got: len(got) >= len(released)
        )
        await host.post("/admin/functions/poll_bc_items", json={"input": ""}, headers=master)
        skus = await _eventually(lambda: _scend_held(scend, "products"), lambda got: item_numbers <= got)
        references = await _eventually(
            lambda: _scend_held(scend, "orders"),
            lambda got: (
                sum(any(ref.startswith(f"{n}-") for ref in got) for n in released) >= len(released) - 1
            ),
        )
    arrived = {n for n in released if any(ref.startswith(f"{n}-") for ref in references)}
    # A sent order's exception is resolved just after its Scend write: wait for that too.
    exceptions = await _eventually(
        lambda: _exceptions(endpoints, kind="salesOrder"),
        lambda got: sum(e.status is ExceptionStatus.OPEN for e in got) <= len(released) - len(arrived),
    )
    held = [e for e in exceptions if e.status is ExceptionStatus.OPEN]
    released_after_hold = [
        e for e in exceptions if e.type == "SKU_NOT_IN_WMS" and e.status is ExceptionStatus.RESOLVED
    ]
    held_text = "; ".join(f"{e.type}: {(e.detail or '')[:70]}" for e in held) or "none"
    summary.add(
        "Items and released orders reach Scend (polls run from the dev host's admin endpoint)",
        f"{len(item_numbers & skus)}/{len(item_numbers)} inventory items are Scend products; "
        f"{len(arrived)}/{len(released)} released orders are Scend orders "
        f"({', '.join(sorted(references)[:2])}, …). Orders polled before the items: {len(held_first)} held; "
        f"{len(released_after_hold)} released by themselves once Scend confirmed their items; still "
        f"held, with an open exception: {held_text}",
        item_numbers <= skus and len(arrived) + len(held) == len(released) and bool(arrived),
    )


async def _despatch_and_returns(endpoints: Endpoints, summary: Summary) -> None:
    """Scend despatches two orders (one in full, one in part) and takes back a damaged unit; its
    signed webhooks reach the dev host; BC gets the shipments and one draft credit memo."""
    settings = load_settings()
    key = {"Authorization": f"Bearer {settings.scend_api_key.get_secret_value()}"}
    async with httpx.AsyncClient(base_url=endpoints.scend, headers=key, timeout=30.0) as scend:
        subscription = (
            await scend.post(
                "/v1/webhooks",
                headers={"Idempotency-Key": "demo-webhooks"},
                json={
                    "url": f"{endpoints.devhost}/api/scend/events",
                    "events": [
                        "shipment.despatched",
                        "return.received",
                        "return.inspected",
                        "stock.adjusted",
                        "receipt.created",
                    ],
                },
            )
        ).json()
        # Scend shows a new secret once; the stack's SCEND_WEBHOOK_SECRETS holds ours, so hand it over.
        await scend.put(
            f"/_sim/webhooks/{subscription['id']}/secrets", json={"secrets": settings.webhook_secrets}
        )
        references = sorted(await _scend_held(scend, "orders"))[:2]
        orders = [
            (await scend.get("/v1/orders", params={"client_reference": r})).json()["data"][0]
            for r in references
        ]
        full, part = orders
        # The BC items reached Scend as products without stock: the opening count puts BC's
        # inventory on Scend's shelves (a transfer in), so the two start in step.
        async with client_from_settings(settings) as bc:
            opening = {
                i.number: int(i.inventory or 0) async for i in bc.master.iter_items() if i.type == "Inventory"
            }
        for sku, units in opening.items():
            await scend.put(f"/_sim/stock/{sku}", json={"available": units})
        first = part["lines"][0]
        despatches = [
            await scend.post(f"/_sim/orders/{full['id']}/despatch", json={}),
            await scend.post(
                f"/_sim/orders/{part['id']}/despatch",
                json={"parcels": [{"lines": [{"line_ref": first["line_ref"], "quantity": 1}]}]},
            ),
        ]
        for answer in despatches:
            answer.raise_for_status()
        sku = full["lines"][0]["sku"]
        ret = (
            await scend.post("/_sim/returns", json={"order_reference": full["client_reference"],
                                                    "lines": [{"sku": sku, "quantity": 1}]})
        ).json()  # fmt: skip
        await scend.post(
            f"/_sim/returns/{ret['id']}/inspect",
            json={"lines": [{"line_no": 1, "condition": "DAMAGED", "disposition": "DISPOSED"}]},
        )
        flushed = (await scend.post("/_sim/webhooks/flush", json={})).json()
    numbers = [r.rsplit("-", 2)[0] for r in references]
    async with client_from_settings(settings) as bc:
        shipments = await _eventually(
            lambda: _posted_shipments(bc, numbers), lambda got: all(got.values()), within=30.0
        )
        memos = await _eventually(
            lambda: bc.sales.find_credit_memos(external_document_number=ret["id"]), bool, within=30.0
        )
    memo = memos[0] if memos else None
    summary.add(
        "Despatches and returns back in BC (Scend webhooks to the dev host)",
        f"webhooks delivered {flushed.get('delivered')}/{flushed.get('attempted')}; "
        + "; ".join(f"order {n}: {c} posted shipment(s)" for n, c in shipments.items())
        + f" (write-back {settings.bc_writeback_mode.value}); return {ret['id']} of {numbers[0]} → "
        + (f"draft credit memo {memo.number} ({memo.status})" if memo else "no credit memo"),
        all(shipments.values()) and memo is not None and memo.status == "Draft",
    )


async def _stock_and_inbound(endpoints: Endpoints, summary: Summary) -> None:
    """A released purchase order becomes an ASN and is received one unit short; Scend writes off a
    damaged unit; the nightly reconciliation runs now. Standard write-back: both reach people."""
    settings = load_settings()
    master = {"x-functions-key": endpoints.master_key}
    key = {"Authorization": f"Bearer {settings.scend_api_key.get_secret_value()}"}
    async with (
        httpx.AsyncClient(base_url=endpoints.devhost, timeout=30.0) as host,
        httpx.AsyncClient(base_url=endpoints.scend, headers=key, timeout=30.0) as scend,
    ):
        await host.post("/admin/functions/poll_bc_purchase_orders", json={"input": ""}, headers=master)
        asns = await _eventually(lambda: _scend_held(scend, "asns"), lambda got: bool(got), within=30.0)
        reference = sorted(asns)[0]
        asn = (await scend.get("/v1/asns", params={"client_reference": reference})).json()["data"][0]
        await scend.post(f"/_sim/asns/{asn['id']}/arrive", json={})
        # A short delivery: one unit of the first line never came, and the supplier said it was all.
        short = [
            {"line_ref": line["line_ref"], "qty_received": line["qty_expected"] - (1 if i == 0 else 0)}
            for i, line in enumerate(asn["lines"])
        ]
        receipt = (
            await scend.post(f"/_sim/asns/{asn['id']}/receipts", json={"lines": short, "is_final": True})
        ).json()
        sku = asn["lines"][0]["sku"]
        # A unit damaged on the shelf, then written off.
        for reason in ("DAMAGED_IN_WAREHOUSE", "WRITE_OFF"):
            adjustment = (
                await scend.post("/_sim/adjustments", json={"sku": sku, "reason_code": reason, "quantity": 1})
            ).json()
        await scend.post("/_sim/webhooks/flush", json={})
        proposals = await _eventually(
            lambda: _exceptions(endpoints, kind="receipt"), lambda got: bool(got), within=30.0
        )
        reviews = await _eventually(
            lambda: _exceptions(endpoints, kind="stock-adjustment"), lambda got: bool(got), within=30.0
        )
        await host.post("/admin/functions/reconcile_stock", json={"input": ""}, headers=master)
        run = await _eventually(lambda: _latest_reconciliation(endpoints), lambda got: got is not None, 60.0)
        folder = settings.reports_dir or Path(".local/reports")
        reports = await _eventually(lambda: _reports(folder), bool, within=30.0)
    summary.add(
        "Stock and inbound (ASN, receipt, adjustment, reconciliation)",
        f"ASN {reference} received as {receipt.get('id')} → "
        + (f"{proposals[0].type} for {proposals[0].owner}" if proposals else "nothing")
        + f"; Scend wrote off 1 damaged x {sku} ({adjustment.get('id')}) → "
        + (f"{reviews[0].type} for {reviews[0].owner}" if reviews else "nothing")
        + (
            f"; reconciliation {run.run_id}: {run.skus_compared} SKUs, {run.matched} matching,"
            f" {run.in_flight} in flight, {run.explained} explained, {run.unexplained} unexplained"
            if run
            else "; no reconciliation"
        )
        + (f"; report {reports[-1]}" if reports else ""),
        bool(proposals) and bool(reviews) and run is not None and bool(reports),
    )


async def _reports(folder: Path) -> list[Path]:
    return await asyncio.to_thread(lambda: sorted(folder.glob("stock-*.html")))


async def _latest_reconciliation(endpoints: Endpoints) -> RunSummary | None:
    async with connect(connection_string=endpoints.tables_connection_string) as service:
        return await ReconciliationStore(service.get_table_client(TableNames().reconciliations)).latest()


async def _posted_shipments(bc: BcClient, numbers: list[str]) -> dict[str, int]:
    return {n: len(await bc.sales.find_shipments(order_number=n)) for n in numbers}


async def _exceptions(endpoints: Endpoints, *, kind: str) -> list[SyncException]:
    async with connect(connection_string=endpoints.tables_connection_string) as service:
        store = ExceptionStore(service.get_table_client(TableNames().sync_exceptions))
        page = await store.list_page(kind=kind, page_size=100)
    return list(page.items)


async def _scend_held(scend: httpx.AsyncClient, resource: str) -> set[str]:
    """The SKUs (products) or client references (orders) the Scend simulator holds."""
    if resource == "products":
        page = (await scend.get("/v1/products", params={"limit": "500"})).json()
        return {str(product["sku"]) for product in page.get("data", [])}
    stats = (await scend.get("/_sim/stats", params={"references": "true"})).json()
    return set(stats["resources"][resource]["by_client_reference"])


async def _subscriptions(sim: httpx.AsyncClient) -> list[str]:
    body = (await sim.get("/webhooks")).json()
    return [str(s.get("resource", "")).rsplit("/", 1)[-1] for s in body.get("subscriptions", [])]


async def _eventually[T](
    probe: Callable[[], Awaitable[T]], done: Callable[[T], bool], within: float = 20.0
) -> T:
    deadline = asyncio.get_running_loop().time() + within
    while True:
        value = await probe()
        if done(value) or asyncio.get_running_loop().time() > deadline:
            return value
        await asyncio.sleep(0.2)


async def _print_totals(
    console: Console, endpoints: Endpoints, moved: Callable[[str], Awaitable[dict[str, int]]]
) -> None:
    """Documents moved per flow, open exceptions per owner, and where the dashboard lives."""
    try:
        documents = await moved(endpoints.tables_connection_string)
        owners: dict[str, int] = {}
        for row in await _exceptions_all(endpoints):
            owners[row.owner] = owners.get(row.owner, 0) + 1
    except Exception as error:
        console.print(f"(totals unavailable: {type(error).__name__})")
        return
    table = Table("Flow", "Documents", title="Documents moved")
    for flow, count in sorted(documents.items()):
        table.add_row(flow, str(count))
    console.print(table)
    people = Table("Owner", "Open exceptions", title="Waiting for people")
    for owner, count in sorted(owners.items()):
        people.add_row(owner, str(count))
    console.print(people)
    await _print_bc_budget(console, endpoints)
    console.print(
        f"Dashboard (with `make up`): {endpoints.devhost}/api/ops/dashboard?code=<DEVHOST_FUNCTION_KEY>;"
        " command line: ./bcscend status"
    )


async def _print_bc_budget(console: Console, endpoints: Endpoints) -> None:
    """What the run cost in BC's currency: requests of the integration's principal, the `$batch`es
    among them, against the 6,000 per 5 minutes BC allows (bench/README.md measures it at scale)."""
    settings = load_settings()
    ca = str(settings.bc_ca_file) if settings.bc_ca_file else True
    try:
        async with httpx.AsyncClient(base_url=f"{endpoints.bc}/_sim", verify=ca, timeout=30.0) as sim:
            principals = (await sim.get("/stats")).json()["principals"]
    except (httpx.HTTPError, ValueError, KeyError) as error:
        console.print(f"(BC request count unavailable: {type(error).__name__})")
        return
    ours = principals.get(settings.bc_client_id, {"requests": 0, "throttled": 0, "routes": {}})
    batches = sum(r["requests"] for route, r in ours["routes"].items() if route.endswith("$batch"))
    console.print(
        f"BC requests by the integration: {ours['requests']} ({batches} of them `$batch`), "
        f"{ours['throttled']} answered 429; BC allows {settings.bc_requests_per_5_minutes} per 5 minutes."
    )


async def _exceptions_all(endpoints: Endpoints) -> list[SyncException]:
    async with connect(connection_string=endpoints.tables_connection_string) as service:
        store = ExceptionStore(service.get_table_client(TableNames().sync_exceptions))
        page = await store.list_page(status=ExceptionStatus.OPEN, page_size=500)
    return list(page.items)


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
