"""The web app: JSON API, web chat, cadre workbench, helpdesk and policy pages.

    from web.app import create_app
    app = create_app()                 # settings from the environment

`chat_service` (an object with `async handle(session, text) -> list[Message]`) and `faq_db` (the
SQLite file for unanswered questions) can be injected for tests. `extra_routers` is where other
doors mount their routes (the Telegram webhook: `create_app(extra_routers=[telegram_router])`).
`fast_routes=False` leaves /healthz, the estimate and the chat to FastAPI alone (web/fastpath.py
answers them otherwise; the tests compare the two).
"""
from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any, Iterable

import swagger_ui_bundle
from fastapi import APIRouter, FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request

from .api import document_case
from .api import router as api_router
from .cadre import router as cadre_router
from .errors import http_handler, unexpected_handler, validation_handler
from .fastpath import FastRoutes
from .logs import RequestIdMiddleware, last_header
from .metrics import Metrics, MetricsMiddleware
from .pages import router as page_router
from .ratelimit import AUTH_FAILURES, Limiter, RateLimitMiddleware
from .settings import Settings
from .state import AppState, ChatUnavailable  # noqa: F401 - ChatUnavailable: its old home, for callers

log = logging.getLogger("jiuzhu.web")
HERE = Path(__file__).parent

_PAGE_CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
             "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")


class _LimitBody:
    """Refuse request bodies over the limit (413) before they are read into memory."""

    def __init__(self, app, settings: Settings):
        self.app = app
        self.settings = settings

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path = scope.get("path", "")
        limit = self.settings.max_upload if path.startswith("/cadre/batch") else self.settings.max_body
        length = last_header(scope, b"content-length")
        if length is not None:
            try:
                too_big = int(length) > limit
            except ValueError:
                too_big = True
            if too_big:
                return await _too_large(scope, send, path)
        seen = 0
        over = False  # the body (chunked, no Content-Length) went past the limit while being read

        async def limited_receive():
            nonlocal seen, over
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    over = True
                    raise _BodyTooLarge()
            return message

        answered = False

        async def guarded_send(message):
            # whatever the app made of the cut-off body (a parse error's 400 …), the answer is 413
            nonlocal answered
            if over:
                if not answered:
                    answered = True
                    await _too_large(scope, send, path)
                return
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except _BodyTooLarge:
            if not answered:
                await _too_large(scope, send, path)


class _SecurityHeaders:
    """Pure ASGI (no BaseHTTPMiddleware: it buffers and re-wraps every response): nosniff and
    no-referrer on every answer, the pages' CSP and frame refusal on HTML (not the API docs, whose
    Swagger UI needs inline script)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        docs = scope["path"].startswith(("/docs", "/redoc"))

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                message["headers"] = secure_headers(message.get("headers", ()), docs)
            await send(message)

        await self.app(scope, receive, send_with_headers)


_ALWAYS = ((b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer"))
_ON_PAGES = ((b"content-security-policy", _PAGE_CSP.encode("latin-1")), (b"x-frame-options", b"DENY"))


def secure_headers(raw, docs: bool) -> list:
    """The answer's headers with the security headers each added unless already set: what
    Starlette's MutableHeaders.setdefault does, on the raw list (it is on every answer)."""
    headers = list(raw)
    present = {name for name, _ in headers}
    ctype = next((value for name, value in headers if name == b"content-type"), b"")
    extra = _ALWAYS + _ON_PAGES if ctype.startswith(b"text/html") and not docs else _ALWAYS
    headers.extend(pair for pair in extra if pair[0] not in present)
    return headers


class _Guard:
    """The last line: anything unexpected becomes a safe 500 here, logged without the request's
    content or the exception's text (either may hold personal data), and is not re-raised (so the
    server does not log it again with its message)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = False

        async def tracking_send(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:  # noqa: BLE001
            request = Request(scope)
            response = await unexpected_handler(request, exc)
            if not started:
                await response(scope, receive, send)


class _BodyTooLarge(StarletteHTTPException):
    def __init__(self):
        super().__init__(413, {"field": "(body)", "field_zh": "请求内容", "message": "request body too large",
                               "message_zh": "内容太大了"})


async def _too_large(scope, send, path: str):
    if path.startswith("/api/"):
        body = json.dumps({"detail": [{"field": "(body)", "field_zh": "请求内容", "message": "request body too large",
                                       "message_zh": "内容太大了"}]}, ensure_ascii=False).encode()
        ctype = b"application/json"
    else:
        body = "<!doctype html><meta charset=utf-8><title>内容太大</title><p>内容太大了，请分几次上传。</p>".encode()
        ctype = b"text/html; charset=utf-8"
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", ctype), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def _offline_docs(app: FastAPI) -> None:
    """OpenAPI docs at /docs with Swagger UI's files from the installed package, not a CDN
    (no network at run time; CDNs are often unreachable from mainland China)."""
    app.mount("/docs-assets", StaticFiles(directory=swagger_ui_bundle.swagger_ui_path), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def docs():
        return get_swagger_ui_html(openapi_url=app.openapi_url, title="救助助手 API",
                                   swagger_js_url="/docs-assets/swagger-ui-bundle.js",
                                   swagger_css_url="/docs-assets/swagger-ui.css", swagger_favicon_url="data:,")


def _documented(app: FastAPI) -> None:
    """The generated OpenAPI document, completed with what FastAPI cannot see (the Case model)."""
    generate = app.openapi

    def openapi() -> dict:
        if app.openapi_schema is None:
            app.openapi_schema = document_case(generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def create_app(settings: Settings | None = None, chat_service: Any = None, faq_db: str | None = None,
               extra_routers: Iterable[APIRouter] = (), fast_routes: bool = True) -> FastAPI:
    settings = settings or Settings.from_env()
    app = FastAPI(
        title="救助助手 jiuzhu",
        description="医疗救助估算、政策问答和对话。Medical-assistance estimates, FAQ and chat for five regions.",
        version="0.1.0",
        docs_url=None,  # served below from the swagger-ui-bundle package: no CDN, works offline
        redoc_url=None,
        # no OpenTelemetry here: without this FastAPI looks for configured providers on every request
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    _offline_docs(app)
    _documented(app)
    app.state.jz = AppState(settings, chat_service, faq_db)
    app.state.metrics = Metrics()
    app.state.auth_failures = Limiter(*AUTH_FAILURES)

    app.add_exception_handler(RequestValidationError, validation_handler)
    app.add_exception_handler(StarletteHTTPException, http_handler)
    app.add_exception_handler(Exception, unexpected_handler)

    if fast_routes:  # innermost: every middleware below sees its answers as the FastAPI routes'
        app.add_middleware(FastRoutes)  # type: ignore[arg-type]
    app.add_middleware(_SecurityHeaders)  # type: ignore[arg-type]

    app.include_router(api_router)
    app.include_router(page_router)
    app.include_router(cadre_router)
    # Other doors (the Telegram webhook) plug in here.
    for router in extra_routers or ():
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.add_middleware(_LimitBody, settings=settings)  # type: ignore[arg-type]
    app.add_middleware(_Guard)  # type: ignore[arg-type]
    # outermost first in the request: metrics see every answer, floods are refused before any work
    app.add_middleware(RateLimitMiddleware.from_env)  # type: ignore[arg-type]
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics)  # type: ignore[arg-type]
    app.add_middleware(RequestIdMiddleware)  # type: ignore[arg-type]  (outermost: every line of a request has its id)
    return app
