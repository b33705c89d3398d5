"""What a chaos run runs against: Azurite, the BC and Scend simulators in this process (so the
outcome can be read from their state), and the real app on the dev host in a child process that
can be killed and started again on the same port, settings and queue file."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx

from local.azurite import Azurite, free_port, start_azurite
from local.bc_sim import BcSim, BcSimConfig, serve_bc_sim
from local.scend_sim import ScendSim, ScendSimConfig, serve_scend_sim
from shared.messaging.local import LocalTransport
from shared.messaging.queues import queue_specs
from shared.settings import Settings, WriteBackMode

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "local.settings.example.json"
FUNCTION_KEY = "chaos-function-key"
MASTER_KEY = "chaos-master-key"
WEBHOOK_EVENTS = [
    "shipment.despatched",
    "return.received",
    "return.inspected",
    "stock.adjusted",
    "receipt.created",
]


def chaos_settings(
    *, bc: BcSim, scend: ScendSim, azurite: Azurite, devhost_port: int, folder: Path, mode: WriteBackMode
) -> dict[str, str]:
    """local.settings.example.json with the run's addresses and quick schedules: the polls every
    few seconds (the webhooks are doorbells; the feeds and polls catch what they lose), short
    timeouts so a hung write is given up quickly, and backoff capped at 15 s."""
    values: dict[str, str] = json.loads(EXAMPLE.read_text())["Values"]
    config = bc.config
    values.update(
        TABLES_CONNECTION_STRING=azurite.connection_string,
        LOCAL_TRANSPORT_PATH=str(folder / "transport.sqlite3"),
        REPORTS_DIR=str(folder / "reports"),
        BC_API_BASE_URL=bc.base_url, BC_AUTHORITY_HOST=bc.base_url, BC_TENANT_ID=config.tenant,
        BC_ENVIRONMENT=config.environment, BC_COMPANY_ID=config.company_id, BC_CLIENT_ID=config.client_id,
        BC_CLIENT_SECRET=config.client_secret, BC_CA_FILE=str(bc.ca_file),
        BC_NOTIFICATION_URL=f"http://127.0.0.1:{devhost_port}/api/bc/notifications?code={FUNCTION_KEY}",
        BC_WRITEBACK_MODE=mode.value, BC_INVOICE_ON_RECEIPT="true", BC_REQUEST_TIMEOUT_SECONDS="5",
        SCEND_BASE_URL=scend.base_url, SCEND_API_KEY=scend.api_key, SCEND_TIMEOUT_SECONDS="5",
        # Scend's 120 a minute would make 1,000 orders take ten minutes on their own; the limit is
        # replaced by the injected 429 bursts (plan.faults_for).
        SCEND_REQUESTS_PER_MINUTE="6000",
        POLL_BC_ITEMS_SCHEDULE="*/15 * * * * *", POLL_BC_SALES_ORDERS_SCHEDULE="*/5 * * * * *",
        POLL_BC_PURCHASE_ORDERS_SCHEDULE="*/10 * * * * *", POLL_SCEND_FEEDS_SCHEDULE="*/10 * * * * *",
        RUN_AUDITS_SCHEDULE="0 */5 * * * *",
        RETRY_BASE_SECONDS="1", RETRY_MAX_SECONDS="15",
        DEVHOST_FUNCTION_KEY=FUNCTION_KEY, DEVHOST_MASTER_KEY=MASTER_KEY,
    )  # fmt: skip
    return values


@dataclass
class DevHostProcess:
    """The dev host as a child process: started, killed (SIGKILL, no goodbye) and started again."""

    settings_file: Path
    port: int
    log_file: Path
    kills: int = 0
    starts: int = 0
    _process: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    _log: IO[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if k not in _setting_names(self.settings_file)}
        env["PYTHONUNBUFFERED"] = "1"
        self._log = self._log or self.log_file.open("ab")
        args = [sys.executable, "-m", "local.devhost", "--app", "function_app", "--port", str(self.port),
                "--settings", str(self.settings_file), "--log-level", "WARNING"]  # fmt: skip
        self._process = subprocess.Popen(  # noqa: S603, ASYNC220 - our own module; starts in milliseconds
            args, cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT
        )
        self.starts += 1
        await self._wait_until_up()

    async def _wait_until_up(self) -> None:
        timeout = 60.0
        deadline = asyncio.get_running_loop().time() + timeout
        async with httpx.AsyncClient(timeout=1.0) as http:
            while asyncio.get_running_loop().time() < deadline:
                if self._process is not None and self._process.poll() is not None:
                    raise RuntimeError(
                        f"the dev host exited with {self._process.returncode} (see {self.log_file})"
                    )
                try:
                    if (await http.get(f"{self.url}/admin/host/status")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.2)
        raise RuntimeError(f"the dev host did not answer within {timeout:.0f} s (see {self.log_file})")

    def kill(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGKILL)
            self._process.wait()
            self.kills += 1

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGTERM)
            try:
                self._process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None

    @property
    def alive(self) -> bool:
        return self._process is not None and self._process.poll() is None


def _setting_names(settings_file: Path) -> set[str]:
    return set(json.loads(settings_file.read_text())["Values"])


@dataclass
class ChaosWorld:
    bc_sim: BcSim
    scend_sim: ScendSim
    azurite: Azurite
    host: DevHostProcess
    settings: Settings
    transport: LocalTransport
    folder: Path


@asynccontextmanager
async def chaos_world(seed: int, mode: WriteBackMode, logs: Path) -> AsyncIterator[ChaosWorld]:
    """Everything started on loopback, the dev host not yet (the run starts it after seeding)."""
    logs.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240 - once, before anything runs
    with tempfile.TemporaryDirectory(prefix="chaos-") as tmp:
        folder = Path(tmp)
        azurite = start_azurite()
        try:
            async with (
                serve_bc_sim(BcSimConfig(tls_dir=folder / "tls", webhook_delay_seconds=2.0)) as bc_sim,
                serve_scend_sim(ScendSimConfig(seed=seed, rate_limit_per_minute=None)) as scend_sim,
            ):
                port = free_port()
                values = chaos_settings(
                    bc=bc_sim, scend=scend_sim, azurite=azurite, devhost_port=port, folder=folder, mode=mode
                )
                settings_file = folder / "local.settings.json"
                settings_file.write_text(json.dumps({"IsEncrypted": False, "Values": values}))
                settings = Settings.model_validate({k.lower(): v for k, v in values.items() if v != ""})
                transport = LocalTransport(values["LOCAL_TRANSPORT_PATH"], queue_specs(settings))
                host = DevHostProcess(settings_file, port, logs / f"devhost-{seed}.log")
                try:
                    yield ChaosWorld(bc_sim, scend_sim, azurite, host, settings, transport, folder)
                finally:
                    host.stop()
                    await transport.close()
        finally:
            azurite.stop()
