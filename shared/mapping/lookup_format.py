"""The lookup document as an operator writes it (JSON), and every check it must pass before use.

Format and how to add an entry: docs/mapping.md. Codes are trimmed and upper-cased as BC stores
them, so `dpd` and `DPD` are one key, and a duplicate is caught however it was typed.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator

from shared.mapping.contract import CURRENCY_PATTERN, country_code

BC_CODE_MAX_LENGTH = 10  # Shipment Method, Shipping Agent, Agent Service and Unit of Measure: Code[10]
SCEND_CODE_MAX_LENGTH = 50

ServiceKey = tuple[str, str | None, str | None]
"""(shipment method, shipping agent or None for any, agent service or None for any)."""


class LookupTableInvalid(ValueError):
    """The lookup document cannot be used; the message names every entry at fault."""


def _bc_code(value: str) -> str:
    """A BC code as BC stores it: trimmed, upper case (BC upper-cases Code fields), 1–10 characters."""
    code = value.strip().upper()
    if not code:
        raise ValueError("is empty")
    if len(code) > BC_CODE_MAX_LENGTH:
        raise ValueError(f"{code!r} is longer than a BC code ({BC_CODE_MAX_LENGTH} characters)")
    return code


def _any_or_bc_code(value: str) -> str:
    """An optional code: empty is refused too, since null (or leaving it out) is how to say "any"."""
    if not value.strip():
        raise ValueError("is empty; leave it out (or null) to mean any")
    return _bc_code(value)


def _scend_code(value: str) -> str:
    code = value.strip()
    if not code:
        raise ValueError("is empty")
    if len(code) > SCEND_CODE_MAX_LENGTH:
        raise ValueError(f"{code!r} is longer than Scend takes ({SCEND_CODE_MAX_LENGTH} characters)")
    return code


def _country(value: str) -> str:
    code = country_code(value)
    if code is None:
        raise ValueError(f"{value!r} is not an ISO 3166 alpha-2 code")
    return code


def _currency(value: str) -> str:
    code = value.strip().upper()
    if not CURRENCY_PATTERN.fullmatch(code):
        raise ValueError(f"{value!r} is not an ISO 4217 code")
    return code


BcCode = Annotated[str, AfterValidator(_bc_code)]
AnyOrBcCode = Annotated[str, AfterValidator(_any_or_bc_code)] | None
ScendCode = Annotated[str, AfterValidator(_scend_code)]


class ServiceEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    shipment_method: BcCode
    shipping_agent: AnyOrBcCode = None
    shipping_agent_service: AnyOrBcCode = None
    service_code: ScendCode
    note: str | None = None

    @model_validator(mode="after")
    def _service_needs_its_agent(self) -> ServiceEntry:
        if self.shipping_agent_service is not None and self.shipping_agent is None:
            raise ValueError(
                "shipping_agent_service is set without shipping_agent (a service belongs to an agent)"
            )
        return self

    @property
    def key(self) -> ServiceKey:
        return (self.shipment_method, self.shipping_agent, self.shipping_agent_service)


class UnitEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    bc_code: BcCode
    scend_uom: Annotated[str, AfterValidator(_scend_code)]
    note: str | None = None


class CarrierEntry(BaseModel):
    """A Scend carrier (and service) → BC Shipping Agent (and Agent Service) for posted shipments."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    scend_carrier: ScendCode
    scend_service: ScendCode | None = None
    shipping_agent: BcCode
    shipping_agent_service: AnyOrBcCode = None
    note: str | None = None

    @property
    def key(self) -> tuple[str, str | None]:
        return (self.scend_carrier.lower(), self.scend_service.upper() if self.scend_service else None)


RETURN_CONDITIONS = ("A_RESELLABLE", "B_REFURB", "DAMAGED", "FAULTY", "WRONG_ITEM", "MISSING")
RETURN_DISPOSITIONS = ("RESTOCKED", "QUARANTINED", "DISPOSED", "RETURN_TO_SUPPLIER")


def _one_of(allowed: tuple[str, ...]) -> AfterValidator:
    def check(value: str) -> str:
        code = value.strip().upper()
        if code not in allowed:
            raise ValueError(f"{value!r} is not one of {', '.join(allowed)}")
        return code

    return AfterValidator(check)


class ReturnReasonEntry(BaseModel):
    """A Scend inspection outcome (condition, and disposition or any) → BC Return Reason code."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    condition: Annotated[str, _one_of(RETURN_CONDITIONS)]
    disposition: Annotated[str, _one_of(RETURN_DISPOSITIONS)] | None = None
    reason_code: BcCode
    note: str | None = None

    @property
    def key(self) -> tuple[str, str | None]:
        return (self.condition, self.disposition)


class AdjustmentReasonEntry(BaseModel):
    """A Scend adjustment reason (`DAMAGED_IN_WAREHOUSE`, `CYCLE_COUNT_LOSS`, …) → BC Reason Code."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    scend_reason: Annotated[str, AfterValidator(lambda v: _scend_code(v).upper())]
    reason_code: BcCode
    note: str | None = None


StockState = Literal["available", "quarantine", "damaged"]


class LookupDocument(BaseModel):
    """The JSON document as an operator writes it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    home_country: Annotated[str, AfterValidator(_country)] | None = None
    home_currency: Annotated[str, AfterValidator(_currency)] | None = None
    default_service_code: ScendCode | None = None
    services: list[ServiceEntry] = Field(default_factory=list)
    units_of_measure: list[UnitEntry] = Field(default_factory=list)
    carriers: list[CarrierEntry] = Field(default_factory=list)
    return_reasons: list[ReturnReasonEntry] = Field(default_factory=list)
    stock_locations: dict[StockState, BcCode] = Field(default_factory=dict)
    adjustment_reasons: list[AdjustmentReasonEntry] = Field(default_factory=list)

    @model_validator(mode="after")
    def _no_duplicates(self) -> LookupDocument:
        problems = _duplicates("services", [_describe_key(e.key) for e in self.services])
        problems += _duplicates("units_of_measure", [f"bc_code {e.bc_code!r}" for e in self.units_of_measure])
        problems += _duplicates("carriers", [f"scend carrier/service {e.key}" for e in self.carriers])
        problems += _duplicates(
            "return_reasons", [f"condition/disposition {e.key}" for e in self.return_reasons]
        )
        if problems:
            raise ValueError("; ".join(problems))
        return self


def _duplicates(table: str, keys: list[str]) -> list[str]:
    first: dict[str, int] = {}
    problems = []
    for index, key in enumerate(keys):
        if key in first:
            problems.append(f"{table}[{index}] ({key}) repeats {table}[{first[key]}]")
        else:
            first[key] = index
    return problems


def _describe_key(key: ServiceKey) -> str:
    method, agent, service = key
    agent_text = f"shipping agent {agent!r}" if agent else "any shipping agent"
    service_text = f"agent service {service!r}" if service else "any agent service"
    return f"shipment method {method!r}, {agent_text}, {service_text}"


def explain(error: ValidationError) -> str:
    """Each problem as `services[2].shipment_method: is empty`, so the entry is easy to find."""
    problems = []
    for item in error.errors():
        where = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in item["loc"])
        message = str(item["msg"]).removeprefix("Value error, ")
        problems.append(f"{where.lstrip('.')}: {message}" if where else message)
    return "; ".join(problems)
