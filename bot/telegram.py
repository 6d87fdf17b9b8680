"""The Telegram door (aiogram 3). Thin: every text or button press goes to the ChatService.

Routers, one per feature: `commands` (/start /help /restart /faq /cadre), `buttons` (inline keyboard
callbacks), `text` (everything typed), `other` (stickers, photos … get a polite "please type").
Buttons carry their label as callback data (checked ≤ 64 bytes), so a press is the same as typing
the label — the same flow as the web chat and the terminal. A duplicate update (same update_id,
e.g. a webhook retry) is handled once.
"""
from __future__ import annotations

import asyncio
import functools
import logging
import os
import time
from typing import Any, Awaitable, Callable

from aiogram import BaseMiddleware, Bot, Dispatcher, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.filters import Command, CommandStart
from aiogram.types import (
    BotCommand, CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message as TgMessage, Update,
)

from .messages import Message
from .service import ChatService, service_from_env

log = logging.getLogger("jiuzhu.telegram")
CALLBACK_LIMIT = 64
TEXT_LIMIT = 4000
COMMANDS = [
    BotCommand(command="start", description="开始估算"),
    BotCommand(command="help", description="怎么用"),
    BotCommand(command="restart", description="重新开始"),
    BotCommand(command="faq", description="问政策问题"),
    BotCommand(command="cadre", description="村干部帮办模式"),
]


def session_id(chat_id: int) -> str:
    return f"tg:{chat_id}"


def keyboard(message: Message) -> InlineKeyboardMarkup | None:
    """Inline keyboard: two buttons a row (one when a label is long); callback data = label."""
    if not message.buttons:
        return None
    return _markup(tuple([(b.label, b.code or b.label) for b in message.buttons]))


@functools.lru_cache(maxsize=1024)
def _markup(buttons: tuple[tuple[str, str], ...]) -> InlineKeyboardMarkup:
    """Built once per distinct set of buttons (there are few): building the pydantic models anew
    for every reply was a visible part of the time per update. Never mutated after building."""
    rows: list[list[InlineKeyboardButton]] = []
    row: list[InlineKeyboardButton] = []
    for label, data in buttons:
        if len(data.encode("utf-8")) > CALLBACK_LIMIT:
            data = data.encode("utf-8")[:CALLBACK_LIMIT].decode("utf-8", "ignore")
        item = InlineKeyboardButton(text=label, callback_data=data)
        if len(label) > 8:
            if row:
                rows.append(row)
                row = []
            rows.append([item])
            continue
        row.append(item)
        if len(row) == 2:
            rows.append(row)
            row = []
    if row:
        rows.append(row)
    return InlineKeyboardMarkup(inline_keyboard=rows)


def _chunks(text: str) -> list[str]:
    if len(text) <= TEXT_LIMIT:
        return [text]
    parts, current = [], ""
    for line in text.split("\n"):
        while len(line) > TEXT_LIMIT:  # one very long line: cut it, losing nothing
            if current:
                parts.append(current)
                current = ""
            parts.append(line[:TEXT_LIMIT])
            line = line[TEXT_LIMIT:]
        if current and len(current) + len(line) + 1 > TEXT_LIMIT:
            parts.append(current)
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    if current:
        parts.append(current)
    return parts


def _bubbles(messages: list[Message]) -> list[tuple[str, Message]]:
    """(text, the message whose buttons it carries): a message without buttons is sent together
    with the one after it, a blank line between (the greeting and the first question, an answer
    from the FAQ and the question asked again …) — one sendMessage instead of two, the same words
    in the same order, the keyboard still under the question. Not when together they would be
    longer than one Telegram message."""
    out: list[tuple[str, Message]] = []
    for message in messages:
        text = message.text
        if out and not out[-1][1].buttons and len(out[-1][0]) + 2 + len(text) <= TEXT_LIMIT:
            text = f"{out.pop()[0]}\n\n{text}"
        out.append((text, message))
    return out


async def send_all(bot: Bot, chat_id: int, messages: list[Message]) -> None:
    for text, message in _bubbles(messages):
        chunks = _chunks(text)
        for i, chunk in enumerate(chunks):
            markup = keyboard(message) if i == len(chunks) - 1 else None
            await bot.send_message(chat_id, chunk, reply_markup=markup)


class DedupeMiddleware(BaseMiddleware):
    """Outer middleware on updates: an update_id already seen is dropped (webhook retries, replays)."""

    def __init__(self, seen: Callable[[int], Awaitable[bool]]):
        self.seen = seen

    async def __call__(self, handler, event: Update, data: dict[str, Any]):
        if await self.seen(event.update_id):
            log.info("duplicate update dropped")
            return None
        return await handler(event, data)


def sqlite_seen(service: ChatService) -> Callable[[int], Awaitable[bool]]:
    """Record update ids in the SQLite store (`seen_updates`); True when the id was there already."""
    db = service.storage.db
    db.execute("CREATE TABLE IF NOT EXISTS seen_updates (update_id INTEGER PRIMARY KEY, at REAL NOT NULL)")
    execute = db.conn.execute  # the sqlite3 connection itself: one statement, no wrapper per update

    async def seen(update_id: int) -> bool:
        cur = execute("INSERT OR IGNORE INTO seen_updates (update_id, at) VALUES (?, ?)", (update_id, time.time()))
        if update_id % 1000 == 0:
            execute("DELETE FROM seen_updates WHERE at < ?", (time.time() - 7 * 86400,))
        return cur.rowcount == 0

    return seen


def redis_seen(service: ChatService) -> Callable[[int], Awaitable[bool]]:
    redis = service.storage.redis

    async def seen(update_id: int) -> bool:
        fresh = await redis.set(f"jiuzhu:update:{update_id}", 1, nx=True, ex=7 * 86400)
        return not fresh

    return seen


async def has_text(message: TgMessage) -> bool:
    """`F.text` as a coroutine. aiogram runs every plain callable filter (a magic filter such as
    `F.text`, a lambda) through `asyncio.to_thread`, a worker-thread round trip on each update; a
    coroutine filter runs inline on the event loop."""
    return bool(message.text)


async def has_data(query: CallbackQuery) -> bool:
    """`F.data` as a coroutine (see `has_text`)."""
    return bool(query.data)


def build_dispatcher(service: ChatService) -> Dispatcher:
    dp = Dispatcher(storage=service.storage, events_isolation=service.isolation)
    seen = redis_seen(service) if hasattr(service.storage, "redis") else sqlite_seen(service)
    dp.update.outer_middleware(DedupeMiddleware(seen))

    commands, buttons, text, other = Router(name="commands"), Router(name="buttons"), Router(name="text"), Router(name="other")

    async def reply(bot: Bot, chat_id: int, typed: str) -> None:
        await bot.send_chat_action(chat_id, "typing")
        messages = await service.handle(session_id(chat_id), typed)
        await send_all(bot, chat_id, messages)

    @commands.message(CommandStart())
    async def on_start(message: TgMessage, bot: Bot) -> None:
        await reply(bot, message.chat.id, "/start")

    @commands.message(Command("help", "restart", "faq", "cadre"))
    async def on_command(message: TgMessage, bot: Bot) -> None:
        await reply(bot, message.chat.id, message.text.split()[0].split("@")[0])

    @buttons.callback_query(has_data)
    async def on_button(query: CallbackQuery, bot: Bot) -> None:
        await query.answer()
        if query.message is not None:
            await reply(bot, query.message.chat.id, query.data)

    @text.message(has_text)
    async def on_text(message: TgMessage, bot: Bot) -> None:
        await reply(bot, message.chat.id, message.text)

    @other.message()
    async def on_other(message: TgMessage, bot: Bot) -> None:
        await bot.send_message(message.chat.id, "我只能看懂文字，请打字或点按钮。")

    dp.include_routers(buttons, commands, text, other)
    return dp


def make_bot(token: str, api_url: str | None = None) -> Bot:
    api_url = api_url or os.environ.get("TELEGRAM_API_URL")
    session = AiohttpSession(api=TelegramAPIServer.from_base(api_url)) if api_url else AiohttpSession()
    return Bot(token=token, session=session)


async def startup(bot: Bot) -> None:
    """Before polling: publish the command menu (/start /help /restart /faq /cadre) and make sure no
    webhook is set (Telegram refuses getUpdates while one is)."""
    await bot.set_my_commands(COMMANDS)
    await bot.delete_webhook(drop_pending_updates=False)


async def poll(token: str, handle_signals: bool = True) -> None:
    """Long polling (`jiuzhu bot`, or a thread under `jiuzhu serve` when there is no webhook)."""
    service = service_from_env()
    dp = build_dispatcher(service)
    bot = make_bot(token)
    try:
        await startup(bot)
        await dp.start_polling(bot, handle_signals=handle_signals, polling_timeout=10)
    finally:
        await bot.session.close()
        await service.close()


def run_polling() -> int:
    token = os.environ.get("BOT_TOKEN")
    if not token:
        print("没有设置 BOT_TOKEN，Telegram 机器人不会启动。/ BOT_TOKEN is not set.")
        return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    asyncio.run(poll(token))
    return 0
