"""Waiting for an asynchronous outcome with a bound, instead of sleeping for a guess."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable


async def eventually[T](probe: Callable[[], Awaitable[T]], *, within: float = 2.0) -> T:
    """Poll `probe` until it returns something truthy; fail after `within` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        result = await probe()
        if result or loop.time() > deadline:
            assert result, f"no outcome within {within} s"
            return result
        await asyncio.sleep(0.02)
