"""The WeChat Official Account door: a parsed WeChat message (wechatpy) → ChatService → the text
of the passive reply, plus what goes out later through the customer-service API.

* text → the conversation; voice → its `Recognition` (empty: ask to type or say it again);
  `subscribe` → the greeting; menu clicks (MENU_KEYS) → /start, /faq, 人工; pictures, stickers,
  locations, links … → a short reply saying what the assistant can do.
* No buttons in WeChat: the offered choices become numbered lines, and a typed number ("1", "２",
  "一") is read back as that choice. The choices offered last are kept per hashed session key.
* Within WeChat's 5 seconds, always: the conversation runs in a task; when it takes longer than
  `budget` the reply is WORKING and everything goes out by the customer-service API instead. A
  reply longer than WeChat's 2,048 bytes is split at line ends: the first part is the passive
  reply, the others follow through the customer-service API, in order, after it.
* WeChat retries a message it got no answer to. A MsgId is handled once: while it is handled a
  retry waits for the same turn; afterwards a retry gets the same reply, cached RETRY_TTL seconds
  (WeChat retries three times within about 15 s). When handling failed the mark is removed and the
  request held until WeChat has given up on it (FAILURE_HOLD: WeChat documents its retry for a request
  it got no answer to in 5 s, not for an error answer), then answered 503: WeChat's retry handles
  the message again — never lost, never done twice.

Nothing of the user's is kept: the session is `wx:<openid>` hashed by the ChatService, the cache
keys are HMACs, the cached reply is the assistant's text for RETRY_TTL seconds only (in memory, or
in Redis with that expiry), and no message text is logged or stored.
"""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import os
import sys
import weakref
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable

from wechatpy import events, messages as wx

from ..store import _retention_from_env
from .text import choice, numbered, split, utf8_size
from .ttl import MemoryTTL, TTLStore
from .wechat_api import WeChatAPI, WeChatAPIError

log = logging.getLogger("jiuzhu.wechat")

TEXT_LIMIT = 2048            # bytes of a WeChat text message (passive reply and customer service)
BUDGET = 4.0                 # seconds the passive reply may wait for the conversation (WeChat: 5)
RETRY_TTL = 60               # seconds a MsgId's reply is kept for WeChat's retries
FAILURE_HOLD = 5.5           # seconds after receipt a failed message's request is answered (WeChat waits 5)
PENDING_TTL = 10             # seconds a claim lives if its worker dies mid-turn (then a retry re-handles)
PENDING = "\x00pending"

MENU_KEYS = {"JZ_ESTIMATE": "/start", "JZ_FAQ": "/faq", "JZ_HUMAN": "人工"}
MENU = {"button": [
    {"type": "click", "name": "估算", "key": "JZ_ESTIMATE"},
    {"type": "click", "name": "政策问答", "key": "JZ_FAQ"},
    {"type": "click", "name": "人工", "key": "JZ_HUMAN"},
]}
WORKING = "正在计算，请稍等，结果马上发给您。"
SORRY = "抱歉，刚才没处理好。请再发一次。"
NOT_HEARD = "没听清您说的话。请打字，或者按住说话再说一遍。"
ONLY_WORDS = ("我能看懂文字和语音，看不懂图片、表情和链接。\n"
              "请打字或说话告诉我：户口在哪、是什么人员（比如低保户）、看病自己花了多少钱，"
              "我帮您估算医疗救助；也可以直接问政策问题。")
# what WeChat puts in a text message for a sticker or anything it cannot show as text
UNSUPPORTED_TEXT = ("【收到不支持的消息类型，暂无法显示】", "[收到不支持的消息类型，暂无法显示]")


@dataclass
class Turn:
    """One MsgId being handled in this process."""
    done: asyncio.Event = field(default_factory=asyncio.Event)
    sent: asyncio.Event = field(default_factory=asyncio.Event)   # the passive reply went out
    passive: str | None = None
    rest: list[str] = field(default_factory=list)
    late: bool = False       # the passive reply was WORKING: everything goes by customer service
    failed: bool = False


@dataclass
class Answer:
    """What the webhook sends: `text` as the passive reply (None: "success", nothing to say), or
    503 when `failed`; then `after()` once the reply is out (the rest by customer service)."""
    text: str | None
    failed: bool = False
    after: Callable[[], Awaitable[None]] | None = None


def incoming(msg: Any) -> tuple[str, str | None]:
    """("chat", text for the conversation) | ("say", a fixed reply) | ("ignore", None)."""
    if isinstance(msg, wx.TextMessage):
        content = (msg.content or "").strip()
        if content in UNSUPPORTED_TEXT:
            return "say", ONLY_WORDS
        return "chat", content
    if isinstance(msg, wx.VoiceMessage):
        heard = (msg.recognition or "").strip()
        return ("chat", heard) if heard else ("say", NOT_HEARD)
    if isinstance(msg, (events.SubscribeEvent, events.SubscribeScanEvent)):
        return "chat", "/start"
    if isinstance(msg, events.ClickEvent):
        said = MENU_KEYS.get(msg.key or "")
        return ("chat", said) if said else ("ignore", None)
    if isinstance(msg, (wx.ImageMessage, wx.LocationMessage, wx.LinkMessage, wx.VideoMessage,
                        wx.ShortVideoMessage, wx.MiniProgramPageMessage)):
        return "say", ONLY_WORDS
    if getattr(msg, "type", None) == "event":
        return "ignore", None  # unsubscribe, VIEW, template-send reports …: nothing to answer
    return "say", ONLY_WORDS


class WeChatDoor:
    def __init__(self, service: Any, store: TTLStore, api: WeChatAPI | None = None, *,
                 budget: float = BUDGET, retry_ttl: float = RETRY_TTL, failure_hold: float = FAILURE_HOLD):
        self.service, self.store, self.api = service, store, api
        self.budget, self.retry_ttl, self.failure_hold = budget, retry_ttl, failure_hold
        self.options_ttl = _retention_from_env() * 86400  # the offered choices live as long as the conversation
        self._turns: dict[str, Turn] = {}
        self._finished: deque[tuple[float, str]] = deque()  # (when to drop, ident) of answered turns
        # one sender per user, so a user's parts go out in order; a lock lives while a send holds it
        self._send_locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        self._tasks: set[asyncio.Task] = set()

    async def answer(self, msg: Any) -> Answer:
        kind, text = incoming(msg)
        if kind == "ignore":
            return Answer(None)
        if kind == "say":
            return Answer(text)
        received = asyncio.get_running_loop().time()
        openid = msg.source or ""
        ident = self._mark(openid, msg)
        self._prune()
        try:
            turn = self._turns.get(ident) or await self._claim(ident, openid, text or "", received + self.budget)
        except Exception as exc:  # noqa: BLE001 - the shared store is down: nothing done, let WeChat retry
            log.error("wechat: could not mark a message (%s)", type(exc).__name__)
            return await self._failed(received)
        if isinstance(turn, str):
            return Answer(turn)  # a reply another attempt (or worker) already gave
        try:
            left = received + self.budget - asyncio.get_running_loop().time()  # one budget for it all
            await asyncio.wait_for(asyncio.shield(turn.done.wait()), max(0.0, left))
        except asyncio.TimeoutError:
            if not turn.done.is_set():
                turn.late = True  # the task sends everything by customer service once done
                turn.passive = WORKING
                await self._remember(ident, WORKING)
                return Answer(WORKING, after=self._marker(turn))
        if turn.failed:
            return await self._failed(received)
        return Answer(turn.passive, after=self._after(openid, turn))

    async def _failed(self, received: float) -> Answer:
        """No answer before WeChat's timeout, so that WeChat sends the message again."""
        await asyncio.sleep(max(0.0, received + self.failure_hold - asyncio.get_running_loop().time()))
        return Answer(None, failed=True)

    async def _claim(self, ident: str, openid: str, text: str, deadline: float) -> Turn | str:
        """Start the turn for this MsgId, or the reply an earlier attempt gave."""
        loop = asyncio.get_running_loop()
        while True:
            if await self.store.add(ident, PENDING, PENDING_TTL):
                break
            if ident in self._turns:
                return self._turns[ident]
            found = await self.store.get(ident)
            if found is not None and found != PENDING:
                return found
            if loop.time() > deadline:  # another worker still on it: WeChat will ask again
                return WORKING
            await asyncio.sleep(0.05)
        turn = self._turns[ident] = Turn()
        self._spawn(self._run(ident, openid, text, turn))
        return turn

    async def _run(self, ident: str, openid: str, text: str, turn: Turn) -> None:
        session = f"wx:{openid}"
        try:
            options_key = f"jiuzhu:wechat:opts:{self.service.key(session).number}"
            offered = await self.store.get(options_key)
            said = choice(text, json.loads(offered)) if offered else text
            body, labels = numbered(await self.service.handle(session, said))
        except Exception as exc:  # noqa: BLE001 - the retry must find the message unhandled
            log.error("wechat: handling a message failed (%s)", type(exc).__name__)
            turn.failed = True
            await self._forget(ident, turn)
            if turn.late:
                await self._deliver(openid, [SORRY], turn)
            return
        try:
            if labels:
                await self.store.set(options_key, json.dumps(labels, ensure_ascii=False), self.options_ttl)
            else:
                await self.store.delete(options_key)
        except Exception as exc:  # noqa: BLE001 - a number typed next turn is then read as typed
            log.warning("wechat: could not keep the offered choices (%s)", type(exc).__name__)
        pieces = split(body or "好的。", TEXT_LIMIT, utf8_size)
        if turn.late:
            turn.done.set()
            await self._deliver(openid, pieces, turn)
            self._turns.pop(ident, None)
            return
        # no await between the `late` check above and done.set(): the request's timeout cannot
        # slip in between and answer WORKING while this reply is taken for the passive one
        turn.passive, turn.rest = pieces[0], pieces[1:]
        turn.done.set()
        self._finished.append((asyncio.get_running_loop().time() + self.budget + 1, ident))
        await self._remember(ident, turn.passive)

    async def _remember(self, ident: str, reply: str) -> None:
        try:
            await self.store.set(ident, reply, self.retry_ttl)
        except Exception as exc:  # noqa: BLE001 - this worker still answers; a retry elsewhere re-handles
            log.warning("wechat: could not cache a reply (%s)", type(exc).__name__)

    async def _forget(self, ident: str, turn: Turn) -> None:
        try:
            await self.store.delete(ident)
        except Exception as exc:  # noqa: BLE001
            log.warning("wechat: could not clear a failed message's mark (%s)", type(exc).__name__)
        self._turns.pop(ident, None)
        turn.done.set()

    def _prune(self) -> None:
        """An answered Turn stays a little for retries already in flight; then the store's copy
        of the reply serves them."""
        now = asyncio.get_running_loop().time()
        while self._finished and self._finished[0][0] <= now:
            self._turns.pop(self._finished.popleft()[1], None)

    def _marker(self, turn: Turn) -> Callable[[], Awaitable[None]]:
        async def after() -> None:
            turn.sent.set()
        return after

    def _after(self, openid: str, turn: Turn) -> Callable[[], Awaitable[None]]:
        async def after() -> None:
            turn.sent.set()
            if turn.rest:
                rest, turn.rest = turn.rest, []  # a retry's reply must not send them again
                self._spawn(self._deliver(openid, rest, turn))
        return after

    async def _deliver(self, openid: str, pieces: list[str], turn: Turn) -> None:
        """Customer-service messages, in order, after the passive reply, one sender per user."""
        try:
            await asyncio.wait_for(turn.sent.wait(), 10)
        except asyncio.TimeoutError:
            pass  # the passive reply never went out (client gone): send anyway, the user is waiting
        if self.api is None:
            log.error("wechat: %d message(s) not sent: WECHAT_APPID / WECHAT_SECRET not set", len(pieces))
            return
        key = self._hash(openid)
        lock = self._send_locks.get(key)
        if lock is None:
            lock = self._send_locks[key] = asyncio.Lock()
        async with lock:
            for i, piece in enumerate(pieces):
                try:
                    await self.api.send_text(openid, piece)
                except Exception as exc:  # noqa: BLE001 - logged here: nobody awaits this task
                    why = str(exc) if isinstance(exc, WeChatAPIError) else type(exc).__name__
                    log.error("wechat: customer-service message %d/%d not sent: %s", i + 1, len(pieces), why)
                    return  # the later parts would make no sense without this one

    def _spawn(self, coro) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)  # keep a reference: the loop holds tasks only weakly
        task.add_done_callback(self._tasks.discard)

    def _mark(self, openid: str, msg: Any) -> str:
        """The cache key of one message: its MsgId, or for an event the user, time and event."""
        raw = f"{openid}:{msg.id}" if getattr(msg, "id", 0) else \
            f"{openid}:{msg.time}:{getattr(msg, 'event', '')}:{getattr(msg, 'key', '')}"
        return f"jiuzhu:wechat:msg:{self._hash(raw)}"

    def _hash(self, raw: str) -> str:
        return hmac.new(self.service.secret, raw.encode("utf-8", "replace"), hashlib.sha256).hexdigest()[:32]


def menu_command(create: bool, out: Any, err: Any = None) -> int:
    """`jiuzhu wechat-menu [--create]`: print the menu JSON; with --create, set it through the API
    (WECHAT_APPID, WECHAT_SECRET, WECHAT_API_URL). Returns the exit code."""
    out.write(json.dumps(MENU, ensure_ascii=False, indent=2) + "\n")
    if not create:
        return 0
    err = err or sys.stderr
    appid, secret = os.environ.get("WECHAT_APPID", "").strip(), os.environ.get("WECHAT_SECRET", "").strip()
    if not (appid and secret):
        err.write("没有设置 WECHAT_APPID 和 WECHAT_SECRET，菜单没有创建。/ WECHAT_APPID and WECHAT_SECRET are not set.\n")
        return 2
    api = WeChatAPI(appid, secret, MemoryTTL(), base_url=os.environ.get("WECHAT_API_URL") or None)

    async def create_it() -> None:
        try:
            await api.create_menu(MENU)
        finally:
            await api.close()

    try:
        asyncio.run(create_it())
    except WeChatAPIError as exc:
        err.write(f"菜单创建失败 / the menu was not created: {exc}\n")
        return 1
    err.write("菜单已创建。/ The menu is set.\n")
    return 0
