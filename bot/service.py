"""The chat service: the one place every door (Telegram, web chat, terminal) sends text to.

It loads the conversation from the storage, runs one pure step of the flow, and saves the new
state, under a per-conversation lock (in-process for SQLite; Redis locks across workers). The
session id is hashed before it becomes a storage key.
"""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
from collections import defaultdict
from datetime import date
from typing import Any, Awaitable, Callable

from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage, StorageKey
from pydantic import ValidationError
from pydantic_core import to_json

import faq

from .doors.delivery import Receipt
from .errors import StorageUnavailable
from .flow import FlowConfig, State, step
from .messages import Button, Message
from .states import fsm_state_for

__all__ = ["ChatService", "StorageUnavailable", "warm_up"]
log = logging.getLogger("jiuzhu.chat")
MAX_TEXT = 2000
SNAP_JSON_MAX = 16_384
_NO_HISTORY = {"history"}


def faq_answer(text: str, region: str | None, misses_db: str | None = None) -> list[Message]:
    """A policy question asked in the middle of the conversation, answered from the FAQ with its clause."""
    result = faq.search(text, region=region, top=3, miss_db=misses_db)  # logs a miss itself
    if result.error:
        return [Message(text=result.error, kind="info")]
    if result.confident and result.hits:
        hit = result.hits[0]
        body = f"【问答】{hit.question}\n{hit.answer}"
        if getattr(hit, "detail", None):
            body += f"\n{hit.detail}"
        body += f"\n依据：{'；'.join(hit.cite)}"
        return [Message(text=body, kind="info")]
    buttons = [Button(label=h.question[:20], code=h.question[:20]) for h in result.hits[:3]]
    return [Message(text=result.message or "没有找到确切答案。可以拨打12393医保服务热线。", buttons=buttons, kind="info")]


class LocalEventIsolation(BaseEventIsolation):
    """One process's isolation, as aiogram's SimpleEventIsolation: an asyncio.Lock per key. `lock`
    hands out the lock itself (an asyncio.Lock is an async context manager) rather than wrapping
    it in an async generator: the dispatcher takes it for every update, the service every turn."""

    def __init__(self) -> None:
        self._locks: defaultdict[StorageKey, asyncio.Lock] = defaultdict(asyncio.Lock)

    def lock(self, key: StorageKey) -> asyncio.Lock:  # type: ignore[override]
        return self._locks[key]

    async def close(self) -> None:
        self._locks.clear()


class ChatService:
    def __init__(self, storage: BaseStorage, *, secret: bytes, isolation: BaseEventIsolation | None = None,
                 misses_db: str | None = None, today: date | None = None, policies: Any = None):
        self.storage = storage
        self.secret = secret
        self.isolation = isolation or LocalEventIsolation()
        self.misses_db = misses_db
        self.unavailable: tuple[type[BaseException], ...] = tuple(getattr(storage, "unavailable", ()))
        self._snap_json: dict[int, tuple[dict, str]] = {}  # id(snapshot) → (snapshot, its JSON)
        self._keys: dict[str, StorageKey] = {}  # session → its storage key (an HMAC each turn otherwise)
        self.config = FlowConfig(faq=lambda q, r: faq_answer(q, r, self.misses_db), today=today, policies=policies)

    def key(self, session: str) -> StorageKey:
        found = self._keys.get(session)
        if found is None:
            if len(self._keys) >= 4096:
                self._keys.clear()
            digest = hmac.new(self.secret, session.encode("utf-8", "replace"), hashlib.sha256).hexdigest()
            number = int(digest[:15], 16)
            found = self._keys[session] = StorageKey(bot_id=0, chat_id=number, user_id=number)
        return found

    async def load(self, key: StorageKey) -> State | None:
        kept = getattr(self.storage, "kept", None)
        if kept is not None:  # the State this service saved last turn, while the row is unchanged
            state = kept(key)
            if state is not None:
                return state
        data = await self.storage.get_data(key)
        flow = data.get("flow")
        if not flow:
            return None
        try:
            return State.model_validate(flow)
        except ValidationError:
            log.warning("discarding an unreadable conversation state")
            return None

    async def handle(self, session: str, text: str) -> list[Message]:
        """One user message in, the assistant's messages out. Never raises for any text (a storage
        failure raises, and then nothing was saved)."""
        text = (text or "")[:MAX_TEXT]
        key = self.key(session)
        try:
            async with self.isolation.lock(key):
                state = await self.load(key)
                reply = step(state, text, self.config)
                await self.save(key, reply.state)
        except self.unavailable as exc:
            raise StorageUnavailable(type(exc).__name__) from exc
        return reply.messages

    async def turn(self, session: str, text: str, deliver: Callable[[list[Message]], Awaitable[None]],
                   receipt: Receipt | None = None) -> bool:
        """One message from a door that sends the reply itself (Telegram): step, `deliver` the
        reply, and only then save the new state — with the receipt's delivery id in the same
        transaction. When delivering or saving fails nothing is saved: the conversation stays where
        it was and the platform's retry is handled as the first attempt was. Returns False for a
        delivery already handled (found under the conversation's lock)."""
        text = (text or "")[:MAX_TEXT]
        key = self.key(session)
        try:
            async with self.isolation.lock(key):
                if receipt is not None and await receipt.already():
                    return False
                state = await self.load(key)
                reply = step(state, text, self.config)
                await deliver(reply.messages)
                await self.save(key, reply.state, receipt)
        except self.unavailable as exc:
            raise StorageUnavailable(type(exc).__name__) from exc
        return True

    async def ready(self) -> bool:
        """Whether the storage answers now (for /readyz)."""
        ping = getattr(self.storage, "ping", None)
        if ping is None:
            return True
        try:
            return bool(await ping())
        except Exception:  # noqa: BLE001 - any failure to answer means "not ready"
            return False

    async def save(self, key: StorageKey, state: State, receipt: Receipt | None = None) -> None:
        """Written to the storage every turn (a restart loses nothing). The flow never changes a
        State it was given (it steps a copy), so the storage may keep this object for `load`.
        `receipt`: recorded with the state in one transaction where the storage can."""
        fsm = fsm_state_for(state.pending, state.done)
        save_json = getattr(self.storage, "save_json", None)
        if save_json is not None:  # {"flow": …} written by pydantic's serializer straight to JSON
            if receipt is None:
                await save_json(key, fsm.state if fsm else None, self._flow_json(state), state)
            else:
                await save_json(key, fsm.state if fsm else None, self._flow_json(state), state, receipt=receipt)
            return
        data = {"flow": state.model_dump(mode="json")}
        setter = getattr(self.storage, "set_all", None)
        if setter is not None:
            await setter(key, fsm.state if fsm else None, data)
        else:
            await self.storage.set_data(key, data)
            await self.storage.set_state(key, fsm)

    def _flow_json(self, state: State) -> str:
        """{"flow": the state} as JSON. A history snapshot never changes once taken and stays in the
        history for many turns: each is written to JSON once (kept with the snapshot itself, so an
        id is never mistaken for another's), the rest of the state every turn."""
        cache = self._snap_json
        texts = []
        for snap in state.history:
            found = cache.get(id(snap))
            if found is None or found[0] is not snap:
                if len(cache) >= SNAP_JSON_MAX:
                    cache.clear()
                found = cache[id(snap)] = (snap, to_json(snap).decode())
            texts.append(found[1])
        rest = state.model_dump_json(exclude=_NO_HISTORY)
        return f'{{"flow":{rest[:-1]},"history":[{",".join(texts)}]}}}}'

    async def close(self) -> None:
        await self.storage.close()
        await self.isolation.close()


def warm_up() -> None:
    """Load dictionaries, the FAQ index and the policies before the first user waits for them."""
    step(None, "我是南宁的低保户，住院自付2万", FlowConfig())
    try:
        faq.search("低保户住院能报多少")
    except Exception:  # noqa: BLE001 - warm-up is an optimisation only
        log.warning("FAQ warm-up failed")
