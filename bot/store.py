"""Where conversations live: an aiogram storage on SQLite (default) or Redis (REDIS_URL).

Privacy: only the flow's slots are stored (no names, ID numbers, phone numbers). Keys are HMAC
hashes of the session id with a per-database secret, so the table cannot be joined back to a
Telegram account or a browser. Rows older than the retention period are deleted.
Reliability: SQLite runs in WAL mode and every write is one UPSERT in its own transaction, so a
`kill -9` at any moment leaves either the old or the new state, never half of one.
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
        self.purge()

    def _hash(self, key: StorageKey) -> str:
        return hmac.new(self.secret, _key_text(key).encode(), hashlib.sha256).hexdigest()

    def _row(self, key: StorageKey):
        return self.db.execute("SELECT state, data FROM conversations WHERE key = ?", [self._hash(key)]).fetchone()

    def _write(self, key: StorageKey, **columns: Any) -> None:
        """One UPSERT in its own transaction: the given columns (state and/or data) and the time."""
        values = {"state": None, "data": "{}", **columns}
        updates = ", ".join(f"{name} = excluded.{name}" for name in columns)  # names are ours, not input
        with self._lock:
            self.db.execute(
                "INSERT INTO conversations (key, state, data, updated) VALUES (?, ?, ?, ?) "
                f"ON CONFLICT(key) DO UPDATE SET {updates}, updated = excluded.updated",
                [self._hash(key), values["state"], values["data"], time.time()],
            )
            self._tick()

    async def set_state(self, key: StorageKey, state: str | State | None = None) -> None:
        self._write(key, state=state.state if isinstance(state, State) else state)

    async def get_state(self, key: StorageKey) -> str | None:
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

    def _tick(self) -> None:
        self._writes += 1
        if self._writes % 500 == 0:
            self.purge()

    def purge(self, now: float | None = None) -> int:
        """Delete conversations not touched within the retention period. Returns how many."""
        cutoff = (now or time.time()) - self.retention_days * 86400
        cur = self.db.execute("DELETE FROM conversations WHERE updated < ?", [cutoff])
        return cur.rowcount or 0

    async def close(self) -> None:
        self.db.conn.close()


def _dumps(data: Mapping[str, Any]) -> str:
    return json.dumps(dict(data), ensure_ascii=False, separators=(",", ":"))


def _retention_from_env() -> int:
    try:
        return max(1, int(os.environ.get("JIUZHU_RETENTION_DAYS", DEFAULT_RETENTION_DAYS)))
    except ValueError:
        return DEFAULT_RETENTION_DAYS
