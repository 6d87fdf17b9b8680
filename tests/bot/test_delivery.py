"""Delivery at least once, handling exactly once (bot/doors/delivery.py and the Telegram door).

A turn whose reply could not be sent, or whose state could not be saved, records nothing: the
conversation is where it was, and the retry of the same update is handled once, as the first
attempt would have been. A duplicate of an update handled before is dropped."""
from __future__ import annotations

import asyncio
import sqlite3

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramServerError
from aiogram.methods import SendMessage

from bot.doors.delivery import Deduper, SqliteLedger
from bot.service import StorageUnavailable
from bot.wiring import service_from_env
from bot.telegram import build_dispatcher
from fake_telegram import Conversation, RecordingSession, callback_update, sticker_update, text_update


class FlakySession(RecordingSession):
    """Fails the next `fail` sendMessage calls with a Bot API 500 (recorded all the same)."""

    def __init__(self) -> None:
        super().__init__()
        self.fail = 0

    async def make_request(self, bot, method, timeout=None):
        if isinstance(method, SendMessage) and self.fail:
            self.fail -= 1
            self.calls.append(method)
            raise TelegramServerError(method=method, message="Internal Server Error")
        return await super().make_request(bot, method, timeout)


@pytest.fixture
async def stack(tmp_path):
    service = service_from_env(db_path=str(tmp_path / "jiuzhu.db"), redis_url="")
    session = FlakySession()
    bot = Bot("123:TEST", session=session)
    dp = build_dispatcher(service)
    yield service, dp, bot, session
    await service.close()


def stored_rows(service) -> list[tuple]:
    conn = sqlite3.connect(service.store.path)
    try:
        return conn.execute("SELECT key, state, data FROM conversations ORDER BY key").fetchall()
    finally:
        conn.close()


async def test_a_failed_send_is_retried_and_handled_once(stack):
    service, dp, bot, session = stack
    c = Conversation(dp, bot, session, 7001)
    await c.say("/start", update_id=1001)
    assert "户口或参保地" in c.text
    before = stored_rows(service)

    session.fail = 1
    with pytest.raises(TelegramServerError):  # the webhook answers non-2xx, polling fetches it again
        await c.say("南宁", update_id=1002)
    assert stored_rows(service) == before, "a turn whose reply failed must leave the conversation where it was"

    replies = await c.say("南宁", update_id=1002)  # Telegram's retry of the same update
    assert replies, "the retry must be handled, not dropped as a duplicate"
    assert "哪些身份" in c.text and "户口或参保地" not in c.text
    assert await c.say("南宁", update_id=1002) == []  # now it is a duplicate
    await c.press("低保户", update_id=1003)
    assert "已选：低保对象" in c.text


async def test_a_failed_save_is_retried_and_handled_once(stack, monkeypatch):
    service, dp, bot, session = stack
    c = Conversation(dp, bot, session, 7002)
    await c.say("/start", update_id=2001)
    real = service.store.set
    calls = {"n": 0}

    async def failing_once(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise sqlite3.OperationalError("disk I/O error")
        return await real(*args, **kwargs)

    monkeypatch.setattr(service.store, "set", failing_once)
    with pytest.raises(StorageUnavailable):
        await c.say("南宁", update_id=2002)
    await c.say("南宁", update_id=2002)
    assert "哪些身份" in c.text
    await c.press("低保户", update_id=2003)
    assert "已选：低保对象" in c.text


async def test_a_button_press_is_retried_after_a_failed_send(stack):
    service, dp, bot, session = stack
    c = Conversation(dp, bot, session, 7003)
    await c.say("/start", update_id=3001)
    session.fail = 1
    press = callback_update(7003, "广西", update_id=3002)
    with pytest.raises(TelegramServerError):
        await c.feed(press)
    await c.feed(press)
    assert "哪些身份" in c.text
    await c.feed(press)
    assert c.last == []


async def test_the_id_is_recorded_with_the_state_in_one_transaction(stack):
    service, dp, bot, session = stack
    c = Conversation(dp, bot, session, 7004)
    await c.say("/start", update_id=4001)
    conn = sqlite3.connect(service.store.path)
    ids = {row[0] for row in conn.execute("SELECT CAST(update_id AS TEXT) FROM seen_updates")}
    conn.close()
    assert "4001" in ids


async def test_concurrent_copies_of_one_delivery_run_once(tmp_path):
    conn = sqlite3.connect(tmp_path / "l.db", isolation_level=None)
    deduper = Deduper(SqliteLedger(conn))
    ran = []

    async def work(receipt):
        await asyncio.sleep(0.01)
        ran.append(receipt.delivery_id)
        return "done"

    results = await asyncio.gather(*(deduper.deliver("u1", work) for _ in range(5)))
    assert ran == ["u1"]
    assert sorted(r[0] for r in results) == [False, False, False, False, True]
    assert deduper._inflight == {}


async def test_failed_work_records_nothing(tmp_path):
    conn = sqlite3.connect(tmp_path / "l.db", isolation_level=None)
    ledger = SqliteLedger(conn)
    deduper = Deduper(ledger)

    async def boom(receipt):
        raise RuntimeError("down")

    with pytest.raises(RuntimeError):
        await deduper.deliver("u2", boom)
    assert not await ledger.seen("u2")

    async def ok(receipt):
        return 1

    assert await deduper.deliver("u2", ok) == (True, 1)
    assert await deduper.deliver("u2", ok) == (False, None)


async def test_a_sticker_is_answered_once(stack):
    service, dp, bot, session = stack
    c = Conversation(dp, bot, session, 7005)
    update = sticker_update(7005, update_id=5001)
    await c.feed(update)
    assert "文字" in c.text
    await c.feed(update)
    assert c.last == []


def test_webhook_answers_503_on_a_failed_turn_and_handles_the_retry_once(tmp_path, monkeypatch):
    from fastapi.testclient import TestClient

    from web.app import create_app
    from web.settings import Settings
    from web.telegram_webhook import PATH, webhook_router

    monkeypatch.setenv("JIUZHU_RATE_IP", "off")
    service = service_from_env(db_path=str(tmp_path / "w.db"), redis_url="")
    session = FlakySession()
    bot = Bot("123:TEST", session=session)
    app = create_app(Settings(db_path=str(tmp_path / "w.db")), chat_service=service,
                     extra_routers=[webhook_router(build_dispatcher(service), bot, "s3cret")])
    headers = {"X-Telegram-Bot-Api-Secret-Token": "s3cret"}
    start = text_update(7101, "/start", update_id=9001).model_dump(mode="json", exclude_none=True)
    with TestClient(app) as client:
        session.fail = 1
        first = client.post(PATH, json=start, headers=headers)
        assert first.status_code == 503 and first.headers["retry-after"]
        assert session.sent()[-1].text and len(session.sent()) == 1   # the attempt that failed
        again = client.post(PATH, json=start, headers=headers)         # Telegram's retry
        assert again.status_code == 200
        assert len(session.sent()) == 2 and "户口或参保地" in session.sent()[-1].text
        assert client.post(PATH, json=start, headers=headers).status_code == 200
        assert len(session.sent()) == 2   # a duplicate now: not answered again
