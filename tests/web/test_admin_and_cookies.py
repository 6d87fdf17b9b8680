"""Admin token only in a header (or the page's posted form), never in the URL; wrong tokens and
every authenticated path rate-limited; the chat's HttpOnly cookie never written into the page and
`Secure` behind HTTPS."""
from __future__ import annotations

from fastapi.testclient import TestClient

from web.app import create_app
from web.settings import Settings

from .conftest import ADMIN


def make(tmp_path, monkeypatch, rate_ip: str = "off", **kw) -> TestClient:
    monkeypatch.setenv("JIUZHU_RATE_IP", rate_ip)
    return TestClient(create_app(Settings(db_path=str(tmp_path / "a.db"), admin_token=ADMIN), **kw), **{})


def test_token_in_the_url_is_refused_everywhere(tmp_path, monkeypatch):
    client = make(tmp_path, monkeypatch)
    for path in ("/metrics", "/api/v1/faq/misses", "/faq/misses"):
        assert client.get(path, params={"token": ADMIN}).status_code == 401, path
        assert client.get(path, headers={"Authorization": f"Bearer {ADMIN}"}).status_code == 200, path
        assert client.get(path, headers={"X-Admin-Token": ADMIN}).status_code == 200, path


def test_misses_page_asks_for_the_token_in_a_posted_form(tmp_path, monkeypatch):
    client = make(tmp_path, monkeypatch)
    page = client.get("/faq/misses")
    assert page.status_code == 401 and 'method="post"' in page.text and 'name="token"' in page.text
    wrong = client.post("/faq/misses", data={"token": "nope"})
    assert wrong.status_code == 401 and "口令不对" in wrong.text
    right = client.post("/faq/misses", data={"token": ADMIN})
    assert right.status_code == 200 and "没有答上的问题" in right.text and ADMIN not in right.text


def test_wrong_tokens_are_limited_even_on_metrics(tmp_path, monkeypatch):
    client = make(tmp_path, monkeypatch)
    codes = [client.get("/metrics", headers={"Authorization": f"Bearer guess{i}"}).status_code for i in range(8)]
    assert codes[:5] == [401] * 5 and codes[5:] == [429] * 3, codes
    blocked = client.get("/metrics", headers={"Authorization": f"Bearer {ADMIN}"})
    assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) >= 1  # even the right one, for now
    assert client.get("/api/v1/faq/misses", headers={"X-Admin-Token": "guess"}).status_code == 429


def test_metrics_is_rate_limited_like_every_path(tmp_path, monkeypatch):
    client = make(tmp_path, monkeypatch, rate_ip="1,3")
    codes = [client.get("/metrics", headers={"Authorization": f"Bearer {ADMIN}"}).status_code for _ in range(5)]
    assert codes[:3] == [200] * 3 and 429 in codes[3:], codes


def test_session_cookie_is_httponly_never_in_the_page_and_secure_over_https(tmp_path, monkeypatch):
    monkeypatch.setenv("JIUZHU_RATE_IP", "off")
    app = create_app(Settings(db_path=str(tmp_path / "c.db")))
    plain = TestClient(app)
    resp = plain.get("/")
    sid = resp.cookies.get("jz_session")
    assert sid and sid not in resp.text
    header = resp.headers["set-cookie"].lower()
    assert "httponly" in header and "secure" not in header
    # the page's script posts without a session: the API knows the conversation by its cookie
    first = plain.post("/api/v1/chat", json={"text": "南宁"})
    assert first.status_code == 200 and "哪些身份" in "".join(m["text"] for m in first.json()["messages"])
    assert TestClient(app).post("/api/v1/chat", json={"text": "南宁"}).status_code == 422  # no cookie, no session
    secure = TestClient(app, base_url="https://testserver").get("/")
    assert "secure" in secure.headers["set-cookie"].lower()
