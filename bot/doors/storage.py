"""What the chat service needs from a place that keeps conversations, in its own words (no platform
library's types): a key per conversation, a store that reads and writes a conversation's state and
data (with the delivery that led to a turn, in the same transaction), and a lock per conversation.

The SQLite store (bot/store.py) and the Redis store (bot/redis_store.py) implement these; a door
(Telegram, WeChat, the web chat, the terminal) only ever sees the ChatService.
"""
from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, AsyncContextManager, Protocol

from .delivery import Ledger, Receipt

__all__ = ["Conversation", "ConversationKey", "ConversationStore", "LocalTurnLocks", "TurnLocks"]


@dataclass(frozen=True, slots=True)
class ConversationKey:
    """One conversation: a number derived from the hashed session id (never the session id itself).
    The stores turn it into their own row key or Redis key, laid out as earlier versions did."""

    number: int


@dataclass(frozen=True, slots=True)
class Conversation:
    """What a store holds for one conversation: where it stands (`state`, e.g. "Ask:care", or None)
    and its data (the flow's state under "flow")."""

    state: str | None
    data: dict[str, Any] = field(default_factory=dict)


class ConversationStore(Protocol):
    """Where conversations live. `unavailable`: the exceptions that mean "the storage is down" (the
    service turns them into StorageUnavailable, the web into a 503)."""

    unavailable: tuple[type[BaseException], ...]

    async def get(self, key: ConversationKey) -> Conversation | None:
        """The conversation as stored, or None when there is none."""

    async def set(self, key: ConversationKey, state: str | None, data_json: str, *, keep: Any = None,
                  receipt: Receipt | None = None) -> None:
        """State and data (`data_json`, a JSON object) written together, all or nothing. `keep`: the
        object the data was made from, which the store may hand back from `kept` while nothing else
        has written the conversation. `receipt`: its delivery id recorded in the same transaction
        (then `receipt.committed` is set)."""

    def kept(self, key: ConversationKey) -> Any:
        """The `keep` of the key's latest `set` while still current, else None (then `get`)."""

    def ledger(self) -> Ledger:
        """Where delivery ids are recorded (the same storage, so `set` can record one with a turn)."""

    async def ping(self) -> bool: ...

    async def close(self) -> None: ...


class TurnLocks(Protocol):
    """One turn at a time per conversation (across processes where the store is shared)."""

    def lock(self, key: ConversationKey) -> AsyncContextManager[None]: ...

    async def close(self) -> None: ...


class LocalTurnLocks:
    """One process's locks: an asyncio.Lock per key. `lock` hands out the lock itself (an
    asyncio.Lock is an async context manager) rather than wrapping it: a turn takes it every time."""

    def __init__(self) -> None:
        self._locks: defaultdict[ConversationKey, asyncio.Lock] = defaultdict(asyncio.Lock)

    def lock(self, key: ConversationKey) -> asyncio.Lock:
        return self._locks[key]

    async def close(self) -> None:
        self._locks.clear()
