"""Log lines with a timestamp and the request's id, and the id on every answer.

Each HTTP request gets an id (the proxy's `X-Request-ID` when it is a short plain token, else a
new one): it is sent back in the `X-Request-ID` header, written into every log line made while
the request runs, and shown in a 500 answer, so a person reporting "系统出了点问题" can quote a
number the operator finds in the log. Log lines carry no request content (see web/errors.py).
"""
from __future__ import annotations

import contextvars
import logging
import re
import secrets

REQUEST_ID: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
HEADER = b"x-request-id"
FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
_GIVEN_RE = re.compile(rb"[A-Za-z0-9._-]{6,64}")


def current() -> str:
    return REQUEST_ID.get()


def last_header(scope, name: bytes) -> bytes | None:
    """A request header's value, the last when it is sent twice (as `dict(scope["headers"])` reads
    it), without building that dict on every request."""
    found = None
    for key, value in scope.get("headers") or ():
        if key == name:
            found = value
    return found


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record (a dash outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get()
        return True


class RequestIdMiddleware:
    """Pure ASGI: sets the request's id for its lifetime and adds it to the response headers."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        given = last_header(scope, HEADER) or b""
        rid = given.decode() if _GIVEN_RE.fullmatch(given) else secrets.token_hex(6)
        token = REQUEST_ID.set(rid)

        async def send_with_id(message):
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), (HEADER, rid.encode())]}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            REQUEST_ID.reset(token)


def log_config(level: str = "INFO") -> dict:
    """logging.config for uvicorn and the app: one format (time, level, logger, request id)."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": RequestIdFilter}},
        "formatters": {"plain": {"format": FORMAT}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["request_id"],
                                "stream": "ext://sys.stderr"}},
        "root": {"handlers": ["stderr"], "level": level},
        "loggers": {name: {"handlers": [], "propagate": True} for name in ("uvicorn", "uvicorn.error", "uvicorn.access")},
    }
