"""A scripted HTTP peer for unit tests: each request takes the next step of a script, and is recorded."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

Step = Callable[[httpx.Request], httpx.Response] | httpx.Response | Exception


@dataclass
class Script:
    """Answers requests from `steps` in order (a response, an exception to raise, or a function of
    the request); a request beyond the script fails the test. Use it as an httpx.MockTransport
    handler."""

    steps: list[Step]
    requests: list[httpx.Request] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if not self.steps:
            raise AssertionError(f"unscripted request {request.method} {request.url}")
        step = self.steps.pop(0)
        if isinstance(step, Exception):
            raise step
        if isinstance(step, httpx.Response):
            return step
        return step(request)

    def bodies(self) -> list[Any]:
        return [json.loads(r.content) if r.content else None for r in self.requests]
