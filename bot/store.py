"""Where conversations live: SQLite (default; Redis with REDIS_URL is bot/redis_store.py), as the
neutral ConversationStore and TurnLocks of bot/doors/storage.py.

Privacy: only the flow's slots are stored (no names, ID numbers, phone numbers). Keys are HMAC
hashes of the session id with a secret kept outside the data file (`JIUZHU_SECRET`, else a key
file beside the database, see `load_secret`), so the table cannot be joined back to a Telegram
account or a browser, even by someone holding a copy of the database. Rows older than the
retention period are deleted from every table (conversations, delivery ids, FAQ misses), deleted
pages are overwritten (`secure_delete`) and the WAL is checkpointed after a purge.
Two processes on one file: a turn (load, step, save) holds a lock on the conversation's byte of
`<db>-turns.lock` (`SqliteTurnIsolation`), so a second process waits rather than losing a turn;
the kernel drops the lock when a process dies, even by kill -9.
Reliability: SQLite runs in WAL mode and every write is one UPSERT in its own transaction, so a
`kill -9` at any moment leaves either the old or the new state, never half of one.
Layout: the table and its row keys are the ones earlier versions (an aiogram FSM storage) wrote, so
an existing database reads as before (`_key_text`).
Speed: every write still goes to SQLite, but the store also keeps the object a caller saved with
`set(…, keep=…)` (the chat service keeps the flow's State), and hands it back from `kept` instead of
reading, parsing and validating the row again — only as long as no other connection has written
to the database since (SQLite's `PRAGMA data_version`), so a second process or a second storage on
the same file is never answered from a stale copy.
"""
from __future__ import annotations

import asyncio
import fcntl
import hashlib
import hmac
import json
import os
import secrets
import sqlite3
import threading
import time
from collections import defaultdict
from typing import Any

import sqlite_utils

from faq.misses import purge_misses

from .doors.delivery import Receipt, SqliteLedger, prune, record_in
from .doors.storage import Conversation, ConversationKey

DEFAULT_RETENTION_DAYS = 30
# `updated` (what retention counts from) is moved on at most once in this many seconds: a turn then
# rewrites the row but not its entry in the `updated` index, a third of the time of a write (half
# on a file). The purge waits this much longer, so nothing goes before its retention period is over.
TOUCH_EVERY = 3600
KEPT_MAX = 4096  # conversations whose latest saved object is kept in memory (the most recently written)


def _key_text(key: ConversationKey) -> str:
    """What the row key is the HMAC of: the text earlier versions made of aiogram's key for the
    service's conversations (bot 0, chat and user both the number, no thread, no business
    connection, destiny "default"), kept so their rows are found again."""
    return f"0:{key.number}:{key.number}:::default"


def open_db(path: str) -> sqlite_utils.Database:
    """A sqlite-utils Database in WAL mode, safe to share between threads of one process."""
    conn = sqlite3.connect(path, check_same_thread=False, timeout=30, isolation_level=None)
    db = sqlite_utils.Database(conn)
    if path != ":memory:":
        db.enable_wal()
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA secure_delete=ON")  # a deleted row's bytes are overwritten, not left in free pages
    conn.execute("PRAGMA busy_timeout=30000")
    return db


class SecretMissing(RuntimeError):
    """Raised at start-up when the hashing secret must be given and is not (the message says how)."""


def secret_from_env() -> bytes | None:
    given = os.environ.get("JIUZHU_SECRET", "").strip()
    return given.encode() if given else None


def key_file(path: str) -> str:
    return f"{path}.key"


def load_secret(path: str) -> bytes:
    """The key for hashing session ids, never kept in the data file: JIUZHU_SECRET when set, else
    the key file `<db>.key` beside the database (made once, atomically, readable by the owner only).
    A secret an older version kept in the database's `meta` table is moved to the key file."""
    given = secret_from_env()
    if given:
        return given
    if path == ":memory:":
        return secrets.token_bytes(32)
    target = key_file(path)
    if not os.path.exists(target):
        _create_key_file(target, _old_secret(path) or secrets.token_hex(32))
    with open(target, encoding="ascii") as fh:
        value = fh.read().strip()
    try:
        return bytes.fromhex(value)
    except ValueError:
        raise SecretMissing(f"密钥文件 {target} 内容不对（应为十六进制）。/ The key file {target} is not hex.") from None


def _create_key_file(target: str, value: str) -> None:
    """Write a temporary file (0600) and link it into place: two processes starting at once both
    end up reading the one file that won, never a half-written one."""
    tmp = f"{target}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, value.encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(tmp, target)
    except FileExistsError:
        pass
    finally:
        os.unlink(tmp)


def _old_secret(path: str) -> str | None:
    """A secret an older version kept in `meta` (then removed from the data file)."""
    if not os.path.exists(path):
        return None
    conn = sqlite3.connect(path, timeout=30)
    try:
        row = conn.execute("SELECT value FROM meta WHERE name = 'key_secret'").fetchone()
    except sqlite3.OperationalError:
        return None
    else:
        if row:
            with conn:
                conn.execute("DELETE FROM meta WHERE name = 'key_secret'")
        return row[0] if row else None
    finally:
        conn.close()


class SqliteTurnLocks:
    """One turn at a time per conversation across every process on the file: an asyncio.Lock per
    key in this process, then an exclusive POSIX lock on one byte of `<db>-turns.lock` chosen by
    the key's hash (record locks belong to the process, hence the asyncio lock first; a count per
    byte keeps two keys sharing a byte from releasing each other's lock)."""

    SLOTS = 1 << 30
    POLL = 0.002

    def __init__(self, path: str):
        self._locks: defaultdict[ConversationKey, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._fd = os.open(f"{path}-turns.lock", os.O_RDWR | os.O_CREAT, 0o600) if path != ":memory:" else None
        self._held: dict[int, int] = {}

    def _slot(self, key: ConversationKey) -> int:
        # the number only (str hashes differ per process); a service key's number is an HMAC already.
        # The formula of earlier versions (chat and user were both the number), so an old process
        # and a new one on the same file still lock the same byte.
        return (key.number * 1_000_003 + key.number) % self.SLOTS

    def lock(self, key: ConversationKey) -> "_TurnLock":
        return _TurnLock(self, key)

    async def _acquire(self, slot: int) -> None:
        if self._fd is None:
            return
        if self._held.get(slot):
            self._held[slot] += 1
            return
        while True:
            try:
                fcntl.lockf(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, slot)
                break
            except OSError:  # another process holds this conversation: wait without blocking the loop
                await asyncio.sleep(self.POLL)
        self._held[slot] = 1

    def _release(self, slot: int) -> None:
        if self._fd is None:
            return
        left = self._held.get(slot, 1) - 1
        if left:
            self._held[slot] = left
        else:
            self._held.pop(slot, None)
            fcntl.lockf(self._fd, fcntl.LOCK_UN, 1, slot)

    async def close(self) -> None:
        self._locks.clear()
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


class _TurnLock:
    def __init__(self, owner: SqliteTurnLocks, key: ConversationKey):
        self.owner, self.local, self.slot = owner, owner._locks[key], owner._slot(key)

    async def __aenter__(self) -> None:
        await self.local.acquire()
        try:
            await self.owner._acquire(self.slot)
        except BaseException:
            self.local.release()
            raise

    async def __aexit__(self, *exc) -> None:
        try:
            self.owner._release(self.slot)
        finally:
            self.local.release()


class SqliteStore:
    """Conversations in one SQLite table `conversations` (hashed key, state, data, updated)."""

    unavailable = (sqlite3.OperationalError,)  # the file locked past busy_timeout, the disk gone …

    def __init__(self, path: str, retention_days: int | None = None, secret: bytes | None = None):
        self.path = path
        self.db = open_db(path)
        self._lock = threading.RLock()  # purge() takes it too, also from within a write (every 500th)
        self.secret = secret or load_secret(path)
        self.retention_days = retention_days if retention_days is not None else _retention_from_env()
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS conversations ("
            " key TEXT PRIMARY KEY, state TEXT, data TEXT NOT NULL DEFAULT '{}', updated REAL NOT NULL)"
        )
        self.db.execute("CREATE INDEX IF NOT EXISTS conversations_updated ON conversations(updated)")
        self._writes = 0
        self._hashes: dict[ConversationKey, str] = {}
        self._kept: dict[str, tuple[str | None, Any]] = {}   # row key → (state, object) of our latest write
        self._version = self._data_version()
        SqliteLedger(self.db.conn)  # its table exists before the first purge
        self.purge()

    def _hash(self, key: ConversationKey) -> str:
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

    def _row(self, key: ConversationKey):
        return self.db.execute("SELECT state, data FROM conversations WHERE key = ?", [self._hash(key)]).fetchone()

    def _write(self, key: ConversationKey, keep: tuple[str | None, Any] | None = None, receipt: Receipt | None = None,
               **columns: Any) -> None:
        """One UPSERT in its own transaction: the given columns (state and/or data) and the time.
        `keep`: (state, object) to hand back from `kept` until the row changes another way.
        `receipt`: a delivery whose id is recorded in the same transaction as the new state."""
        sql = _UPSERT.get(tuple(columns)) or _upsert(tuple(columns))
        row_key = self._hash(key)
        conn = self.db.conn
        with self._lock:
            self._kept.pop(row_key, None)  # (re-inserted last when kept again)
            version = self._data_version() if keep is not None and not self._kept else None
            values = (row_key, columns.get("state"), columns.get("data", "{}"), time.time())
            if receipt is None:
                conn.execute(sql, values)
            else:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    conn.execute(sql, values)
                    record_in(conn, receipt.delivery_id)
                    conn.execute("COMMIT")
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                receipt.committed = True
            if keep is not None:  # only once the row is written
                self._keep(row_key, *keep, version)
            self._tick()

    def ledger(self) -> SqliteLedger:
        """Where the doors record delivery ids (the same file, so the id and the state it led to
        are written in one transaction by `set`)."""
        return SqliteLedger(self.db.conn)

    async def ping(self) -> bool:
        with self._lock:
            return self.db.conn.execute("SELECT 1").fetchone() == (1,)

    async def get(self, key: ConversationKey) -> Conversation | None:
        row = self._row(key)
        if not row:
            return None
        try:
            data = json.loads(row[1])
        except (TypeError, ValueError):
            data = {}
        return Conversation(row[0], data if isinstance(data, dict) else {})

    async def set(self, key: ConversationKey, state: str | None, data_json: str, *, keep: Any = None,
                  receipt: Receipt | None = None) -> None:
        """State and data (already JSON) in one UPSERT, one transaction. `keep` (what the data was
        made from) is remembered for `kept`; the row is written all the same: a restart, or another
        process on the file, reads it from SQLite. `receipt`: the delivery that led to this turn,
        recorded in the same transaction."""
        self._write(key, keep=None if keep is None else (state, keep), receipt=receipt, state=state, data=data_json)

    def kept(self, key: ConversationKey) -> Any:
        """The `keep` object of the key's latest `set`, or None: when the row was written
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
        """Delete what is older than the retention period from every table: conversations not
        touched within it, delivery ids, FAQ misses not seen again. Returns how many conversations.
        Then the WAL is checkpointed, so no deleted row lives on in the log file."""
        now = now or time.time()
        cutoff = now - self.retention_days * 86400 - TOUCH_EVERY
        conn = self.db.conn
        with self._lock:
            cur = conn.execute("DELETE FROM conversations WHERE updated < ?", [cutoff])
            gone = cur.rowcount or 0
            if gone:
                self._kept.clear()
            others = prune(conn, now) + purge_misses(conn, cutoff)
            if gone or others:
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return gone

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


def _retention_from_env() -> int:
    try:
        return max(1, int(os.environ.get("JIUZHU_RETENTION_DAYS", DEFAULT_RETENTION_DAYS)))
    except ValueError:
        return DEFAULT_RETENTION_DAYS
