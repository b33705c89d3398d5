"""The local Transport: Service Bus semantics on one SQLite file, shared by the local stack's processes.

Every state change is one short `BEGIN IMMEDIATE` transaction, so the processes of the local stack
(dev host, CLI, tests) can share a file: SQLite's write lock is the broker's lock. Nothing lives in
process memory except the queue specs, so a process killed mid-receive loses nothing: its locks
simply expire, as on Service Bus. Time comes from an injectable clock; lock expiry, TTL expiry and
duplicate windows are evaluated lazily ("swept") at the start of each operation on a queue.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import Any

from shared.messaging.transport import (
    MAX_DELIVERY_COUNT_EXCEEDED,
    TTL_EXPIRED,
    LockLost,
    MessageNotFound,
    OutboundMessage,
    QueueCounts,
    QueueSpec,
    ReceivedMessage,
    SessionLockLost,
    TransportError,
    check_outbound,
    find_spec,
    replay_copy,
)

POLL_SECONDS = 0.05  # how often a waiting receive looks again
BUSY_TIMEOUT_SECONDS = 10.0
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ACTIVE = "active"
_DEAD = "deadletter"
# Session lock statements; each takes (queue, session_id, lock_token, now) last.
_SESSION_HELD = (
    "SELECT locked_until FROM sessions"
    " WHERE queue = ? AND session_id = ? AND lock_token = ? AND locked_until > ?"
)
_SESSION_RELEASE = (
    "DELETE FROM sessions WHERE queue = ? AND session_id = ? AND lock_token = ? AND locked_until > ?"
)
_SESSION_RENEW = (
    "UPDATE sessions SET locked_until = ?"
    " WHERE queue = ? AND session_id = ? AND lock_token = ? AND locked_until > ?"
)
_UNLOCK = "UPDATE messages SET lock_token = NULL, locked_until = NULL WHERE seq = ?"

_SCHEMA = """
BEGIN IMMEDIATE;
CREATE TABLE IF NOT EXISTS messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,  -- the sequence number; never reused
    queue TEXT NOT NULL,
    state TEXT NOT NULL,                    -- 'active' (incl. scheduled) or 'deadletter'
    message_id TEXT NOT NULL,
    session_id TEXT,
    body BLOB NOT NULL,
    correlation_id TEXT,
    subject TEXT,
    properties TEXT NOT NULL,               -- JSON object
    scheduled_at INTEGER,                   -- times are microseconds since the epoch, UTC
    enqueued_at INTEGER NOT NULL,           -- visible from then (the schedule, if any)
    expires_at INTEGER NOT NULL,
    delivery_count INTEGER NOT NULL DEFAULT 0,
    lock_token TEXT,
    locked_until INTEGER,
    dead_letter_reason TEXT,
    dead_letter_description TEXT
);
CREATE INDEX IF NOT EXISTS messages_by_queue ON messages (queue, state, seq);
-- every transaction sweeps expired locks, messages and duplicate entries, and a session's release
-- reads its messages: without these each of those is a scan of the whole queue (O(n) per message)
CREATE INDEX IF NOT EXISTS messages_locked ON messages (queue, locked_until) WHERE lock_token IS NOT NULL;
CREATE INDEX IF NOT EXISTS messages_expiring ON messages (queue, state, expires_at);
CREATE INDEX IF NOT EXISTS messages_by_session ON messages (queue, session_id);
CREATE TABLE IF NOT EXISTS duplicates (
    queue TEXT NOT NULL,
    message_id TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (queue, message_id)
);
CREATE INDEX IF NOT EXISTS duplicates_expiring ON duplicates (queue, expires_at);
CREATE TABLE IF NOT EXISTS sessions (
    queue TEXT NOT NULL,
    session_id TEXT NOT NULL,
    lock_token TEXT NOT NULL,
    locked_until INTEGER NOT NULL,
    PRIMARY KEY (queue, session_id)
);
COMMIT;
"""


def _us(moment: datetime) -> int:
    """Microseconds since the epoch; a naive datetime is taken as UTC, as the Service Bus SDK does."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - _EPOCH) // timedelta(microseconds=1)


def _span_us(span: timedelta) -> int:
    return span // timedelta(microseconds=1)


def _at(us: int | None) -> datetime | None:
    return None if us is None else _EPOCH + timedelta(microseconds=us)


class LocalTransport:
    """The Transport port over SQLite (`path` may be ":memory:" for a single process)."""

    def __init__(
        self, path: str, specs: Sequence[QueueSpec], *, clock: Callable[[], datetime] | None = None
    ) -> None:
        self._specs = {spec.name: spec for spec in specs}
        self._clock = clock or (lambda: datetime.now(UTC))
        # One connection per instance; the lock keeps threads sharing it out of each other's transactions.
        self._lock = threading.Lock()
        self._db = sqlite3.connect(
            path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None, check_same_thread=False
        )
        self._db.row_factory = sqlite3.Row
        self._db.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_SECONDS * 1000)}")
        if path != ":memory:":
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA synchronous = NORMAL")  # WAL: durable against a killed process
        self._db.executescript(_SCHEMA)

    @property
    def specs(self) -> Mapping[str, QueueSpec]:
        return MappingProxyType(self._specs)

    # -- the port -------------------------------------------------------------------------------

    async def send(self, queue: str, messages: Sequence[OutboundMessage]) -> None:
        await self.enqueue(queue, messages)

    async def enqueue(self, queue: str, messages: Sequence[OutboundMessage]) -> list[int | None]:
        """Send, returning each message's sequence number (None where duplicate detection dropped it)."""
        spec = find_spec(self._specs, queue)
        for message in messages:
            check_outbound(spec, message)
        with self._transaction() as (db, now):
            return [self._insert(db, now, spec, message) for message in messages]

    @asynccontextmanager
    async def receiver(
        self, queue: str, *, session: bool = False, max_wait: float = 5.0
    ) -> AsyncIterator[LocalReceiver | None]:
        spec = find_spec(self._specs, queue, session=session)
        if not session:
            # Nothing to release on close: locks a receiver leaves behind expire, as on the broker.
            yield LocalReceiver(self, spec)
            return
        lock = await _poll(lambda: self._lock_session(spec), max_wait)
        if lock is None:
            yield None
            return
        receiver = LocalReceiver(self, spec, session_id=lock[0], session_token=lock[1])
        try:
            yield receiver
        finally:
            self._release_session(spec, lock[0], lock[1])

    @asynccontextmanager
    async def dead_letter_receiver(self, queue: str) -> AsyncIterator[LocalReceiver]:
        """A peek-lock receiver on the dead-letter sub-queue (what the SDK fakes' DLQ receiver uses)."""
        yield LocalReceiver(self, find_spec(self._specs, queue), dead_letters=True)

    async def peek_dead_letters(self, queue: str, max_messages: int = 100) -> list[ReceivedMessage]:
        return self._peek(find_spec(self._specs, queue), _DEAD, max_messages, from_sequence_number=0)

    async def resubmit_dead_letter(self, queue: str, sequence_number: int) -> str:
        """Copy one dead letter back to its queue and delete it, in one transaction.

        The race it closes: two operators press Replay on the same dead letter; without the write
        lock both read it, both send a copy, and the document is processed twice. Here the second
        transaction finds no dead letter and raises `MessageNotFound`.
        """
        spec = find_spec(self._specs, queue)
        with self._transaction() as (db, now):
            row = db.execute(
                "SELECT * FROM messages WHERE queue = ? AND state = ? AND seq = ?",
                (queue, _DEAD, sequence_number),
            ).fetchone()
            if row is None:
                raise MessageNotFound(
                    f"No dead letter {sequence_number} on {queue!r}; peek the dead letters again"
                )
            copy = replay_copy(_received(row))
            self._insert(db, now, spec, copy)
            db.execute("DELETE FROM messages WHERE seq = ?", (sequence_number,))
        return copy.message_id

    async def counts(self, queue: str) -> QueueCounts:
        spec = find_spec(self._specs, queue)
        with self._transaction() as (db, now):
            self._sweep(db, now, spec)
            row = db.execute(
                "SELECT COALESCE(SUM(state = :active AND enqueued_at <= :now), 0),"
                " COALESCE(SUM(state = :active AND enqueued_at > :now), 0),"
                " COALESCE(SUM(state = :dead), 0) FROM messages WHERE queue = :queue",
                {"active": _ACTIVE, "dead": _DEAD, "now": now, "queue": queue},
            ).fetchone()
        return QueueCounts(active=row[0], scheduled=row[1], dead_letter=row[2])

    async def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- broker operations (used by LocalReceiver) ----------------------------------------------

    @contextmanager
    def _transaction(self) -> Iterator[tuple[sqlite3.Connection, int]]:
        """One write transaction, with `now` read once the write lock is held.

        Every read-modify-write (find an unlocked message, then lock it) runs under SQLite's write
        lock, taken up front by `BEGIN IMMEDIATE`. The race it prevents: processes P and Q both
        read message 7 as unlocked; P locks it; Q, whose read came before P's write, locks it too;
        both process it. Reading the clock only after the lock is held also means no transaction
        acts on a time older than one already committed.
        """
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db, _us(self._clock())
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _insert(
        self, db: sqlite3.Connection, now: int, spec: QueueSpec, message: OutboundMessage
    ) -> int | None:
        window = _span_us(spec.duplicate_detection_window)
        db.execute(
            "DELETE FROM duplicates WHERE queue = ? AND message_id = ? AND expires_at <= ?",
            (spec.name, message.message_id, now),
        )
        fresh = db.execute(
            "INSERT OR IGNORE INTO duplicates (queue, message_id, expires_at) VALUES (?, ?, ?)",
            (spec.name, message.message_id, now + window),
        ).rowcount
        if not fresh:
            return None
        scheduled = None if message.scheduled_enqueue_time is None else _us(message.scheduled_enqueue_time)
        enqueued = max(now, scheduled or now)
        ttl = min(message.time_to_live or spec.default_time_to_live, spec.default_time_to_live)
        cursor = db.execute(
            "INSERT INTO messages (queue, state, message_id, session_id, body, correlation_id, subject,"
            " properties, scheduled_at, enqueued_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                spec.name,
                _ACTIVE,
                message.message_id,
                message.session_id,
                message.body,
                message.correlation_id,
                message.subject,
                json.dumps(message.application_properties),
                scheduled,
                enqueued,
                enqueued + _span_us(ttl),
            ),
        )
        return cursor.lastrowid

    def _sweep(self, db: sqlite3.Connection, now: int, spec: QueueSpec) -> None:
        """Apply what time did to the queue: expired locks (= abandon), expired messages, expired
        session locks and duplicate-detection entries. Locked messages do not expire until released."""
        q = spec.name
        db.execute(
            "UPDATE messages SET state = ?, dead_letter_reason = ?, dead_letter_description = ?,"
            " lock_token = NULL, locked_until = NULL WHERE queue = ? AND state = ?"
            " AND lock_token IS NOT NULL AND locked_until <= ? AND delivery_count >= ?",
            (
                _DEAD,
                MAX_DELIVERY_COUNT_EXCEEDED,
                _max_delivery_text(spec),
                q,
                _ACTIVE,
                now,
                spec.max_delivery_count,
            ),
        )
        db.execute(
            "UPDATE messages SET lock_token = NULL, locked_until = NULL"
            " WHERE queue = ? AND lock_token IS NOT NULL AND locked_until <= ?",
            (q, now),
        )
        expired = "queue = ? AND state = ? AND lock_token IS NULL AND expires_at <= ?"
        if spec.dead_lettering_on_expiration:
            db.execute(
                f"UPDATE messages SET state = ?, dead_letter_reason = ?, dead_letter_description = ?"  # noqa: S608
                f" WHERE {expired}",
                (_DEAD, TTL_EXPIRED, "The message expired and was dead lettered.", q, _ACTIVE, now),
            )
        else:
            db.execute(f"DELETE FROM messages WHERE {expired}", (q, _ACTIVE, now))  # noqa: S608
        db.execute("DELETE FROM sessions WHERE queue = ? AND locked_until <= ?", (q, now))
        db.execute("DELETE FROM duplicates WHERE queue = ? AND expires_at <= ?", (q, now))

    def _lock_session(self, spec: QueueSpec) -> tuple[str, str] | None:
        """Lock the session whose oldest available message is oldest; None if every session is taken.

        The race it closes: two receivers both see session A free and both start on A1 and A2 in
        parallel, breaking A's order. The check and the insert of the session lock happen in one
        write transaction, so the second receiver sees A locked and takes B (or nothing).
        """
        with self._transaction() as (db, now):
            self._sweep(db, now, spec)
            row = db.execute(
                "SELECT m.session_id FROM messages m WHERE m.queue = ? AND m.state = ?"
                " AND m.lock_token IS NULL AND m.enqueued_at <= ? AND NOT EXISTS"
                " (SELECT 1 FROM sessions s WHERE s.queue = m.queue AND s.session_id = m.session_id)"
                " ORDER BY m.seq LIMIT 1",
                (spec.name, _ACTIVE, now),
            ).fetchone()
            if row is None:
                return None
            token = uuid.uuid4().hex
            db.execute(
                "INSERT INTO sessions (queue, session_id, lock_token, locked_until) VALUES (?, ?, ?, ?)",
                (spec.name, row[0], token, now + _span_us(spec.lock_duration)),
            )
            return row[0], token

    def _release_session(self, spec: QueueSpec, session_id: str, token: str) -> None:
        """Give the session up; its unsettled messages count as delivered, as with an abandon."""
        with self._transaction() as (db, now):
            held = db.execute(_SESSION_RELEASE, (spec.name, session_id, token, now)).rowcount
            if not held:  # expired or taken over: the new holder owns those messages now
                return
            for row in db.execute(
                "SELECT seq, delivery_count FROM messages WHERE queue = ? AND session_id = ?"
                " AND lock_token IS NOT NULL",
                (spec.name, session_id),
            ).fetchall():
                _abandon(db, spec, row["seq"], row["delivery_count"])

    def _renew_session(self, db: sqlite3.Connection, now: int, receiver: LocalReceiver) -> int:
        """Renew the receiver's session lock (and its messages'), or raise `SessionLockLost`."""
        spec, session_id = receiver.spec, receiver.session_id
        renewed = now + _span_us(spec.lock_duration)
        held = db.execute(
            _SESSION_RENEW,
            (renewed, spec.name, session_id, receiver.session_token, now),
        ).rowcount
        if not held:
            raise SessionLockLost(f"The lock on session {session_id!r} expired; receive the session again")
        db.execute(
            "UPDATE messages SET locked_until = ?"
            " WHERE queue = ? AND session_id = ? AND lock_token IS NOT NULL",
            (renewed, spec.name, session_id),
        )
        return renewed

    def _renew_session_lock(self, receiver: LocalReceiver) -> datetime:
        with self._transaction() as (db, now):
            return _EPOCH + timedelta(microseconds=self._renew_session(db, now, receiver))

    def _session_locked_until(self, spec: QueueSpec, session_id: str, token: str | None) -> datetime | None:
        with self._transaction() as (db, now):
            row = db.execute(_SESSION_HELD, (spec.name, session_id, token, now)).fetchone()
        return None if row is None else _at(row[0])

    def _lock_messages(self, receiver: LocalReceiver, max_messages: int) -> list[ReceivedMessage]:
        spec = receiver.spec
        state = _DEAD if receiver.dead_letters else _ACTIVE
        with self._transaction() as (db, now):
            self._sweep(db, now, spec)
            if receiver.session_id is None:
                locked_until = now + _span_us(spec.lock_duration)
            else:
                locked_until = self._renew_session(db, now, receiver)
            # `session_id IS ?` matches NULL too: a plain receiver takes the session-less messages
            rows = db.execute(
                "SELECT seq FROM messages WHERE queue = ? AND state = ? AND lock_token IS NULL"
                " AND enqueued_at <= ? AND (session_id IS ? OR ?) ORDER BY seq LIMIT ?",
                (spec.name, state, now, receiver.session_id, receiver.dead_letters, max_messages),
            ).fetchall()
            counted = 0 if receiver.dead_letters else 1  # a dead letter's count stays as it died
            locked = []
            for row in rows:
                db.execute(
                    "UPDATE messages SET lock_token = ?, locked_until = ?,"
                    " delivery_count = delivery_count + ? WHERE seq = ?",
                    (uuid.uuid4().hex, locked_until, counted, row["seq"]),
                )
                locked.append(db.execute("SELECT * FROM messages WHERE seq = ?", (row["seq"],)).fetchone())
            return [_received(row, lock=True) for row in locked]

    def _settle(
        self,
        receiver: LocalReceiver,
        message: ReceivedMessage,
        outcome: str,
        reason: str = "",
        text: str = "",
    ) -> None:
        spec = receiver.spec
        with self._transaction() as (db, now):
            held = (spec.name, receiver.session_id, receiver.session_token, now)
            if receiver.session_id is not None and not db.execute(_SESSION_HELD, held).fetchone():
                raise SessionLockLost(
                    f"The lock on session {receiver.session_id!r} expired before message"
                    f" {message.message_id!r} was settled; it will be redelivered"
                )
            row = db.execute(
                "SELECT seq, state, delivery_count FROM messages"
                " WHERE seq = ? AND lock_token = ? AND locked_until > ?",
                (message.sequence_number, message.raw, now),
            ).fetchone()
            if row is None:
                raise LockLost(
                    f"Message {message.message_id!r} was settled already or its lock expired;"
                    " it will be (or was) redelivered"
                )
            if outcome == "complete":
                db.execute("DELETE FROM messages WHERE seq = ?", (row["seq"],))
            elif outcome == "abandon" and row["state"] == _DEAD:
                db.execute(_UNLOCK, (row["seq"],))
            elif outcome == "abandon":
                _abandon(db, spec, row["seq"], row["delivery_count"])
            elif row["state"] == _DEAD:
                raise TransportError("A dead letter cannot be dead-lettered again; complete or abandon it")
            else:
                _dead_letter(db, row["seq"], reason, text)

    def _peek(
        self, spec: QueueSpec, state: str, max_messages: int, from_sequence_number: int
    ) -> list[ReceivedMessage]:
        with self._transaction() as (db, now):
            self._sweep(db, now, spec)
            rows = db.execute(
                "SELECT * FROM messages WHERE queue = ? AND state = ? AND seq >= ? ORDER BY seq LIMIT ?",
                (spec.name, state, from_sequence_number, max_messages),
            ).fetchall()
        return [_received(row) for row in rows]


class LocalReceiver:
    """A peek-lock receiver on one queue, one locked session of it, or its dead-letter sub-queue."""

    def __init__(
        self,
        transport: LocalTransport,
        spec: QueueSpec,
        *,
        session_id: str | None = None,
        session_token: str | None = None,
        dead_letters: bool = False,
    ) -> None:
        self.spec = spec
        self.session_token = session_token
        self.dead_letters = dead_letters
        self._transport = transport
        self._session_id = session_id

    @property
    def session_id(self) -> str | None:
        return self._session_id

    def session_locked_until(self) -> datetime | None:
        """When this receiver's session lock expires (None for a plain receiver or a lost lock)."""
        if self._session_id is None:
            return None
        return self._transport._session_locked_until(self.spec, self._session_id, self.session_token)

    async def renew_session_lock(self) -> datetime:
        """Extend the session lock by the lock duration (what `receive` does anyway)."""
        return self._transport._renew_session_lock(self)

    async def receive(self, max_messages: int = 1, max_wait: float = 5.0) -> list[ReceivedMessage]:
        if max_messages < 1:
            raise ValueError("max_messages must be 1 or more")
        return await _poll(lambda: self._transport._lock_messages(self, max_messages), max_wait) or []

    async def complete(self, message: ReceivedMessage) -> None:
        self._transport._settle(self, message, "complete")

    async def abandon(self, message: ReceivedMessage) -> None:
        self._transport._settle(self, message, "abandon")

    async def dead_letter(self, message: ReceivedMessage, reason: str, description: str = "") -> None:
        self._transport._settle(self, message, "dead_letter", reason, description)

    async def peek(self, max_messages: int = 1, from_sequence_number: int = 0) -> list[ReceivedMessage]:
        """Browse without locking, from a sequence number on (for the SDK fakes' `peek_messages`)."""
        state = _DEAD if self.dead_letters else _ACTIVE
        return self._transport._peek(self.spec, state, max_messages, from_sequence_number)


async def _poll[T](attempt: Callable[[], T | None], max_wait: float) -> T | None:
    """Try until `attempt` gives something truthy or `max_wait` seconds of real time have passed."""
    deadline = time.monotonic() + max_wait
    while True:
        result = attempt()
        remaining = deadline - time.monotonic()
        if result or remaining <= 0:
            return result
        await asyncio.sleep(min(POLL_SECONDS, remaining))


def _max_delivery_text(spec: QueueSpec) -> str:
    return f"Message could not be consumed after {spec.max_delivery_count} delivery attempts."


def _abandon(db: sqlite3.Connection, spec: QueueSpec, seq: int, delivery_count: int) -> None:
    if delivery_count >= spec.max_delivery_count:
        _dead_letter(db, seq, MAX_DELIVERY_COUNT_EXCEEDED, _max_delivery_text(spec))
    else:
        db.execute(_UNLOCK, (seq,))


def _dead_letter(db: sqlite3.Connection, seq: int, reason: str, description: str) -> None:
    db.execute(
        "UPDATE messages SET state = ?, dead_letter_reason = ?, dead_letter_description = ?,"
        " lock_token = NULL, locked_until = NULL WHERE seq = ?",
        (_DEAD, reason, description, seq),
    )


def _received(row: sqlite3.Row, *, lock: bool = False) -> ReceivedMessage:
    properties: dict[str, Any] = json.loads(row["properties"])
    return ReceivedMessage(
        body=bytes(row["body"]),
        message_id=row["message_id"],
        sequence_number=row["seq"],
        delivery_count=row["delivery_count"],
        enqueued_time=_at(row["enqueued_at"]) or _EPOCH,
        session_id=row["session_id"],
        correlation_id=row["correlation_id"],
        subject=row["subject"],
        locked_until=_at(row["locked_until"]) if lock else None,
        scheduled_enqueue_time=_at(row["scheduled_at"]),
        dead_letter_reason=row["dead_letter_reason"],
        dead_letter_error_description=row["dead_letter_description"],
        application_properties=properties,
        raw=row["lock_token"] if lock else None,
    )
