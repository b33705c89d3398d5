"""What the dev host takes from host.json: the HTTP route prefix and the Service Bus options."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from local.devhost.errors import StartupError

_TIMESPAN = re.compile(r"^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2}(?:\.\d+)?)$")


@dataclass(frozen=True, slots=True)
class HostConfig:
    """The host.json options the dev host honours, with the Functions host's defaults."""

    route_prefix: str = "api"
    max_concurrent_calls: int = 16
    max_concurrent_sessions: int = 8
    session_idle_timeout: float = 5.0
    auto_complete_messages: bool = True
    max_message_batch_size: int = 1000


def read_host_config(path: Path) -> HostConfig:
    """Read host.json; a missing file means every default, an unreadable one is a start-up error."""
    if not path.exists():
        return HostConfig()
    try:
        document = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, ValueError) as error:
        raise StartupError(f"{path} is not valid JSON: {error}") from None
    extensions: dict[str, Any] = document.get("extensions") or {}
    http: dict[str, Any] = extensions.get("http") or {}
    bus: dict[str, Any] = extensions.get("serviceBus") or {}
    defaults = HostConfig()
    prefix = http.get("routePrefix", defaults.route_prefix)
    idle = bus.get("sessionIdleTimeout")
    return HostConfig(
        route_prefix=str(prefix).strip("/"),
        max_concurrent_calls=_positive(bus, "maxConcurrentCalls", defaults.max_concurrent_calls),
        max_concurrent_sessions=_positive(bus, "maxConcurrentSessions", defaults.max_concurrent_sessions),
        max_message_batch_size=_positive(bus, "maxMessageBatchSize", defaults.max_message_batch_size),
        session_idle_timeout=timespan_seconds(idle) if idle else defaults.session_idle_timeout,
        auto_complete_messages=bool(bus.get("autoCompleteMessages", defaults.auto_complete_messages)),
    )


def _positive(section: dict[str, Any], key: str, default: int) -> int:
    value = section.get(key, default)
    if not isinstance(value, int) or value < 1:
        raise StartupError(f"host.json extensions.serviceBus.{key} must be a positive integer")
    return value


def timespan_seconds(value: str) -> float:
    """A .NET TimeSpan as host.json writes it (`[d.]hh:mm:ss[.fff]`), in seconds."""
    match = _TIMESPAN.match(value.strip())
    if not match:
        raise StartupError(f"host.json time span {value!r} must look like 'hh:mm:ss'")
    days, hours, minutes, seconds = match.groups()
    return int(days or 0) * 86400 + int(hours) * 3600 + int(minutes) * 60 + float(seconds)
