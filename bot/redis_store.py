"""Conversation state and per-conversation locks in Redis, for several workers (REDIS_URL), on
redis.asyncio directly (the neutral ConversationStore and TurnLocks of bot/doors/storage.py).

* The keys are the ones aiogram's RedisStorage wrote for earlier versions (`fsm:<n>:<n>:state`,
  `…:data`, `…:lock`: its DefaultKeyBuilder with chat and user both the conversation's number), and
  the values too (the state as text, the data as a JSON object), so conversations already in Redis
  still read, and a worker of the old version and one of this version share them.
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
import json
import logging
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator

from redis.asyncio import Redis
from redis.asyncio.lock import Lock
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import LockError
from redis.exceptions import TimeoutError as RedisTimeoutError

from .doors.delivery import Receipt, RedisLedger, redis_record
from .doors.storage import Conversation, ConversationKey
from .store import SecretMissing, secret_from_env

log = logging.getLogger("jiuzhu.redis")
SOCKET_TIMEOUT = 2.0        # seconds for one command (a frozen Redis)
CONNECT_TIMEOUT = 1.0
# a readiness probe's own bound: the client's retry and its health-check PING before an idle
# connection's command can each wait SOCKET_TIMEOUT, so a frozen Redis held /readyz for ~8 s,
# longer than a load balancer's probe waits
PING_TIMEOUT = SOCKET_TIMEOUT + 0.5
LEASE = 5.0                 # seconds a turn lock lives unless renewed
LOCK_WAIT = 15.0            # seconds a turn waits for another worker's turn on the same conversation
UNAVAILABLE = (RedisConnectionError, RedisTimeoutError, LockError)


def redis_key(key: ConversationKey, part: str) -> str:
    """aiogram's DefaultKeyBuilder layout for the service's keys: "fsm:<chat>:<user>:<part>"."""
    return f"fsm:{key.number}:{key.number}:{part}"


class RedisStore:
    """Conversations in Redis: state and data under their own keys, both with the retention TTL."""

    unavailable = UNAVAILABLE

    def __init__(self, redis: Redis, ttl: int | None = None):
        self.redis, self.ttl = redis, ttl

    async def get(self, key: ConversationKey) -> Conversation | None:
        state, data = await self.redis.mget(redis_key(key, "state"), redis_key(key, "data"))
        if state is None and data is None:
            return None
        try:
            found = json.loads(data) if data is not None else {}
        except ValueError:
            log.warning("discarding unreadable conversation data")
            found = {}
        label = state.decode("utf-8", "replace") if isinstance(state, bytes) else state
        return Conversation(label, found if isinstance(found, dict) else {})

    async def set(self, key: ConversationKey, state: str | None, data_json: str, *, keep: Any = None,
                  receipt: Receipt | None = None) -> None:
        """State, data and the delivery id in one MULTI/EXEC. (`keep` is not kept: another worker
        may write the conversation next, so every turn reads it back from Redis.)"""
        pipe = self.redis.pipeline(transaction=True)
        pipe.set(redis_key(key, "data"), data_json, ex=self.ttl)
        if state is None:
            pipe.delete(redis_key(key, "state"))
        else:
            pipe.set(redis_key(key, "state"), state, ex=self.ttl)
        if receipt is not None:
            redis_record(pipe, receipt.delivery_id)
        await pipe.execute()
        if receipt is not None:
            receipt.committed = True

    def kept(self, key: ConversationKey) -> Any:
        return None

    def ledger(self) -> RedisLedger:
        return RedisLedger(self.redis)

    async def ping(self) -> bool:
        return bool(await asyncio.wait_for(self.redis.ping(), PING_TIMEOUT))

    async def close(self) -> None:
        await self.redis.aclose(close_connection_pool=True)


class LeasedRedisLocks:
    """A Redis lock per conversation, held as a short lease that a background task renews."""

    def __init__(self, redis: Redis, lease: float = LEASE, wait: float = LOCK_WAIT):
        self.redis, self.lease, self.wait = redis, lease, wait

    @asynccontextmanager
    async def lock(self, key: ConversationKey) -> AsyncIterator[None]:
        lock = Lock(self.redis, redis_key(key, "lock"), timeout=self.lease, sleep=0.02,
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
