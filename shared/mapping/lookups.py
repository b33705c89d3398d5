"""The lookup tables: BC shipment method/agent → Scend service code, BC unit of measure → Scend uom,
Scend carrier → BC shipping agent, Scend return condition/disposition → BC return reason.

One JSON document holds them (`lookup_format.py`, docs/mapping.md). It is read from a file or from
an app setting holding the JSON, and validated whole before any document is mapped: a duplicate or
an empty code stops start-up with a message naming the entry, instead of sending orders with the
wrong carrier. A code missing from a table is a `MAPPING_MISSING` error naming the entry to add.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import MappingProxyType

from pydantic import ValidationError

from shared.errors import PermanentError
from shared.mapping.lookup_format import LookupDocument, LookupTableInvalid, ServiceKey, explain

DEFAULT_LOOKUPS = Path(__file__).with_name("default_lookups.json")

__all__ = ["DEFAULT_LOOKUPS", "LookupTableInvalid", "Lookups", "Shipping", "default_lookups", "load_lookups"]


@dataclass(frozen=True, slots=True)
class Shipping:
    """How BC says an order ships: its shipment method, and the agent and service when known.

    The standard API exposes only the shipment method (`$expand=shipmentMethod`); the agent and its
    service come from the companion extension when it is installed, else they are None.
    """

    shipment_method: str | None
    shipping_agent: str | None = None
    shipping_agent_service: str | None = None


def _normal(code: str | None) -> str | None:
    code = (code or "").strip().upper()
    return code or None


@dataclass(frozen=True, slots=True)
class Lookups:
    """The validated tables, ready for lookups; build it with `load_lookups` or `default_lookups`."""

    services: Mapping[ServiceKey, str]
    units_of_measure: Mapping[str, str]
    home_country: str | None = None
    home_currency: str | None = None
    default_service_code: str | None = None
    carriers: Mapping[tuple[str, str | None], tuple[str, str | None]] = MappingProxyType({})
    return_reasons: Mapping[tuple[str, str | None], str] = MappingProxyType({})
    stock_locations: Mapping[str, str] = MappingProxyType({})
    adjustment_reasons: Mapping[str, str] = MappingProxyType({})

    def stock_location(self, state: str | None) -> str | None:
        """The BC location holding Scend stock in `state` (available, quarantine, damaged); None for
        stock outside the warehouse (disposed, gone) or a state the table does not place."""
        return self.stock_locations.get(state) if state else None

    def adjustment_reason(self, scend_reason: str) -> str | None:
        """The BC Reason Code for a Scend adjustment reason; None: posted without a reason code."""
        return self.adjustment_reasons.get(scend_reason.strip().upper())

    def shipping_agent(self, carrier: str, service: str | None) -> tuple[str, str | None] | None:
        """BC (Shipping Agent, Agent Service) for a Scend carrier and service; None when unmapped.

        (carrier, service) → (carrier, any). Unmapped is not an error: the goods have left, so the
        shipment is posted without an agent and the carrier stays on the order's timeline.
        """
        name = carrier.strip().lower()
        wanted = service.strip().upper() if service else None
        return self.carriers.get((name, wanted)) or self.carriers.get((name, None))

    def return_reason(self, condition: str | None, disposition: str | None) -> str | None:
        """The BC Return Reason code for a Scend inspection outcome: (condition, disposition) →
        (condition, any); None when the table has no entry (the memo is drafted without a reason)."""
        if not condition:
            return None
        key = condition.strip().upper()
        wanted = disposition.strip().upper() if disposition else None
        return self.return_reasons.get((key, wanted)) or self.return_reasons.get((key, None))

    def service_code(self, shipping: Shipping) -> str:
        """The Scend service code: the most specific entry wins, then the agent-less ones.

        (method, agent, service) → (method, agent, any) → (method, any, any). An order without a
        shipment method takes `default_service_code`, never an unknown one's.
        """
        method = _normal(shipping.shipment_method)
        agent = _normal(shipping.shipping_agent)
        service = _normal(shipping.shipping_agent_service) if agent else None
        if method is None:
            if self.default_service_code is None:
                raise PermanentError(
                    "MAPPING_MISSING",
                    "the order has no shipment method and the lookup table has no default_service_code: "
                    "set a shipment method on the order, or add default_service_code to the lookup table",
                )
            return self.default_service_code
        for key in ((method, agent, service), (method, agent, None), (method, None, None)):
            if key in self.services:
                return self.services[key]
        wanted = {"shipment_method": method, "shipping_agent": agent, "shipping_agent_service": service}
        entry = {k: v for k, v in wanted.items() if v is not None} | {"service_code": "<Scend code>"}
        given = ", ".join(f"{k} {v!r}" for k, v in wanted.items() if v is not None)
        raise PermanentError(
            "MAPPING_MISSING",
            f"no Scend service code for {given}: add {json.dumps(entry)} (or the same without "
            "shipping_agent_service, or without both agent fields) to services in the lookup table",
        )

    def scend_uom(self, bc_code: str) -> str:
        """The Scend unit of measure for a BC unit of measure code."""
        code = _normal(bc_code)
        if code is not None and code in self.units_of_measure:
            return self.units_of_measure[code]
        entry = json.dumps({"bc_code": code, "scend_uom": "<Scend uom>"})
        raise PermanentError(
            "MAPPING_MISSING",
            f"no Scend unit of measure for BC unit {code!r}: add {entry} to units_of_measure "
            "in the lookup table",
        )


def load_lookups(source: str | Path) -> Lookups:
    """Read and validate a lookup document: a `Path`, or a str holding either JSON or a file path.

    A str starting with `{` is the JSON itself (an app setting); any other str is a file path.
    """
    if isinstance(source, str) and source.lstrip().startswith("{"):
        text, origin = source, "the lookup JSON"
    else:
        path = Path(source)
        try:
            text, origin = path.read_text(encoding="utf-8"), str(path)
        except OSError as error:
            raise LookupTableInvalid(f"cannot read the lookup table {path}: {error.strerror}") from error
    try:
        document = LookupDocument.model_validate_json(text)
    except ValidationError as error:
        raise LookupTableInvalid(f"{origin} is invalid: {explain(error)}") from None
    return _tables(document)


@cache
def default_lookups() -> Lookups:
    """The lookup table shipped with the code (`default_lookups.json`)."""
    return load_lookups(DEFAULT_LOOKUPS)


def _tables(document: LookupDocument) -> Lookups:
    services: dict[ServiceKey, str] = {entry.key: entry.service_code for entry in document.services}
    units: dict[str, str] = {entry.bc_code: entry.scend_uom for entry in document.units_of_measure}
    carriers = {e.key: (e.shipping_agent, e.shipping_agent_service) for e in document.carriers}
    reasons = {e.key: e.reason_code for e in document.return_reasons}
    return Lookups(
        stock_locations=MappingProxyType(
            {str(state): code for state, code in document.stock_locations.items()}
        ),
        adjustment_reasons=MappingProxyType(
            {e.scend_reason: e.reason_code for e in document.adjustment_reasons}
        ),
        carriers=MappingProxyType(carriers),
        return_reasons=MappingProxyType(reasons),
        services=MappingProxyType(services),
        units_of_measure=MappingProxyType(units),
        home_country=document.home_country,
        home_currency=document.home_currency,
        default_service_code=document.default_service_code,
    )
