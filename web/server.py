"""`jiuzhu serve`: the web app under uvicorn."""
from __future__ import annotations

import logging
import threading

log = logging.getLogger("jiuzhu.web")


def warm_up(app, charts: bool = True) -> None:
    """Load what the first visitor would otherwise wait for: the chat service (aiogram imports
    take seconds), the FAQ index and, in the background, the policy charts."""
    from .app import ChatUnavailable

    try:
        app.state.jz.chat()
    except ChatUnavailable:
        log.warning("the chat service is not available; /api/v1/chat will answer 503")
    try:
        import faq

        faq.load_index()
    except Exception:  # noqa: BLE001 - the FAQ pages report their own problems
        log.warning("the FAQ index could not be loaded")
    if charts:
        def _charts():
            import engine

            from .charts import region_charts

            for code in engine.REGIONS:
                region_charts(code)

        threading.Thread(target=_charts, name="warm-charts", daemon=True).start()


def mount_webhook(app) -> bool:
    """The Telegram door under `jiuzhu serve`: when BOT_TOKEN and WEBHOOK_URL are set, mount the
    router from `bot.telegram.webhook_router(chat_service)` (it checks WEBHOOK_SECRET on every update).
    Returns whether a webhook was mounted."""
    import os

    if not (os.environ.get("BOT_TOKEN") and os.environ.get("WEBHOOK_URL")):
        return False
    try:
        from bot.telegram import webhook_router
    except ImportError:
        log.warning("BOT_TOKEN and WEBHOOK_URL are set but bot.telegram has no webhook_router yet")
        return False
    app.include_router(webhook_router(app.state.jz.chat()))
    return True


def serve(host: str = "127.0.0.1", port: int = 8000) -> int:
    import uvicorn

    from .app import create_app

    app = create_app()
    warm_up(app)
    mount_webhook(app)
    uvicorn.run(app, host=host, port=port, proxy_headers=True, forwarded_allow_ips="127.0.0.1",
                server_header=False, log_level="info",
                access_log=False)  # URLs can hold FAQ questions and the admin token
    return 0
