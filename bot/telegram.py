"""The Telegram door (aiogram 3). Thin: every text or button press goes to the ChatService.

Routers, one per feature: `commands` (/start /help /restart /faq /cadre), `buttons` (inline keyboard
callbacks), `text` (everything typed), `other` (stickers, photos … get a polite "please type").
Buttons carry their label as callback data (checked ≤ 64 bytes), so a press is the same as typing
the label — the same flow as the web chat and the terminal.

Delivery at least once, handling exactly once (bot/doors/delivery.py): an update's id is recorded
only after its turn was saved and its reply sent — in the same transaction as the conversation's
new state — so a failure (Bot API error, Redis down, kill -9) leaves the conversation where it was
and Telegram's retry (webhook) or our own re-fetch (long polling, `poll_updates`: the offset moves
past an update only once it was handled) is processed as the first attempt would have been. A
duplicate of an update already handled is dropped.

The conversation itself is the ChatService's (its own store and locks, keyed by the neutral
ConversationKey from the session id "tg:<chat id>"): aiogram's dispatcher is given a storage that
keeps nothing, since no handler uses an FSMContext. Long replies are split under Telegram's limit
of 4096 UTF-16 units by bot/doors/text.py.
"""
from __future__ import annotations

import asyncio
import functools
import logging
import os
import signal
from typing import Any, Awaitable, Callable

from aiogram import BaseMiddleware, Bot, Dispatcher, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command, CommandStart
from aiogram.fsm.storage.base import BaseStorage, StateType, StorageKey
from aiogram.fsm.storage.memory import DisabledEventIsolation
from aiogram.methods import GetUpdates
from aiogram.types import (
    BotCommand, CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message as TgMessage, Update,
)

from .doors.delivery import Deduper, Receipt
from .doors.text import split, utf16_size
from .messages import CODE_BYTES, Message
from .service import ChatService
from .wiring import service_from_env
from .store import SecretMissing

log = logging.getLogger("jiuzhu.telegram")
CALLBACK_LIMIT = CODE_BYTES
TEXT_LIMIT = 4096         # UTF-16 code units of one Telegram message
POLL_TIMEOUT = 10        # seconds getUpdates waits for news
MAX_ATTEMPTS = 8         # an update that keeps failing is given up after this many tries (logged)
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
    return split(text, TEXT_LIMIT, utf16_size)


def _bubbles(messages: list[Message]) -> list[tuple[str, Message]]:
    """(text, the message whose buttons it carries): a message without buttons is sent together
    with the one after it, a blank line between (the greeting and the first question, an answer
    from the FAQ and the question asked again …) — one sendMessage instead of two, the same words
    in the same order, the keyboard still under the question. Not when together they would be
    longer than one Telegram message."""
    out: list[tuple[str, Message]] = []
    for message in messages:
        text = message.text
        if out and not out[-1][1].buttons and utf16_size(f"{out[-1][0]}\n\n{text}") <= TEXT_LIMIT:
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
    """Outer middleware on updates: an update handled before is dropped; otherwise the handler runs
    with a `receipt` (the turn records the id with its state), and a handler that saved no turn
    (a sticker, a button without a message) has the id recorded once it returned. A handler that
    raises records nothing: the update comes again."""

    def __init__(self, deduper: Deduper):
        self.deduper = deduper

    async def __call__(self, handler, event: Update, data: dict[str, Any]):
        async def work(receipt: Receipt):
            return await handler(event, {**data, "receipt": receipt})

        ran, result = await self.deduper.deliver(str(event.update_id), work)
        if not ran:
            log.info("duplicate update dropped")
        return result


def ledger_of(service: ChatService):
    """The store's own ledger (its file or its Redis), so ids commit with the state."""
    return service.store.ledger()


class NoStorage(BaseStorage):
    """aiogram's FSM storage for the dispatcher, keeping nothing: the conversation lives in the
    ChatService's store, and no handler uses an FSMContext (it would read back nothing)."""

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        return None

    async def get_state(self, key: StorageKey) -> str | None:
        return None

    async def set_data(self, key: StorageKey, data: Any) -> None:
        return None

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        return {}

    async def close(self) -> None:
        return None


async def cosmetic(call: Awaitable[Any]) -> None:
    """A call whose failure must not fail the turn ("typing…", the button's spinner): on a retry
    the callback query may be too old to answer, which is no reason to lose the message."""
    try:
        await call
    except TelegramAPIError as exc:
        log.info("cosmetic call failed: %s", type(exc).__name__)


async def has_text(message: TgMessage) -> bool:
    """`F.text` as a coroutine. aiogram runs every plain callable filter (a magic filter such as
    `F.text`, a lambda) through `asyncio.to_thread`, a worker-thread round trip on each update; a
    coroutine filter runs inline on the event loop."""
    return bool(message.text)


async def has_data(query: CallbackQuery) -> bool:
    """`F.data` as a coroutine (see `has_text`)."""
    return bool(query.data)


def build_dispatcher(service: ChatService) -> Dispatcher:
    # the handlers use no FSMContext: the service keeps the conversation and takes its lock itself
    dp = Dispatcher(storage=NoStorage(), events_isolation=DisabledEventIsolation())
    dp.update.outer_middleware(DedupeMiddleware(Deduper(ledger_of(service))))

    commands, buttons, text, other = Router(name="commands"), Router(name="buttons"), Router(name="text"), Router(name="other")

    async def reply(bot: Bot, chat_id: int, typed: str, receipt: Receipt | None) -> None:
        await cosmetic(bot.send_chat_action(chat_id, "typing"))

        async def deliver(messages: list[Message]) -> None:
            await send_all(bot, chat_id, messages)

        await service.turn(session_id(chat_id), typed, deliver, receipt)

    @commands.message(CommandStart())
    async def on_start(message: TgMessage, bot: Bot, receipt: Receipt | None = None) -> None:
        await reply(bot, message.chat.id, "/start", receipt)

    @commands.message(Command("help", "restart", "faq", "cadre"))
    async def on_command(message: TgMessage, bot: Bot, receipt: Receipt | None = None) -> None:
        await reply(bot, message.chat.id, message.text.split()[0].split("@")[0], receipt)

    @buttons.callback_query(has_data)
    async def on_button(query: CallbackQuery, bot: Bot, receipt: Receipt | None = None) -> None:
        await cosmetic(query.answer())
        if query.message is not None:
            await reply(bot, query.message.chat.id, query.data, receipt)

    @text.message(has_text)
    async def on_text(message: TgMessage, bot: Bot, receipt: Receipt | None = None) -> None:
        await reply(bot, message.chat.id, message.text, receipt)

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


async def poll_updates(dp: Dispatcher, bot: Bot, timeout: int = POLL_TIMEOUT, backoff: float = 0.5) -> None:
    """Long polling that never skips an update that failed: the offset (which tells Telegram what
    to forget) moves past an update only once it was handled, so after a failure — or a kill -9 —
    the same update is fetched again. aiogram's own polling moves on regardless. An update that
    fails `MAX_ATTEMPTS` times is given up (logged), so one poisoned update cannot stop the bot."""
    offset: int | None = None
    allowed = dp.resolve_used_update_types()
    failures: dict[int, int] = {}
    while True:
        try:
            updates = await bot(GetUpdates(offset=offset, timeout=timeout, allowed_updates=allowed),
                                request_timeout=timeout + 10)
        except TelegramAPIError as exc:
            log.warning("getUpdates failed (%s); trying again", type(exc).__name__)
            await asyncio.sleep(backoff)
            continue
        for update in updates:
            try:
                await dp.feed_update(bot, update)
            except Exception as exc:  # noqa: BLE001 - whatever failed, the update is fetched again
                tries = failures[update.update_id] = failures.get(update.update_id, 0) + 1
                if tries < MAX_ATTEMPTS:
                    log.warning("update failed (%s), attempt %d; fetching it again", type(exc).__name__, tries)
                    await asyncio.sleep(min(30.0, backoff * 2 ** (tries - 1)))
                    break
                log.error("update given up after %d attempts (%s)", tries, type(exc).__name__)
            failures.pop(update.update_id, None)
            offset = update.update_id + 1


async def poll(token: str, handle_signals: bool = True) -> None:
    """Long polling (`jiuzhu bot`, or a thread under `jiuzhu serve` when there is no webhook)."""
    service = service_from_env()
    dp = build_dispatcher(service)
    bot = make_bot(token)
    task = asyncio.current_task()
    if handle_signals and task is not None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, task.cancel)
    try:
        await startup(bot)
        await poll_updates(dp, bot)
    except asyncio.CancelledError:
        log.info("polling stopped")
    finally:
        await bot.session.close()
        await service.close()


def run_polling() -> int:
    token = os.environ.get("BOT_TOKEN")
    if not token:
        print("没有设置 BOT_TOKEN，Telegram 机器人不会启动。/ BOT_TOKEN is not set.")
        return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        asyncio.run(poll(token))
    except SecretMissing as exc:
        print(exc)
        return 2
    return 0
