"""Issue 6 wiring in the web app: webhook secret, flood limits, metrics behind the admin token."""
from __future__ import annotations

from fastapi.testclient import TestClient

from web.app import create_app
from web.ratelimit import Limiter
from web.settings import Settings
from web.telegram_webhook import PATH, webhook_router

UPDATE = {"update_id": 5, "message": {"message_id": 1, "date": 1700000000, "chat": {"id": 9, "type": "private"},
                                      "from": {"id": 9, "is_bot": False, "first_name": "x"}, "text": "/start"}}


class FakeDispatcher:
    def __init__(self):
        self.fed = []

    async def feed_update(self, bot, update):
        self.fed.append(update.update_id)


def app_with_webhook(tmp_path, monkeypatch):
    monkeypatch.setenv("JIUZHU_RATE_IP", "off")
    dp = FakeDispatcher()
    app = create_app(Settings(db_path=str(tmp_path / "w.db")), extra_routers=[webhook_router(dp, object(), "s3cret")])
    return TestClient(app), dp


def test_webhook_refuses_without_or_with_wrong_secret(tmp_path, monkeypatch):
    client, dp = app_with_webhook(tmp_path, monkeypatch)
    assert client.post(PATH, json=UPDATE).status_code == 403
    assert client.post(PATH, json=UPDATE, headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"}).status_code == 403
    assert dp.fed == []
    ok = client.post(PATH, json=UPDATE, headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret"})
    assert ok.status_code == 200 and dp.fed == [5]
    bad = client.post(PATH, content=b"{not json", headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret",
                                                             "content-type": "application/json"})
    assert bad.status_code == 400


def test_flood_from_one_ip_gets_429_with_retry_after(tmp_path, monkeypatch):
    monkeypatch.setenv("JIUZHU_RATE_IP", "1,5")
    client = TestClient(create_app(Settings(db_path=str(tmp_path / "r.db"))))
    codes = [client.get("/api/v1/policies").status_code for _ in range(8)]
    assert codes[:5] == [200] * 5
    assert 429 in codes[5:]
    resp = client.get("/api/v1/policies")
    assert resp.status_code == 429
    assert int(resp.headers["retry-after"]) >= 1
    assert resp.json()["detail"][0]["message_zh"]
    assert client.get("/healthz").status_code == 200  # liveness is never limited


def test_flood_from_one_chat_session_gets_429(tmp_path, monkeypatch):
    monkeypatch.setenv("JIUZHU_RATE_IP", "off")
    monkeypatch.setenv("JIUZHU_RATE_SESSION", "1,3")
    client = TestClient(create_app(Settings(db_path=str(tmp_path / "s.db"))))
    codes = [client.post("/api/v1/chat", json={"session": "flood", "text": "你好"}).status_code for _ in range(5)]
    assert codes[:3] == [200, 200, 200] and codes[3] == 429
    # another session is not affected
    assert client.post("/api/v1/chat", json={"session": "calm", "text": "你好"}).status_code == 200


def test_limiter_refills_over_time():
    limiter = Limiter(per_minute=60, burst=2)
    assert limiter.take("k", now=0.0) == 0 and limiter.take("k", now=0.0) == 0
    assert limiter.take("k", now=0.0) > 0
    assert limiter.take("k", now=1.01) == 0  # one token a second


def test_metrics_need_the_admin_token_and_count_routes(tmp_path, monkeypatch):
    monkeypatch.setenv("JIUZHU_RATE_IP", "off")
    closed = TestClient(create_app(Settings(db_path=str(tmp_path / "m.db"), admin_token=None)))
    assert closed.get("/metrics").status_code == 403
    client = TestClient(create_app(Settings(db_path=str(tmp_path / "m2.db"), admin_token="tok")))
    assert client.get("/metrics").status_code == 401
    client.post("/api/v1/estimate", json={"region": "guangxi", "identities": ["dibao"], "care": "inpatient",
                                          "self_pay": 20000, "date": "2024-06-01"})
    client.get("/api/v1/faq", params={"q": "火星上的医保怎么报"})
    client.get("/policies/xizang")
    text = client.get("/metrics", headers={"Authorization": "Bearer tok"}).text
    assert 'jiuzhu_estimates_total{region="guangxi",status="paid"} 1.0' in text
    assert 'route="/policies/{region}"' in text
    assert "jiuzhu_request_seconds_bucket" in text
    assert "jiuzhu_faq_misses_total" in text


def test_docs_are_served_without_a_cdn(tmp_path, monkeypatch):
    monkeypatch.setenv("JIUZHU_RATE_IP", "off")
    client = TestClient(create_app(Settings(db_path=str(tmp_path / "d.db"))))
    page = client.get("/docs")
    assert page.status_code == 200
    assert "cdn" not in page.text.lower() and "/docs-assets/swagger-ui-bundle.js" in page.text
    assert client.get("/docs-assets/swagger-ui-bundle.js").status_code == 200
    assert client.get("/docs-assets/swagger-ui.css").status_code == 200
    assert client.get("/openapi.json").json()["paths"]["/api/v1/estimate"]
