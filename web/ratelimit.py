"""Flood protection: token buckets per client IP and per chat session → 429 with Retry-After.

In-process buckets: with several workers each worker limits on its own (the reverse proxy should
also limit). Configure with JIUZHU_RATE_IP and JIUZHU_RATE_SESSION as "requests/minute,burst";
"off" disables (the load benchmark does).
"""
from __future__ import annotations

import json
import math
import os
import time
from dataclasses import dataclass

# /metrics and the other admin paths are limited like any other (a token must not be guessable at
# speed); wrong tokens are counted apart as well (`auth_failures`, web/api.py check_admin)
EXEMPT = ("/healthz", "/readyz", "/static/")
AUTH_FAILURES = (10, 5)   # wrong admin tokens per client: 10 a minute, 5 in a burst
SESSION_PEEK = 64 * 1024  # bytes of a chat body read to find its session
# the chat page's own posts (form, and the script's /chat/part): their session is the cookie's
PAGE_CHAT = ("/chat", "/chat/part")


@dataclass
class Bucket:
    tokens: float
    stamp: float


class Limiter:
    """Token bucket: `rate` tokens a second, at most `burst`; `take` says how long to wait if empty."""

    def __init__(self, per_minute: float, burst: int, max_keys: int = 100_000):
        self.rate = per_minute / 60.0
        self.burst = burst
        self.buckets: dict[str, Bucket] = {}
        self.max_keys = max_keys

    def waiting(self, key: str, now: float | None = None) -> float:
        """How long until `key` may take again (0 when it may now); takes nothing."""
        now = time.monotonic() if now is None else now
        bucket = self.buckets.get(key)
        if bucket is None:
            return 0.0
        tokens = min(self.burst, bucket.tokens + (now - bucket.stamp) * self.rate)
        if tokens >= 1:
            return 0.0
        return (1 - tokens) / self.rate if self.rate > 0 else 60.0

    def take(self, key: str, now: float | None = None) -> float:
        now = time.monotonic() if now is None else now
        bucket = self.buckets.get(key)
        if bucket is None:
            if len(self.buckets) >= self.max_keys:
                self.buckets.clear()  # bounded memory under a flood of distinct keys
            bucket = self.buckets[key] = Bucket(tokens=self.burst, stamp=now)
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.stamp) * self.rate)
        bucket.stamp = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return 0.0
        return (1 - bucket.tokens) / self.rate if self.rate > 0 else 60.0


def _parse(value: str | None, default: tuple[float, int]) -> tuple[float, int] | None:
    if value is None or value == "":
        return default
    if value.strip().lower() == "off":
        return None
    try:
        rate, _, burst = value.partition(",")
        return float(rate), int(burst or max(1, int(float(rate) // 4)))
    except ValueError:
        return default


class RateLimitMiddleware:
    """Pure ASGI: limits every request by client IP, and POST /api/v1/chat also by its session."""

    def __init__(self, app, ip: tuple[float, int] | None = (600, 120), session: tuple[float, int] | None = (60, 20)):
        self.app = app
        self.ip = Limiter(*ip) if ip else None
        self.session = Limiter(*session) if session else None

    @classmethod
    def from_env(cls, app):
        return cls(app, ip=_parse(os.environ.get("JIUZHU_RATE_IP"), (600, 120)),
                   session=_parse(os.environ.get("JIUZHU_RATE_SESSION"), (60, 20)))

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["path"].startswith(EXEMPT):
            return await self.app(scope, receive, send)
        client = scope.get("client") or ("?", 0)
        if self.ip is not None:
            wait = self.ip.take(f"ip:{client[0]}")
            if wait:
                return await _too_many(send, wait)
        if self.session is not None and scope["path"] in PAGE_CHAT and scope["method"] == "POST":
            session = _cookie_session(scope)
            wait = self.session.take(f"s:{session}") if session else 0
            if wait:
                return await _too_many(send, wait)
        if self.session is not None and scope["path"] == "/api/v1/chat" and scope["method"] == "POST":
            body, more = b"", True
            messages = []
            while more:
                message = await receive()
                messages.append(message)
                body += message.get("body", b"")
                more = message.get("more_body", False) and len(body) <= SESSION_PEEK
            # a chat body is small JSON; a larger one is not parsed here (the body limit refuses it)
            session = _session_of(body) if not more else None
            if session is not None:
                wait = self.session.take(f"s:{session}")
                if wait:
                    return await _too_many(send, wait)
            replay = iter(messages)

            async def receive_again():
                try:
                    return next(replay)
                except StopIteration:
                    return await receive()

            return await self.app(scope, receive_again, send)
        return await self.app(scope, receive, send)


def _cookie_session(scope) -> str | None:
    """The chat page's session cookie (the same id the page's script once sent to /api/v1/chat)."""
    for name, value in scope.get("headers") or ():
        if name == b"cookie":
            for part in value.decode("latin-1").split(";"):
                key, _, val = part.strip().partition("=")
                if key == "jz_session" and val:
                    return val[:200]
    return None


def _session_of(body: bytes) -> str | None:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    session = data.get("session") if isinstance(data, dict) else None
    return str(session)[:200] if session is not None else None


async def _too_many(send, wait: float) -> None:
    retry = str(max(1, math.ceil(wait)))
    body = json.dumps({"detail": [{"field": "(request)", "field_zh": "请求", "message": "too many requests; retry later",
                                   "message_zh": "请求太频繁，请稍后再试"}]}, ensure_ascii=False).encode()
    await send({"type": "http.response.start", "status": 429,
                "headers": [(b"content-type", b"application/json; charset=utf-8"), (b"retry-after", retry.encode()),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
