"""The small chaos run (`make chaos` runs the full one): every flow at once through the dev host
while the simulators inject faults and the host is killed; the outcome counted exactly. Then the
count itself is checked: an order doubled at Scend and a credit memo lost in BC must both show."""

from __future__ import annotations

from pathlib import Path
from uuid import UUID

import pytest
from rich.console import Console

from chaos.outcome import Outcome, Seeded
from chaos.plan import SMALL
from chaos.run import chaos_run, outcome_of, print_report
from chaos.world import ChaosWorld
from shared.mapping.references import client_reference, parse_client_reference
from shared.settings import WriteBackMode

pytestmark = pytest.mark.timeout(600)
ROOT = Path(__file__).resolve().parents[3]


async def test_every_flow_under_faults_and_kills_ends_with_nothing_lost_or_doubled(tmp_path: Path) -> None:
    tampered: list[Outcome] = []

    async def double_an_order_and_lose_a_memo(world: ChaosWorld, seeded: Seeded) -> None:
        orders = world.scend_sim.state.orders
        original = next(iter(orders.values()))
        parsed = parse_client_reference(original.client_reference)
        assert parsed is not None
        bc_id = next(i for i, n in seeded.sales_orders.items() if n.startswith(parsed.number))
        again = client_reference(UUID(bc_id), seeded.sales_orders[bc_id], release=2)
        orders["ord_doubled"] = original.model_copy(update={"id": "ord_doubled", "client_reference": again})
        memo = world.bc_sim.docs.state.rows("salesCreditMemos")[0]
        world.bc_sim.docs.remove("salesCreditMemos", memo["id"])
        tampered.append(await outcome_of(world, seeded))

    console = Console(file=(tmp_path / "chaos.txt").open("w"), width=140)
    report = await chaos_run(
        4242, SMALL, WriteBackMode.STANDARD, tmp_path / "logs", console, probe=double_an_order_and_lose_a_memo
    )
    print_report(console, report)
    console.file.close()
    print((tmp_path / "chaos.txt").read_text())

    # THEN every document ended once (or parked with its payload), with its quantities
    assert report.kills >= 1
    assert report.floor.counts.refused == 0
    assert report.floor.counts.shipments > report.floor.counts.orders_despatched  # some in two shipments
    for tally in report.outcome.tallies:
        assert tally.documents > 0, tally.flow
        assert (tally.doubled, tally.lost, tally.wrong_quantities) == (0, 0, 0), (tally.flow, tally.examples)
        assert tally.once + tally.parked == tally.documents, tally.flow
    assert report.outcome.unaccounted_dead_letters == 0
    assert report.passed

    # AND the count would have seen a double and a loss
    (after,) = tampered
    by_flow = {t.flow: t for t in after.tallies}
    assert by_flow["orders to Scend"].doubled == 1
    assert by_flow["returns credited"].lost == 1
    assert not after.passed
