"""The chat service put together from the environment, as contract.md configures it: SQLite at
JIUZHU_DB (default jiuzhu.db), or Redis at REDIS_URL. Kept apart from bot/service.py (which
knows no storage) and the stores (which know no service), so the imports go one way."""
from __future__ import annotations

import os

from .redis_store import LeasedRedisLocks, RedisStore, redis_client, require_secret
from .service import ChatService
from .store import SqliteStore, SqliteTurnLocks, _retention_from_env

__all__ = ["redis_service", "service_from_env"]


def service_from_env(db_path: str | None = None, redis_url: str | None = None) -> ChatService:
    """SQLite at JIUZHU_DB (default jiuzhu.db) or Redis at REDIS_URL, as contract.md configures."""
    db_path = db_path or os.environ.get("JIUZHU_DB", "jiuzhu.db")
    redis_url = redis_url if redis_url is not None else os.environ.get("REDIS_URL")
    if redis_url:
        return redis_service(redis_url, misses_db=db_path)
    store = SqliteStore(db_path)
    return ChatService(store, secret=store.secret, locks=SqliteTurnLocks(db_path), misses_db=db_path)


def redis_service(url: str, misses_db: str | None = None) -> ChatService:
    secret = require_secret()
    redis = redis_client(url)
    store = RedisStore(redis, ttl=_retention_from_env() * 86400)
    return ChatService(store, secret=secret, locks=LeasedRedisLocks(redis), misses_db=misses_db)
