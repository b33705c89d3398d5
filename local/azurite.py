"""The Azurite table service as a subprocess: for the test session and the local stack.

`start_azurite()` launches `azurite-table` from `node_modules` on a free loopback port, waits until
it accepts connections and returns a handle with the connection string; `python -m local.azurite`
runs one in the foreground for the local stack.
"""

from __future__ import annotations

import argparse
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

REPO_ROOT = Path(__file__).resolve().parents[1]
AZURITE_TABLE = REPO_ROOT / "node_modules" / ".bin" / "azurite-table"
HOST = "127.0.0.1"

# Azurite's well-known development account; the key is public and documented by Microsoft.
ACCOUNT_NAME = "devstoreaccount1"
AZURITE_ACCOUNT_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)

START_TIMEOUT_SECONDS = 20.0
STOP_TIMEOUT_SECONDS = 5.0
START_ATTEMPTS = 3  # the free port can be taken between our probe and Azurite's bind


class AzuriteError(RuntimeError):
    """Azurite is missing or would not start; the message says what to do."""


def connection_string_for(port: int, account_key: str = AZURITE_ACCOUNT_KEY, host: str = HOST) -> str:
    """The storage connection string for an Azurite table service on `host:port`."""
    return (
        f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT_NAME};AccountKey={account_key};"
        f"TableEndpoint=http://{host}:{port}/{ACCOUNT_NAME};"
    )


def free_port(host: str = HOST) -> int:
    """A port the OS reports free right now (bind to port 0, read it back, release it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


def azurite_command(port: int, location: Path | None = None, host: str = HOST) -> list[str]:
    """The `azurite-table` command line: in memory unless a workspace folder is given."""
    if not AZURITE_TABLE.exists():
        raise AzuriteError("Azurite is not installed: run `make test` (it runs npm ci)")
    storage = ["--location", str(location)] if location else ["--inMemoryPersistence"]
    return [
        str(AZURITE_TABLE), *storage, "--disableTelemetry", "--silent", "--skipApiVersionCheck",
        "--tableHost", host, "--tablePort", str(port),
    ]  # fmt: skip


@dataclass
class Azurite:
    """A running Azurite table service; `stop()` ends it (terminate, then kill if it lingers)."""

    process: subprocess.Popen[bytes]
    port: int
    log: IO[bytes] | None = field(default=None, repr=False)

    @property
    def connection_string(self) -> str:
        return connection_string_for(self.port)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=STOP_TIMEOUT_SECONDS)
        if self.log is not None:
            self.log.close()

    def __enter__(self) -> Azurite:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()


def _accepts_connections(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=0.2):
            return True
    except OSError:
        return False


def _launch(port: int, timeout: float, location: Path | None = None, *, capture: bool = True) -> Azurite:
    """Start Azurite and wait until it accepts connections; its output goes to a temporary file
    (shown if it exits early) when `capture`, else to our own stdout."""
    command = azurite_command(port, location)
    log = tempfile.TemporaryFile() if capture else None  # noqa: SIM115 - closed by Azurite.stop()
    process = subprocess.Popen(  # noqa: S603 - a fixed command line from this module
        command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT if log else None
    )
    azurite = Azurite(process, port, log)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = ""
            if log is not None:
                log.seek(0)
                output = ": " + log.read().decode(errors="replace").strip()[-2000:]
            azurite.stop()
            raise AzuriteError(f"Azurite exited with code {process.returncode}{output}")
        if _accepts_connections(port):
            return azurite
        time.sleep(0.05)
    azurite.stop()
    raise AzuriteError(f"Azurite did not accept connections on {HOST}:{port} within {timeout:.0f}s")


def start_azurite(timeout: float = START_TIMEOUT_SECONDS) -> Azurite:
    """Start an in-memory Azurite table service on a free loopback port and wait until it listens."""
    for attempt in range(1, START_ATTEMPTS + 1):
        try:
            return _launch(free_port(), timeout)
        except AzuriteError:
            if attempt == START_ATTEMPTS or not AZURITE_TABLE.exists():
                raise
    raise AssertionError("unreachable")


def _exit_on_sigterm(*_: object) -> None:
    raise SystemExit(0)


def main(argv: list[str] | None = None) -> int:
    """Run Azurite in the foreground until Ctrl-C or SIGTERM (the local stack's table storage).

    Azurite is stopped on the way out either way: a bare `subprocess.call` would let SIGTERM end
    this process and leave Node running, holding the port.
    """
    parser = argparse.ArgumentParser(
        prog="python -m local.azurite", description="Run the Azurite table service in the foreground."
    )
    parser.add_argument("--port", type=int, default=10002, help="table port (default 10002)")
    parser.add_argument("--location", type=Path, help="workspace folder; in memory when omitted")
    args = parser.parse_args(argv)
    try:
        azurite_command(args.port, args.location)  # fails fast when Azurite is not installed
        if args.location:
            args.location.mkdir(parents=True, exist_ok=True)
        signal.signal(signal.SIGTERM, _exit_on_sigterm)
        server = _launch(args.port, START_TIMEOUT_SECONDS, args.location, capture=False)
    except AzuriteError as error:
        print(error, file=sys.stderr)
        return 1
    try:
        print(f"TABLES_CONNECTION_STRING={server.connection_string}", flush=True)
        return server.process.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        server.stop()


if __name__ == "__main__":
    sys.exit(main())
