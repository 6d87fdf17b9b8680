"""The chat page's handlers without a browser: the result's amount, a reload that resumes, 长辈版."""
from __future__ import annotations

import re

import pytest

from web.chatview import split_amount, view


@pytest.mark.parametrize(("line", "main", "exact"), [
    ("这次预计能拿到医疗救助：4.75万元（47,500元）", "4.75万元", "（47,500元）"),
    ("这次预计能拿到医疗救助：2,500元", "2,500元", ""),
    ("这次医疗救助：0元", "0元", ""),
])
def test_the_amount_line_is_found(line, main, exact):
    found = split_amount(f"【估算结果】广西 · 二类人员\n{line}\n自己还要付：2,500元")
    assert found["main"] == main and found["exact"] == exact
    assert found["before"] == ["【估算结果】广西 · 二类人员"] and found["after"] == ["自己还要付：2,500元"]


def test_only_a_result_gets_the_big_amount():
    text = "这次预计能拿到医疗救助：1.8万元（18,000元）"
    assert view({"text": text, "kind": "result"})["amount"]["amount"] == "1.8万元（18,000元）"
    assert view({"text": text, "kind": "detail"})["amount"] is None
    assert split_amount("自己还要付：2,000元") is None  # not the assistance line


def _bot_text(html: str) -> str:
    log = html.split('id="log"', 1)[1].split('id="composer"', 1)[0]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", log))


def test_reload_resumes_and_only_restart_starts_over(client):
    client.get("/")
    for text in ("广西", "低保户", "选好了"):
        assert client.post("/chat/part", data={"text": text}).status_code == 200
    page = client.get("/")
    assert "data-resumed" in page.text and "欢迎回来" in _bot_text(page.text)
    assert "住院" in _bot_text(page.text)  # the care question, with its buttons
    again = client.get("/")  # reading never changes the conversation
    assert _bot_text(again.text) == _bot_text(page.text)
    for text in ("住院", "本市", "2万", "之前没有"):
        reply = client.post("/chat/part", data={"text": text})
    assert "big-amount" in reply.text and "1.8万元" in reply.text
    assert reply.headers["x-chat-mark"].split(":")[3] == "1"  # the mark says: done
    page = client.get("/")
    assert "big-amount" in page.text and "1.8万元" in _bot_text(page.text)
    client.post("/chat/part", data={"text": "/start"})
    page = client.get("/")
    assert "data-resumed" in page.text and "big-amount" not in page.text


def test_a_fresh_visitor_gets_the_greeting(client):
    page = client.get("/")
    assert "data-resumed" not in page.text and "广西" in page.text
    assert "jz_session" in page.headers.get("set-cookie", "")


def test_a_fake_service_without_state_still_starts(fake_client, fake_chat):
    fake_client.get("/")
    fake_client.get("/")
    assert [t for _, t in fake_chat.calls] == ["/start", "/start"]


@pytest.mark.parametrize(("target", "back"), [("/faq", "/faq"), ("//evil.example", "/"),
                                              ("https://evil.example/", "/"), ("/\\evil", "/")])
def test_elder_switch_without_javascript(client, target, back):
    r = client.get("/elder", params={"on": 1, "next": target}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == back
    assert "jz_elder=1" in r.headers["set-cookie"]
    page = client.get("/policies")
    assert re.search(r'<body class="[^"]*\belder\b', page.text)
    assert 'aria-pressed="true"' in page.text
    client.get("/elder", params={"on": 0, "next": "/"}, follow_redirects=False)
    assert not re.search(r'<body class="[^"]*\belder\b', client.get("/policies").text)
    odd = client.get("/elder", params={"on": "abc", "next": "/faq\r\nX: y"}, follow_redirects=False)
    assert odd.status_code == 303 and "\n" not in odd.headers["location"]


def test_the_page_chat_is_limited_per_session_like_the_api(tmp_path, monkeypatch):
    from fastapi.testclient import TestClient

    from web.app import create_app
    from web.settings import Settings

    monkeypatch.setenv("JIUZHU_RATE_IP", "off")
    monkeypatch.setenv("JIUZHU_RATE_SESSION", "1,3")
    with TestClient(create_app(Settings(db_path=str(tmp_path / "s.db")))) as client:
        client.cookies.set("jz_session", "flood-session-1")
        codes = [client.post("/chat/part", data={"text": "你好"}).status_code for _ in range(5)]
        assert codes[:3] == [200, 200, 200] and codes[3] == 429
        assert client.post("/chat", data={"text": "你好"}).status_code == 429  # the same session's form
        client.cookies.set("jz_session", "calm-session-2")
        assert client.post("/chat/part", data={"text": "你好"}).status_code == 200
