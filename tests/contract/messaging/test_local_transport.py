"""LocalTransport beyond the contract: processes sharing one file, a killed process, and expiry."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from shared.messaging.local import LocalTransport
from shared.messaging.transport import TTL_EXPIRED, QueueCounts
from tests.contract.messaging.support import (
    EPHEMERAL,
    LOCK,
    NOTHING_WAIT,
    ORDERS,
    SPECS,
    WORK,
    Clock,
    message,
)

ROOT = Path(__file__).parents[3]
WORKER = "tests.contract.messaging.local_worker"


def start_worker(*args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", WORKER, *args], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
    )


def wait_until_ready(folder: Path, count: int) -> None:
    while len(list(folder.glob("ready-*"))) < count:
        time.sleep(0.01)


async def test_processes_sharing_one_file_never_lock_the_same_message(tmp_path: Path) -> None:
    # GIVEN 200 messages in a file, and three processes ready to drain it one message at a time
    path = str(tmp_path / "transport.sqlite3")
    sender = LocalTransport(path, SPECS)
    await sender.send(WORK, [message(f"m{n}") for n in range(200)])
    workers = [start_worker("drain", path, str(tmp_path)) for _ in range(3)]
    await asyncio.wait_for(asyncio.to_thread(wait_until_ready, tmp_path, len(workers)), timeout=30)
    # WHEN they all start at once
    (tmp_path / "go").touch()
    outputs = await asyncio.gather(*(asyncio.to_thread(w.communicate, timeout=60) for w in workers))
    # THEN every message was locked exactly once, on its first delivery, by one of them
    locked = [tuple(pair) for out, _ in outputs for pair in json.loads(out)]
    assert all(w.returncode == 0 for w in workers)
    assert sum(1 for out, _ in outputs if json.loads(out)) >= 2, "the processes did not overlap"
    assert len(locked) == 200
    assert len({seq for seq, _ in locked}) == 200
    assert {count for _, count in locked} == {1}
    assert await sender.counts(WORK) == QueueCounts(active=200, scheduled=0, dead_letter=0)
    await sender.close()


async def test_messages_locked_by_a_killed_process_come_back_after_the_lock_duration(tmp_path: Path) -> None:
    # GIVEN three messages, two of them locked by a process that is then killed
    path = str(tmp_path / "transport.sqlite3")
    clock = Clock(datetime.now(UTC))
    survivor = LocalTransport(path, SPECS, clock=clock)
    await survivor.send(WORK, [message(f"m{n}") for n in range(3)])
    crashed = start_worker("hold", path, "2")
    assert crashed.stdout is not None
    held = json.loads(await asyncio.to_thread(crashed.stdout.readline))
    crashed.send_signal(signal.SIGKILL)
    await asyncio.to_thread(crashed.wait)
    clock.now = datetime.now(UTC)
    async with survivor.receiver(WORK) as receiver:
        assert receiver is not None
        # WHEN another process receives before their locks expire THEN it gets only the third
        early = await receiver.receive(max_messages=10, max_wait=NOTHING_WAIT)
        assert [m.message_id for m in early] == ["m2"]
        await receiver.complete(early[0])
        # WHEN the lock duration has passed THEN the two come back, as their second delivery
        clock.advance(LOCK)
        back = await receiver.receive(max_messages=10, max_wait=NOTHING_WAIT)
    assert [(m.sequence_number, m.message_id, m.delivery_count) for m in back] == [
        (held[0], "m0", 2),
        (held[1], "m1", 2),
    ]
    await survivor.close()


async def test_a_session_locked_in_one_process_is_not_given_out_by_another(tmp_path: Path) -> None:
    # GIVEN two transports on one file (two processes' view) and sessions A and B
    path = str(tmp_path / "transport.sqlite3")
    first, second = LocalTransport(path, SPECS), LocalTransport(path, SPECS)
    await first.send(ORDERS, [message("A1", session_id="A"), message("B1", session_id="B")])
    # WHEN each opens a session receiver, then the second another one
    async with (
        first.receiver(ORDERS, session=True, max_wait=NOTHING_WAIT) as a,
        second.receiver(ORDERS, session=True, max_wait=NOTHING_WAIT) as b,
        second.receiver(ORDERS, session=True, max_wait=NOTHING_WAIT) as none,
    ):
        # THEN the sessions are split between them and no third receiver gets one
        assert (a and a.session_id, b and b.session_id, none) == ("A", "B", None)
    await first.close()
    await second.close()


async def test_a_file_transport_runs_in_wal_mode(tmp_path: Path) -> None:
    # GIVEN a transport on a new file WHEN another connection looks THEN readers and the writer coexist (WAL)
    path = tmp_path / "transport.sqlite3"
    transport = LocalTransport(str(path), SPECS)
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    await transport.close()


async def test_an_expired_message_is_dead_lettered_unless_locked_and_the_rest_stay(
    broker: LocalTransport, clock: Clock
) -> None:
    # GIVEN a locked message and an unlocked one, both with a time to live of 20 s, and one with the default
    ttl = timedelta(seconds=20)
    await broker.send(WORK, [message("locked", time_to_live=ttl)])
    async with broker.receiver(WORK) as receiver:
        assert receiver is not None
        [locked] = await receiver.receive(max_wait=NOTHING_WAIT)
        await broker.send(WORK, [message("short", time_to_live=ttl), message("default")])
        # WHEN their time to live passes, within the lock duration
        clock.advance(ttl)
        assert ttl < LOCK
        # THEN the unlocked one is dead-lettered as expired, while the locked one can still be completed
        await receiver.complete(locked)
    [dead] = await broker.peek_dead_letters(WORK)
    assert (dead.message_id, dead.dead_letter_reason) == ("short", TTL_EXPIRED)
    assert dead.dead_letter_error_description == "The message expired and was dead lettered."
    assert await broker.counts(WORK) == QueueCounts(active=1, scheduled=0, dead_letter=1)


async def test_an_expired_message_is_dropped_where_the_queue_does_not_dead_letter_expiry(
    broker: LocalTransport, clock: Clock
) -> None:
    # GIVEN a queue with a one-hour default time to live that does not dead-letter on expiry
    await broker.send(EPHEMERAL, [message("poll:items")])
    clock.advance(timedelta(minutes=59))
    assert await broker.counts(EPHEMERAL) == QueueCounts(active=1, scheduled=0, dead_letter=0)
    # WHEN the hour is up THEN the message is gone without a dead letter
    clock.advance(timedelta(minutes=1))
    assert await broker.counts(EPHEMERAL) == QueueCounts(active=0, scheduled=0, dead_letter=0)


async def test_a_message_time_to_live_longer_than_the_queue_default_is_capped(
    broker: LocalTransport, clock: Clock
) -> None:
    # GIVEN a message asking for a day on a queue whose default is an hour
    await broker.send(EPHEMERAL, [message("poll:orders", time_to_live=timedelta(days=1))])
    # WHEN the hour is up THEN it has expired, as Service Bus caps it at the queue default
    clock.advance(timedelta(hours=1))
    assert await broker.counts(EPHEMERAL) == QueueCounts(active=0, scheduled=0, dead_letter=0)
