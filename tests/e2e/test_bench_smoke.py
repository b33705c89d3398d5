"""The benchmark harness still runs end to end (tiny sizes; the figures live in bench/README.md)."""

from __future__ import annotations

from bench.run import main


async def test_the_benchmark_runs_with_tiny_sizes_and_reports_every_figure() -> None:
    report = await main(
        orders=20, latency_ms=0.0, baseline_sample=5, skus=200, changed_share=0.05, two_workers=15
    )
    release, standard, extension, delta, reconciliation, shared, separate = report["results"]  # type: ignore[misc]
    assert release["accepted_at_scend"] == 20
    assert release["bc_requests_per_document"] <= 0.5  # one paged read covers them all
    assert release["scend_requests_per_document"] == 1.0
    assert release["baseline"]["bc_requests_per_document"] >= 1.0
    assert release["throughput_vs_bound"] >= 0  # 0 with no latency: the bound is then 0
    for despatched in (standard, extension):
        assert despatched["posted_shipments"] == 20
        assert 0 < despatched["bc_requests_per_document"] < 1  # a few batches for all of them
    assert delta["documents"] == 10
    assert delta["requests_per_catalogue_sku"] < 1
    assert reconciliation["matched"] == 200
    assert reconciliation["peak_memory_mb"] > 0
    assert shared["bc_429s"] == 0  # 30 reads: far below the limit either way
    assert separate["bc_requests"] >= 30
