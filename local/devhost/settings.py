"""App settings for the dev host: local.settings.json, the settings hook, `%NAME%` expressions."""

from __future__ import annotations

import importlib
import json
import re
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from local.devhost.errors import StartupError

DEFAULT_SETTINGS_FILE = Path("local.settings.json")
DEFAULT_SETTINGS_HOOK = "shared.settings:load_settings"

_EXPRESSION = re.compile(r"%([^%\s]+)%")


@dataclass(frozen=True, slots=True)
class LocalSettings:
    """What local.settings.json holds for the host: its Values and its preferred HTTP port."""

    values: dict[str, str]
    local_http_port: int | None = None


def load_local_settings(
    path: Path | None, environ: MutableMapping[str, str], *, required: bool
) -> LocalSettings:
    """Copy the file's `Values` into `environ`, never over a variable already set (as `func` does).

    A missing file is an error only when `required` (the path was given explicitly).
    """
    path = path or DEFAULT_SETTINGS_FILE
    if not path.exists():
        if required:
            raise StartupError(f"settings file {path} does not exist")
        return LocalSettings(values={})
    try:
        document = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, ValueError) as error:
        raise StartupError(f"settings file {path} is not valid JSON: {error}") from None
    if not isinstance(document, dict) or not isinstance(document.get("Values", {}), dict):
        raise StartupError(f"settings file {path} must be an object with a 'Values' object")
    if document.get("IsEncrypted"):
        raise StartupError(f"settings file {path} is encrypted; the dev host reads plain values only")
    values = {str(k): _as_text(v) for k, v in document.get("Values", {}).items()}
    for name, value in values.items():
        environ.setdefault(name, value)
    host = document.get("Host")
    port = host.get("LocalHttpPort") if isinstance(host, dict) else None
    return LocalSettings(values=values, local_http_port=int(port) if port else None)


def _as_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def resolve_expressions(value: str, environ: Mapping[str, str], *, where: str) -> str:
    """Replace every `%NAME%` with app setting NAME; an unset or empty one is a start-up error."""

    def lookup(match: re.Match[str]) -> str:
        name = match.group(1)
        resolved = environ.get(name, "")
        if not resolved:
            raise StartupError(f"{where}: app setting {name} (used as %{name}%) is not set")
        return resolved

    return _EXPRESSION.sub(lookup, value)


def run_settings_hook(spec: str) -> Any:
    """Call the app's settings check (`module:callable`) and return what it returns.

    Whatever it raises (the app's `SettingsError`, naming every bad setting) becomes a one-line
    start-up error: a long traceback would bury the one thing the developer has to fix.
    """
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise StartupError(f"settings hook {spec!r} must look like 'package.module:function'")
    try:
        hook = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as error:
        raise StartupError(f"settings hook {spec} cannot be loaded: {error}") from None
    try:
        return hook()
    except Exception as error:
        message = " ".join(str(error).split()) or type(error).__name__
        raise StartupError(message) from None
