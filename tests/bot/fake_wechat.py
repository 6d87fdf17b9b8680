"""Test doubles for the WeChat door: no network beyond 127.0.0.1.

* `FakeWeChatServer` — a stand-in for api.weixin.qq.com (aiohttp.web in its own thread, free port):
  `GET /cgi-bin/token`, `POST /cgi-bin/message/custom/send`, `POST /cgi-bin/menu/create`. It
  records what it receives (`sent`, `token_requests`, `menus`) and fails on demand
  (`fail_token` / `fail_send`: that many next calls answer HTTP 500; `expire_tokens()` makes every
  issued token invalid, errcode 42001). Point the door at it with `WECHAT_API_URL=server.url`.
* `Counting`, `Long` — the chat service counted (and failing or slow on demand), or answering
  longer than one WeChat message; `options(reply)` reads a reply's numbered lines.
* `Officer` — WeChat's side of the webhook: builds XML as WeChat sends it (text, voice, image,
  events), signs the query (and in safe mode encrypts the body), posts it to the app and reads the
  passive reply back (decrypting it in safe mode).
"""
from __future__ import annotations

import asyncio
import itertools
import json
import re
import socket
import threading
import time
from dataclasses import dataclass, field

import httpx
import uvicorn
import xmltodict
from aiohttp import web
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.utils import WeChatSigner

from bot.doors.text import numbered, split, utf8_size
from bot.messages import Message
from bot.service import ChatService

APPID = "wx0123456789abcdef"
SECRET = "test-secret"
TOKEN = "jiuzhu-test-token"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"  # 43 characters, as WeChat gives it
ACCOUNT = "gh_jiuzhu_test"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class FakeWeChatServer:
    def __init__(self, expires_in: int = 7200):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.expires_in = expires_in
        self.sent: list[dict] = []           # customer-service messages received, in order
        self.token_requests: list[dict] = []
        self.menus: list[dict] = []
        self.fail_token = 0
        self.fail_send = 0
        self.send_delay = 0.0
        self._valid: set[str] = set()
        self._ids = itertools.count(1)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None

    # -------------------------------------------------------------- handlers
    async def _token(self, request: web.Request) -> web.Response:
        self.token_requests.append(dict(request.query))
        if self.fail_token > 0:
            self.fail_token -= 1
            return web.Response(status=500, text="busy")
        q = request.query
        if q.get("grant_type") != "client_credential" or q.get("appid") != APPID or q.get("secret") != SECRET:
            return web.json_response({"errcode": 40013, "errmsg": "invalid appid"})
        token = f"TOKEN-{next(self._ids)}"
        self._valid.add(token)
        return web.json_response({"access_token": token, "expires_in": self.expires_in})

    async def _authorised(self, request: web.Request) -> web.Response | None:
        if request.query.get("access_token") not in self._valid:
            return web.json_response({"errcode": 42001, "errmsg": "access_token expired"})
        return None

    async def _send(self, request: web.Request) -> web.Response:
        refused = await self._authorised(request)
        if refused is not None:
            return refused
        if self.fail_send > 0:
            self.fail_send -= 1
            return web.Response(status=500, text="busy")
        if self.send_delay:
            await asyncio.sleep(self.send_delay)
        raw = await request.read()
        self.sent.append(json.loads(raw.decode("utf-8")))
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    async def _menu(self, request: web.Request) -> web.Response:
        refused = await self._authorised(request)
        if refused is not None:
            return refused
        self.menus.append(await request.json())
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    def expire_tokens(self) -> None:
        self._valid.clear()

    def texts(self, openid: str | None = None) -> list[str]:
        return [m["text"]["content"] for m in self.sent if openid is None or m["touser"] == openid]

    # -------------------------------------------------------------- life
    def start(self) -> "FakeWeChatServer":
        ready = threading.Event()

        def run() -> None:
            loop = self._loop = asyncio.new_event_loop()
            app = web.Application()
            app.router.add_get("/cgi-bin/token", self._token)
            app.router.add_post("/cgi-bin/message/custom/send", self._send)
            app.router.add_post("/cgi-bin/menu/create", self._menu)
            self._runner = web.AppRunner(app)
            loop.run_until_complete(self._runner.setup())
            loop.run_until_complete(web.TCPSite(self._runner, "127.0.0.1", self.port).start())
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self._runner.cleanup())
            loop.close()

        self._thread = threading.Thread(target=run, name="fake-wechat", daemon=True)
        self._thread.start()
        assert ready.wait(10), "the fake WeChat server did not start"
        return self

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(10)

    def wait_sent(self, count: int, timeout: float = 10.0) -> list[dict]:
        deadline = time.monotonic() + timeout
        while len(self.sent) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return list(self.sent)


# ------------------------------------------------------------------ WeChat's side of the webhook

def sign(token: str, timestamp: str, nonce: str) -> str:
    signer = WeChatSigner()
    signer.add_data(token, timestamp, nonce)
    return signer.signature


def _cdata(name: str, value: str) -> str:
    return f"<{name}><![CDATA[{value}]]></{name}>"


@dataclass
class Officer:
    """Sends what WeChat sends for one user (`openid`) to `base` (the app's URL)."""
    base: str
    openid: str = "oUSER-0001"
    token: str = TOKEN
    crypto: WeChatCrypto | None = None
    ids: itertools.count = field(default_factory=lambda: itertools.count(int(time.time() * 1000)))
    last_event: int = field(default=0, init=False, repr=False)  # CreateTime of this user's last event

    def xml(self, msg_type: str, fields: dict[str, str], msg_id: int | None = None, created: int | None = None) -> str:
        parts = [_cdata("ToUserName", ACCOUNT), _cdata("FromUserName", self.openid),
                 f"<CreateTime>{created or int(time.time())}</CreateTime>", _cdata("MsgType", msg_type)]
        parts += [_cdata(k, v) for k, v in fields.items()]
        if msg_id is not None:
            parts.append(f"<MsgId>{msg_id}</MsgId>")
        return "<xml>" + "".join(parts) + "</xml>"

    def text(self, content: str, msg_id: int | None = None) -> str:
        return self.xml("text", {"Content": content}, msg_id or next(self.ids))

    def voice(self, recognition: str | None, msg_id: int | None = None) -> str:
        fields = {"MediaId": "media-1", "Format": "amr"}
        if recognition is not None:
            fields["Recognition"] = recognition
        return self.xml("voice", fields, msg_id or next(self.ids))

    def image(self) -> str:
        return self.xml("image", {"PicUrl": "http://127.0.0.1/none.jpg", "MediaId": "media-2"}, next(self.ids))

    def event(self, event: str, key: str = "") -> str:
        """An event has no MsgId: WeChat (and the door) tell a retry by FromUserName + CreateTime, so
        a new event of this user never shares its second with the one before (a real user cannot
        subscribe twice in a second). Retries post the same XML again."""
        self.last_event = max(int(time.time()), self.last_event + 1)
        return self.xml("event", {"Event": event, "EventKey": key}, created=self.last_event)

    def query(self, body: str | None = None, good: bool = True) -> tuple[dict, str]:
        timestamp, nonce = str(int(time.time())), f"n{next(self.ids)}"
        q = {"timestamp": timestamp, "nonce": nonce, "openid": self.openid,
             "signature": sign(self.token if good else "wrong", timestamp, nonce)}
        if self.crypto is not None and body is not None:
            envelope = self.crypto.encrypt_message(body, nonce, timestamp)
            got = parse_message_envelope(envelope)
            q.update(encrypt_type="aes", msg_signature=got["MsgSignature"])
            body = envelope
        return q, body or ""

    def post(self, body: str, good: bool = True, client: httpx.Client | None = None) -> httpx.Response:
        q, payload = self.query(body, good)
        http = client or httpx.Client(trust_env=False, timeout=10)
        try:
            return http.post(f"{self.base}/wechat", params=q, content=payload.encode("utf-8"),
                             headers={"Content-Type": "text/xml"})
        finally:
            if client is None:
                http.close()

    def reply_text(self, response: httpx.Response) -> str | None:
        """The passive reply's text (None for "success"), checked to be addressed to this user."""
        assert response.status_code == 200, (response.status_code, response.text)
        body = response.text
        if body == "success":
            return None
        if self.crypto is not None:
            envelope = parse_message_envelope(body)
            body = self.crypto.decrypt_message(body, envelope["MsgSignature"], envelope["TimeStamp"],
                                               envelope["Nonce"])
        reply = parse_message(body)
        assert reply.target == self.openid and reply.source == ACCOUNT
        assert len(reply.content.encode("utf-8")) <= 2048
        return reply.content

    def say(self, content: str, client: httpx.Client | None = None) -> str | None:
        return self.reply_text(self.post(self.text(content), client=client))


def parse_message_envelope(xml: str) -> dict:
    return dict(xmltodict.parse(xml)["xml"])


class AppServer:
    """The real web app (uvicorn, its own thread, free port) with the WeChat router mounted."""

    def __init__(self, app):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning",
                                                    access_log=False, lifespan="off"))
        self._thread = threading.Thread(target=self.server.run, name="wechat-app", daemon=True)

    def start(self) -> "AppServer":
        self._thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            assert time.monotonic() < deadline and self._thread.is_alive(), "the app did not start"
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self._thread.join(10)


# ------------------------------------------------------------------ stand-ins for the chat service

class Counting:
    """The real ChatService, counting the turns it is given; can fail or be slow on demand."""

    def __init__(self, service: ChatService):
        self.inner = service
        self.secret, self.store = service.secret, service.store
        self.calls = 0
        self.fail_next = 0
        self.delay = 0.0

    def key(self, session):
        return self.inner.key(session)

    async def handle(self, session: str, text: str):
        self.calls += 1
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.fail_next:
            self.fail_next -= 1
            raise OSError("storage down")
        return await self.inner.handle(session, text)


class Long(Counting):
    """A conversation whose answer is longer than one WeChat message."""

    @staticmethod
    def messages() -> list[Message]:
        return [Message(text="\n".join(f"第{p}段第{i}行：" + "救助" * 20 for i in range(20))) for p in range(1, 4)]

    async def handle(self, session: str, text: str):
        self.calls += 1
        return self.messages()


# customer-service messages one Long reply needs after its passive part
LONG_CS_PARTS = len(split(numbered(Long.messages())[0], 2048, utf8_size)) - 1


def options(reply: str) -> dict[str, str]:
    """The numbered lines of a reply: label → number."""
    return {m.group(2): m.group(1) for m in re.finditer(r"^(\d+) (.+)$", reply, re.M)}
