"""The simulator's composition root (`BcSim`) and `serve_bc_sim`, which serves it on loopback
(HTTPS with `tls_dir`) with its webhook sender running, for tests and `python -m local.bc_sim`."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from starlette.types import ASGIApp

from local.bc_sim import custom_api, orders, posting
from local.bc_sim.api import Api
from local.bc_sim.app import build_app
from local.bc_sim.auth import Auth
from local.bc_sim.clock import SimClock
from local.bc_sim.config import CUSTOM_API, STANDARD_API, BcSimConfig
from local.bc_sim.documents import Documents
from local.bc_sim.errors import BcError
from local.bc_sim.faults import Decision, FaultPlan, Faults
from local.bc_sim.limits import Limits
from local.bc_sim.model import SimState
from local.bc_sim.openapi import openapi_document
from local.bc_sim.routing import resolve, split_root
from local.bc_sim.seed import SeedRequest, seed_catalogue
from local.bc_sim.stats import Stats
from local.bc_sim.webhooks import Webhooks, stop_task
from local.certs import ensure_tls_files
from local.serving import LoopbackServer

_KEYS = re.compile(r"\([^)]*\)")


class BcSim:
    """One simulated Business Central environment with one company. Usable without a server
    (`sim.app` is an ASGI app); `serve_bc_sim` fills in `base_url` and `ca_file`."""

    def __init__(self, config: BcSimConfig | None = None) -> None:
        config = config or BcSimConfig()
        # GUID keys compare in their canonical (lower-case) form, as the routes parse them.
        self.config = replace(config, company_id=str(uuid.UUID(config.company_id)))
        self.clock: SimClock = self.config.clock
        self.state = SimState(self.clock)
        self.docs = Documents(self.state, self.config)
        orders.install(self.docs)
        posting.install(self.docs)
        custom_api.install(self.docs)
        self.webhooks = Webhooks(self.state, self.config, self.config.company_id)
        self.api = Api(self.config, self.state, self.docs, self.webhooks)
        self.auth = Auth(self.config)
        self.limits = Limits(self.config)
        self.faults = Faults()
        self.stats = Stats()
        self.app: ASGIApp = build_app(self)
        self.base_url = ""
        self.ca_file: Path | None = None
        self._openapi: dict[str, Any] | None = None
        if self.config.seed is not None:
            self.seed(SeedRequest(seed=self.config.seed))

    # --- addresses ---------------------------------------------------------------------------------
    @property
    def token_url(self) -> str:
        return f"{self.base_url}/{self.config.tenant}/oauth2/v2.0/token"

    @property
    def api_url(self) -> str:
        """The standard API root: `{base_url}/v2.0/{tenant}/{environment}/api/v2.0`."""
        return f"{self.base_url}/v2.0/{self.config.tenant}/{self.config.environment}/api/{STANDARD_API}"

    @property
    def custom_api_url(self) -> str:
        return f"{self.base_url}/v2.0/{self.config.tenant}/{self.config.environment}/api/{CUSTOM_API}"

    @property
    def company_url(self) -> str:
        return f"{self.api_url}/companies({self.config.company_id})"

    @property
    def custom_company_url(self) -> str:
        return f"{self.custom_api_url}/companies({self.config.company_id})"

    def access_token(self, client_id: str | None = None) -> str:
        """A valid bearer token without the token endpoint (tests that are not about auth)."""
        return self.auth.token_for(client_id or self.config.client_id)

    # --- control -----------------------------------------------------------------------------------
    def reset(self) -> None:
        """Empty company, no subscriptions, faults, statistics or load; config and clock stay."""
        self.state.clear()
        self.webhooks.reset()
        self.faults.set(FaultPlan())
        self.stats.reset()
        self.limits.reset()

    def seed(self, request: SeedRequest | None = None) -> dict[str, list[dict[str, str]]]:
        return seed_catalogue(self.docs, request or SeedRequest())

    def statistics(self) -> dict[str, Any]:
        return self.stats.snapshot(self.state.postings, self.limits.snapshot())

    def inner_fault(self, method: str, path: str) -> Decision | None:
        """The fault plan's decision for an operation inside a `$batch` (see `batch`)."""
        _, template, relative = self.classify(path)
        return self.faults.decide(method, template, relative)

    def record_inner_fault(self, principal: str) -> Callable[[str, str, str], None]:
        def record(method: str, path: str, fault: str) -> None:
            _, template, _ = self.classify(path)
            self.stats.record_operation_fault(principal, f"{method} {template}", fault)

        return record

    def describe(self) -> dict[str, Any]:
        c = self.config
        return {
            "baseUrl": self.base_url,
            "tokenUrl": self.token_url,
            "apiUrl": self.api_url,
            "customApiUrl": self.custom_api_url,
            "tenant": c.tenant,
            "environment": c.environment,
            "companyId": c.company_id,
            "companyName": c.company_name,
            "clientId": c.client_id,
            "scope": c.scope,
            "pageSize": c.page_size,
            "caFile": str(self.ca_file) if self.ca_file else None,
        }

    def openapi_document(self) -> dict[str, Any]:
        if self._openapi is None:
            self._openapi = openapi_document(self.config)
        return self._openapi

    def classify(self, path: str) -> tuple[bool, str, str]:
        """(needs a bearer token, route template, path relative to the server) for statistics and faults."""
        try:
            root = split_root(path, self.config)
        except BcError:
            return True, path, path
        if root is None:
            if path.startswith("/v2.0/"):
                return True, path, path
            parts = path.split("/")
            if len(parts) > 2 and parts[1].casefold() == self.config.tenant.casefold():
                parts[1] = "{tenant}"
            return False, "/".join(parts), path
        api = f"/api/{root.api}"
        relative = f"{api}/{root.rest}"
        try:
            return True, api + resolve(root, self.config.company_id).template, relative
        except BcError:
            return True, _KEYS.sub("({id})", relative), relative


@asynccontextmanager
async def serve_bc_sim(config: BcSimConfig | None = None, *, port: int = 0) -> AsyncIterator[BcSim]:
    """Serve a simulator on 127.0.0.1 (port 0: a free one); HTTPS when `config.tls_dir` is set."""
    sim = BcSim(config)
    tls = ensure_tls_files(sim.config.tls_dir) if sim.config.tls_dir is not None else None
    server = LoopbackServer(
        port, ssl_certfile=tls.cert_file if tls else None, ssl_keyfile=tls.key_file if tls else None
    )
    await server.start(sim.app)
    sim.base_url = server.base_url
    sim.ca_file = tls.ca_file if tls else None
    sender = asyncio.create_task(sim.webhooks.run(), name="bc-sim-webhooks")
    try:
        yield sim
    finally:
        await stop_task(sender)
        await server.stop()
