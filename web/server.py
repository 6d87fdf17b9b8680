"""`jiuzhu serve`: the web app under uvicorn."""
from __future__ import annotations

import asyncio
import gc
import logging
import logging.config
import os
import socket
import threading
import time
from importlib import import_module

import uvicorn

import engine
from bot.service import warm_up_faq, warm_up_flow

from .app import create_app
from .charts import region_charts
from .logs import log_config
from .settings import config_problem
from .state import ChatUnavailable

# The doors (Telegram: aiogram; WeChat) are imported inside the functions that mount them, so that
# `jiuzhu serve` with no door configured never loads their libraries (issue 17's start-up).

log = logging.getLogger("jiuzhu.web")


def warm_up(app) -> None:
    """Load what the first visitor would otherwise wait for: the chat (`warm_up_chat`), the FAQ
    index (one search) and the policy charts (cached per region)."""
    warm_up_chat(app)
    warm_up_rest()


def warm_up_chat(app) -> None:
    """The chat service (it imports no Telegram library: quick) and one conversation step (the
    language dictionaries and the policies), so a first chat message is answered in milliseconds."""
    try:
        app.state.jz.chat()
    except ChatUnavailable:
        log.warning("the chat service is not available; /api/v1/chat will answer 503")
    warm_up_flow()


def warm_up_rest() -> None:
    """The FAQ index and the policy charts: slower to build, needed only by a policy question or a
    chart, so they load after the port is open."""
    warm_up_faq()
    for code in engine.REGIONS:
        region_charts(code)
    import_module("web.sheetpdf")  # fpdf2, for the first printed sheet


def mount_webhook(app) -> bool:
    """The Telegram door under `jiuzhu serve`, webhook mode: when BOT_TOKEN and WEBHOOK_URL are set,
    mount POST /telegram/webhook (it checks WEBHOOK_SECRET on every update) and register the URL
    with Telegram. Returns whether a webhook was mounted."""
    token, url, secret = (os.environ.get(k) for k in ("BOT_TOKEN", "WEBHOOK_URL", "WEBHOOK_SECRET"))
    if not (token and url):
        return False
    if not secret:
        log.error("WEBHOOK_URL is set but WEBHOOK_SECRET is not: the webhook is not mounted (set a secret)")
        return False
    from bot.telegram import build_dispatcher, make_bot

    from .telegram_webhook import register_webhook, webhook_router

    service = app.state.jz.chat()
    bot = make_bot(token)
    app.include_router(webhook_router(build_dispatcher(service), bot, secret))

    async def _register():
        setup_bot = make_bot(token)
        try:
            await register_webhook(setup_bot, url, secret)
        finally:
            await setup_bot.session.close()

    try:
        asyncio.run(_register())
    except Exception as exc:  # noqa: BLE001 - the web app still serves; Telegram can be set up again
        log.error("could not register the webhook with Telegram: %s", type(exc).__name__)
    return True


def mount_wechat(app) -> bool:
    """The WeChat door under `jiuzhu serve` when WECHAT_TOKEN is set (web/wechat_webhook.py)."""
    from .wechat_webhook import router_from_env

    if not app.state.jz.settings.wechat_token:  # no door: don't make the chat service for nothing
        return False
    try:
        router = router_from_env(app.state.jz.chat(), app.state.jz.settings)
    except ValueError as exc:  # a bad WECHAT_AES_KEY: say so, serve the rest
        log.error("the WeChat door is not mounted: %s", exc)
        return False
    if router is not None:
        app.include_router(router)
    return router is not None


def start_polling_thread() -> threading.Thread | None:
    """The Telegram door under `jiuzhu serve`, polling mode: BOT_TOKEN set and no WEBHOOK_URL."""
    token = os.environ.get("BOT_TOKEN")
    if not token or os.environ.get("WEBHOOK_URL"):
        return None
    from bot.telegram import poll

    thread = threading.Thread(target=lambda: asyncio.run(poll(token, handle_signals=False)),
                              name="telegram-polling", daemon=True)
    thread.start()
    return thread


def _freeze_long_lived_objects() -> None:
    """Dictionaries, indexes, policies and charts loaded at start-up live as long as the process;
    moving them out of the garbage collector's sight keeps full collections from pausing requests
    for hundreds of milliseconds (they were the p99 of the load benchmark)."""
    gc.collect()
    gc.freeze()


def _doors_configured(app) -> bool:
    return bool(os.environ.get("BOT_TOKEN") or app.state.jz.settings.wechat_token)


def _wait_for_port(host: str, port: int, timeout: float = 30.0) -> None:
    """Until the server accepts connections (or `timeout`): the background warm-up then does not
    compete with the server's own start for the one interpreter lock."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host if host not in ("0.0.0.0", "::", "") else "127.0.0.1", port), 0.5):
                return
        except OSError:
            time.sleep(0.01)


def _warm_and_freeze(host: str, port: int) -> None:
    _wait_for_port(host, port)
    try:
        warm_up_rest()
    except Exception:  # noqa: BLE001 - warm-up is an optimisation; the first request loads what it needs
        log.exception("warm-up failed")
    _freeze_long_lived_objects()


def serve(host: str = "127.0.0.1", port: int = 8000) -> int:
    problem = config_problem()
    if problem:
        print(problem)
        return 2
    logging.config.dictConfig(log_config())  # the lines of start-up too: time, level, logger, request id
    app = create_app()
    if _doors_configured(app):  # a door needs the chat service before it mounts: warm up first
        warm_up(app)
        _freeze_long_lived_objects()
        mount_wechat(app)
        if not mount_webhook(app):
            start_polling_thread()
    else:  # the web alone: the chat warm before the port opens (a fraction of a second), the FAQ
        # index and the charts meanwhile (seconds)
        try:
            warm_up_chat(app)
        except Exception:  # noqa: BLE001 - warm-up is an optimisation; the first request loads what it needs
            log.exception("chat warm-up failed")
        threading.Thread(target=_warm_and_freeze, args=(host, port), name="warm-up", daemon=True).start()
    trusted = app.state.jz.settings.trusted_proxies
    uvicorn.run(app, host=host, port=port, proxy_headers=bool(trusted), forwarded_allow_ips=trusted or "",
                http="httptools", server_header=False, log_level="info", log_config=log_config(),
                access_log=False)  # URLs can hold FAQ questions and the admin token
    return 0
