"""One request budget for every instance of the Function App, kept in Table Storage.

BC counts 6,000 requests per 5 minutes per principal, whichever instance sends them; an in-process
budget (`shared.ratelimit.SlidingWindowBudget`) only knows its own. Here time is cut into slots
(10 s by default) and each slot has one entity counting the requests granted in it: an instance
takes a *lease* of several requests at a time with one ETag-guarded update, so a BC request costs
a Table round trip only once per lease. Two instances updating at once: one gets a conflict and
reads again, so together they never pass a slot's share.

The share: any 5-minute window overlaps at most `window / slot + 1` slots (31 for 300 s / 10 s),
so each slot grants `limit / 31` (193 for 6,000): no window can ever hold more than the limit,
however the grants fall inside the slots. A lease left over when its slot ends is dropped, never
carried into the next slot. A slot's share spent → wait for the next slot, or `RateLimited` when
that is further away than `max_wait`. The table stays small: the slot entities form a ring of
`RING` rows (an hour of 10 s slots), each reopened, under its ETag, by the first instance to reach
its next turn.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from azure.core import MatchConditions
from azure.core.exceptions import ResourceExistsError, ResourceModifiedError, ResourceNotFoundError
from azure.data.tables import EdmType, UpdateMode
from azure.data.tables.aio import TableClient

from shared.errors import RateLimited
from shared.store.tables import int_value

RING = 360
Sleep = Callable[[float], Awaitable[None]]
WallClock = Callable[[], float]  # seconds since the epoch: every instance must agree on the slot


class SharedBudget:
    """A `RequestBudget` (see `shared.ratelimit`) shared through one table by every instance."""

    def __init__(
        self,
        table: TableClient,
        *,
        name: str,
        limit: int,
        window: float,
        slot: float = 10.0,
        lease: int = 10,
        max_wait: float = 30.0,
        clock: WallClock = time.time,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if limit < 1 or window <= 0 or slot <= 0 or lease < 1:
            raise ValueError("a shared budget needs a positive limit, window, slot and lease")
        self.table = table
        self.name = name
        self.per_slot = max(1, limit // (math.ceil(window / slot) + 1))
        self.slot = slot
        self.lease = min(lease, self.per_slot)
        self.max_wait = max_wait
        self._clock = clock
        self._sleep = sleep
        self._lock = asyncio.Lock()
        self._leased = 0
        self._leased_slot = -1
        self._paused_until = 0.0

    async def take(self) -> None:
        async with self._lock:
            while True:
                now = self._clock()
                current = int(now // self.slot)
                if self._paused_until > now:
                    await self._wait_until(self._paused_until, "paused: the other side said Retry-After")
                    continue
                if self._leased and self._leased_slot == current:
                    self._leased -= 1
                    return
                granted = await self._reserve(current)
                if granted:
                    self._leased, self._leased_slot = granted - 1, current
                    return
                spent = f"of {self.per_slot} per {self.slot:.0f} s is spent"
                await self._wait_until((current + 1) * self.slot, spent)

    def pause(self, seconds: float) -> None:
        """The other side said Retry-After: hold this instance's requests that long."""
        self._paused_until = max(self._paused_until, self._clock() + seconds)

    async def _wait_until(self, moment: float, why: str) -> None:
        seconds = moment - self._clock()  # read again: the table round trip took time
        if seconds > self.max_wait:
            raise RateLimited(f"shared {self.name} {why}", retry_after=seconds)
        await self._sleep(max(seconds, 0.001))

    async def _reserve(self, slot: int) -> int:
        """Up to one lease of requests from `slot`'s share; 0 when it is spent."""
        keys = {"PartitionKey": self.name, "RowKey": f"{slot % RING:03d}"}
        while True:
            try:
                entity = await self.table.get_entity(keys["PartitionKey"], keys["RowKey"])
            except ResourceNotFoundError:
                try:
                    await self.table.create_entity({**keys, **self._opened(slot)})
                except ResourceExistsError:
                    continue  # another instance opened the slot first: read theirs
                return self.lease
            same_turn = int_value(entity.get("Slot", -1)) == slot
            used = int(entity.get("Granted", 0)) if same_turn else 0
            granted = min(self.lease, self.per_slot - used)
            if granted <= 0:
                return 0
            try:
                await self.table.update_entity(
                    {**keys, **self._opened(slot), "Granted": used + granted},
                    mode=UpdateMode.MERGE,
                    etag=entity.metadata["etag"],
                    match_condition=MatchConditions.IfNotModified,
                )
            except ResourceModifiedError:
                continue  # another instance took a lease meanwhile: read again
            return granted

    def _opened(self, slot: int) -> dict[str, object]:
        return {"Slot": (slot, EdmType.INT64), "Granted": self.lease, "Opened": _iso(slot * self.slot)}


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat()
