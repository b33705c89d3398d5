"""HTTP route templates as the Functions host reads them (`{name}`, `{name?}`, `{name:int}`, `{*rest}`)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

_PARAMETER = re.compile(r"\{([^{}]+)\}")
_CONSTRAINTS = {
    "int": r"-?\d+",
    "long": r"-?\d+",
    "alpha": r"[A-Za-z]+",
    "bool": r"(?:true|false)",
    "guid": r"[0-9a-fA-F]{8}-?(?:[0-9a-fA-F]{4}-?){3}[0-9a-fA-F]{12}",
}
_SEGMENT = r"[^/]+"

# How specific a segment is; a lower rank wins, as ASP.NET routing prefers literals to parameters.
_LITERAL, _CONSTRAINED, _PARAM, _OPTIONAL, _CATCH_ALL = range(5)


@dataclass(frozen=True, slots=True)
class _Parameter:
    name: str
    pattern: str
    optional: bool
    default: str | None
    catch_all: bool


def _parse_parameter(text: str) -> _Parameter:
    catch_all = text.startswith("*")
    text = text.lstrip("*")
    optional = text.endswith("?")
    text = text.rstrip("?")
    text, _, default = text.partition("=")
    name, _, constraint = text.partition(":")
    pattern = ".*" if catch_all else _CONSTRAINTS.get(constraint.split("(")[0].lower(), _SEGMENT)
    return _Parameter(name.strip(), pattern, optional or bool(default), default or None, catch_all)


@dataclass(frozen=True, slots=True)
class RouteTemplate:
    """One compiled template; `match` gives the route parameters of a path, or None."""

    template: str
    rank: tuple[int, ...]
    _regex: re.Pattern[str]
    _parameters: tuple[_Parameter, ...]

    @classmethod
    def parse(cls, template: str) -> RouteTemplate:
        pieces: list[str] = []
        rank: list[int] = []
        parameters: list[_Parameter] = []
        for segment in (s for s in template.strip("/").split("/") if s):
            whole = _PARAMETER.fullmatch(segment)
            if whole:
                parameter = _parse_parameter(whole.group(1))
                parameters.append(parameter)
                if parameter.optional or parameter.catch_all:
                    pieces.append(f"(?:/({parameter.pattern}))?")
                    rank.append(_CATCH_ALL if parameter.catch_all else _OPTIONAL)
                else:
                    pieces.append(f"/({parameter.pattern})")
                    rank.append(_CONSTRAINED if parameter.pattern != _SEGMENT else _PARAM)
                continue
            regex, position, segment_rank = "/", 0, _LITERAL
            for found in _PARAMETER.finditer(segment):
                parameter = _parse_parameter(found.group(1))
                parameters.append(parameter)
                regex += re.escape(segment[position : found.start()]) + f"({parameter.pattern})"
                position, segment_rank = found.end(), _PARAM
            pieces.append(regex + re.escape(segment[position:]))
            rank.append(segment_rank)
        compiled = re.compile("^" + "".join(pieces) + "/?$", re.IGNORECASE)
        return cls(template, tuple(rank), compiled, tuple(parameters))

    def match(self, path: str) -> dict[str, str] | None:
        found = self._regex.match("/" + path.strip("/"))
        if found is None:
            return None
        params: dict[str, str] = {}
        for parameter, value in zip(self._parameters, found.groups(), strict=True):
            if value is not None:
                params[parameter.name] = value
            elif parameter.default is not None:
                params[parameter.name] = parameter.default
        return params


@dataclass(frozen=True, slots=True)
class Matched[T]:
    target: T
    route_params: dict[str, str]


@dataclass(frozen=True, slots=True)
class MethodNotAllowed:
    allowed: frozenset[str]


@dataclass(frozen=True, slots=True)
class _Entry[T]:
    template: RouteTemplate
    methods: frozenset[str] | None
    target: T


class RouteTable[T]:
    """Every route of the app under one prefix; picks the most specific template that matches."""

    def __init__(self, prefix: str, routes: Iterable[tuple[str, frozenset[str] | None, T]]) -> None:
        entries = [
            _Entry(RouteTemplate.parse(f"{prefix.strip('/')}/{route.strip('/')}"), methods, target)
            for route, methods, target in routes
        ]
        self._entries = sorted(entries, key=lambda e: e.template.rank)

    def resolve(self, path: str, method: str) -> Matched[T] | MethodNotAllowed | None:
        """The route for `method` on `path`; MethodNotAllowed when only other methods match; else None."""
        allowed: set[str] = set()
        for entry in self._entries:
            params = entry.template.match(path)
            if params is None:
                continue
            if entry.methods is None or method.upper() in entry.methods:
                return Matched(entry.target, params)
            allowed |= entry.methods
        return MethodNotAllowed(frozenset(allowed)) if allowed else None
