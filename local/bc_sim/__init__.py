"""A Business Central online simulator on loopback: API v2.0, the companion extension's custom API,
an Entra token endpoint, limits, webhooks, faults and a `/_sim/` control surface (see README.md).

    async with serve_bc_sim(BcSimConfig(tls_dir=path)) as sim:
        sim.base_url, sim.token_url, sim.ca_file, sim.state, sim.config
"""

from local.bc_sim.clock import SimClock
from local.bc_sim.config import BcSimConfig
from local.bc_sim.faults import FaultPlan, FaultRule
from local.bc_sim.model import SimState
from local.bc_sim.seed import SeedRequest
from local.bc_sim.server import BcSim, serve_bc_sim

__all__ = [
    "BcSim",
    "BcSimConfig",
    "FaultPlan",
    "FaultRule",
    "SeedRequest",
    "SimClock",
    "SimState",
    "serve_bc_sim",
]
