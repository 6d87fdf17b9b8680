"""The SQLite store keeps the State it saved last turn in memory (so a turn need not read, parse
and validate its row again), but every turn is still written: what is kept must always be what
the database holds, and anything written another way — another storage on the same file, another
process, a write without `keep`, the retention purge — must be read from the database instead.
The table's layout is the one earlier versions (an aiogram FSM storage) wrote: their rows read."""
from __future__ import annotations

import hashlib
import hmac
import json
import sqlite3
import time

import pytest

from bot.doors.storage import Conversation, ConversationKey
from bot.flow import State
from bot.service import ChatService
from bot.store import KEPT_MAX, TOUCH_EVERY, SqliteStore

TURNS = ["/start", "广西", "低保户", "选好了", "住院", "2万", "上一步", "3万", "本市", "修改", "不改了", "之前没有"]


def service(path) -> ChatService:
    storage = SqliteStore(str(path))
    return ChatService(storage, secret=storage.secret)


def stored(svc: ChatService, session: str) -> State:
    """The conversation as the database holds it, read on a fresh connection (as a restart would)."""
    conn = sqlite3.connect(svc.store.path)
    try:
        row = conn.execute("SELECT data FROM conversations WHERE key = ?",
                           [svc.store._hash(svc.key(session))]).fetchone()
    finally:
        conn.close()
    return State.model_validate(json.loads(row[0])["flow"])


async def test_every_turn_is_written_and_equals_what_is_kept(tmp_path):
    svc = service(tmp_path / "j.db")
    for text in TURNS:
        await svc.handle("web:a", text)
        kept = svc.store.kept(svc.key("web:a"))
        assert kept is not None
        assert stored(svc, "web:a") == kept
    await svc.close()


async def test_a_restart_continues_with_the_same_replies(tmp_path):
    """The same conversation, one service throughout vs a new service (new process) every turn."""
    path_one, path_many = tmp_path / "one.db", tmp_path / "many.db"
    one = service(path_one)
    for text in TURNS:
        again = service(path_many)
        assert again.store.kept(again.key("web:b")) is None  # nothing kept after a restart
        replies_many = [m.public() for m in await again.handle("web:b", text)]
        await again.close()
        replies_one = [m.public() for m in await one.handle("web:b", text)]
        assert replies_one == replies_many, text
    await one.close()


async def test_a_write_by_another_connection_is_read_not_the_kept_copy(tmp_path):
    a, b = service(tmp_path / "j.db"), service(tmp_path / "j.db")
    await a.handle("web:c", "/start")
    await a.handle("web:c", "广西")
    assert a.store.kept(a.key("web:c")) is not None
    await b.handle("web:c", "重新开始")  # the other storage (same file) moves the conversation
    assert a.store.kept(a.key("web:c")) is None
    state = await a.load(a.key("web:c"))
    assert state == stored(a, "web:c") and "region" not in state.slots
    await a.close()
    await b.close()


async def test_a_write_without_keep_and_the_purge_forget_the_kept_copy(tmp_path):
    svc = service(tmp_path / "j.db")
    key = svc.key("web:d")
    await svc.handle("web:d", "/start")
    assert svc.store.kept(key) is not None
    await svc.store.set(key, "Ask:care", '{"flow":{"started":true}}')
    assert svc.store.kept(key) is None
    assert await svc.store.get(key) == Conversation("Ask:care", {"flow": {"started": True}})
    assert (await svc.load(key)).slots == {}
    await svc.handle("web:d", "广西")
    assert svc.store.kept(key) is not None
    assert svc.store.purge(now=time.time() + 400 * 86400) == 1
    assert svc.store.kept(key) is None and await svc.load(key) is None
    assert await svc.store.get(key) is None
    await svc.close()


async def test_the_stored_state_is_where_the_conversation_stands(tmp_path):
    svc = service(tmp_path / "j.db")
    key = svc.key("web:e")
    await svc.handle("web:e", "/start")
    for text in ("广西", "低保户"):
        before = await svc.load(key)
        await svc.handle("web:e", text)
        state = await svc.load(key)
        assert before is not None and state is not None
        conn = sqlite3.connect(svc.store.path)
        row = conn.execute("SELECT state FROM conversations WHERE key = ?", [svc.store._hash(key)]).fetchone()
        conn.close()
        assert row[0] == (f"Ask:{state.pending}" if state.pending else None if not state.done else "Ask:result")
        assert (await svc.store.get(key)).state == row[0]
    await svc.close()


async def test_a_row_written_by_the_old_aiogram_storage_reads(tmp_path, continues_like_uninterrupted):
    """Earlier versions hashed aiogram's key text "bot:chat:user:thread:business:destiny" of
    StorageKey(bot_id=0, chat_id=n, user_id=n): a row written so, by hand here, is the new store's."""
    path = tmp_path / "old.db"
    svc = service(path)
    await svc.handle("web:old", "/start")
    await svc.handle("web:old", "广西")
    flow = (await svc.load(svc.key("web:old"))).model_dump(mode="json")
    await svc.close()
    conn = sqlite3.connect(path)
    conn.execute("DELETE FROM conversations")
    number = svc.key("web:old").number
    old_key = hmac.new(svc.secret, f"0:{number}:{number}:::default".encode(), hashlib.sha256).hexdigest()
    conn.execute("INSERT INTO conversations (key, state, data, updated) VALUES (?, ?, ?, ?)",
                 [old_key, "Ask:identities", json.dumps({"flow": flow}, ensure_ascii=False), time.time()])
    conn.commit()
    conn.close()
    again = service(path)
    assert again.store._hash(again.key("web:old")) == old_key
    assert (await again.load(again.key("web:old"))).slots == flow["slots"]
    reference = service(tmp_path / "ref.db")  # the same conversation, never interrupted
    await continues_like_uninterrupted(again, "web:old", reference, "web:old")
    await reference.close()
    await again.close()


@pytest.mark.parametrize("extra", [0, 5])
async def test_kept_copies_are_bounded(tmp_path, extra):
    storage = SqliteStore(str(tmp_path / "j.db"))
    for i in range(KEPT_MAX + extra):
        await storage.set(ConversationKey(i), None, "{}", keep=i)
    assert len(storage._kept) <= KEPT_MAX
    last = KEPT_MAX + extra - 1
    assert storage.kept(ConversationKey(last)) == last
    await storage.close()


async def test_retention_counts_from_the_last_turn(tmp_path):
    svc = service(tmp_path / "j.db")
    storage = svc.store
    row_key = storage._hash(svc.key("web:f"))

    def updated() -> float:
        return storage.db.execute("SELECT updated FROM conversations WHERE key = ?", [row_key]).fetchone()[0]

    await svc.handle("web:f", "/start")
    first = updated()
    await svc.handle("web:f", "广西")  # within the hour: the row is rewritten, its time is not
    assert updated() == first
    storage.db.execute("UPDATE conversations SET updated = ? WHERE key = ?", [first - TOUCH_EVERY - 1, row_key])
    before = time.time()
    await svc.handle("web:f", "低保户")  # over an hour since: the time moves on
    last = updated()
    assert last >= before
    # nothing goes before the retention period after the last turn is over
    assert storage.purge(now=last + storage.retention_days * 86400 - 1) == 0
    assert storage.purge(now=last + storage.retention_days * 86400 + TOUCH_EVERY + 1) == 1
    await svc.close()
