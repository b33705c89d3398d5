"""The Scend warehouse simulator: the contract of reference §3 with a warehouse clock, webhooks,
faults and a control surface. See local/scend_sim/README.md."""

from local.scend_sim.config import DEFAULT_API_KEY, RealTime, ScendSimConfig, Service, WarehousePolicy
from local.scend_sim.faults import FaultPlan, HttpFault, WebhookFaults
from local.scend_sim.server import ScendSim, build_scend_sim, serve_scend_sim

__all__ = [
    "DEFAULT_API_KEY",
    "FaultPlan",
    "HttpFault",
    "RealTime",
    "ScendSim",
    "ScendSimConfig",
    "Service",
    "WarehousePolicy",
    "WebhookFaults",
    "build_scend_sim",
    "serve_scend_sim",
]
