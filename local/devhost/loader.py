"""Loading a v2-model FunctionApp and reading each function's trigger from its binding metadata."""

from __future__ import annotations

import importlib
import inspect
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

import azure.functions as func

from local.devhost.errors import StartupError
from local.devhost.settings import resolve_expressions

log = logging.getLogger("devhost")

HTTP_TRIGGER = "httpTrigger"
TIMER_TRIGGER = "timerTrigger"
SERVICE_BUS_TRIGGER = "serviceBusTrigger"
_HTTP_OUTPUT = "http"


@dataclass(frozen=True, slots=True)
class HttpBinding:
    route: str
    methods: frozenset[str] | None  # None: every method
    auth_level: func.AuthLevel


@dataclass(frozen=True, slots=True)
class TimerBinding:
    schedule: str
    run_on_startup: bool


@dataclass(frozen=True, slots=True)
class QueueBinding:
    queue: str
    sessions: bool
    connection: str | None
    many: bool = False  # cardinality "many": a list of messages per invocation


Binding = HttpBinding | TimerBinding | QueueBinding


@dataclass(frozen=True, slots=True)
class FunctionDef:
    """One function as the host sees it: its name, trigger and the callable to run."""

    name: str
    trigger_type: str
    binding: Binding
    arg_name: str
    call: Callable[..., Any]
    wants_context: bool
    directory: Path


def load_functions(module_name: str, environ: Mapping[str, str]) -> list[FunctionDef]:
    """Import `module_name`, take its `app` and describe every function, `%NAME%`s resolved."""
    try:
        module = importlib.import_module(module_name)
    except Exception as error:
        log.error("Importing %s failed", module_name, exc_info=True)
        raise StartupError(f"cannot import {module_name}: {type(error).__name__}: {error}") from None
    app = getattr(module, "app", None)
    if not isinstance(app, func.FunctionApp):
        raise StartupError(f"{module_name} has no 'app' of type azure.functions.FunctionApp")
    # get_functions() remembers the names it has seen in `functions_bindings` and refuses them on a
    # second call; a second host in one process (the tests run several) needs a clean record.
    app.functions_bindings = None
    try:
        functions = app.get_functions()
    except Exception as error:
        raise StartupError(f"{module_name}: the app's functions are invalid: {error}") from None
    directory = Path(module.__file__ or ".").resolve().parent
    loaded = [_describe(f, environ, directory) for f in functions]
    names = [f.name.lower() for f in loaded]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise StartupError(f"{module_name}: function names must be unique, repeated: {', '.join(duplicates)}")
    return loaded


def _describe(function: func.Function, environ: Mapping[str, str], directory: Path) -> FunctionDef:
    name = function.get_function_name() or function.get_user_function().__name__
    trigger = function.get_trigger()
    if trigger is None:
        raise StartupError(f"function {name} has no trigger")
    where = f"function {name}"
    spec = {k: _resolved(_plain(v), environ, where) for k, v in trigger.get_dict_repr().items()}
    for other in function.get_bindings():
        if other is not trigger and other.type != _HTTP_OUTPUT:
            raise StartupError(f"{where}: the dev host does not support the {other.type} binding")
    call = function.get_user_function()
    wants_context = _check_parameters(call, str(spec["name"]), where)
    return FunctionDef(
        name=name,
        trigger_type=str(spec["type"]),
        binding=_binding(spec, name),
        arg_name=str(spec["name"]),
        call=call,
        wants_context=wants_context,
        directory=directory,
    )


def _binding(spec: Mapping[str, Any], name: str) -> Binding:
    where = f"function {name}"
    kind = spec["type"]
    if kind == HTTP_TRIGGER:
        methods = spec.get("methods")
        return HttpBinding(
            route=str(spec.get("route") or name),  # the host's default route is the function name
            methods=frozenset(str(m).upper() for m in methods) if methods else None,
            auth_level=func.AuthLevel(str(spec.get("authLevel", "function")).lower()),
        )
    if kind == TIMER_TRIGGER:
        return TimerBinding(schedule=str(spec["schedule"]), run_on_startup=bool(spec.get("runOnStartup")))
    if kind == SERVICE_BUS_TRIGGER:
        if "topicName" in spec:
            raise StartupError(f"{where}: the dev host runs queue triggers only, not topic subscriptions")
        many = str(spec.get("cardinality", "one")).lower() == "many"
        if many and spec.get("isSessionsEnabled"):
            raise StartupError(
                f"{where}: the dev host delivers batches (cardinality many) from plain queues only"
            )
        return QueueBinding(
            queue=str(spec["queueName"]),
            sessions=bool(spec.get("isSessionsEnabled")),
            connection=spec.get("connection"),
            many=many,
        )
    raise StartupError(f"{where}: the dev host does not run {kind} triggers")


def _check_parameters(call: Callable[..., Any], arg_name: str, where: str) -> bool:
    """The worker passes the trigger by its binding name, and `context` when it is declared."""
    parameters = inspect.signature(call).parameters
    if arg_name not in parameters:
        raise StartupError(f"{where}: the trigger binding '{arg_name}' is not a parameter of the function")
    unbound = [
        p.name
        for p in parameters.values()
        if p.name not in (arg_name, "context") and p.default is inspect.Parameter.empty
    ]
    if unbound:
        raise StartupError(f"{where}: the dev host cannot bind parameter(s) {', '.join(unbound)}")
    return "context" in parameters


def _plain(value: Any) -> Any:
    """Binding metadata holds enums (AuthLevel, HttpMethod); the host's function.json holds strings."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _resolved(value: Any, environ: Mapping[str, str], where: str) -> Any:
    if isinstance(value, str):
        return resolve_expressions(value, environ, where=where)
    if isinstance(value, list):
        return [_resolved(v, environ, where) for v in value]
    return value
