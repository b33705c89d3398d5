"""One chaos run, start to finish: seed, start the dev host, let every flow run under faults while
the floor works and the monkey kills the host, calm down, settle, count."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote
from uuid import UUID

import httpx
from rich.console import Console
from rich.table import Table

from chaos.floor import Floor, fates_for
from chaos.outcome import Outcome, Seeded, read_outcome
from chaos.plan import Scale, faults_for
from chaos.world import FUNCTION_KEY, MASTER_KEY, WEBHOOK_EVENTS, ChaosWorld, chaos_world
from local.bc_sim import SeedRequest
from local.bc_sim import orders as bc_orders
from local.bc_sim.faults import FaultPlan
from local.scend_sim.faults import WebhookFaults
from shared.mapping.references import fingerprint
from shared.messaging.queues import queue_specs
from shared.settings import WriteBackMode

TICK = 0.25
SETTLE_CHECK_SECONDS = 5.0
PROGRESS_SECONDS = 30.0


@dataclass
class Report:
    seed: int
    mode: WriteBackMode
    outcome: Outcome
    floor: Floor
    kills: int
    planned_kills: int
    seconds: dict[str, float]
    faults: dict[str, int]
    retried: int = 0  # parked documents sent again through the ops API after the first settling

    @property
    def floor_complete(self) -> bool:
        return self.floor.done and self.floor.counts.refused == 0

    @property
    def passed(self) -> bool:
        return self.outcome.passed and self.floor_complete and self.kills >= self.planned_kills


type Probe = Callable[[ChaosWorld, Seeded], Awaitable[None]]


async def chaos_run(
    seed: int, scale: Scale, mode: WriteBackMode, logs: Path, console: Console, *, probe: Probe | None = None
) -> Report:
    """One run; `probe` is called with the settled world before it stops (a test's way in)."""
    began = time.monotonic()
    seconds: dict[str, float] = {}
    async with chaos_world(seed, mode, logs) as world:
        seeded, drafts = _seed_bc(world, scale, seed)
        fingerprints = [fingerprint(UUID(order_id)) for order_id in seeded.sales_orders]
        floor = Floor(
            world.scend_sim,
            fates_for(fingerprints, despatched=scale.despatched, returns=scale.returns, seed=seed),
            adjustments=scale.adjustments, seed=seed, spread_seconds=scale.chaos_seconds / 4,
        )  # fmt: skip
        await world.host.start()
        await _subscribe(world)
        seconds["set-up"] = time.monotonic() - began
        console.print(f"[bold]Chaos run, seed {seed}[/]: {scale.name}, write-back {mode.value}; faults on")

        plan = faults_for(seed)
        world.bc_sim.faults.set(plan.bc)
        world.scend_sim.set_faults(http=plan.scend_http, webhooks=plan.scend_webhooks)
        monkey = asyncio.create_task(_monkey(world, scale, seed), name="chaos-monkey")
        releaser = asyncio.create_task(_release_drafts(world, drafts, seed), name="chaos-releases")
        started = time.monotonic()
        shown = started
        while time.monotonic() - started < scale.chaos_seconds:
            floor.tick(time.monotonic())
            if time.monotonic() - shown >= PROGRESS_SECONDS:
                shown = time.monotonic()
                console.print(_progress(world, floor, shown - started))
            if floor.done and monkey.done() and releaser.done():
                break
            await asyncio.sleep(TICK)
        monkey.cancel()
        await asyncio.gather(monkey, releaser, return_exceptions=True)
        faults = _fault_counts(world)
        world.bc_sim.faults.set(FaultPlan())
        world.scend_sim.set_faults(http=[], webhooks=WebhookFaults())
        if not world.host.alive:
            await world.host.start()
        await world.scend_sim.flush_webhooks(release_delayed=True)
        seconds["under faults"] = time.monotonic() - started
        console.print(
            f"Faults off after {seconds['under faults']:.0f} s ({world.host.kills} kills); waiting for the "
            "integration to settle"
        )

        calm = time.monotonic()
        outcome = await _settle(world, seeded, floor, scale)
        retried = await _retry_parked(world, outcome)
        if retried:  # as IT would: Retry on each parked document, from what its exception row holds
            console.print(f"Retried {retried} parked document(s) through the ops API; settling again")
            outcome = await _settle(world, seeded, floor, scale)
        seconds["settling"] = time.monotonic() - calm
        seconds["total"] = time.monotonic() - began
        if probe is not None:
            await probe(world, seeded)
        return Report(seed, mode, outcome, floor, world.host.kills, scale.kills, seconds, faults, retried)


def _seed_bc(world: ChaosWorld, scale: Scale, seed: int) -> tuple[Seeded, list[str]]:
    """Items, customers, vendors; the orders (a tenth of them drafts, released during the run so
    the BC webhooks ring) and the purchase orders. Returns what was made, and the drafts' ids."""
    drafts = max(1, scale.orders // 10)
    world.bc_sim.seed(SeedRequest(
        seed=seed, items=scale.items, customers=20, vendors=5, locations=1, shipment_methods=2,
        released_sales_orders=scale.orders - drafts, draft_sales_orders=drafts,
        released_purchase_orders=scale.purchase_orders, draft_purchase_orders=0, max_lines_per_order=3,
        opening_stock=1_000_000,
    ))  # fmt: skip
    rows = world.bc_sim.docs.state.rows
    seeded = Seeded(
        {str(o["id"]): str(o["number"]) for o in rows("salesOrders")},
        {str(o["id"]): str(o["number"]) for o in rows("purchaseOrders")},
    )
    return seeded, [str(o["id"]) for o in rows("salesOrders") if o["status"] == bc_orders.DRAFT]


async def _subscribe(world: ChaosWorld) -> None:
    """Scend's webhooks to the dev host (signed with the app's secret); BC's through the app's own
    renewal, run now from the dev host's admin endpoint."""
    key = {"Authorization": f"Bearer {world.scend_sim.api_key}"}
    async with httpx.AsyncClient(base_url=world.scend_sim.url, headers=key, timeout=30.0) as scend:
        answer = await scend.post(
            "/v1/webhooks",
            headers={"Idempotency-Key": "chaos-webhooks"},
            json={"url": f"{world.host.url}/api/scend/events", "events": WEBHOOK_EVENTS},
        )
        answer.raise_for_status()
        secrets = {"secrets": world.settings.webhook_secrets}
        (await scend.put(f"/_sim/webhooks/{answer.json()['id']}/secrets", json=secrets)).raise_for_status()
    async with httpx.AsyncClient(base_url=world.host.url, timeout=60.0) as host:
        renewed = await host.post(
            "/admin/functions/renew_bc_subscriptions",
            json={"input": ""},
            headers={"x-functions-key": MASTER_KEY},
        )
        renewed.raise_for_status()


async def _monkey(world: ChaosWorld, scale: Scale, seed: int) -> None:
    """Kill the dev host (SIGKILL: no drain, no goodbye) at random moments; start it again soon after."""
    rng = random.Random(f"chaos-monkey:{seed}")
    gap = scale.chaos_seconds / (4 * max(1, scale.kills))
    for _ in range(scale.kills):
        await asyncio.sleep(rng.uniform(0.5 * gap, 1.5 * gap))
        world.host.kill()
        await asyncio.sleep(rng.uniform(0.5, 3.0))
        await world.host.start()


async def _release_drafts(world: ChaosWorld, drafts: list[str], seed: int) -> None:
    """Someone in BC releases the draft orders one by one during the run (the webhook's doorbell)."""
    rng = random.Random(f"chaos-releases:{seed}")
    for order_id in drafts:
        await asyncio.sleep(rng.uniform(0.1, 1.0))
        bc_orders.set_status(world.bc_sim.docs, "salesOrders", order_id, bc_orders.RELEASED)


async def _settle(world: ChaosWorld, seeded: Seeded, floor: Floor, scale: Scale) -> Outcome:
    """Faults off: the floor finishes, the polls and feeds catch up; settled when every queue is
    empty and every document is done or parked, or when the calm phase runs out."""
    deadline = time.monotonic() + scale.calm_seconds
    next_check = 0.0
    outcome: Outcome | None = None
    while True:
        now = time.monotonic()
        floor.tick(now)
        if now >= next_check:
            next_check = now + SETTLE_CHECK_SECONDS
            if floor.done and await _queues_empty(world):
                outcome = await read_outcome(
                    seeded, world.bc_sim, world.scend_sim, world.settings, world.transport
                )
                if all(t.lost == 0 for t in outcome.tallies):
                    return outcome
        if now > deadline:
            return outcome or await outcome_of(world, seeded)
        await asyncio.sleep(TICK)


async def _retry_parked(world: ChaosWorld, outcome: Outcome) -> int:
    """Retry every parked failure (not the proposals) through the ops API, as IT would from the
    dashboard: proves the exception row holds what is needed to replay the document."""
    retried = 0
    async with httpx.AsyncClient(base_url=world.host.url, timeout=30.0) as http:
        for kind, exception_type, key in outcome.retryable:
            path = f"/api/ops/exceptions/{quote(kind, safe='')}/{exception_type}/{quote(key, safe='')}/retry"
            answer = await http.post(path, headers={"x-functions-key": FUNCTION_KEY})
            retried += answer.status_code == 202
    return retried


async def outcome_of(world: ChaosWorld, seeded: Seeded) -> Outcome:
    return await read_outcome(seeded, world.bc_sim, world.scend_sim, world.settings, world.transport)


def _progress(world: ChaosWorld, floor: Floor, elapsed: float) -> str:
    rows = world.bc_sim.docs.state.rows
    state = world.scend_sim.state
    return (
        f"  {elapsed:4.0f} s: {len(state.orders)} orders at Scend, {floor.counts.shipments} shipments, "
        f"{len(rows('salesShipments'))} posted in BC, {len(rows('salesCreditMemos'))} credit memos, "
        f"{len(state.adjustments)} adjustments, {len(rows('purchaseReceipts'))} receipts posted; "
        f"{world.host.kills} kills"
    )


async def _queues_empty(world: ChaosWorld) -> bool:
    for spec in queue_specs(world.settings):
        counts = await world.transport.counts(spec.name)
        if counts.active or counts.scheduled:
            return False
    return True


def _fault_counts(world: ChaosWorld) -> dict[str, int]:
    bc = world.bc_sim.statistics()["principals"]
    bc_faults: dict[str, int] = {}
    for principal in bc.values():
        for kind, count in principal.get("faults", {}).items():
            bc_faults[kind] = bc_faults.get(kind, 0) + count
    scend: dict[str, int] = {}
    for route in world.scend_sim.stats.routes.values():
        for kind, count in route.faults.items():
            scend[kind] = scend.get(kind, 0) + count
    hub = world.scend_sim.webhooks.counts
    return {
        **{f"BC {kind}": count for kind, count in sorted(bc_faults.items())},
        **{f"Scend {kind}": count for kind, count in sorted(scend.items())},
        **{f"Scend webhooks {kind}": hub[kind] for kind in ("lost", "duplicated", "delayed", "reordered")},
    }


def print_report(console: Console, report: Report) -> None:
    table = Table(title=f"Chaos run, seed {report.seed} ({report.mode.value} write-back)")
    for column in (
        "Flow",
        "Documents",
        "Once",
        "Doubled",
        "Wrong quantities",
        "Parked (open exception)",
        "Lost",
    ):
        table.add_column(column, justify="left" if column == "Flow" else "right")
    for t in report.outcome.tallies:
        table.add_row(
            t.flow, *(str(v) for v in (t.documents, t.once, t.doubled, t.wrong_quantities, t.parked, t.lost))
        )
    console.print(table)
    for t in report.outcome.tallies:
        for example in t.examples:
            console.print(f"  [red]{t.flow}[/]: {example}")
    c = report.floor.counts
    console.print(
        f"Warehouse floor: {c.orders_despatched} orders despatched in {c.shipments} shipments "
        f"({c.two_parcel_shipments} in two parcels), {c.returns_inspected} returns inspected, "
        f"{c.adjustments} adjustments, {c.asns_received} ASNs received; {c.refused} actions refused"
    )
    for refusal in report.floor.refusals[:5]:
        console.print(f"  [red]refused[/]: {refusal}")
    console.print(
        f"Dev host killed {report.kills} times (planned {report.planned_kills}). Faults injected: "
        + ", ".join(f"{k} {v}" for k, v in report.faults.items() if v)
    )
    dead = ", ".join(f"{q} {n}" for q, n in report.outcome.dead_letters.items()) or "none"
    console.print(
        f"Dead letters: {dead} ({report.outcome.unaccounted_dead_letters} without an open exception); "
        f"Scend orders not made by the integration: {report.outcome.extra_scend_orders}"
    )
    opened = ", ".join(f"{k} {v}" for k, v in sorted(report.outcome.open_exceptions.items())) or "none"
    console.print(f"Open exceptions: {opened}")
    for problem in report.outcome.problems[:10]:
        console.print(f"  {problem}")
    if report.retried:
        console.print(f"Parked documents retried through the ops API after settling: {report.retried}")
    console.print(", ".join(f"{k} {v:.0f} s" for k, v in report.seconds.items()))
    console.print("[bold green]Chaos run passed.[/]" if report.passed else "[bold red]Chaos run failed.[/]")
