"""Privacy: no names, ID numbers or phone numbers in the database or the logs; hashed keys; retention."""
from __future__ import annotations

import asyncio
import time

from bot.service import ChatService
from bot.store import SqliteStore

PERSONAL = ["张三丰", "110101199003071234", "13800138000"]


def test_database_and_logs_hold_no_personal_data(workers, tmp_path):
    (w,) = workers(1)
    import httpx

    session = "phone-13800138000"
    for text in ["我叫张三丰，身份证110101199003071234，电话13800138000", "南宁", "低保户", "住院", "2万", "本市", "之前没有"]:
        resp = httpx.post(w.url + "/api/v1/chat", json={"session": session, "text": text}, timeout=30)
        assert resp.status_code == 200
    w.stop()
    blobs = [p.read_bytes() for p in tmp_path.glob("jiuzhu.db*")]
    blobs += [p.read_bytes() for p in tmp_path.glob("*.log")]
    assert blobs
    for value in PERSONAL:
        for blob in blobs:
            assert value.encode() not in blob, value


def test_keys_are_hashed_and_retention_deletes_old_rows(tmp_path):
    storage = SqliteStore(str(tmp_path / "r.db"), retention_days=30)
    service = ChatService(storage, secret=storage.secret)
    asyncio.run(service.handle("tg:424242", "/start"))
    keys = [row[0] for row in storage.db.execute("SELECT key FROM conversations")]
    assert len(keys) == 1 and "424242" not in keys[0] and len(keys[0]) == 64
    assert storage.purge(now=time.time() + 29 * 86400) == 0
    assert storage.purge(now=time.time() + 31 * 86400) == 1
    assert storage.db.execute("SELECT COUNT(*) FROM conversations").fetchone()[0] == 0


def test_retention_days_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("JIUZHU_RETENTION_DAYS", "7")
    storage = SqliteStore(str(tmp_path / "e.db"))
    assert storage.retention_days == 7
    service = ChatService(storage, secret=storage.secret)
    asyncio.run(service.handle("web:x", "/start"))
    assert storage.purge(now=time.time() + 6 * 86400) == 0
    assert storage.purge(now=time.time() + 8 * 86400) == 1
