"""The Redis store on redis.asyncio directly, against a real redis-server on loopback: the keys and
values are the ones aiogram's RedisStorage wrote for earlier versions (a conversation already in
Redis goes on where it was; an old worker reads what a new one wrote), and a turn's state, data and
delivery id go to Redis in one MULTI/EXEC."""
from __future__ import annotations

import json
import threading

import redis as redis_sync
from aiogram.fsm.storage.base import StorageKey
from aiogram.fsm.storage.redis import RedisStorage
from redis.asyncio import Redis

from bot.doors.delivery import Receipt
from bot.doors.storage import Conversation, ConversationKey
from bot.redis_store import RedisStore
from bot.store import DEFAULT_RETENTION_DAYS
from bot.wiring import redis_service

SECRET = "redis-store-test-secret-0123456789"


def old_key(number: int) -> StorageKey:
    """The key the old service gave aiogram for a conversation numbered `number`."""
    return StorageKey(bot_id=0, chat_id=number, user_id=number)


async def test_a_conversation_written_by_aiogram_redis_storage_goes_on(redis_server, monkeypatch,
                                                                    continues_like_uninterrupted):
    monkeypatch.setenv("JIUZHU_SECRET", SECRET)
    monkeypatch.delenv("JIUZHU_RETENTION_DAYS", raising=False)
    first = redis_service(redis_server.url)
    for text in ("/start", "广西"):
        await first.handle("old", text)
    flow = (await first.load(first.key("old"))).model_dump(mode="json")
    number = first.key("old").number
    await first.close()

    flushed = Redis.from_url(redis_server.url)
    await flushed.flushdb()
    old = RedisStorage(flushed, state_ttl=3600, data_ttl=3600)  # what the old version wrote, as it wrote it
    await old.set_data(old_key(number), {"flow": flow})
    await old.set_state(old_key(number), "Ask:identities")
    await old.close()

    new = redis_service(redis_server.url)
    assert await new.store.get(new.key("old")) == Conversation("Ask:identities", {"flow": flow})
    reference = redis_service(redis_server.url)  # the same words, never interrupted
    await continues_like_uninterrupted(new, "old", reference, "reference")
    await reference.close()
    await new.close()


async def test_what_the_new_store_writes_aiogram_reads_with_the_ttl(redis_server):
    redis = Redis.from_url(redis_server.url)
    store = RedisStore(redis, ttl=DEFAULT_RETENTION_DAYS * 86400)
    await store.set(ConversationKey(77), "Ask:care", '{"flow":{"started":true}}')
    old = RedisStorage(Redis.from_url(redis_server.url))
    assert await old.get_state(old_key(77)) == "Ask:care"
    assert await old.get_data(old_key(77)) == {"flow": {"started": True}}
    for part in ("state", "data"):
        ttl = await redis.ttl(f"fsm:77:77:{part}")
        assert DEFAULT_RETENTION_DAYS * 86400 - 60 < ttl <= DEFAULT_RETENTION_DAYS * 86400
    await store.set(ConversationKey(77), None, "{}")  # no state any more: its key goes
    assert await old.get_state(old_key(77)) is None
    assert await store.get(ConversationKey(77)) == Conversation(None, {})
    assert await store.get(ConversationKey(78)) is None
    await old.close()
    await store.close()


async def test_unreadable_data_reads_as_empty_not_a_crash(redis_server):
    redis = Redis.from_url(redis_server.url)
    await redis.set("fsm:5:5:data", "{not json")
    await redis.set("fsm:6:6:data", "[1, 2]")
    store = RedisStore(redis)
    assert await store.get(ConversationKey(5)) == Conversation(None, {})
    assert await store.get(ConversationKey(6)) == Conversation(None, {})
    await store.close()


def _monitor(url: str, seen: list[str], ready: threading.Event, stop: threading.Event) -> None:
    client = redis_sync.Redis.from_url(url)
    with client.monitor() as monitor:
        ready.set()
        for command in monitor.listen():
            seen.append(command["command"])
            if command["command"].upper().startswith("EXEC") or stop.is_set():
                return


async def test_state_data_and_delivery_id_in_one_multi_exec(redis_server):
    seen: list[str] = []
    ready, stop = threading.Event(), threading.Event()
    watcher = threading.Thread(target=_monitor, args=(redis_server.url, seen, ready, stop), daemon=True)
    watcher.start()
    assert ready.wait(10)
    store = RedisStore(Redis.from_url(redis_server.url), ttl=600)
    receipt = Receipt("tg-123", store.ledger())
    await store.set(ConversationKey(9), "Ask:age", json.dumps({"flow": {"pending": "age"}}), receipt=receipt)
    watcher.join(10)
    stop.set()
    assert receipt.committed and await store.ledger().seen("tg-123")
    words = [c.split()[0].strip('"').upper() for c in seen if c.split()]
    begin = words.index("MULTI")
    inside = [c for c in seen[begin + 1:] if not c.upper().startswith("EXEC")]
    assert words[-1] == "EXEC" and len(inside) == 3
    assert {c.split()[1].strip('"') for c in inside} == {"fsm:9:9:data", "fsm:9:9:state", "jiuzhu:update:tg-123"}
    await store.close()
