"""The dev host's command line: start, serve until SIGINT/SIGTERM, stop gracefully."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from pathlib import Path
from typing import Annotated

import typer

from local.devhost.errors import StartupError
from local.devhost.host import DevHost
from local.devhost.settings import DEFAULT_SETTINGS_HOOK

EXIT_STARTUP_FAILED = 2

cli = typer.Typer(add_completion=False)


@cli.command()
def main(
    app: Annotated[str, typer.Option(help="Module whose `app` is the FunctionApp.")] = "function_app",
    port: Annotated[
        int | None, typer.Option(help="Loopback port; default Host.LocalHttpPort, else 7071.")
    ] = None,
    settings: Annotated[
        Path | None, typer.Option(help="local.settings.json to read (default: it, when present).")
    ] = None,
    host_json: Annotated[Path, typer.Option(help="host.json to read.")] = Path("host.json"),
    settings_hook: Annotated[
        str, typer.Option(help="module:function that validates the app settings; '' for none.")
    ] = DEFAULT_SETTINGS_HOOK,
    no_timers: Annotated[
        bool, typer.Option("--no-timers", help="Do not fire timers on schedule (admin runs still work).")
    ] = False,
    drain_timeout: Annotated[float, typer.Option(help="Seconds to let invocations finish on stop.")] = 10.0,
    log_level: Annotated[str, typer.Option(help="DEBUG, INFO, WARNING or ERROR.")] = "INFO",
) -> None:
    """Run a v2-model Azure Functions app on 127.0.0.1: HTTP routes, timers and queue triggers."""
    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # The Azure SDK logs every request and its headers at INFO: noise, and URLs can carry keys.
    logging.getLogger("azure").setLevel(max(logging.WARNING, logging.getLevelName(log_level.upper())))
    host = DevHost(
        app,
        port=port,
        settings_file=settings,
        host_json=host_json,
        settings_hook=settings_hook or None,
        timers=not no_timers,
        drain_timeout=drain_timeout,
    )
    try:
        asyncio.run(_serve(host))
    except StartupError as error:
        print(f"devhost: {error}", file=sys.stderr)
        raise typer.Exit(EXIT_STARTUP_FAILED) from None


async def _serve(host: DevHost) -> None:
    """Run until the first SIGINT or SIGTERM; a second one falls back to the default (immediate) exit."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await host.start()
    await stop.wait()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.remove_signal_handler(sig)
    logging.getLogger("devhost").info("Stopping (signal received)")
    await host.stop()


if __name__ == "__main__":
    cli()
