"""The WeChat door against real servers on 127.0.0.1: the web app under uvicorn with the WeChat
router, and a stand-in for WeChat's API (tests/bot/fake_wechat.py). Requests are signed XML as
WeChat sends them; replies are read back as WeChat reads them."""
from __future__ import annotations

import asyncio
import time
from datetime import date

import httpx
import pytest
from wechatpy.crypto import WeChatCrypto

from bot.doors.ttl import MemoryTTL
from bot.doors.wechat import FAILURE_HOLD, NOT_HEARD, ONLY_WORDS, WORKING, WeChatDoor
from bot.doors.wechat_api import WeChatAPI
from bot.messages import Message
from bot.service import ChatService
from bot.store import SqliteStore
from fake_wechat import (AES_KEY, APPID, LONG_CS_PARTS, SECRET, TOKEN, AppServer, Counting,
                         Long, Officer, options)
from web.app import create_app
from web.settings import Settings
from web.wechat_webhook import router_from_env, wechat_router


@pytest.fixture
def serve(tmp_path, wx):
    """serve(safe=False, budget=4.0, wrap=Counting) → (officer, the counting service, the door)."""
    started = []

    def make(safe: bool = False, budget: float = 4.0, wrap=Counting, api: bool = True, failure_hold: float = 0.1):
        storage = SqliteStore(str(tmp_path / f"jiuzhu{len(started)}.db"))
        service = wrap(ChatService(storage, secret=storage.secret, today=date(2024, 6, 1)))
        store = MemoryTTL()
        client = WeChatAPI(APPID, SECRET, store, base_url=wx.url, backoff=0.05) if api else None
        door = WeChatDoor(service, store, client, budget=budget, failure_hold=failure_hold)
        crypto = WeChatCrypto(TOKEN, AES_KEY, APPID) if safe else None
        app = create_app(chat_service=service, faq_db=str(tmp_path / "faq.db"),
                         extra_routers=[wechat_router(door, TOKEN, crypto)])
        server = AppServer(app).start()
        started.append(server)
        return Officer(server.url, crypto=crypto), service, door

    yield make
    for server in started:
        server.stop()


def press(officer: Officer, reply: str, label: str) -> str:
    number = options(reply)[label]
    return officer.say(number)


# ------------------------------------------------------------------ URL check and signatures

def test_url_check_echoes_when_signed_and_refuses_otherwise(serve):
    officer, service, _ = serve()
    q, _ = officer.query()
    good = httpx.get(f"{officer.base}/wechat", params={**q, "echostr": "8735216"}, trust_env=False)
    assert good.status_code == 200 and good.text == "8735216"
    q, _ = officer.query(good=False)
    bad = httpx.get(f"{officer.base}/wechat", params={**q, "echostr": "8735216"}, trust_env=False)
    assert bad.status_code == 403 and "8735216" not in bad.text
    none = httpx.get(f"{officer.base}/wechat", params={"echostr": "1"}, trust_env=False)
    assert none.status_code == 403


def test_a_message_with_a_bad_signature_is_refused_and_changes_nothing(serve):
    officer, service, _ = serve()
    response = officer.post(officer.text("广西"), good=False)
    assert response.status_code == 403
    assert service.calls == 0
    garbage = httpx.post(f"{officer.base}/wechat", params=officer.query()[0], content=b"<xml><oops",
                         trust_env=False)
    assert garbage.status_code == 400 and service.calls == 0


# ------------------------------------------------------------------ whole conversations

def test_guangxi_by_numbers_from_the_subscribe_greeting(serve, wx):
    officer, service, _ = serve()
    reply = officer.reply_text(officer.post(officer.event("subscribe")))
    assert "户口或参保地" in reply and "广西" in options(reply)
    reply = press(officer, reply, "广西")
    reply = press(officer, reply, "特困/五保")
    reply = press(officer, reply, "选好了")
    reply = press(officer, reply, "门诊慢特病")
    assert "自己还要付多少" in reply
    reply = officer.say("3000")               # an amount, not option 3000
    assert "在哪里看的病" in reply
    reply = press(officer, reply, "本市")
    reply = press(officer, reply, "之前没有")
    # 桂政办发〔2022〕5号 二（五）2: 特困 = 一类, 门诊慢特病 100% → 3,000 × 100% = 3,000元
    assert "3,000元" in reply and "一类人员" in reply
    assert "计算过程" in options(reply)
    detail = press(officer, reply, "计算过程")
    assert "桂政办发〔2022〕5号" in detail
    assert wx.sent == []  # every reply fitted one message


def test_guangxi_by_words_in_one_sentence(serve):
    officer, _, _ = serve()
    reply = officer.say("我是南宁的低保户，住院自付2万")
    assert "南宁市属于广西" in reply and "在哪里看的病" in reply
    reply = officer.say("本市")
    reply = officer.say("之前没有")
    # 二（五）1（3）: 低保 二类, 90%: 20,000 × 90% = 18,000
    assert "1.8万元（18,000元）" in reply and "2,000元" in reply


FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
CHINESE = {1: "一", 2: "二", 3: "三", 4: "四", 5: "五", 6: "六", 7: "七", 8: "八", 9: "九"}


def test_ankang_by_full_width_and_chinese_numbers(serve):
    officer, _, _ = serve()
    reply = officer.say("你好")
    assert "户口或参保地" in reply
    reply = officer.say(options(reply)["安康"].translate(FULL_WIDTH))      # "３": a full-width digit
    assert "哪些身份" in reply
    reply = officer.say(CHINESE[int(options(reply)["低保户"])])             # "三": a Chinese numeral
    reply = officer.say(f"第{options(reply)['选好了']}个")
    reply = officer.say(CHINESE[int(options(reply)["住院"])] + "。")        # as voice recognition writes it
    assert "自己还要付多少" in reply
    reply = officer.say("三万")
    reply = press(officer, reply, "安康市内")
    reply = press(officer, reply, "之前没有")
    # 安政办发〔2023〕2号 三（三）、三（四）: 低保 二类, 70%: 30,000 × 70% = 21,000
    assert "2.1万元（21,000元）" in reply and "9,000元" in reply


def test_xizang_by_words(serve):
    officer, _, _ = serve()
    for said in ("拉萨", "低保户", "选好了", "住院", "2万"):
        reply = officer.say(said)
    assert "之前还看过病" in reply
    reply = officer.say("之前没有")
    # 藏政办发〔2022〕31号 五（五）1: 低保 第三类, 95%: 20,000 × 95% = 19,000
    assert "1.9万元（19,000元）" in reply and "第三类" in reply and "1,000元" in reply


def test_voice_with_and_without_recognition(serve):
    officer, service, _ = serve()
    officer.say("/start")
    heard = officer.reply_text(officer.post(officer.voice("我是南宁的低保户，住院自付2万。")))
    assert "南宁市属于广西" in heard
    calls = service.calls
    empty = officer.reply_text(officer.post(officer.voice("")))
    missing = officer.reply_text(officer.post(officer.voice(None)))
    assert empty == missing == NOT_HEARD
    assert service.calls == calls  # nothing reached the conversation
    assert "之前还看过病" in officer.say("本市")  # the conversation went on where it was


def test_a_sticker_mid_way_gets_a_polite_reply_and_changes_nothing(serve):
    officer, service, _ = serve()
    reply = officer.say("我是南宁的低保户，住院自付2万")
    calls = service.calls
    assert officer.reply_text(officer.post(officer.image())) == ONLY_WORDS
    assert officer.say("【收到不支持的消息类型，暂无法显示】") == ONLY_WORDS
    location = officer.xml("location", {"Location_X": "23.1", "Location_Y": "113.3", "Scale": "20", "Label": "x"},
                           msg_id=next(officer.ids))
    assert officer.reply_text(officer.post(location)) == ONLY_WORDS
    assert service.calls == calls
    reply = press(officer, reply, "本市")  # the numbers offered before the sticker still hold
    assert "之前还看过病" in reply


def test_menu_clicks(serve):
    officer, _, _ = serve()
    human = officer.reply_text(officer.post(officer.event("CLICK", "JZ_HUMAN")))
    assert "12393" in human
    faq = officer.reply_text(officer.post(officer.event("CLICK", "JZ_FAQ")))
    assert "请直接打出您的问题" in faq
    officer.say("西藏")
    again = officer.reply_text(officer.post(officer.event("CLICK", "JZ_ESTIMATE")))
    assert "户口或参保地" in again
    assert officer.reply_text(officer.post(officer.event("CLICK", "NOT_OURS"))) is None
    assert officer.reply_text(officer.post(officer.event("unsubscribe"))) is None


# ------------------------------------------------------------------ retries

def test_a_retried_msgid_gets_the_same_reply_and_is_handled_once(serve):
    officer, service, _ = serve()
    officer.say("/start")
    xml = officer.text("广西", msg_id=424242)
    first = officer.reply_text(officer.post(xml))
    second = officer.reply_text(officer.post(xml))
    assert first == second and "哪些身份" in first
    assert service.calls == 2  # /start and 广西, once
    # the conversation moved one step only: the next question is still the identity one
    assert "选好了" in options(officer.say("特困/五保"))


def test_retries_while_the_first_attempt_is_still_running_wait_for_it(serve):
    officer, service, _ = serve()
    officer.say("/start")
    service.delay = 0.5
    xml = officer.text("广西", msg_id=777)

    async def both():
        async with httpx.AsyncClient(trust_env=False, timeout=10) as client:
            calls = []
            for _ in range(3):
                q, body = officer.query(xml)
                calls.append(client.post(f"{officer.base}/wechat", params=q, content=body.encode()))
            return await asyncio.gather(*calls)

    replies = {officer.reply_text(r) for r in asyncio.run(both())}
    assert len(replies) == 1
    assert service.calls == 2


def test_a_retry_after_a_failed_attempt_is_handled_again(serve):
    officer, service, _ = serve(failure_hold=FAILURE_HOLD)
    officer.say("/start")
    service.fail_next = 1
    xml = officer.text("广西", msg_id=9001)
    started = time.monotonic()
    failed = officer.post(xml)
    # nothing was done, and no answer came within WeChat's 5 s, so WeChat sends the message again
    assert failed.status_code == 503 and time.monotonic() - started >= 5.0
    again = officer.reply_text(officer.post(xml))
    assert "哪些身份" in again
    third = officer.reply_text(officer.post(xml))
    assert third == again
    assert service.calls == 3  # /start, the failed attempt, the retry (not the third)


# ------------------------------------------------------------------ long and slow replies

def test_a_long_reply_goes_out_in_order_through_customer_service(serve, wx):
    officer, service, _ = serve(wrap=Long)
    passive = officer.say("随便")
    assert LONG_CS_PARTS >= 2
    sent = wx.wait_sent(LONG_CS_PARTS)
    assert len(sent) == LONG_CS_PARTS and all(m["touser"] == officer.openid and m["msgtype"] == "text" for m in sent)
    parts = [passive] + wx.texts()
    assert all(len(p.encode("utf-8")) <= 2048 for p in parts)
    whole = "\n".join(parts).replace("\n\n", "\n")
    lines = [line for line in whole.split("\n") if line]
    expected = [f"第{p}段第{i}行：" + "救助" * 20 for p in range(1, 4) for i in range(20)]
    assert lines == expected  # nothing lost, nothing twice, in order
    assert len(wx.token_requests) == 1


class Tagged(Long):
    """A Long reply whose every line carries what the user sent (to tell two replies apart)."""

    async def handle(self, session: str, text: str):
        self.calls += 1
        return [Message(text=m.text.replace("第", f"{text}第")) for m in self.messages()]


def test_two_long_replies_to_one_user_go_out_one_after_the_other(serve, wx):
    officer, _, _ = serve(wrap=Tagged)
    wx.send_delay = 0.05  # a slow WeChat: the second reply's parts must still wait for the first's
    officer.say("A")
    officer.say("B")
    sent = wx.wait_sent(2 * LONG_CS_PARTS)
    tags = [text[0] for text in wx.texts()]
    assert len(sent) == 2 * LONG_CS_PARTS
    assert tags == ["A"] * LONG_CS_PARTS + ["B"] * LONG_CS_PARTS


def test_a_slow_conversation_answers_working_then_sends_the_result(serve, wx):
    officer, service, door = serve()
    officer.say("/start")
    door.budget, service.delay = 0.3, 1.0  # the conversation takes longer than the passive reply may wait
    reply = officer.say("我是南宁的低保户，住院自付2万")
    assert reply == WORKING
    sent = wx.wait_sent(1)
    assert len(sent) == 1 and "南宁市属于广西" in wx.texts()[0]
    door.budget, service.delay = 4.0, 0
    assert "之前还看过病" in officer.say("本市")
    assert len(wx.sent) == 1


def test_token_is_cached_refetched_when_expired_and_retried_when_failing(serve, wx):
    officer, service, door = serve(wrap=Long)
    officer.say("a")
    per_reply = LONG_CS_PARTS
    wx.wait_sent(per_reply)
    officer.say("b")
    wx.wait_sent(2 * per_reply)
    assert len(wx.token_requests) == 1  # one token for both replies
    wx.expire_tokens()
    officer.say("c")
    wx.wait_sent(3 * per_reply)
    assert len(wx.token_requests) == 2 and len(wx.sent) == 3 * per_reply  # refused once, fetched anew
    wx.expire_tokens()
    wx.fail_token = 2  # two 500s, then a token: the backoff gets there
    officer.say("d")
    wx.wait_sent(4 * per_reply)
    assert len(wx.sent) == 4 * per_reply and len(wx.token_requests) == 5


def test_a_dead_token_endpoint_never_blocks_the_passive_reply(serve, wx, caplog):
    officer, service, door = serve(wrap=Long)
    wx.fail_token = 1000
    passive = officer.say("a")
    assert passive.startswith("第1段第0行")
    deadline = 50
    while len(wx.token_requests) < 4 and deadline:
        time.sleep(0.1)
        deadline -= 1
    assert len(wx.token_requests) == 4 and wx.sent == []
    assert officer.openid not in caplog.text


# ------------------------------------------------------------------ safe mode

def test_safe_mode_whole_conversation_encrypted_both_ways(serve):
    officer, _, _ = serve(safe=True)
    response = officer.post(officer.text("我是南宁的低保户，住院自付2万"))
    assert "<Encrypt>" in response.text and "南宁" not in response.text
    reply = officer.reply_text(response)
    assert "南宁市属于广西" in reply
    reply = officer.say("本市")
    reply = press(officer, reply, "之前没有")
    assert "1.8万元（18,000元）" in reply
    q, body = officer.query(officer.text("本市"))
    q["msg_signature"] = "0" * 40
    forged = httpx.post(f"{officer.base}/wechat", params=q, content=body.encode(), trust_env=False)
    assert forged.status_code == 403


# ------------------------------------------------------------------ configuration

def test_router_from_env_needs_a_token_and_a_good_aes_key(tmp_path):
    storage = SqliteStore(str(tmp_path / "c.db"))
    service = ChatService(storage, secret=storage.secret)
    assert router_from_env(service, Settings(wechat_token=None)) is None
    plain = router_from_env(service, Settings(wechat_token=TOKEN, wechat_appid=None, wechat_secret=None))
    assert [r.path for r in plain.routes] == ["/wechat", "/wechat"]
    with pytest.raises(ValueError, match="43-character"):
        router_from_env(service, Settings(wechat_token=TOKEN, wechat_appid=APPID, wechat_aes_key="too-short"))
    with pytest.raises(ValueError, match="WECHAT_APPID"):
        router_from_env(service, Settings(wechat_token=TOKEN, wechat_appid=None, wechat_aes_key=AES_KEY))
    assert router_from_env(service, Settings(wechat_token=TOKEN, wechat_appid=APPID, wechat_aes_key=AES_KEY))


def test_an_encrypted_message_without_safe_mode_is_refused_clearly(serve):
    officer, service, _ = serve()
    officer.crypto = WeChatCrypto(TOKEN, AES_KEY, APPID)
    response = officer.post(officer.text("广西"))
    assert response.status_code == 400 and "WECHAT_AES_KEY" in response.text
    assert service.calls == 0


class BrokenStore(MemoryTTL):
    """A shared store (Redis) that is down."""

    async def add(self, key, value, ttl):
        raise ConnectionError("redis down")


def test_a_store_outage_is_a_failed_attempt_not_a_crash(tmp_path, wx):
    storage = SqliteStore(str(tmp_path / "s.db"))
    service = Counting(ChatService(storage, secret=storage.secret, today=date(2024, 6, 1)))
    door = WeChatDoor(service, BrokenStore(), None, failure_hold=0.1)
    app = create_app(chat_service=service, faq_db=str(tmp_path / "faq.db"), extra_routers=[wechat_router(door, TOKEN)])
    server = AppServer(app).start()
    try:
        officer = Officer(server.url)
        xml = officer.text("广西")
        response = officer.post(xml)
        assert response.status_code == 503 and service.calls == 0
        door.store = MemoryTTL()  # back again: WeChat's retry of the same message is handled
        assert "哪些身份" in officer.reply_text(officer.post(xml))
        assert service.calls == 1
    finally:
        server.stop()


def test_a_message_without_a_sender_is_refused(serve):
    officer, service, _ = serve()
    xml = officer.text("广西").replace(f"<FromUserName><![CDATA[{officer.openid}]]></FromUserName>", "")
    assert officer.post(xml).status_code == 400 and service.calls == 0
