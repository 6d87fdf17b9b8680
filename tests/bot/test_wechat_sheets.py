"""Several WeChat users at once, each running two whole conversations back to back and asking for
the print sheet (longer than one message: its rest goes out by the customer-service API), with
WeChat's retries: every user gets every part once, in order. Real servers on 127.0.0.1."""
from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from types import SimpleNamespace

import pytest

import fake_wechat

from bot.doors.ttl import MemoryTTL
from bot.doors.wechat import WeChatDoor
from bot.doors.wechat_api import WeChatAPI
from bot.service import ChatService
from bot.store import SqliteStore
from fake_wechat import APPID, SECRET, TOKEN, AppServer, Counting, FakeWeChatServer, Officer, options
from web.app import create_app
from web.wechat_webhook import wechat_router

SHEET_HEAD = "医疗救助估算单"
USERS = 4


@pytest.fixture
def app(tmp_path, wx):
    storage = SqliteStore(str(tmp_path / "jiuzhu.db"))
    service = Counting(ChatService(storage, secret=storage.secret, today=date(2024, 6, 1)))
    store = MemoryTTL()
    door = WeChatDoor(service, store, WeChatAPI(APPID, SECRET, store, base_url=wx.url, backoff=0.05))
    server = AppServer(create_app(chat_service=service, faq_db=str(tmp_path / "faq.db"),
                                  extra_routers=[wechat_router(door, TOKEN)])).start()
    yield server.url, service
    server.stop()


def ask(officer: Officer, xml: str, retry: bool = False) -> str:
    reply = officer.reply_text(officer.post(xml)) or ""
    if retry:  # WeChat's retry of the same message: the same reply, nothing sent twice
        assert officer.reply_text(officer.post(xml)) == reply
    return reply


def pick(officer: Officer, reply: str, label: str, retry: bool = False) -> str:
    offered = options(reply)
    assert label in offered, f"the conversation went astray: {label} not offered in {reply[:60]!r}"
    return ask(officer, officer.text(offered[label]), retry)


def two_conversations(officer: Officer) -> list[str]:
    """南宁 to its print sheet, then at once a new subscribe and 安康 to its print sheet."""
    sheets = []
    reply = ask(officer, officer.event("subscribe"))
    reply = ask(officer, officer.text("我是南宁的低保户，住院自付2万"))
    reply = pick(officer, reply, "本市")
    reply = pick(officer, reply, "之前没有")
    sheets.append(pick(officer, reply, "打印版", retry=True))
    reply = ask(officer, officer.event("subscribe"), retry=True)  # in the same second as the first, maybe
    for label, said in (("安康", None), (None, "低保户"), ("选好了", None), ("住院", None), (None, "三万"),
                        ("安康市内", None), ("之前没有", None)):
        reply = pick(officer, reply, label) if label else ask(officer, officer.text(said))
    sheets.append(pick(officer, reply, "打印版", retry=True))
    return sheets


def settled(wx: FakeWeChatServer, at_least: int, quiet: float = 0.5, timeout: float = 15.0) -> list[dict]:
    """What the stand-in received once at least `at_least` arrived and nothing more came for `quiet` s."""
    deadline = time.monotonic() + timeout
    count, since = -1, time.monotonic()
    while time.monotonic() < deadline:
        if len(wx.sent) != count:
            count, since = len(wx.sent), time.monotonic()
        elif count >= at_least and time.monotonic() - since >= quiet:
            break
        time.sleep(0.02)
    return list(wx.sent)


def test_a_users_new_event_never_shares_its_createtime_with_the_one_before(app):
    officer = Officer(app[0], openid="oSHEET-EV")
    first, second = officer.event("subscribe"), officer.event("subscribe")
    assert first != second  # else WeChat (and the door) would take the second for a retry of the first


def test_the_same_event_in_one_second_is_a_retry_and_a_new_second_a_new_event(app):
    url, service = app
    officer = Officer(url, openid="oSHEET-RETRY")
    greeting = officer.reply_text(officer.post(officer.xml("event", {"Event": "subscribe"}, created=1700000000)))
    assert officer.reply_text(officer.post(officer.xml("event", {"Event": "subscribe"}, created=1700000000))) == greeting
    assert service.calls == 1
    officer.reply_text(officer.post(officer.xml("event", {"Event": "subscribe"}, created=1700000001)))
    assert service.calls == 2


def test_concurrent_users_each_get_every_print_sheet_part_once_and_in_order(app, wx, monkeypatch):
    url, _ = app
    # WeChat's clock stands still: a fast user's two conversations fall in one second (the worst case,
    # and what the bench's users do); the second subscribe must still be a new event, not a retry
    monkeypatch.setattr(fake_wechat, "time", SimpleNamespace(time=lambda: 1_700_000_000.0,
                                                             monotonic=time.monotonic, sleep=time.sleep))
    officers = [Officer(url, openid=f"oSHEET-{n}") for n in range(USERS)]
    with ThreadPoolExecutor(USERS) as pool:
        sheets = list(pool.map(two_conversations, officers))
    for got in sheets:
        assert [s.startswith(SHEET_HEAD) for s in got] == [True, True], [s[:40] for s in got]
        assert "广西" in got[0] and "安康" in got[1]
    sent = settled(wx, at_least=2 * USERS)
    parts = {o.openid: [m["text"]["content"] for m in sent if m["touser"] == o.openid] for o in officers}
    first = parts[officers[0].openid]
    assert len(first) >= 2 and len(set(first)) == len(first)  # a part of each sheet, none twice
    # in order: the 南宁 sheet's rest (Guangxi's clauses, 桂政办发) before the 安康 sheet's (安政办发)
    assert "桂政办发" in first[0] and "安政办发" in first[-1]
    assert all(p == first for p in parts.values())  # the same sheets: the same parts, in the same order
    assert len(sent) == USERS * len(first)
