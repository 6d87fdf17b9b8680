"""Test doubles for the Telegram door: no network beyond 127.0.0.1.

* `RecordingSession` — an aiogram session that records every API call and answers with plausible
  results (SendMessage → a Message, GetMe → the bot's User, everything else True), for driving the
  dispatcher through `Dispatcher.feed_update`.
* `text_update`, `callback_update`, `sticker_update`, `photo_update` — real-looking `Update` objects.
* `Script`, `Conversation` — a simulated person in one chat: answers each question by pressing a
  button of the latest keyboard (its callback data) or typing, remembering what the bot sent back.
* `FakeTelegramServer` — a small Bot API server (aiohttp.web) on 127.0.0.1 with a free port:
  getMe, getUpdates (long poll), sendMessage, sendChatAction, answerCallbackQuery, setMyCommands,
  getMyCommands, deleteWebhook. Point aiogram at it with `TelegramAPIServer.from_base(server.url)`
  (aiogram builds `{base}/bot{token}/{method}`), or `TELEGRAM_API_URL=server.url` for `jiuzhu bot`.
"""
from __future__ import annotations

import asyncio
import datetime
import itertools
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any, AsyncGenerator

from aiogram import Bot
from aiogram.client.session.base import BaseSession
from aiogram.methods import GetMe, SendMessage, TelegramMethod
from aiogram.types import (
    CallbackQuery, Chat, InlineKeyboardMarkup, Message, PhotoSize, Sticker, Update, User as TgUser,
)

BOT_ID = 123
BOT_USER = TgUser(id=BOT_ID, is_bot=True, first_name="救助助手", username="jiuzhu_test_bot")
NOW = datetime.datetime(2026, 6, 1, 8, 0, tzinfo=datetime.timezone.utc)


# ------------------------------------------------------------------------------------ recording session


class RecordingSession(BaseSession):
    """Records every method the bot calls; answers as Telegram would, without any network."""

    def __init__(self, record: bool = True) -> None:
        super().__init__()
        self.calls: list[TelegramMethod] = []
        self.record = record
        self._ids = itertools.count(10_000)

    async def make_request(self, bot: Bot, method: TelegramMethod, timeout: int | None = None) -> Any:
        if self.record:
            self.calls.append(method)
        if isinstance(method, SendMessage):
            return Message(
                message_id=next(self._ids), date=NOW,
                chat=Chat(id=int(method.chat_id), type="private"), from_user=BOT_USER,
                text=method.text, reply_markup=method.reply_markup,
            )
        if isinstance(method, GetMe):
            return BOT_USER
        return True

    async def stream_content(self, url: str, headers: dict | None = None, timeout: int = 30,
                             chunk_size: int = 65536, raise_for_status: bool = True) -> AsyncGenerator[bytes, None]:
        if False:  # pragma: no cover - no files in these tests
            yield b""

    async def close(self) -> None:
        return None

    def sent(self) -> list[SendMessage]:
        return [c for c in self.calls if isinstance(c, SendMessage)]

    def clear(self) -> None:
        self.calls.clear()


# ------------------------------------------------------------------------------------ updates


_update_ids = itertools.count(1)


def next_update_id() -> int:
    return next(_update_ids)


def person(chat_id: int) -> TgUser:
    return TgUser(id=chat_id, is_bot=False, first_name="测试", language_code="zh-hans")


def _chat(chat_id: int) -> Chat:
    return Chat(id=chat_id, type="private", first_name="测试")


def text_update(chat_id: int, text: str, update_id: int | None = None) -> Update:
    update_id = update_id if update_id is not None else next_update_id()
    entities = None
    if text.startswith("/"):
        from aiogram.types import MessageEntity

        entities = [MessageEntity(type="bot_command", offset=0, length=len(text.split()[0]))]
    return Update(update_id=update_id, message=Message(
        message_id=update_id, date=NOW, chat=_chat(chat_id), from_user=person(chat_id), text=text, entities=entities,
    ))


def callback_update(chat_id: int, data: str, message: Message | None = None, update_id: int | None = None) -> Update:
    update_id = update_id if update_id is not None else next_update_id()
    message = message or Message(message_id=1, date=NOW, chat=_chat(chat_id), from_user=BOT_USER, text="…")
    return Update(update_id=update_id, callback_query=CallbackQuery(
        id=f"cb{update_id}", from_user=person(chat_id), chat_instance=f"ci{chat_id}", data=data, message=message,
    ))


def sticker_update(chat_id: int, update_id: int | None = None) -> Update:
    update_id = update_id if update_id is not None else next_update_id()
    sticker = Sticker(file_id="CAACAgIAAxkBAAE", file_unique_id="AgAD", type="regular", width=512, height=512,
                      is_animated=False, is_video=False, emoji="👍")
    return Update(update_id=update_id, message=Message(
        message_id=update_id, date=NOW, chat=_chat(chat_id), from_user=person(chat_id), sticker=sticker))


def photo_update(chat_id: int, update_id: int | None = None) -> Update:
    update_id = update_id if update_id is not None else next_update_id()
    photo = [PhotoSize(file_id="AgACAgIAAxkBAAE", file_unique_id="AQAD", width=90, height=90)]
    return Update(update_id=update_id, message=Message(
        message_id=update_id, date=NOW, chat=_chat(chat_id), from_user=person(chat_id), photo=photo))


def labels(markup: InlineKeyboardMarkup | None) -> list[str]:
    if markup is None:
        return []
    return [b.text for row in markup.inline_keyboard for b in row]


def callback_data(markup: InlineKeyboardMarkup | None) -> dict[str, str]:
    """label → callback_data of every button of a keyboard."""
    if markup is None:
        return {}
    return {b.text: b.callback_data for row in markup.inline_keyboard for b in row}


# ------------------------------------------------------------------------------------ a simulated user


# What a user in each region answers, by question (recognised from the prompt text). Buttons are
# pressed by label; money is typed. Anything not listed: the first button that is not 上一步/跳过.
REGION_BUTTON = {"xizang": "西藏", "ankang": "安康", "guangxi": "广西", "urumqi": "乌鲁木齐", "qianjiang": "重庆黔江"}


@dataclass
class Script:
    region: str = "guangxi"
    identity: str = "低保户"
    care: str = "住院"
    self_pay: str = "2万"
    money: str = "5万"          # any other amount asked (总费用, 家庭收入 …)
    age: str = "45"
    extra: dict[str, str] = field(default_factory=dict)  # prompt fragment → label or text

    def answer(self, text: str, buttons: list[str]) -> tuple[str, str]:
        """('press'|'type', what) for the question in `text` with keyboard `buttons`."""
        for fragment, reply in self.extra.items():
            if fragment in text:
                return ("press", reply) if reply in buttons else ("type", reply)
        if "户口或参保地" in text:
            return "press", REGION_BUTTON[self.region]
        if "已选：" in text and "选好了" in buttons:
            return "press", "选好了"
        if "哪些身份" in text:
            return ("press", self.identity) if self.identity in buttons else ("type", self.identity)
        if "哪种看病" in text:
            return "press", self.care
        if "自己还要付多少钱" in text:
            return "type", self.self_pay
        if "多大年纪" in text:
            return "type", self.age
        if "之前还看过病" in text:
            return "press", "之前没有"
        if not buttons or "多少" in text:
            return "type", self.money
        for label in buttons:
            if label not in ("上一步", "跳过", "不清楚"):
                return "press", label
        return "press", buttons[0]


class Conversation:
    """One chat with the bot through `Dispatcher.feed_update`, pressing buttons like a person."""

    def __init__(self, dp, bot: Bot, session: RecordingSession, chat_id: int):
        self.dp, self.bot, self.session, self.chat_id = dp, bot, session, chat_id
        self.last: list[SendMessage] = []          # the bot's messages after the latest update
        self.all_sent: list[SendMessage] = []
        self.calls: list[TelegramMethod] = []
        self.keyboard: SendMessage | None = None    # the latest message that carried a keyboard

    async def feed(self, update: Update) -> list[SendMessage]:
        start = len(self.session.calls)
        await self.dp.feed_update(self.bot, update)
        new = self.session.calls[start:]
        self.calls += new
        self.last = [c for c in new if isinstance(c, SendMessage) and int(c.chat_id) == self.chat_id]
        self.all_sent += self.last
        for m in self.last:
            if m.reply_markup is not None:
                self.keyboard = m
        return self.last

    async def say(self, text: str, update_id: int | None = None) -> list[SendMessage]:
        return await self.feed(text_update(self.chat_id, text, update_id))

    async def press(self, label: str, update_id: int | None = None) -> list[SendMessage]:
        """Press the button labelled `label` (on the latest reply that has it, else the latest keyboard):
        a callback query carrying that button's callback data, as Telegram sends it."""
        keyed = next((m for m in reversed(self.last) if label in callback_data(m.reply_markup)), self.keyboard)
        data = callback_data(keyed.reply_markup if keyed else None)
        if label not in data:
            raise AssertionError(f"no button {label!r} on the last keyboard: {list(data)}")
        msg = Message(message_id=1, date=NOW, chat=_chat(self.chat_id), from_user=BOT_USER,
                      text=keyed.text, reply_markup=keyed.reply_markup)
        return await self.feed(callback_update(self.chat_id, data[label], msg, update_id))

    def keyboard_message(self) -> SendMessage | None:
        return self.keyboard

    @property
    def text(self) -> str:
        return "\n".join(m.text for m in self.last)

    @property
    def buttons(self) -> list[str]:
        keyed = self.keyboard_message()
        return labels(keyed.reply_markup if keyed else None)

    def question(self) -> str:
        """The text of the latest message with a keyboard (the question being asked)."""
        keyed = self.keyboard_message()
        return keyed.text if keyed else (self.last[-1].text if self.last else "")

    def prompt(self) -> str:
        """The question's own last line (without a lead such as “没认出这个地方。”)."""
        return self.question().strip().splitlines()[-1] if self.question().strip() else ""

    async def answer(self, script: "Script") -> list[SendMessage]:
        action, what = script.answer(self.question(), self.buttons)
        return await (self.press(what) if action == "press" else self.say(what))

    async def run(self, script: Script, max_turns: int = 40) -> str:
        """From /start to the result; returns the result text (raises when it never comes)."""
        await self.say("/start")
        for _ in range(max_turns):
            if "【估算结果】" in self.text:
                return self.text
            await self.answer(script)
        raise AssertionError(f"no result after {max_turns} turns; last: {self.text!r}")


# ------------------------------------------------------------------------------------ fake Bot API server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class FakeTelegramServer:
    """A small Telegram Bot API on 127.0.0.1, run in its own thread (own event loop).

    Tests queue raw Update JSON with `push`, and wait for the bot's calls with `wait_for`.
    """

    def __init__(self, token: str = "123:TEST", port: int | None = None):
        self.token = token
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.updates: list[dict] = []
        self.calls: list[tuple[str, dict]] = []     # (method, params) in order
        self.commands: list[dict] = []
        self._cond = threading.Condition()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner = None
        self._wake: asyncio.Event | None = None
        self._message_ids = itertools.count(50_000)
        self._update_ids = itertools.count(1)
        self.served_offsets: list[int | None] = []
        self.failed: list[tuple[str, dict]] = []      # calls answered 500 by `fail_next` / `hold_next`
        self._fail: dict[str, int] = {}               # method → how many more calls answer 500
        self._hold: dict[str, threading.Event] = {}   # method → its next call waits for this event

    # ---- lifecycle

    def start(self) -> "FakeTelegramServer":
        ready = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(ready,), daemon=True, name="fake-telegram")
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("fake Telegram server did not start")
        return self

    def _run(self, ready: threading.Event) -> None:
        from aiohttp import web

        self._loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self._loop)
        self._wake = asyncio.Event()
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        self._loop.run_until_complete(self._runner.setup())
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        self._loop.run_until_complete(site.start())
        ready.set()
        self._loop.run_forever()
        self._loop.run_until_complete(self._runner.cleanup())
        self._loop.close()

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(10)

    def __enter__(self) -> "FakeTelegramServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # ---- test side

    def push(self, update: dict) -> int:
        """Queue one raw Update (dict). Gives it the next update_id unless it has one."""
        with self._cond:
            update = dict(update)
            update.setdefault("update_id", next(self._update_ids))
            self.updates.append(update)
        if self._loop is not None and self._wake is not None:
            self._loop.call_soon_threadsafe(self._wake.set)
        return update["update_id"]

    def push_text(self, chat_id: int, text: str) -> int:
        update_id = next(self._update_ids)
        message: dict[str, Any] = {
            "message_id": update_id, "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private", "first_name": "测试"},
            "from": {"id": chat_id, "is_bot": False, "first_name": "测试", "language_code": "zh-hans"},
            "text": text,
        }
        if text.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        return self.push({"update_id": update_id, "message": message})

    def push_press(self, chat_id: int, data: str, message: dict | None = None) -> int:
        update_id = next(self._update_ids)
        message = message or {"message_id": 1, "date": int(time.time()),
                               "chat": {"id": chat_id, "type": "private", "first_name": "测试"},
                               "from": {"id": BOT_ID, "is_bot": True, "first_name": "救助助手"}, "text": "…"}
        return self.push({"update_id": update_id, "callback_query": {
            "id": f"cb{update_id}", "chat_instance": f"ci{chat_id}", "data": data, "message": message,
            "from": {"id": chat_id, "is_bot": False, "first_name": "测试", "language_code": "zh-hans"},
        }})

    def fail_next(self, method: str, count: int = 1) -> None:
        """The next `count` calls of `method` answer a Bot API 500 (they are recorded all the same)."""
        with self._cond:
            self._fail[method] = self._fail.get(method, 0) + count

    def hold_next(self, method: str) -> threading.Event:
        """The next call of `method` hangs until the returned event is set (then answers 500): the
        moment to kill the bot in the middle of a turn."""
        event = threading.Event()
        with self._cond:
            self._hold[method] = event
        return event

    def methods(self) -> list[str]:
        with self._cond:
            return [m for m, _ in self.calls]

    def sent(self, chat_id: int | None = None) -> list[dict]:
        with self._cond:
            return [p for m, p in self.calls
                    if m == "sendMessage" and (chat_id is None or int(p.get("chat_id", 0)) == chat_id)]

    def wait_for(self, predicate, timeout: float = 15.0) -> Any:
        """Block until predicate() is truthy (re-checked on every call the bot makes); bounded."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                value = predicate()
                if value:
                    return value
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"bot did not answer within {timeout}s; calls so far: "
                                       f"{[m for m, _ in self.calls][-12:]}")
                self._cond.wait(min(left, 0.5))

    def wait_sent(self, chat_id: int, count: int, timeout: float = 15.0) -> list[dict]:
        """Wait until `chat_id` has received at least `count` messages in all; return them."""
        return self.wait_for(lambda: (s := self.sent(chat_id)) and len(s) >= count and s, timeout)

    # ---- the API

    async def _params(self, request) -> dict:
        params: dict[str, Any] = dict(request.query)
        if request.can_read_body:
            ctype = request.content_type
            if ctype == "application/json":
                params.update(await request.json())
            else:
                form = await request.post()
                for key, value in form.items():
                    params[key] = value if isinstance(value, str) else str(value)
        for key in ("reply_markup", "commands", "allowed_updates"):
            if isinstance(params.get(key), str):
                try:
                    params[key] = json.loads(params[key])
                except ValueError:
                    pass
        return params

    async def _handle(self, request):
        from aiohttp import web

        token, method = request.match_info["token"], request.match_info["method"]
        if token != self.token:
            return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
        params = await self._params(request)
        with self._cond:
            failing = self._fail.get(method, 0)
            if failing:
                self._fail[method] = failing - 1
            held = self._hold.pop(method, None)
            if failing or held is not None:   # answered 500: kept apart from the calls that got through
                self.failed.append((method, params))
                self._cond.notify_all()
        if held is not None:
            while not held.is_set():
                await asyncio.sleep(0.05)
        if failing or held is not None:
            return web.json_response({"ok": False, "error_code": 500, "description": "Internal Server Error"},
                                     status=500)
        if method != "getUpdates":
            with self._cond:
                self.calls.append((method, params))
                self._cond.notify_all()
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            return web.json_response({"ok": False, "error_code": 404, "description": "Not Found: method not found"},
                                     status=404)
        result = await handler(params)
        return web.json_response({"ok": True, "result": result})

    async def _m_getMe(self, params):
        return {"id": BOT_ID, "is_bot": True, "first_name": "救助助手", "username": "jiuzhu_test_bot",
                "can_join_groups": True, "can_read_all_group_messages": False, "supports_inline_queries": False}

    async def _m_getUpdates(self, params):
        offset = int(params["offset"]) if params.get("offset") not in (None, "") else None
        timeout = float(params.get("timeout") or 0)
        limit = int(params.get("limit") or 100)
        self.served_offsets.append(offset)
        deadline = time.monotonic() + timeout
        while True:
            with self._cond:
                if offset is not None:   # confirmed: forget them, as Telegram does
                    self.updates = [u for u in self.updates if u["update_id"] >= offset]
                ready = [u for u in self.updates if offset is None or u["update_id"] >= offset][:limit]
                self._wake.clear()
            if ready:
                with self._cond:
                    self.calls.append(("getUpdates", {"offset": offset, "count": len(ready)}))
                    self._cond.notify_all()
                return ready
            left = deadline - time.monotonic()
            if left <= 0:
                return []
            try:
                await asyncio.wait_for(self._wake.wait(), min(left, 1.0))
            except asyncio.TimeoutError:
                pass

    async def _m_sendMessage(self, params):
        chat_id = int(params["chat_id"])
        result = {"message_id": next(self._message_ids), "date": int(time.time()),
                  "chat": {"id": chat_id, "type": "private", "first_name": "测试"},
                  "from": {"id": BOT_ID, "is_bot": True, "first_name": "救助助手", "username": "jiuzhu_test_bot"},
                  "text": params.get("text", "")}
        if params.get("reply_markup"):
            result["reply_markup"] = params["reply_markup"]
        return result

    async def _m_sendChatAction(self, params):
        return True

    async def _m_answerCallbackQuery(self, params):
        return True

    async def _m_setMyCommands(self, params):
        self.commands = list(params.get("commands") or [])
        return True

    async def _m_getMyCommands(self, params):
        return self.commands

    async def _m_deleteWebhook(self, params):
        return True

    async def _m_close(self, params):
        return True
