"""`make bench`: every scenario against the simulators with a latency per call and BC's limits on;
a table with ratios to the ideal bound and the baseline; bench/results/latest.json."""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import time
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench import despatches, release_orders, shared_budget, stock
from bench.world import bench_world
from shared.settings import WriteBackMode

RESULTS = Path(__file__).parent / "results" / "latest.json"


async def main(
    orders: int,
    latency_ms: float,
    baseline_sample: int,
    despatch: bool = True,
    skus: int = 0,
    changed_share: float = 0.01,
    two_workers: int = 0,
) -> dict[str, object]:
    """Every scenario; the standard-mode despatches despatch the orders the release scenario
    released (same world), the extension-mode ones as many orders released in a fresh world."""
    results = []
    phases: dict[str, float] = {}
    began = time.perf_counter()
    latency = latency_ms / 1000
    despatch_baseline = min(baseline_sample, despatches.BASELINE)
    async with bench_world(latency_ms) as world:
        results.append(await release_orders.run(world, orders, latency, baseline_sample))
        phases["release"] = time.perf_counter() - began
        if despatch:
            results.append(await despatches.run(world, WriteBackMode.STANDARD, latency, despatch_baseline))
            phases["despatches (standard)"] = time.perf_counter() - began - sum(phases.values())
    if despatch:
        async with bench_world(latency_ms) as world:
            await despatches.release(world, orders)
            phases["set-up: orders to despatch (extension)"] = (
                time.perf_counter() - began - sum(phases.values())
            )
            results.append(await despatches.run(world, WriteBackMode.EXTENSION, latency, despatch_baseline))
        phases["despatches (extension)"] = time.perf_counter() - began - sum(phases.values())
    if skus:
        async with bench_world(latency_ms) as world:
            results.extend(await stock.run(world, skus, changed_share, latency))
        phases["stock"] = time.perf_counter() - began - sum(phases.values())
    if two_workers:
        async with bench_world(latency_ms, bc_window=shared_budget.WINDOW_RULE) as world:
            results.extend(await shared_budget.run(world, two_workers))
        phases["two workers"] = time.perf_counter() - began - sum(phases.values())
    return {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {platform.python_implementation()} {platform.python_version()}",
        "latency_ms": latency_ms,
        "results": results,
        "wall_seconds": {name: round(seconds, 1) for name, seconds in phases.items()},
    }


def show(report: dict[str, object]) -> None:
    title = f"Benchmarks ({report['latency_ms']} ms per call)"
    columns = ("Scenario", "Docs", "BC req/doc", "Scend req/doc", "Docs/s", "p50 / p95 s", "vs bound",
               "Baseline BC req/doc", "Baseline docs/s")  # fmt: skip
    table = Table(*columns, title=title)
    for r in report["results"]:  # type: ignore[attr-defined]
        table.add_row(
            r["scenario"], str(r["documents"]), f"{r['bc_requests_per_document']:.4f}",
            f"{r['scend_requests_per_document']:.2f}", str(r["documents_per_second"]),
            f"{r['p50_accept_seconds']} / {r['p95_accept_seconds']}", f"{r['throughput_vs_bound']:.0%}",
            str(r["baseline"]["bc_requests_per_document"]), str(r["baseline"]["documents_per_second"]),
        )  # fmt: skip
    console = Console(width=170)
    console.print(table)
    console.print("Wall time per part (set-up included):", report.get("wall_seconds"))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=5000)
    parser.add_argument("--latency-ms", type=float, default=40.0)
    parser.add_argument("--baseline-sample", type=int, default=300)
    parser.add_argument("--no-despatches", action="store_true", help="skip the despatch scenarios")
    parser.add_argument("--skus", type=int, default=100_000, help="catalogue of the stock scenario")
    parser.add_argument("--changed", type=float, default=0.01, help="share of SKUs changed")
    parser.add_argument("--two-workers", type=int, default=120, help="BC reads per worker, shared budget")
    args = parser.parse_args()
    report = asyncio.run(main(
        args.orders, args.latency_ms, args.baseline_sample, not args.no_despatches, args.skus, args.changed,
        args.two_workers,
    ))  # fmt: skip
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2), encoding="utf-8")
    show(report)
