"""web/fastpath.py answers /healthz, the estimate and the chat with the same bytes as the FastAPI
routes: status, every header in order (security headers, request id, Retry-After) and body, for
good and bad input, chunked bodies, a client that goes away, rate limits, metrics and a 503."""
from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from starlette.datastructures import MutableHeaders

from bot.errors import StorageUnavailable
from bot.wiring import service_from_env
from web.app import _PAGE_CSP, create_app, secure_headers
from web.fastpath import FastRoutes
from web.logs import last_header
from web.settings import Settings

from .conftest import ADMIN, FakeChat, FakeMessage

GOOD = json.loads((Path(__file__).resolve().parents[2] / "benchmarks" / "data" / "sample_estimates.json")
    .read_text(encoding="utf-8"))  # one case of each region (shared by the bench and the test)
JSON_CT = (b"content-type", b"application/json")


class CaseMessage(FakeMessage):
    def __init__(self, text, buttons, kind, case):
        super().__init__(text, buttons, kind)
        self.case = case

    def public(self):
        return {**super().public(), "case": self.case}


class OddChat(FakeChat):
    """The fake chat, plus a result whose case holds a Decimal and a date (FastAPI's encoder turns
    them into a number and a string; the fast path must too) and a storage failure (503)."""

    async def handle(self, session, text):
        if text == "decimal":
            case = {"self_pay": Decimal("20000.50"), "date": dt.date(2024, 6, 1), "n": Decimal("3")}
            return [CaseMessage("结果", ["计算过程"], "result", case)]
        if text == "storage down":
            raise StorageUnavailable("OperationalError")
        return await super().handle(session, text)


def pair(tmp_path, chat_factory=OddChat):
    """The same app twice: with the fast path, and with the FastAPI routes alone."""
    return tuple(create_app(Settings(db_path=str(tmp_path / f"{name}.db"), admin_token=ADMIN),
                            chat_service=chat_factory(), fast_routes=fast)
                 for name, fast in (("fast", True), ("slow", False)))


async def call(app, method, path, query=b"", headers=(JSON_CT,), chunks=(b"",), disconnect=False,
               client="10.0.0.1", rid=b"test-request-0001"):
    """One request straight through ASGI; every message the app sends, in order."""
    head = [(b"host", b"testserver"), *([(b"x-request-id", rid)] if rid else []), *headers]
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": query, "root_path": "", "headers": head,
             "client": (client, 50000), "server": ("testserver", 80), "state": {}}
    incoming = [{"type": "http.request", "body": c, "more_body": i < len(chunks) - 1} for i, c in enumerate(chunks)]
    if disconnect:
        incoming[-1] = {"type": "http.disconnect"}
    sent = []

    async def receive():
        return incoming.pop(0) if incoming else {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    await app(scope, receive, send)
    return sent


def answer(sent):
    """(status, headers in order, body) of what was sent."""
    start = [m for m in sent if m["type"] == "http.response.start"]
    assert len(start) == 1, sent
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start[0]["status"], [tuple(h) for h in start[0]["headers"]], body


def both(loop, apps, *args, **kwargs):
    fast, slow = (answer(loop.run_until_complete(call(app, *args, **kwargs))) for app in apps)
    return fast, slow


@pytest.fixture
def loop():
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


@pytest.fixture
def no_limits(monkeypatch):
    monkeypatch.setenv("JIUZHU_RATE_IP", "off")
    monkeypatch.setenv("JIUZHU_RATE_SESSION", "off")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**12, 10**12) | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=12), kids, max_size=4), max_leaves=12)


def cases():
    """Good cases, good cases with one field changed or dropped, and arbitrary JSON objects."""
    field = st.sampled_from(["region", "identities", "care", "self_pay", "date", "facts", "year_to_date", "colour"])
    changed = st.builds(lambda c, k, v: {**c, k: v}, st.sampled_from(GOOD), field, json_values)
    dropped = st.builds(lambda c, k: {x: y for x, y in c.items() if x != k}, st.sampled_from(GOOD), field)
    return st.sampled_from(GOOD) | changed | dropped | st.dictionaries(st.text(max_size=10), json_values, max_size=5)


def bodies(objects):
    """Bodies as clients send them: the JSON of an object, other JSON, broken bytes, nothing."""
    as_json = objects.map(lambda o: json.dumps(o, ensure_ascii=False).encode())
    other = json_values.map(lambda v: json.dumps(v).encode())
    broken = st.sampled_from([b"", b"{", b"{\"region\": ", b"\xff\xfe", b"[1, 2", b"nope", b"NaN", b"{} {}",
                              b"{\"a\": 1,}"]) | st.binary(max_size=40)
    return as_json | other | broken


chat_objects = st.fixed_dictionaries({}, optional={
    "session": st.none() | st.text(min_size=0, max_size=140) | st.integers() | st.sampled_from(["s-1", "s-2", "s-3"]),
    "text": st.text(max_size=40) | st.sampled_from(["", "/start", "广西", "decimal", "storage down"])
    | st.text(min_size=1995, max_size=2005) | st.integers() | st.none(),
    "extra": json_values,
})

content_types = st.sampled_from([[JSON_CT]] * 6 + [[], [(b"content-type", b"text/plain")],
                                                   [(b"content-type", b"application/json; charset=utf-8")],
                                                   [(b"content-type", b"application/x-www-form-urlencoded")]])


def split(body: bytes, cuts: list[int]) -> tuple[bytes, ...]:
    points = sorted({c % (len(body) + 1) for c in cuts})
    return tuple(body[a:b] for a, b in zip([0, *points], [*points, len(body)]))


requests = st.one_of(
    st.tuples(st.just("GET"), st.just("/healthz"), st.sampled_from([b"", b"x=1", b"strict=true"]), content_types,
              st.just(b""), st.just([])),
    st.tuples(st.just("POST"), st.just("/api/v1/estimate"),
              st.sampled_from([b"", b"", b"strict=true", b"strict=false", b"strict=1", b"strict=maybe", b"x=2"]),
              content_types, bodies(cases()), st.lists(st.integers(0, 400), max_size=3)),
    st.tuples(st.just("POST"), st.just("/api/v1/chat"), st.sampled_from([b"", b"x=1"]), content_types,
              bodies(chat_objects), st.lists(st.integers(0, 400), max_size=3)),
)


def test_the_fast_path_answers_byte_for_byte_as_the_fastapi_routes(tmp_path, loop, no_limits):
    apps = pair(tmp_path)

    @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(req=requests, cookie=st.booleans())
    def check(req, cookie):
        method, path, query, headers, body, cuts = req
        headers = [*headers, *([(b"cookie", b"jz_session=cookie-session-01")] if cookie else [])]
        fast, slow = both(loop, apps, method, path, query, headers, split(body, cuts))
        assert fast == slow
        assert fast[0] != 500, fast  # bad input is answered, never a crash

    check()


def test_the_fast_path_handles_them_itself_and_hands_on_the_rest():
    """Good requests never reach the FastAPI stack; bad ones reach it with their whole body."""
    reached = []

    async def rest(scope, receive, send):
        body, more = b"", True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        reached.append((scope["path"], body))
        await send({"type": "http.response.start", "status": 299, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    app = create_app(Settings(db_path=":memory:"), chat_service=FakeChat())
    fast = FastRoutes(rest)

    async def through(path, chunks, query=b"", headers=(JSON_CT,)):
        scope_app = app  # the routes read the app's state (metrics, the chat service) from the scope
        sent = []
        incoming = [{"type": "http.request", "body": c, "more_body": i < len(chunks) - 1} for i, c in enumerate(chunks)]

        async def receive():
            return incoming.pop(0)

        async def send(message):
            sent.append(message)

        await fast({"type": "http", "method": "POST" if path != "/healthz" else "GET", "path": path,
                    "query_string": query, "headers": list(headers), "app": scope_app, "state": {}},
                   receive, send)
        return sent[0]["status"]

    run = asyncio.new_event_loop().run_until_complete
    good = json.dumps(GOOD[0]).encode()
    assert run(through("/healthz", [b""])) == 200
    assert run(through("/api/v1/estimate", [good[:10], good[10:]])) == 200
    assert run(through("/api/v1/estimate", [good], query=b"strict=true")) == 200
    assert run(through("/api/v1/estimate", [json.dumps({**GOOD[0], "region": "mars"}).encode()])) == 422
    assert run(through("/api/v1/chat", [b'{"session": "abc", ', b'"text": "hi"}'])) == 200
    assert reached == []
    assert run(through("/api/v1/estimate", [b'{"reg', b"ion"])) == 299
    assert run(through("/api/v1/estimate", [good], query=b"strict=1")) == 299
    assert run(through("/api/v1/estimate", [good], headers=[(b"content-type", b"text/plain")])) == 299
    assert run(through("/api/v1/chat", [b'{"session": "", "text": "hi"}'])) == 299
    assert run(through("/api/v1/chat", [b'{"session": "abc", "text": 5}'])) == 299
    assert reached == [("/api/v1/estimate", b'{"region'), ("/api/v1/estimate", good), ("/api/v1/estimate", good),
                       ("/api/v1/chat", b'{"session": "", "text": "hi"}'),
                       ("/api/v1/chat", b'{"session": "abc", "text": 5}')]


def test_rate_limits_answer_the_same_429s(tmp_path, loop, monkeypatch):
    # rate 0: an empty bucket never refills, so Retry-After does not depend on the clock
    monkeypatch.setenv("JIUZHU_RATE_IP", "0,12")
    monkeypatch.setenv("JIUZHU_RATE_SESSION", "0,3")
    apps = pair(tmp_path)
    chat = json.dumps({"session": "flood", "text": "广西"}, ensure_ascii=False).encode()
    statuses = []
    for i in range(16):
        if i % 2:
            args = ("POST", "/api/v1/chat", b"", [JSON_CT], (chat,))
        else:
            args = ("POST", "/api/v1/estimate", b"", [JSON_CT], (json.dumps(GOOD[i % 5]).encode(),))
        fast, slow = both(loop, apps, *args)
        assert fast == slow
        statuses.append(fast[0])
        fast, slow = both(loop, apps, "GET", "/healthz")  # exempt from the limits
        assert fast == slow and fast[0] == 200
    # 12 requests a client, 3 messages a session: the 4th chat is the session's 429 (it took an IP
    # token first), from the 13th request every one is the client's 429
    assert statuses == [200] * 7 + [429, 200, 429, 200, 429] + [429] * 4
    limited = dict(both(loop, apps, "POST", "/api/v1/chat", b"", [JSON_CT], (chat,))[0][1])
    assert limited[b"retry-after"] == b"60"


def test_metrics_count_the_same(tmp_path, loop, no_limits):
    apps = pair(tmp_path)
    sent = [both(loop, apps, "POST", "/api/v1/estimate", b"", [JSON_CT], (json.dumps(case).encode(),))
            for case in GOOD * 2 + [{"region": "mars"}]]
    sent += [both(loop, apps, "POST", "/api/v1/chat", b"", [JSON_CT],
                  (json.dumps({"session": "m-1", "text": text}).encode(),))
             for text in ("", "广西", "decimal", "storage down")]
    sent += [both(loop, apps, "GET", "/healthz"), both(loop, apps, "POST", "/api/v1/chat", b"", [JSON_CT], (b"{",))]
    assert all(fast == slow for fast, slow in sent)
    assert [fast[0] for fast, _ in sent] == [200] * 10 + [422, 200, 200, 200, 503, 200, 422]
    assert b'"self_pay":20000.5,"date":"2024-06-01","n":3' in sent[13][0][2]  # the Decimal case, as FastAPI
    assert dict(sent[14][0][1])[b"retry-after"] == b"5"
    admin = [(b"authorization", f"Bearer {ADMIN}".encode())]
    fast, slow = (answer(loop.run_until_complete(call(app, "GET", "/metrics", headers=admin)))[2].decode()
                  for app in apps)

    def counts(text):  # the counters (latency histograms are timings, not comparable)
        return sorted(line for line in text.splitlines()
                      if re.match(r"jiuzhu_(requests|estimates|chat_messages)_total\{", line))

    assert counts(fast) == counts(slow)
    assert 'jiuzhu_requests_total{method="POST",route="/api/v1/estimate",status="200"} 10.0' in counts(fast)
    assert 'jiuzhu_requests_total{method="POST",route="/api/v1/chat",status="503"} 1.0' in counts(fast)
    assert 'jiuzhu_chat_messages_total{door="web"} 3.0' in counts(fast)


def test_cut_off_too_big_and_unanswered_bodies(tmp_path, loop, no_limits):
    apps = pair(tmp_path)
    good = json.dumps(GOOD[0]).encode()
    big = [b"{\"region\": \"" + b"x" * (200 * 1024)] * 2  # chunked, no Content-Length: cut at the limit
    for path in ("/api/v1/estimate", "/api/v1/chat"):
        fast, slow = both(loop, apps, "POST", path, b"", [JSON_CT], tuple(big))
        assert fast == slow and fast[0] == 413
        fast, slow = both(loop, apps, "POST", path, b"", [JSON_CT], (good[:5], good[5:]), disconnect=True)
        assert fast == slow
        sized = [JSON_CT, (b"content-length", str(300 * 1024).encode())]
        fast, slow = both(loop, apps, "POST", path, b"", sized, (b"{}",))
        assert fast == slow and fast[0] == 413


def test_no_request_id_given_each_gets_its_own(tmp_path, loop, no_limits):
    fast, _ = pair(tmp_path)
    ids = {dict(answer(loop.run_until_complete(call(fast, "GET", "/healthz", rid=None)))[1])[b"x-request-id"]
           for _ in range(5)}
    assert len(ids) == 5


def test_the_real_conversation_answers_the_same(tmp_path, loop, no_limits):
    apps = tuple(create_app(Settings(db_path=str(tmp_path / f"{n}.db")), fast_routes=fast,
                            chat_service=service_from_env(db_path=str(tmp_path / f"{n}.db")))
                 for n, fast in (("fast", True), ("slow", False)))
    steps = ["", "我是南宁的低保户，住院自付2万元", "本市", "之前没有", "计算过程", "重新开始", "西藏", "特困", "abc"]
    kinds = set()
    for session in ("real-1", "real-2"):
        for text in steps:
            body = json.dumps({"session": session, "text": text}, ensure_ascii=False).encode()
            fast, slow = both(loop, apps, "POST", "/api/v1/chat", b"", [JSON_CT], (body,))
            assert fast == slow and fast[0] == 200
            kinds.update(m["kind"] for m in json.loads(fast[2])["messages"])
    assert {"question", "result"} <= kinds


header_names = st.sampled_from([b"content-type", b"content-length", b"x-frame-options", b"referrer-policy",
                                b"x-content-type-options", b"content-security-policy", b"x-request-id", b"set-cookie"])
header_values = st.sampled_from([b"text/html; charset=utf-8", b"text/html", b"application/json", b"text/plain",
                                 b"DENY", b"SAMEORIGIN", b"15", b"x"])
raw_headers = st.lists(st.tuples(header_names, header_values), max_size=6)


@given(raw=raw_headers, docs=st.booleans())
def test_security_headers_as_starlettes_setdefault_adds_them(raw, docs):
    message = {"headers": list(raw)}
    expected = MutableHeaders(scope=message)
    expected.setdefault("X-Content-Type-Options", "nosniff")
    expected.setdefault("Referrer-Policy", "no-referrer")
    if expected.get("content-type", "").startswith("text/html") and not docs:
        expected.setdefault("Content-Security-Policy", _PAGE_CSP)
        expected.setdefault("X-Frame-Options", "DENY")
    assert secure_headers(raw, docs) == [tuple(h) for h in message["headers"]]


@given(raw=raw_headers, name=header_names)
def test_last_header_reads_as_the_dict_of_headers_did(raw, name):
    assert last_header({"headers": raw}, name) == dict(raw).get(name)
