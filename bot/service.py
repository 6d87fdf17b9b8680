"""The chat service: the one place every door (Telegram, web chat, terminal) sends text to.

It loads the conversation from the store, runs one pure step of the flow, and saves the new
state, under a per-conversation lock (a file lock across processes for SQLite; Redis locks across
workers). The session id is hashed before it becomes a key. It knows only the neutral protocols of
bot/doors/storage.py, no platform library (a web chat turn imports no Telegram code).
"""
from __future__ import annotations

import hashlib
import hmac
import logging
from datetime import date
from typing import Any, Awaitable, Callable

from pydantic import ValidationError
from pydantic_core import to_json

import faq

from .doors.delivery import Receipt
from .doors.storage import ConversationKey, ConversationStore, LocalTurnLocks, TurnLocks
from .errors import StorageUnavailable
from .flow import FlowConfig, State, step
from .messages import Button, Message
from .states import state_label

__all__ = ["ChatService", "StorageUnavailable", "warm_up", "warm_up_faq", "warm_up_flow"]
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
        body += f"\n依据：{'；'.join(faq.cites_for(hit.cite, region))}"
        return [Message(text=body, kind="info")]
    buttons = [Button(label=h.question[:20], code=h.question[:20]) for h in result.hits[:3]]
    return [Message(text=result.message or "没有找到确切答案。可以拨打12393医保服务热线。", buttons=buttons, kind="info")]


class ChatService:
    def __init__(self, store: ConversationStore, *, secret: bytes, locks: TurnLocks | None = None,
                 misses_db: str | None = None, today: date | None = None, policies: Any = None):
        self.store = store
        self.secret = secret
        self.locks = locks or LocalTurnLocks()
        self.misses_db = misses_db
        self.unavailable: tuple[type[BaseException], ...] = tuple(store.unavailable)
        self._snap_json: dict[int, tuple[dict, str]] = {}  # id(snapshot) → (snapshot, its JSON)
        self._keys: dict[str, ConversationKey] = {}  # session → its key (an HMAC each turn otherwise)
        self.config = FlowConfig(faq=lambda q, r: faq_answer(q, r, self.misses_db), today=today, policies=policies)

    def key(self, session: str) -> ConversationKey:
        found = self._keys.get(session)
        if found is None:
            if len(self._keys) >= 4096:
                self._keys.clear()
            digest = hmac.new(self.secret, session.encode("utf-8", "replace"), hashlib.sha256).hexdigest()
            found = self._keys[session] = ConversationKey(int(digest[:15], 16))
        return found

    async def load(self, key: ConversationKey) -> State | None:
        state = self.store.kept(key)  # the State this service saved last turn, while the row is unchanged
        if state is not None:
            return state
        found = await self.store.get(key)
        flow = found.data.get("flow") if found is not None else None
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
            async with self.locks.lock(key):
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
            async with self.locks.lock(key):
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
        try:
            return bool(await self.store.ping())
        except Exception:  # noqa: BLE001 - any failure to answer means "not ready"
            return False

    async def save(self, key: ConversationKey, state: State, receipt: Receipt | None = None) -> None:
        """Written to the store every turn (a restart loses nothing). The flow never changes a
        State it was given (it steps a copy), so the store may keep this object for `load`.
        `receipt`: recorded with the state in one transaction."""
        await self.store.set(key, state_label(state.pending, state.done), self._flow_json(state), keep=state,
                             receipt=receipt)

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
        await self.store.close()
        await self.locks.close()


def warm_up() -> None:
    """Load dictionaries, the FAQ index and the policies before the first user waits for them."""
    warm_up_flow()
    warm_up_faq()


def warm_up_flow() -> None:
    """The flow's dictionaries and the policies: what any first chat message needs (a fraction of
    a second of CPU)."""
    step(None, "我是南宁的低保户，住院自付2万", FlowConfig())


def warm_up_faq() -> None:
    """The FAQ index: only a policy question needs it, and it takes longer to build."""
    try:
        faq.search("低保户住院能报多少")
    except Exception:  # noqa: BLE001 - warm-up is an optimisation only
        log.warning("FAQ warm-up failed")
