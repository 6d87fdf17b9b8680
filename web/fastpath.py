"""The three busiest routes — GET /healthz, POST /api/v1/estimate, POST /api/v1/chat — answered in
pure ASGI, without FastAPI's routing, dependency solving, thread pool and response encoder.

It sits innermost among the app's middleware (web/app.py), so request ids, metrics, rate limits, the
body limit, the 500 guard and the security headers are the same code for both ways. It answers only
the ordinary request: a JSON body (`Content-Type: application/json`) that parses to what the route's
own validation accepts, and for the estimate no query string but `strict=true|false`. Anything else
— bad JSON, a body that fails validation, another content type, a client that went away — is handed
to the FastAPI route with the body read so far, which answers it in its own words. The answers are
the routes' own (web/api.py estimate_response, chat_answer); tests/web/test_fastpath.py checks
status, headers and body against the FastAPI routes for many requests.
"""
from __future__ import annotations

import json
from typing import Any

from fastapi.encoders import jsonable_encoder
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .api import HEALTHY, ChatIn, chat_answer, estimate_response, healthz, post_chat, post_estimate
from .api import router as api_router
from .errors import http_handler

_JSON = b"application/json"
_STRICT = {b"": False, b"strict=false": False, b"strict=true": True}


def _content_type(scope) -> bytes | None:
    for name, value in scope["headers"]:
        if name == b"content-type":
            return value  # the first, as Starlette's request.headers.get reads it
    return None


async def _read(receive) -> tuple[bytes | None, list[dict]]:
    """The whole body and the messages it came in; None as body when the client went away."""
    messages = []
    chunks = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            return None, messages
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks), messages


def _replay(messages: list[dict], receive):
    pending = iter(messages)

    async def receive_again():
        message = next(pending, None)
        return message if message is not None else await receive()

    return receive_again


def _json_object(body: bytes | None) -> dict | None:
    """The body as a JSON object, as FastAPI's `request.json()` reads it; None for anything else."""
    if not body:
        return None
    try:
        data = json.loads(body)
    except Exception:  # noqa: BLE001 - whatever it is, the FastAPI route says it in its own words
        return None
    return data if type(data) is dict else None


def _json_response(content: Any) -> Response:
    """What FastAPI makes of a route's plain return value (jsonable_encoder, then JSONResponse),
    without the encoder's walk when the content is plain JSON already, which a chat answer is."""
    try:
        body = json.dumps(content, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":"))
    except TypeError:  # a Decimal, a date, a model …: FastAPI's own way
        return JSONResponse(jsonable_encoder(content))
    return Response(body.encode("utf-8"), media_type="application/json")


class FastRoutes:
    """Pure ASGI: the busiest routes answered here, everything else passed on to `app`."""

    def __init__(self, app):
        self.app = app
        routes = {r.endpoint: r for r in api_router.routes if hasattr(r, "endpoint")}
        self.routes = {("GET", "/healthz"): (self._healthz, routes[healthz]),
                       ("POST", "/api/v1/estimate"): (self._estimate, routes[post_estimate]),
                       ("POST", "/api/v1/chat"): (self._chat, routes[post_chat])}
        # made once per process: /healthz's answer never changes
        health = JSONResponse(HEALTHY)
        self._health_body = health.body
        self._health_headers = health.raw_headers

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            hit = self.routes.get((scope["method"], scope["path"]))
            if hit is not None:
                handler, route = hit
                scope["route"] = route  # what FastAPI's router sets, and web/metrics.py labels by
                return await handler(scope, receive, send)
        await self.app(scope, receive, send)

    async def _healthz(self, scope, receive, send):
        # a fresh list each time: a middleware may change the list it is given
        await send({"type": "http.response.start", "status": 200, "headers": list(self._health_headers)})
        await send({"type": "http.response.body", "body": self._health_body})

    async def _estimate(self, scope, receive, send):
        strict = _STRICT.get(scope["query_string"])
        if strict is None or _content_type(scope) != _JSON:
            return await self.app(scope, receive, send)
        body, messages = await _read(receive)
        case = _json_object(body)
        if case is None:
            return await self.app(scope, _replay(messages, receive), send)
        await estimate_response(Request(scope, receive), case, strict)(scope, receive, send)

    async def _chat(self, scope, receive, send):
        if _content_type(scope) != _JSON:
            return await self.app(scope, receive, send)
        body, messages = await _read(receive)
        data = _json_object(body)
        try:
            checked = ChatIn.model_validate(data) if data is not None else None
        except ValidationError:
            checked = None
        if checked is None:
            return await self.app(scope, _replay(messages, receive), send)
        request = Request(scope, receive)
        try:
            answer = await chat_answer(request, checked.session, checked.text)
        except StarletteHTTPException as exc:  # as FastAPI's exception middleware answers it
            answer = await http_handler(request, exc)
        response = answer if isinstance(answer, Response) else _json_response(answer)
        await response(scope, receive, send)
