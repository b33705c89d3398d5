"""`python -m local.scend_sim --port N [--seed N] [--realtime]`: serve the simulator until SIGTERM."""

from __future__ import annotations

import asyncio
import logging
import signal
from typing import Annotated

import typer

from local.scend_sim.config import DEFAULT_API_KEY, ScendSimConfig, WarehousePolicy
from local.scend_sim.server import serve_scend_sim
from local.serving import ServingError

cli = typer.Typer(add_completion=False)


@cli.command()
def main(
    port: Annotated[int, typer.Option(help="Loopback port (0: any free port).")] = 8081,
    seed: Annotated[int, typer.Option(help="Seed of every random decision.")] = 0,
    realtime: Annotated[
        bool, typer.Option("--realtime", help="The warehouse clock follows real time.")
    ] = False,
    speed: Annotated[float, typer.Option(help="Simulated seconds per real second with --realtime.")] = 1.0,
    api_key: Annotated[str, typer.Option(help="The bearer key the API accepts.")] = DEFAULT_API_KEY,
    rate_limit: Annotated[int, typer.Option(help="Requests a minute per key; 0 for no limit.")] = 120,
    demo: Annotated[bool, typer.Option("--demo", help="Start with the demo catalogue and stock.")] = False,
    partial_despatch_rate: Annotated[
        float, typer.Option(help="Share of orders despatched in two goes.")
    ] = 0.0,
    split_parcel_rate: Annotated[float, typer.Option(help="Share of shipments split into parcels.")] = 0.0,
    log_level: Annotated[str, typer.Option(help="DEBUG, INFO, WARNING or ERROR.")] = "INFO",
) -> None:
    """Serve the Scend simulator on 127.0.0.1; print its base URL; stop cleanly on SIGINT/SIGTERM."""
    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    config = ScendSimConfig(
        api_key=api_key,
        seed=seed,
        rate_limit_per_minute=rate_limit or None,
        realtime=realtime,
        realtime_speed=speed,
        policy=WarehousePolicy(
            partial_despatch_rate=partial_despatch_rate, split_parcel_rate=split_parcel_rate
        ),
    )
    try:
        asyncio.run(_serve(config, port, demo))
    except ServingError as error:
        typer.echo(f"scend_sim: {error}", err=True)
        raise typer.Exit(2) from None


async def _serve(config: ScendSimConfig, port: int, demo: bool) -> None:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with serve_scend_sim(config, port=port) as sim:
        if demo:
            from local.scend_sim.seeding import DEMO_PRODUCTS, DEMO_STOCK, seed

            seed(sim.warehouse, DEMO_PRODUCTS, DEMO_STOCK)
        print(f"Scend simulator listening on {sim.base_url} (control {sim.control_url})", flush=True)
        await stop.wait()
        logging.getLogger("scend_sim").info("Stopping (signal received)")
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.remove_signal_handler(sig)


if __name__ == "__main__":
    cli()
