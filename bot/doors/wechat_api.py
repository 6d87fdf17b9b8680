"""WeChat's server API as the door uses it: the access token (`GET /cgi-bin/token`), customer-service
text messages (`POST /cgi-bin/message/custom/send`) and the menu (`POST /cgi-bin/menu/create`).

The token is cached until shortly before it expires, in a TTLStore (Redis when several workers
run, so they share one token instead of each fetching its own and invalidating the others').
Every call is retried with backoff; logs carry the endpoint and WeChat's error code, never an
openid, a token or a message text.
"""
from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import httpx

from .ttl import TTLStore

log = logging.getLogger("jiuzhu.wechat.api")
# httpx logs every request's URL at INFO, and these URLs carry the AppSecret or the access token
logging.getLogger("httpx").setLevel(logging.WARNING)
DEFAULT_API_URL = "https://api.weixin.qq.com"
TOKEN_MARGIN = 300            # seconds before expiry a token is no longer used
TOKEN_ERRORS = {40001, 40014, 42001}  # invalid / expired token: fetch a new one and try again


class WeChatAPIError(RuntimeError):
    """A call that failed after its retries (the message names the endpoint and the error code)."""


class WeChatAPI:
    def __init__(self, appid: str, secret: str, store: TTLStore, *, base_url: str | None = None,
                 attempts: int = 4, backoff: float = 0.5, timeout: float = 5.0):
        self.appid, self._secret, self.store = appid, secret, store
        self.base_url = (base_url or DEFAULT_API_URL).rstrip("/")
        self.attempts, self.backoff, self.timeout = attempts, backoff, timeout
        self._client: httpx.AsyncClient | None = None
        self._token_lock = asyncio.Lock()
        self.token_key = f"jiuzhu:wechat:token:{appid}"

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:  # made on first use, inside the loop that serves requests
            self._client = httpx.AsyncClient(timeout=self.timeout, trust_env=False)
        return self._client

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def token(self) -> str:
        cached = await self.store.get(self.token_key)
        if cached:
            return cached
        async with self._token_lock:  # one fetch for all the requests that found no token
            cached = await self.store.get(self.token_key)
            if cached:
                return cached
            data = await self._call("GET", "/cgi-bin/token", params={
                "grant_type": "client_credential", "appid": self.appid, "secret": self._secret})
            token = data.get("access_token")
            if not isinstance(token, str) or not token:
                raise WeChatAPIError("token: no access_token in the answer")
            expires = int(data.get("expires_in") or 7200)
            await self.store.set(self.token_key, token, max(30, expires - TOKEN_MARGIN))
            return token

    async def send_text(self, openid: str, text: str) -> None:
        await self._with_token("/cgi-bin/message/custom/send",
                               {"touser": openid, "msgtype": "text", "text": {"content": text}})

    async def create_menu(self, menu: dict) -> None:
        await self._with_token("/cgi-bin/menu/create", menu)

    async def _with_token(self, path: str, payload: dict) -> dict:
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")  # WeChat wants the characters, not \\u escapes
        for renewed in (False, True):
            token = await self.token()
            try:
                return await self._call("POST", path, params={"access_token": token}, content=body)
            except _TokenRejected:
                await self.store.delete(self.token_key)
                if renewed:
                    raise WeChatAPIError(f"{path}: the access token was refused twice") from None
        raise AssertionError("unreachable")

    async def _call(self, method: str, path: str, **kwargs: Any) -> dict:
        """One API call, retried with backoff on network errors, 5xx and WeChat's 'busy' (-1)."""
        delay = self.backoff
        last = "no attempt"
        for attempt in range(1, self.attempts + 1):
            try:
                response = await self.client.request(method, self.base_url + path, **kwargs)
                if response.status_code >= 500:
                    raise _Retry(f"HTTP {response.status_code}")
                if response.status_code != 200:
                    raise WeChatAPIError(f"{path}: HTTP {response.status_code}")
                data = response.json()
                code = int(data.get("errcode") or 0) if isinstance(data, dict) else -2
                if code in TOKEN_ERRORS:
                    raise _TokenRejected(code)
                if code == -1:
                    raise _Retry("errcode -1 (busy)")
                if code != 0:
                    raise WeChatAPIError(f"{path}: errcode {code}")
                return data
            except (httpx.HTTPError, ValueError, _Retry) as exc:
                last = str(exc) if isinstance(exc, _Retry) else type(exc).__name__
                log.warning("wechat %s: attempt %d/%d failed (%s)", path, attempt, self.attempts, last)
            if attempt < self.attempts:
                await asyncio.sleep(delay)
                delay *= 2
        raise WeChatAPIError(f"{path}: failed {self.attempts} times ({last})")


class _Retry(Exception):
    pass


class _TokenRejected(Exception):
    pass
