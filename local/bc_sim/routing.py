"""BC online's URL shape: `/v2.0/{tenant}/{environment}/api/{v2.0 | scendIntegration/warehouse/v1.0}/...`
resolved into what a request addresses, plus the route template statistics and faults key on.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Literal

from local.bc_sim import errors
from local.bc_sim.config import CUSTOM_API, STANDARD_API, BcSimConfig
from local.bc_sim.errors import BcError
from local.bc_sim.schema import ALL_SETS, SETS_BY_API, EntitySet, Nav

_SEGMENT = re.compile(r"^([A-Za-z$][\w.$]*)(?:\((.*)\))?$")
ACTION_PREFIX = "Microsoft.NAV."
type Kind = Literal[
    "service",
    "metadata",
    "batch",
    "companies",
    "company",
    "collection",
    "entity",
    "action",
    "subscriptions",
    "subscription",
]


@dataclass(frozen=True)
class ApiRoot:
    api: str  # STANDARD_API or CUSTOM_API
    prefix: str  # the path up to the API version, e.g. /v2.0/{tenant}/{env}/api/v2.0
    rest: str  # what follows, without the leading slash


@dataclass(frozen=True)
class Target:
    """What a request addresses. `parent` is the header of a navigation (`salesOrders(x)/salesOrderLines`);
    `single_nav` is a to-one navigation (`salesOrders(x)/customer`)."""

    kind: Kind
    api: str
    template: str
    es: EntitySet | None = None
    key: str | None = None
    parent: tuple[EntitySet, str] | None = None
    single_nav: Nav | None = None
    action: str | None = None
    company_id: str | None = None


def split_root(path: str, config: BcSimConfig) -> ApiRoot | None:
    """The API root of a path, or None when the path is not under `/v2.0/.../api/`."""
    parts = path.split("/")
    if len(parts) < 4 or parts[1] != "v2.0":
        return None
    if parts[3] == "api":
        tenant, environment, start = config.tenant, parts[2], 4
    elif len(parts) > 4 and parts[4] == "api":
        tenant, environment, start = parts[2], parts[3], 5
    else:
        return None
    if tenant.casefold() != config.tenant.casefold():
        raise BcError(404, "Internal_TenantUnavailable", f"The tenant '{tenant}' is not accessible.")
    if environment != config.environment:
        raise errors.segment_not_found(environment)
    for api in (STANDARD_API, CUSTOM_API):
        width = api.count("/") + 1
        if "/".join(parts[start : start + width]) == api:
            return ApiRoot(api, "/".join(parts[: start + width]), "/".join(parts[start + width :]))
    raise errors.segment_not_found("/".join(parts[start : start + 1]))


def _segments(rest: str) -> list[tuple[str, str | None]]:
    found: list[tuple[str, str | None]] = []
    for raw in rest.split("/"):
        match = _SEGMENT.match(raw)
        if match is None:
            raise errors.segment_not_found(raw)
        found.append((match.group(1), match.group(2)))
    return found


def parse_key(text: str, *, quoted: bool = False) -> str:
    """A GUID key (bare, as BC writes it) or, for subscriptions, a quoted string key."""
    text = text.strip()
    if quoted or text.startswith("'"):
        if len(text) < 2 or not (text.startswith("'") and text.endswith("'")):
            raise errors.syntax_error(f"A quoted key was expected: ({text}).")
        return text[1:-1].replace("''", "'")
    if text.startswith("id="):
        text = text[3:]
    try:
        return str(uuid.UUID(text))
    except ValueError:
        raise errors.syntax_error(f"'|' or ',' expected at position 3 in ({text}).") from None


def resolve(root: ApiRoot, company_hint: str | None) -> Target:
    """The target of the path after the API root. `company_hint` is `?company=` or a batch `Company`."""
    api = root.api
    if root.rest in ("", "/"):
        return Target("service", api, "/")
    if root.rest == "$metadata":
        return Target("metadata", api, "/$metadata")
    if root.rest == "$batch":
        return Target("batch", api, "/$batch")
    segments = _segments(root.rest)
    name, key = segments[0]
    if name == "subscriptions" and api == STANDARD_API:
        if len(segments) > 1:
            raise errors.segment_not_found(segments[1][0])
        if key is None:
            return Target("subscriptions", api, "/subscriptions", ALL_SETS["subscriptions"])
        return Target(
            "subscription",
            api,
            "/subscriptions({id})",
            ALL_SETS["subscriptions"],
            parse_key(key, quoted=True),
        )
    company_id = None
    template = ""
    if name == "companies":
        if key is None:
            if len(segments) > 1:
                raise errors.segment_not_found(segments[1][0])
            return Target("companies", api, "/companies")
        company_id = parse_key(key)
        template = "/companies({id})"
        segments = segments[1:]
        if not segments:
            return Target("company", api, template, company_id=company_id)
    elif company_hint is not None:
        company_id = company_hint
    else:
        raise BcError(
            400,
            "Internal_CompanyNotFound",
            "Cannot process the request because the default company cannot be found. Specify a company with"
            " companies({id}) or ?company=.",
        )
    return _resolve_in_company(api, segments, template, company_id)


def _resolve_in_company(
    api: str, segments: list[tuple[str, str | None]], template: str, company_id: str
) -> Target:
    sets = SETS_BY_API[api]
    name, key = segments[0]
    es = sets.get(name)
    if es is None or not es.company_scoped:
        raise errors.segment_not_found(name)
    template += f"/{name}"
    if key is None:
        if len(segments) > 1:
            raise errors.segment_not_found(segments[1][0])
        return Target("collection", api, template, es, company_id=company_id)
    row_key = parse_key(key)
    template += "({id})"
    if len(segments) == 1:
        return Target("entity", api, template, es, row_key, company_id=company_id)
    name, key = segments[1]
    if len(segments) > 2:
        raise errors.segment_not_found(segments[2][0])
    if name.startswith(ACTION_PREFIX):
        action = name[len(ACTION_PREFIX) :]
        if key is not None or action not in es.actions:
            raise BcError(
                400, "BadRequest_MethodNotImplemented", f"Entity does not support the bound action '{name}'."
            )
        return Target("action", api, f"{template}/{name}", es, row_key, action=action, company_id=company_id)
    nav = es.nav_by_name.get(name)
    if nav is None:
        raise errors.segment_not_found(name)
    target = ALL_SETS[nav.target]
    template += f"/{name}"
    if nav.kind == "one":
        if key is not None:
            raise errors.segment_not_found(f"{name}({key})")
        return Target("entity", api, template, target, None, (es, row_key), nav, company_id=company_id)
    if key is None:
        return Target("collection", api, template, target, parent=(es, row_key), company_id=company_id)
    return Target(
        "entity", api, template + "({id})", target, parse_key(key), (es, row_key), company_id=company_id
    )
