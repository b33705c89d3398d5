"""A separate process of the local stack, for the LocalTransport tests: `python -m ... MODE PATH ...`.

- `drain PATH DIR`: report ready (a file in DIR), wait for DIR/go, then lock messages on `work` one
  at a time until none are left; print the locked sequence numbers and delivery counts as JSON
  (the locks are left to expire).
- `hold PATH COUNT`: lock COUNT messages on `work`, print their sequence numbers, then wait to be killed.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from pathlib import Path

from shared.messaging.local import LocalTransport
from tests.contract.messaging.support import NOTHING_WAIT, SPECS, WORK

# A little work per message, as a real flow has: a process that goes straight back for the next
# message would take SQLite's write lock again before the others' busy handlers wake up.
WORK_SECONDS = 0.002


def line_up(folder: Path) -> None:
    """The processes start at different moments; the test starts them draining together."""
    (folder / f"ready-{os.getpid()}").touch()
    while not (folder / "go").exists():
        time.sleep(0.002)


async def drain(transport: LocalTransport) -> None:
    locked: list[tuple[int, int]] = []
    async with transport.receiver(WORK) as receiver:
        assert receiver is not None
        while batch := await receiver.receive(max_messages=1, max_wait=NOTHING_WAIT):
            locked += [(m.sequence_number, m.delivery_count) for m in batch]
            await asyncio.sleep(WORK_SECONDS)
    print(json.dumps(locked), flush=True)


async def hold(path: str, count: int) -> None:
    transport = LocalTransport(path, SPECS)
    async with transport.receiver(WORK) as receiver:
        assert receiver is not None
        held = await receiver.receive(max_messages=count, max_wait=NOTHING_WAIT)
        print(json.dumps([m.sequence_number for m in held]), flush=True)
        await asyncio.sleep(60)  # killed long before


if __name__ == "__main__":
    mode, path, arg = sys.argv[1:4]
    if mode == "drain":
        transport = LocalTransport(path, SPECS)  # connected (and the schema checked) before lining up
        line_up(Path(arg))
        asyncio.run(drain(transport))
    else:
        asyncio.run(hold(path, int(arg)))
