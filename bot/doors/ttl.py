"""Short-lived values a door shares between requests (a MsgId's reply, an access token, the last
offered choices): in this process, or in Redis when several workers run (REDIS_URL). Every value
has a time to live, so nothing here outlives its use."""
from __future__ import annotations

import time
from collections import OrderedDict
from typing import Any, Protocol


class TTLStore(Protocol):
    async def get(self, key: str) -> str | None: ...
    async def set(self, key: str, value: str, ttl: float) -> None: ...
    async def add(self, key: str, value: str, ttl: float) -> bool: ...
    async def delete(self, key: str) -> None: ...


class MemoryTTL:
    """One process's store: a dict with expiry times, at most `max_keys` (the oldest go first)."""

    def __init__(self, max_keys: int = 100_000):
        self._items: OrderedDict[str, tuple[float, str]] = OrderedDict()
        self.max_keys = max_keys

    async def get(self, key: str) -> str | None:
        found = self._items.get(key)
        if found is None:
            return None
        if found[0] <= time.monotonic():
            self._items.pop(key, None)
            return None
        return found[1]

    async def set(self, key: str, value: str, ttl: float) -> None:
        self._items.pop(key, None)
        self._items[key] = (time.monotonic() + ttl, value)
        while len(self._items) > self.max_keys:
            self._items.popitem(last=False)

    async def add(self, key: str, value: str, ttl: float) -> bool:
        """Set only when absent (or expired); True when this call set it."""
        if await self.get(key) is not None:
            return False
        await self.set(key, value, ttl)
        return True

    async def delete(self, key: str) -> None:
        self._items.pop(key, None)


class RedisTTL:
    """The same on a redis.asyncio client (shared by the workers)."""

    def __init__(self, redis: Any):
        self.redis = redis

    async def get(self, key: str) -> str | None:
        value = await self.redis.get(key)
        return value.decode() if isinstance(value, bytes) else value

    async def set(self, key: str, value: str, ttl: float) -> None:
        await self.redis.set(key, value, px=max(1, int(ttl * 1000)))

    async def add(self, key: str, value: str, ttl: float) -> bool:
        return bool(await self.redis.set(key, value, px=max(1, int(ttl * 1000)), nx=True))

    async def delete(self, key: str) -> None:
        await self.redis.delete(key)
