"""The simulator as tests and the local stack use it: in-process on a loopback port, with a handle.

async with serve_scend_sim(ScendSimConfig(seed=7)) as sim:
    sim.base_url        # http://127.0.0.1:<port>/v1: the adapter's SCEND_BASE_URL
    sim.api_key         # the bearer key it accepts
    sim.warehouse       # the clock and explicit actions (advance, despatch, adjust, ...)
    sim.state           # every record, feed and stock level
    await sim.flush_webhooks()
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.types import ASGIApp

from local.scend_sim.api.app import build_app
from local.scend_sim.config import ScendSimConfig
from local.scend_sim.core import Simulator
from local.scend_sim.faults import FaultPlan, HttpFault, WebhookFaults
from local.scend_sim.state import SimState
from local.scend_sim.stats import Stats
from local.scend_sim.warehouse import Warehouse
from local.scend_sim.webhooks.delivery import Flushed, WebhookHub
from local.serving import LoopbackServer


class ScendSim:
    """A handle on one simulator; `state` and `warehouse` are the current ones (a reset swaps them)."""

    def __init__(self, simulator: Simulator, app: ASGIApp, url: str = "http://testserver") -> None:
        self.simulator = simulator
        self.app = app
        self.url = url

    @property
    def base_url(self) -> str:
        return self.url + "/v1"

    @property
    def control_url(self) -> str:
        return self.url + "/_sim"

    @property
    def api_key(self) -> str:
        return self.simulator.config.api_key

    @property
    def config(self) -> ScendSimConfig:
        return self.simulator.config

    @property
    def state(self) -> SimState:
        return self.simulator.state

    @property
    def warehouse(self) -> Warehouse:
        return self.simulator.warehouse

    @property
    def webhooks(self) -> WebhookHub:
        return self.simulator.hub

    @property
    def stats(self) -> Stats:
        return self.simulator.stats

    def webhook_secrets(self, subscription_id: str) -> list[str]:
        """The secrets deliveries to this subscription are signed with, oldest first."""
        return list(self.simulator.hub.subscriptions.get(subscription_id).secrets)

    def webhook_secret(self, subscription_id: str) -> str:
        """The newest secret of a subscription."""
        return self.webhook_secrets(subscription_id)[-1]

    def set_faults(self, http: list[HttpFault] | None = None, webhooks: WebhookFaults | None = None) -> None:
        """Replace every fault (counters start again)."""
        self.simulator.set_faults(FaultPlan(http=http or [], webhooks=webhooks or WebhookFaults()))

    async def flush_webhooks(self, *, release_delayed: bool = False) -> Flushed:
        return await self.simulator.hub.flush(release_delayed=release_delayed)

    def reset(self, seed: int | None = None, *, config: ScendSimConfig | None = None) -> None:
        """Start an empty tenant again (new cursor epoch); with `config`, under those settings."""
        self.simulator.reset(seed, config=config)


def build_scend_sim(config: ScendSimConfig | None = None) -> ScendSim:
    """A simulator that is not listening: use `sim.app` with an ASGI client (no background work)."""
    simulator = Simulator(config or ScendSimConfig())
    return ScendSim(simulator, build_app(simulator))


@asynccontextmanager
async def serve_scend_sim(config: ScendSimConfig | None = None, *, port: int = 0) -> AsyncIterator[ScendSim]:
    """Serve a simulator on 127.0.0.1 (port 0: any free port) until the block ends."""
    sim = build_scend_sim(config)
    server = LoopbackServer(port, grace=1.0)
    server.bind()
    await server.start(sim.app)
    sim.url = server.base_url
    sim.simulator.start_background()
    try:
        yield sim
    finally:
        await sim.simulator.stop_background()
        await server.stop()
