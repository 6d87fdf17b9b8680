"""Questions that found no good answer, kept in SQLite for the helpdesk (no personal data).

Table ``faq_misses``: ``key`` (hash of text + region), ``question`` (normalised text, at most 200
characters, runs of 6+ digits replaced by ``#``), ``region``, ``count``, ``first_seen``,
``last_seen`` (UTC, ISO seconds).  Nothing else about the asker is stored.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

import sqlite_utils

from .text import has_content, normalize, scrub_digits

TABLE = "faq_misses"
MAX_CHARS = 200
_EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def clean_question(q: str) -> str:
    """Normalised question text safe to keep: no ID/phone/card numbers, no e-mail, ≤ 200 chars."""
    text = normalize(q or "")
    text = _EMAIL_RE.sub("#", text)
    text = scrub_digits(text)
    return text[:MAX_CHARS].strip()


def _db(db_path: str | Path) -> sqlite_utils.Database:
    db = sqlite_utils.Database(sqlite3.connect(str(db_path), timeout=10))
    if TABLE not in db.table_names():
        db[TABLE].create(
            {
                "key": str,
                "question": str,
                "region": str,
                "count": int,
                "first_seen": str,
                "last_seen": str,
            },
            pk="key",
            not_null={"question", "count", "first_seen", "last_seen"},
            if_not_exists=True,
        )
        db[TABLE].create_index(["count"], if_not_exists=True)
    return db


def log_miss(db_path: str | Path, q: str, region: str | None = None) -> str | None:
    """Record (or count again) a question without a good answer.  Returns the stored text."""
    text = clean_question(q)
    if not text or not has_content(text):
        return None
    region = (region or "").strip() or None
    key = hashlib.sha1(f"{region or ''}\x00{text}".encode("utf-8")).hexdigest()
    now = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
    db = _db(db_path)
    with db.conn:
        db.execute(
            f"INSERT INTO {TABLE} (key, question, region, count, first_seen, last_seen) "
            "VALUES (?, ?, ?, 1, ?, ?) "
            "ON CONFLICT(key) DO UPDATE SET count = count + 1, last_seen = excluded.last_seen",
            [key, text, region, now, now],
        )
    db.conn.close()
    return text


def list_misses(db_path: str | Path, limit: int = 50) -> list[dict]:
    """Most frequent unanswered questions first (then the most recent)."""
    if not Path(db_path).exists():
        return []
    db = _db(db_path)
    rows = list(
        db.query(
            f"SELECT question, region, count, first_seen, last_seen FROM {TABLE} "
            "ORDER BY count DESC, last_seen DESC LIMIT ?",
            [max(1, int(limit))],
        )
    )
    db.conn.close()
    return rows
