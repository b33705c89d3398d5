"""`python -m local.bc_sim --port N [--tls-dir DIR] [--seed N]`: serve the simulator until SIGINT/SIGTERM.

The first line on stdout is the base URL (what BC_API_BASE_URL and BC_AUTHORITY_HOST point at); the
next lines name the tenant, environment, company, client id and secret and the CA file to trust.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from pathlib import Path
from typing import Annotated

import typer

from local.bc_sim.config import BcSimConfig
from local.bc_sim.server import serve_bc_sim
from local.serving import ServingError

cli = typer.Typer(add_completion=False)


@cli.command()
def main(
    port: Annotated[int, typer.Option(help="Loopback port; 0 picks a free one.")] = 0,
    tls_dir: Annotated[
        Path | None, typer.Option(help="Serve HTTPS with a local CA and certificate kept in this folder.")
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Seed the default catalogue from this seed.")] = None,
    page_size: Annotated[int, typer.Option(help="Server page size (BC online: 20000).")] = 20_000,
    webhook_delay: Annotated[
        float, typer.Option(help="Seconds before notifications are sent (BC: 30).")
    ] = 30.0,
    log_level: Annotated[str, typer.Option(help="DEBUG, INFO, WARNING or ERROR.")] = "WARNING",
) -> None:
    """Serve the Business Central simulator on 127.0.0.1."""
    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    config = BcSimConfig(tls_dir=tls_dir, seed=seed, page_size=page_size, webhook_delay_seconds=webhook_delay)
    try:
        asyncio.run(_serve(config, port))
    except ServingError as error:
        typer.echo(f"bc_sim: {error}", err=True)
        raise typer.Exit(2) from None


async def _serve(config: BcSimConfig, port: int) -> None:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with serve_bc_sim(config, port=port) as sim:
        print(sim.base_url, flush=True)
        details = {
            "tenant": config.tenant,
            "environment": config.environment,
            "company_id": config.company_id,
            "client_id": config.client_id,
            "client_secret": config.client_secret,
            "token_url": sim.token_url,
            "api_url": sim.api_url,
            "ca_file": sim.ca_file or "",
        }
        for name, value in details.items():
            print(f"{name}={value}", flush=True)
        await stop.wait()
    logging.getLogger("bc_sim").info("stopped")


if __name__ == "__main__":
    cli()
