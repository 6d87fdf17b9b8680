"""Conversation state and per-conversation locks in Redis, for several workers (REDIS_URL).

Uses aiogram's own RedisStorage and RedisEventIsolation; the hashing secret is shared through Redis
(set once with SETNX) unless JIUZHU_SECRET is given.
"""
from __future__ import annotations

import os
import secrets

from aiogram.fsm.storage.redis import RedisEventIsolation, RedisStorage
from redis.asyncio import Redis
from redis import Redis as SyncRedis

from .service import ChatService
from .store import _retention_from_env


def _secret(url: str) -> bytes:
    given = os.environ.get("JIUZHU_SECRET")
    if given:
        return given.encode()
    client = SyncRedis.from_url(url)
    try:
        client.setnx("jiuzhu:key_secret", secrets.token_hex(32))
        return bytes.fromhex(client.get("jiuzhu:key_secret").decode())
    finally:
        client.close()


def redis_service(url: str, misses_db: str | None = None) -> ChatService:
    redis = Redis.from_url(url)
    ttl = _retention_from_env() * 86400
    storage = RedisStorage(redis, state_ttl=ttl, data_ttl=ttl)
    isolation = RedisEventIsolation(redis)
    return ChatService(storage, secret=_secret(url), isolation=isolation, misses_db=misses_db)
