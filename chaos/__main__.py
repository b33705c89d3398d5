"""`python -m chaos [--seed N] [--small] [--mode standard|extension]`: one run; exit 1 unless it passed."""

from __future__ import annotations

import asyncio
import secrets
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from chaos.plan import FULL, SMALL
from chaos.run import chaos_run, print_report
from shared.settings import WriteBackMode

ROOT = Path(__file__).resolve().parents[1]
cli = typer.Typer(add_completion=False)


@cli.command()
def main(
    seed: Annotated[int | None, typer.Option(help="Repeat a run with its seed; default: a new one.")] = None,
    small: Annotated[bool, typer.Option("--small", help="The small run `make test` has.")] = False,
    mode: Annotated[WriteBackMode, typer.Option(help="BC write-back mode.")] = WriteBackMode.STANDARD,
) -> None:
    """Every flow at once through the dev host under faults and kills; the outcome checked exactly."""
    chosen = seed if seed is not None else secrets.randbelow(1_000_000)
    console = Console(width=max(Console().width, 120))
    report = asyncio.run(
        chaos_run(chosen, SMALL if small else FULL, mode, ROOT / ".local" / "logs" / "chaos", console)
    )
    print_report(console, report)
    raise typer.Exit(0 if report.passed else 1)


if __name__ == "__main__":
    cli()
