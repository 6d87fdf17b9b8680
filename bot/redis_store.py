"""Conversation state and per-conversation locks in Redis, for several workers (REDIS_URL).

* The hashing secret comes from JIUZHU_SECRET, required with REDIS_URL: a secret kept in Redis
  itself was lost with Redis's data, and a worker started later made a new one while the older
  workers kept theirs, splitting conversations. (Persist Redis with AOF, see the README.)
* A turn's state and the delivery id that led to it are written in one MULTI/EXEC.
* Short timeouts (a hung Redis answers 503 in about two seconds, not after ten or more), one retry
  on a fresh connection (a connection left stale by a Redis restart is replaced), and the
  errors that mean "storage down" are listed in `UNAVAILABLE` for the web to answer 503.
* The conversation lock is a lease of a few seconds renewed while the turn runs: a worker killed
  mid-turn frees the conversation within the lease, not after a minute.
"""
from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator

from aiogram.fsm.storage.base import BaseEventIsolation, StorageKey
from aiogram.fsm.storage.redis import DefaultKeyBuilder, RedisStorage
from redis.asyncio import Redis
from redis.asyncio.lock import Lock
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import LockError
from redis.exceptions import TimeoutError as RedisTimeoutError

from .doors.delivery import Receipt, RedisLedger, redis_record
from .store import SecretMissing, secret_from_env

log = logging.getLogger("jiuzhu.redis")
SOCKET_TIMEOUT = 2.0        # seconds for one command (a frozen Redis)
CONNECT_TIMEOUT = 1.0
LEASE = 5.0                 # seconds a turn lock lives unless renewed
LOCK_WAIT = 15.0            # seconds a turn waits for another worker's turn on the same conversation
UNAVAILABLE = (RedisConnectionError, RedisTimeoutError, LockError)


class JiuzhuRedisStorage(RedisStorage):
    """aiogram's RedisStorage plus `save_json` (state, data and a delivery id in one MULTI/EXEC)."""

    unavailable = UNAVAILABLE

    async def save_json(self, key: StorageKey, state: str | None, data_json: str, keep: Any,
                        receipt: Receipt | None = None) -> None:
        pipe = self.redis.pipeline(transaction=True)
        pipe.set(self.key_builder.build(key, "data"), data_json, ex=self.data_ttl)
        state_key = self.key_builder.build(key, "state")
        if state is None:
            pipe.delete(state_key)
        else:
            pipe.set(state_key, state, ex=self.state_ttl)
        if receipt is not None:
            redis_record(pipe, receipt.delivery_id)
        await pipe.execute()
        if receipt is not None:
            receipt.committed = True

    def ledger(self) -> RedisLedger:
        return RedisLedger(self.redis)

    async def ping(self) -> bool:
        return bool(await self.redis.ping())


class LeasedRedisIsolation(BaseEventIsolation):
    """A Redis lock per conversation, held as a short lease that a background task renews."""

    def __init__(self, redis: Redis, lease: float = LEASE, wait: float = LOCK_WAIT):
        self.redis, self.lease, self.wait = redis, lease, wait
        self.key_builder = DefaultKeyBuilder()

    @asynccontextmanager
    async def lock(self, key: StorageKey) -> AsyncIterator[None]:
        lock = Lock(self.redis, self.key_builder.build(key, "lock"), timeout=self.lease, sleep=0.02,
                    blocking_timeout=self.wait)
        if not await lock.acquire():
            raise LockError("conversation busy")
        renew = asyncio.create_task(self._renew(lock))
        try:
            yield None
        finally:
            renew.cancel()
            try:
                await lock.release()
            except LockError:  # the lease ran out (Redis frozen longer than it): nothing to free
                log.warning("a conversation lock had expired before its turn ended")
            except UNAVAILABLE:
                log.warning("could not release a conversation lock (Redis unavailable); it expires by itself")

    async def _renew(self, lock: Lock) -> None:
        while True:
            await asyncio.sleep(self.lease / 3)
            try:
                await lock.reacquire()
            except UNAVAILABLE:
                return

    async def close(self) -> None:
        return None


def redis_client(url: str) -> Redis:
    return Redis.from_url(url, socket_timeout=SOCKET_TIMEOUT, socket_connect_timeout=CONNECT_TIMEOUT,
                          health_check_interval=5, retry=Retry(NoBackoff(), 1),
                          retry_on_error=[RedisConnectionError])


def require_secret() -> bytes:
    secret = secret_from_env()
    if not secret:
        raise SecretMissing(
            "用 REDIS_URL 时必须设置 JIUZHU_SECRET（每个进程相同的一串随机字符，例如 `openssl rand -hex 32`）。"
            " / JIUZHU_SECRET is required with REDIS_URL: the same random string for every worker.")
    return secret
