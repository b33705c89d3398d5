"""The local stack: starts Azurite, the BC and Scend simulators and the dev host; runs the demo.

`python -m local.stack demo` runs the demo scenario to the end, prints a summary and stops
everything; `python -m local.stack up` keeps the stack running until Ctrl-C.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import typer
from rich.console import Console

from local.azurite import AZURITE_ACCOUNT_KEY, connection_string_for
from local.devhost.settings import load_local_settings

ROOT = Path(__file__).resolve().parents[1]
LOGS = ROOT / ".local" / "logs"
console = Console()
cli = typer.Typer(add_completion=False, help=__doc__)


@dataclass(frozen=True, slots=True)
class Endpoints:
    devhost: str
    bc: str
    scend: str
    tables_connection_string: str
    function_key: str
    master_key: str


def _free_port(preferred: int) -> int:
    """The preferred port when it is free on loopback, else any free one."""
    for port in (preferred, 0):
        with socket.socket() as sock:
            # As the servers themselves do: a port left in TIME_WAIT by the last run is free.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return int(sock.getsockname()[1])
    raise RuntimeError("no free loopback port")


def _wait_for(url: str, what: str, timeout: float = 30.0, verify: str | bool = True) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if isinstance(verify, str) and not Path(verify).exists():
            time.sleep(0.2)  # the simulator writes its CA when it starts
            continue
        try:
            httpx.get(url, timeout=1.0, verify=verify)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    raise RuntimeError(f"{what} did not answer at {url} within {timeout:.0f} s (see {LOGS})")


@contextmanager
def _process(name: str, args: list[str], env: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    """A child process with its output in .local/logs/<name>.log, stopped on exit (TERM, then KILL)."""
    LOGS.mkdir(parents=True, exist_ok=True)
    with (LOGS / f"{name}.log").open("wb") as log:
        proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
        try:
            yield proc
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()


def _settings_file() -> Path:
    settings_file = ROOT / "local.settings.json"
    return settings_file if settings_file.exists() else ROOT / "local.settings.example.json"


def _settings_value(name: str) -> str:
    """A value from the environment, else from the local settings file."""
    values: dict[str, str] = json.loads(_settings_file().read_text())["Values"]
    return os.environ.get(name) or values.get(name, "")


@contextmanager
def run_stack(settings: dict[str, str] | None = None) -> Iterator[Endpoints]:
    """Start every component on loopback; yield where they listen; stop them all on exit.

    `settings` are app settings the stack's processes take over local.settings.json (the demo
    uses one to make a despatch overdue within seconds instead of a day)."""
    table_port = _free_port(10002)
    devhost_port = _free_port(7071)
    bc_port = _free_port(7101)
    scend_port = _free_port(7102)
    tls = ROOT / ".local" / "tls"
    function_key = _settings_value("DEVHOST_FUNCTION_KEY")
    transport = ROOT / ".local" / "transport.sqlite3"
    # Azurite runs in memory, so the queues start empty too: one consistent, fresh stack per run.
    for leftover in (transport, transport.with_suffix(".sqlite3-wal"), transport.with_suffix(".sqlite3-shm")):
        leftover.unlink(missing_ok=True)
    bc = f"https://127.0.0.1:{bc_port}"
    # The stack's own addresses win over local.settings.json; this process and its children share them.
    os.environ.update(
        PYTHONUNBUFFERED="1",
        TABLES_CONNECTION_STRING=connection_string_for(table_port, AZURITE_ACCOUNT_KEY),
        LOCAL_TRANSPORT_PATH=str(transport),
        BC_NOTIFICATION_URL=f"http://127.0.0.1:{devhost_port}/api/bc/notifications?code={function_key}",
        BC_API_BASE_URL=bc,
        BC_AUTHORITY_HOST=bc,
        BC_CA_FILE=str(tls / "ca.pem"),
        SCEND_BASE_URL=f"http://127.0.0.1:{scend_port}/v1",
        **(settings or {}),
    )
    values = load_local_settings(_settings_file(), os.environ, required=True).values
    env = dict(os.environ)
    with ExitStack() as stack:
        stack.enter_context(
            _process("azurite", [sys.executable, "-m", "local.azurite", "--port", str(table_port)], env)
        )
        _wait_for(f"http://127.0.0.1:{table_port}/devstoreaccount1", "Azurite")

        bc_args = ["--port", str(bc_port), "--tls-dir", str(tls), "--seed", "1", "--webhook-delay", "2"]
        stack.enter_context(_process("bc_sim", [sys.executable, "-m", "local.bc_sim", *bc_args], env))
        _wait_for(f"{bc}/_sim/config", "The Business Central simulator", verify=str(tls / "ca.pem"))

        scend_args = ["--port", str(scend_port), "--demo", "--api-key", os.environ["SCEND_API_KEY"]]
        stack.enter_context(
            _process("scend_sim", [sys.executable, "-m", "local.scend_sim", *scend_args], env)
        )
        _wait_for(f"http://127.0.0.1:{scend_port}/_sim/health", "The Scend simulator")

        args = [sys.executable, "-m", "local.devhost", "--app", "function_app", "--port", str(devhost_port)]
        host = stack.enter_context(_process("devhost", args, env))
        base = f"http://127.0.0.1:{devhost_port}"
        _wait_for(f"{base}/admin/host/status", "The dev host")
        if host.poll() is not None:
            raise RuntimeError(f"the dev host stopped at start-up (see {LOGS / 'devhost.log'})")
        yield Endpoints(
            devhost=base,
            bc=bc,
            scend=f"http://127.0.0.1:{scend_port}",
            tables_connection_string=os.environ["TABLES_CONNECTION_STRING"],
            function_key=values.get("DEVHOST_FUNCTION_KEY", ""),
            master_key=values.get("DEVHOST_MASTER_KEY", ""),
        )


@cli.command()
def demo() -> None:
    """Run the demo scenario to the end, print what happened, stop everything."""
    from local.demo import run_demo

    # A day's despatch cut-off would outlast the demo: 0.001 h (3.6 s) lets run_audits find the
    # order accepted and never despatched, one of the problems the demo shows.
    with run_stack({"DESPATCH_CUTOFF_HOURS": "0.001"}) as endpoints:
        passed = asyncio.run(run_demo(endpoints, console))
    console.print("Stack stopped.")
    raise typer.Exit(0 if passed else 1)


@cli.command()
def up() -> None:
    """Start the stack and keep it running until Ctrl-C."""
    with run_stack() as endpoints:
        console.print(
            f"[bold]Stack running.[/] Dev host: {endpoints.devhost}  (health: {endpoints.devhost}/api/health)"
        )
        console.print(f"Logs: {LOGS}   Stop with Ctrl-C.")
        signal.signal(signal.SIGTERM, signal.default_int_handler)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
    console.print("Stopped.")


if __name__ == "__main__":
    cli()
