"""At least once in, exactly once handled: a delivery's id is recorded only after its work succeeded.

A platform (Telegram, WeChat …) sends an update again when it got no good answer. Recording the id
before handling (as we once did) throws the retry away after a failure: the update is lost. Here
the id is looked up first, the work runs, and the id is recorded only when the work returned. When
the work commits its own state it can take the `Receipt` and write the id in the same transaction
(`Receipt.commit`); otherwise the id is recorded on its own right after the work. A failure records
nothing, so the retry is handled as if it were the first attempt.

Independent of any platform library: a `Ledger` is anything that can answer `seen(id)` and
`record(id)`; `SqliteLedger` and `RedisLedger` below are the two the stores provide.
"""
from __future__ import annotations

import asyncio
import sqlite3
import time
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Protocol, TypeVar

T = TypeVar("T")
KEEP_SECONDS = 7 * 86400   # longer than any platform retries a delivery
LEDGER_TABLE = "seen_updates"
REDIS_PREFIX = "jiuzhu:update:"


class Ledger(Protocol):
    async def seen(self, delivery_id: str) -> bool: ...

    async def record(self, delivery_id: str) -> None: ...


@dataclass
class Receipt:
    """One delivery's id, handed to the code that commits the work's state, so the id can be written
    in the same transaction (then `committed` is set and nothing more is recorded afterwards)."""

    delivery_id: str
    ledger: Ledger
    committed: bool = False

    async def already(self) -> bool:
        """Seen already? Asked again under the conversation's lock: a duplicate that waited for the
        lock while the first attempt committed is dropped here."""
        return await self.ledger.seen(self.delivery_id)


class Deduper:
    """Runs each delivery's work at most once to completion; a failed attempt leaves no trace."""

    def __init__(self, ledger: Ledger):
        self.ledger = ledger
        # two copies of one delivery in this process wait for each other instead of racing
        self._inflight: dict[str, tuple[asyncio.Lock, int]] = {}

    async def deliver(self, delivery_id: str, work: Callable[[Receipt], Awaitable[T]]) -> tuple[bool, T | None]:
        """(True, result) when the work ran now; (False, None) for a delivery handled before."""
        lock, users = self._inflight.get(delivery_id) or (asyncio.Lock(), 0)
        self._inflight[delivery_id] = (lock, users + 1)
        try:
            async with lock:
                if await self.ledger.seen(delivery_id):
                    return False, None
                receipt = Receipt(delivery_id, self.ledger)
                result = await work(receipt)  # raises → nothing recorded, the retry runs it again
                if not receipt.committed:
                    await self.ledger.record(delivery_id)
                return True, result
        finally:
            lock, users = self._inflight[delivery_id]
            if users <= 1:
                del self._inflight[delivery_id]
            else:
                self._inflight[delivery_id] = (lock, users - 1)


class SqliteLedger:
    """Delivery ids in the SQLite store's table `seen_updates` (id, when), pruned after a week."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn
        conn.execute(f"CREATE TABLE IF NOT EXISTS {LEDGER_TABLE} (update_id TEXT PRIMARY KEY, at REAL NOT NULL)")
        self._records = 0

    async def seen(self, delivery_id: str) -> bool:
        row = self.conn.execute(f"SELECT 1 FROM {LEDGER_TABLE} WHERE update_id = ?", (delivery_id,)).fetchone()
        return row is not None

    async def record(self, delivery_id: str) -> None:
        record_in(self.conn, delivery_id)
        self._records += 1
        if self._records % 1000 == 0:
            prune(self.conn)


def record_in(conn: sqlite3.Connection, delivery_id: str) -> None:
    """The INSERT a store runs inside its own transaction (with the conversation's new state)."""
    conn.execute(f"INSERT OR IGNORE INTO {LEDGER_TABLE} (update_id, at) VALUES (?, ?)", (delivery_id, time.time()))


def prune(conn: sqlite3.Connection, now: float | None = None) -> int:
    cur = conn.execute(f"DELETE FROM {LEDGER_TABLE} WHERE at < ?", ((now or time.time()) - KEEP_SECONDS,))
    return cur.rowcount or 0


class RedisLedger:
    """Delivery ids as Redis keys `jiuzhu:update:<id>` that expire after a week."""

    def __init__(self, redis: Any):
        self.redis = redis

    async def seen(self, delivery_id: str) -> bool:
        return bool(await self.redis.exists(REDIS_PREFIX + delivery_id))

    async def record(self, delivery_id: str) -> None:
        await self.redis.set(REDIS_PREFIX + delivery_id, 1, ex=KEEP_SECONDS)


def redis_record(pipeline: Any, delivery_id: str) -> None:
    """The SET a Redis store queues in its own MULTI/EXEC (with the conversation's new state)."""
    pipeline.set(REDIS_PREFIX + delivery_id, 1, ex=KEEP_SECONDS)
