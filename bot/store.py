"""Where conversations live: an aiogram storage on SQLite (default) or Redis (REDIS_URL).

Privacy: only the flow's slots are stored (no names, ID numbers, phone numbers). Keys are HMAC
hashes of the session id with a per-database secret, so the table cannot be joined back to a
Telegram account or a browser. Rows older than the retention period are deleted.
Reliability: SQLite runs in WAL mode and every write is one UPSERT in its own transaction, so a
`kill -9` at any moment leaves either the old or the new state, never half of one.
Speed: every write still goes to SQLite, but the storage also keeps the object a caller saved with
`save_json` (the chat service keeps the flow's State), and hands it back from `kept` instead of
reading, parsing and validating the row again — only as long as no other connection has written
to the database since (SQLite's `PRAGMA data_version`), so a second process or a second storage on
the same file is never answered from a stale copy.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import sqlite3
import threading
import time
from typing import Any, Mapping

import sqlite_utils
from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, StorageKey

DEFAULT_RETENTION_DAYS = 30
# `updated` (what retention counts from) is moved on at most once in this many seconds: a turn then
# rewrites the row but not its entry in the `updated` index, a third of the time of a write (half
# on a file). The purge waits this much longer, so nothing goes before its retention period is over.
TOUCH_EVERY = 3600
KEPT_MAX = 4096  # conversations whose latest saved object is kept in memory (the most recently written)


def _key_text(key: StorageKey) -> str:
    return f"{key.bot_id}:{key.chat_id}:{key.user_id}:{key.thread_id or ''}:{key.business_connection_id or ''}:{key.destiny}"


def open_db(path: str) -> sqlite_utils.Database:
    """A sqlite-utils Database in WAL mode, safe to share between threads of one process."""
    conn = sqlite3.connect(path, check_same_thread=False, timeout=30, isolation_level=None)
    db = sqlite_utils.Database(conn)
    if path != ":memory:":
        db.enable_wal()
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA busy_timeout=30000")
    return db


def db_secret(db: sqlite_utils.Database) -> bytes:
    """A random per-database secret for hashing session keys (created once, kept in `meta`)."""
    db.execute("CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT)")
    row = db.execute("SELECT value FROM meta WHERE name = 'key_secret'").fetchone()
    if row:
        return bytes.fromhex(row[0])
    value = secrets.token_hex(32)
    db.execute("INSERT OR IGNORE INTO meta (name, value) VALUES ('key_secret', ?)", [value])
    return bytes.fromhex(db.execute("SELECT value FROM meta WHERE name = 'key_secret'").fetchone()[0])


class SqliteStorage(BaseStorage):
    """aiogram FSM storage in one SQLite table `conversations` (hashed key, state, data, updated)."""

    def __init__(self, path: str, retention_days: int | None = None, secret: bytes | None = None):
        self.path = path
        self.db = open_db(path)
        self._lock = threading.Lock()
        self.secret = secret or db_secret(self.db)
        self.retention_days = retention_days if retention_days is not None else _retention_from_env()
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS conversations ("
            " key TEXT PRIMARY KEY, state TEXT, data TEXT NOT NULL DEFAULT '{}', updated REAL NOT NULL)"
        )
        self.db.execute("CREATE INDEX IF NOT EXISTS conversations_updated ON conversations(updated)")
        self._writes = 0
        self._hashes: dict[StorageKey, str] = {}
        self._kept: dict[str, tuple[str | None, Any]] = {}   # row key → (state, object) of our latest write
        self._version = self._data_version()
        self.purge()

    def _hash(self, key: StorageKey) -> str:
        found = self._hashes.get(key)
        if found is None:
            if len(self._hashes) >= KEPT_MAX:
                self._hashes.clear()
            found = self._hashes[key] = hmac.new(self.secret, _key_text(key).encode(), hashlib.sha256).hexdigest()
        return found

    def _data_version(self) -> int:
        return self.db.conn.execute("PRAGMA data_version").fetchone()[0]

    def _fresh(self) -> dict[str, tuple[str | None, Any]]:
        """The kept objects, emptied first when another connection has committed since the last look
        (its write may have replaced any row). Our own writes do not change data_version."""
        if self._kept:
            version = self._data_version()
            if version != self._version:
                self._kept.clear()
                self._version = version
        return self._kept

    def _keep(self, row_key: str, state: str | None, obj: Any, version: int | None) -> None:
        """Remember (state, obj) for the row just written. `version`: data_version read before the
        write when nothing was kept (what "no other connection wrote since" is measured from)."""
        kept = self._kept
        if version is not None:
            self._version = version
        elif len(kept) >= KEPT_MAX:
            del kept[next(iter(kept))]  # the dict's order is the order of the writes: the oldest
        kept[row_key] = (state, obj)

    def _row(self, key: StorageKey):
        return self.db.execute("SELECT state, data FROM conversations WHERE key = ?", [self._hash(key)]).fetchone()

    def _write(self, key: StorageKey, keep: tuple[str | None, Any] | None = None, **columns: Any) -> None:
        """One UPSERT in its own transaction: the given columns (state and/or data) and the time.
        `keep`: (state, object) to hand back from `kept` until the row changes another way."""
        sql = _UPSERT.get(tuple(columns)) or _upsert(tuple(columns))
        row_key = self._hash(key)
        with self._lock:
            self._kept.pop(row_key, None)  # (re-inserted last when kept again)
            version = self._data_version() if keep is not None and not self._kept else None
            self.db.conn.execute(sql, (row_key, columns.get("state"), columns.get("data", "{}"), time.time()))
            if keep is not None:  # only once the row is written
                self._keep(row_key, *keep, version)
            self._tick()

    async def set_state(self, key: StorageKey, state: str | State | None = None) -> None:
        self._write(key, state=state.state if isinstance(state, State) else state)

    async def get_state(self, key: StorageKey) -> str | None:
        found = self._fresh().get(self._hash(key)) if self._kept else None
        if found is not None:
            return found[0]
        row = self._row(key)
        return row[0] if row else None

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        self._write(key, data=_dumps(data))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        row = self._row(key)
        if not row:
            return {}
        try:
            return json.loads(row[1])
        except (TypeError, ValueError):
            return {}

    async def set_all(self, key: StorageKey, state: str | None, data: Mapping[str, Any]) -> None:
        """State and data in one statement: one transaction, so nothing is half-written."""
        self._write(key, state=state, data=_dumps(data))

    async def save_json(self, key: StorageKey, state: str | None, data_json: str, keep: Any) -> None:
        """Like `set_all`, with the data already written as a JSON object (`data_json`), and `keep`
        (what the data was made from) remembered for `kept`. The row is written all the same: a
        restart, or another process on the file, reads it from SQLite."""
        self._write(key, keep=(state, keep), state=state, data=data_json)

    def kept(self, key: StorageKey) -> Any:
        """The `keep` object of the key's latest `save_json`, or None: when the row was written
        another way since, or another connection has written to the database (then it must be read)."""
        if not self._kept:
            return None
        found = self._fresh().get(self._hash(key))
        return found[1] if found is not None else None

    def _tick(self) -> None:
        self._writes += 1
        if self._writes % 500 == 0:
            self.purge()

    def purge(self, now: float | None = None) -> int:
        """Delete conversations not touched within the retention period. Returns how many."""
        cutoff = (now or time.time()) - self.retention_days * 86400 - TOUCH_EVERY
        cur = self.db.execute("DELETE FROM conversations WHERE updated < ?", [cutoff])
        if cur.rowcount:
            self._kept.clear()
        return cur.rowcount or 0

    async def close(self) -> None:
        self._kept.clear()
        self.db.conn.close()


_UPSERT: dict[tuple[str, ...], str] = {}


def _upsert(columns: tuple[str, ...]) -> str:
    """The UPSERT that sets `columns` (state and/or data; names are ours, never input) and the time."""
    updates = ", ".join(f"{name} = excluded.{name}" for name in columns)
    sql = _UPSERT[columns] = (
        "INSERT INTO conversations (key, state, data, updated) VALUES (?, ?, ?, ?) "
        f"ON CONFLICT(key) DO UPDATE SET {updates}, updated = CASE WHEN conversations.updated > "
        f"excluded.updated - {TOUCH_EVERY} THEN conversations.updated ELSE excluded.updated END")
    return sql


def _dumps(data: Mapping[str, Any]) -> str:
    return json.dumps(dict(data), ensure_ascii=False, separators=(",", ":"))


def _retention_from_env() -> int:
    try:
        return max(1, int(os.environ.get("JIUZHU_RETENTION_DAYS", DEFAULT_RETENTION_DAYS)))
    except ValueError:
        return DEFAULT_RETENTION_DAYS
