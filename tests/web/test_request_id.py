"""Every answer carries a request id (X-Request-ID), every log line made during the request has it,
and a 500 shows it to the person (to quote to the helpdesk) — with no personal data anywhere."""
from __future__ import annotations

import logging

from fastapi import APIRouter
from fastapi.testclient import TestClient

from web.app import create_app
from web.logs import FORMAT, RequestIdFilter


def test_a_500_names_its_request_id_as_does_every_log_line(settings, caplog):
    boom = APIRouter()

    @boom.get("/api/v1/boom")
    def _boom():
        logging.getLogger("jiuzhu.test").warning("about to fail")
        raise RuntimeError("personal " + "138001" + "38000")

    caplog.handler.addFilter(RequestIdFilter())
    caplog.handler.setFormatter(logging.Formatter(FORMAT))
    with TestClient(create_app(settings, extra_routers=[boom])) as c:
        r = c.get("/api/v1/boom")
        ok = c.get("/healthz")
        given = c.get("/healthz", headers={"X-Request-ID": "proxy-abc123"})
        odd = c.get("/healthz", headers={"X-Request-ID": "<script>"})
    rid = r.headers["x-request-id"]
    assert r.status_code == 500 and r.json()["request_id"] == rid and rid in r.json()["detail"][0]["message_zh"]
    lines = [caplog.handler.format(rec) for rec in caplog.records if rec.name in ("jiuzhu.test", "jiuzhu.web")]
    assert lines and all(f"[{rid}]" in line for line in lines), lines
    assert lines[0][:4].isdigit()  # starts with the time
    assert "13800138000" not in caplog.text and "13800138000" not in r.text
    assert ok.headers["x-request-id"] and ok.headers["x-request-id"] != rid
    assert given.headers["x-request-id"] == "proxy-abc123"
    assert odd.headers["x-request-id"] != "<script>"


def test_an_html_500_shows_the_id(settings):
    boom = APIRouter()

    @boom.get("/boom-page")
    def _boom():
        raise RuntimeError("x")

    with TestClient(create_app(settings, extra_routers=[boom])) as c:
        r = c.get("/boom-page")
    assert r.status_code == 500 and r.headers["x-request-id"] in r.text
