"""The WeChat door with two workers sharing a real redis-server: a conversation moving between the
workers (its numbered choices too), a retry that lands on the other worker (same reply, handled
once), a failed attempt retried on the other worker (handled again), one access token for both,
and nothing of the user's (openid, typed text) in Redis."""
from __future__ import annotations

import shutil
import socket
import subprocess
import time

import pytest
import redis as redis_sync

from bot.doors.ttl import RedisTTL
from bot.doors.wechat import WeChatDoor
from bot.doors.wechat_api import WeChatAPI
from bot.wiring import redis_service
from fake_wechat import (APPID, LONG_CS_PARTS, SECRET, TOKEN, AppServer, Counting, FakeWeChatServer, Long, Officer,
                         free_port, options)
from web.app import create_app
from web.wechat_webhook import wechat_router


@pytest.fixture
def redis_url(tmp_path, missing, monkeypatch):
    binary = shutil.which("redis-server")
    if not binary:
        missing("redis-server not installed (apt-get install redis-server)")
    port = free_port()
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", str(tmp_path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.05)
    # workers sharing Redis share the hashing key (required with REDIS_URL)
    monkeypatch.setenv("JIUZHU_SECRET", "test-secret-shared-by-both-workers")
    yield f"redis://127.0.0.1:{port}/0"
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture
def workers(redis_url, tmp_path):
    wx = FakeWeChatServer().start()
    servers, services = [], []

    def worker(wrap=Counting):
        service = wrap(redis_service(redis_url, misses_db=str(tmp_path / "faq.db")))
        store = RedisTTL(service.store.redis)
        door = WeChatDoor(service, store, WeChatAPI(APPID, SECRET, store, base_url=wx.url, backoff=0.05),
                          failure_hold=0.1)
        app = create_app(chat_service=service, faq_db=str(tmp_path / "faq.db"),
                         extra_routers=[wechat_router(door, TOKEN)])
        servers.append(AppServer(app).start())
        services.append(service)
        return servers[-1].url, service

    yield worker, wx, redis_url
    for server in servers:
        server.stop()
    wx.stop()


def test_two_workers_one_conversation_retries_across_workers(workers):
    worker, wx, url = workers
    (a_url, a), (b_url, b) = worker(), worker()
    on_a = Officer(a_url, openid="oREDIS-1")
    on_b = Officer(b_url, openid="oREDIS-1", ids=on_a.ids)  # one user: one MsgId sequence
    reply = on_a.say("/start")
    reply = on_b.say(options(reply)["广西"])          # the numbers offered by A, typed to B
    assert "哪些身份" in reply
    reply = on_a.say(options(reply)["低保户"])
    reply = on_b.say(options(reply)["选好了"])
    assert "哪种看病" in reply

    xml = on_a.text(options(reply)["住院"], msg_id=5550001)
    first = on_a.reply_text(on_a.post(xml))
    again = on_b.reply_text(on_b.post(xml))         # WeChat's retry reached the other worker
    assert first == again and "自己还要付多少" in first
    assert a.calls + b.calls == 5

    a.fail_next = 1
    xml = on_a.text("两万三千", msg_id=5550002)
    assert on_a.post(xml).status_code == 503
    handled = on_b.reply_text(on_b.post(xml))
    assert "在哪里看的病" in handled
    assert a.calls + b.calls == 7                   # the failed attempt and its retry

    raw = redis_sync.Redis.from_url(url)
    try:
        dump = {k: raw.get(k) if raw.type(k) == b"string" else raw.dump(k) for k in raw.scan_iter()}
    finally:
        raw.close()
    everything = b"".join(k + (v or b"") for k, v in dump.items())
    assert b"oREDIS-1" not in everything and "两万三千".encode() not in everything


def test_workers_share_one_access_token(workers):
    worker, wx, _ = workers
    (a_url, _), (b_url, _) = worker(Long), worker(Long)
    Officer(a_url, openid="oT1").say("x")
    per_reply = LONG_CS_PARTS
    wx.wait_sent(per_reply)
    Officer(b_url, openid="oT2").say("y")
    wx.wait_sent(2 * per_reply)
    assert len(wx.sent) == 2 * per_reply
    assert len(wx.token_requests) == 1
