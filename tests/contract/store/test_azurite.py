"""The Azurite launcher against the real thing: it starts, answers, and leaves nothing running."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys

import pytest

from local.azurite import REPO_ROOT, connection_string_for, free_port, start_azurite

pytestmark = pytest.mark.azurite  # starts Azurites of its own


def accepts_connections(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def test_a_started_azurite_listens_until_stopped() -> None:
    # GIVEN a freshly started Azurite
    server = start_azurite()
    assert accepts_connections(server.port)
    # WHEN it is stopped
    server.stop()
    # THEN its process has ended and its port is closed
    assert server.process.poll() is not None
    assert not accepts_connections(server.port)


def test_the_foreground_runner_stops_azurite_on_sigterm() -> None:
    # GIVEN `python -m local.azurite` running on a chosen port, as the local stack runs it
    port = free_port()
    runner = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "local.azurite", "--port", str(port)],
        cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert runner.stdout is not None
        for _ in range(5):  # Azurite's own start-up lines come first
            line = runner.stdout.readline()
            if line.startswith("TABLES_CONNECTION_STRING="):
                break
        assert line == f"TABLES_CONNECTION_STRING={connection_string_for(port)}\n"
        assert accepts_connections(port)
        # WHEN the stack sends it SIGTERM
        runner.send_signal(signal.SIGTERM)
        # THEN it exits cleanly and Node no longer holds the port
        assert runner.wait(timeout=10) == 0
        assert not accepts_connections(port)
    finally:  # SIGTERM first, so even a failed test leaves no Azurite behind
        if runner.poll() is None:
            runner.terminate()
            try:
                runner.wait(timeout=10)
            except subprocess.TimeoutExpired:
                runner.kill()
                runner.wait()
