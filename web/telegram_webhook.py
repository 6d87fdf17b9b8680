"""The Telegram webhook under `jiuzhu serve`: POST /telegram/webhook, checked against WEBHOOK_SECRET.

Telegram sends the secret in the X-Telegram-Bot-Api-Secret-Token header; anything without it (or
with a wrong one) is refused with 403 before it reaches the dispatcher. An update whose handling
failed (the reply could not be sent, the storage is down) is answered 503: Telegram sends it
again, and since nothing of the failed attempt was recorded the retry is handled once
(bot/doors/delivery.py).
"""
from __future__ import annotations

import hmac
import logging

from aiogram.types import Update
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from bot.telegram import COMMANDS

log = logging.getLogger("jiuzhu.webhook")
PATH = "/telegram/webhook"


def webhook_router(dispatcher, bot, secret: str) -> APIRouter:
    router = APIRouter()

    @router.post(PATH, include_in_schema=False)
    async def telegram_webhook(request: Request):
        given = request.headers.get("x-telegram-bot-api-secret-token", "")
        if not secret or not hmac.compare_digest(given.encode(), secret.encode()):
            return JSONResponse({"ok": False, "error": "forbidden"}, status_code=403)
        try:
            payload = await request.json()
        except ValueError:
            return JSONResponse({"ok": False, "error": "bad json"}, status_code=400)
        try:
            update = Update.model_validate(payload, context={"bot": bot})
        except ValidationError:
            return JSONResponse({"ok": False, "error": "not an update"}, status_code=400)
        try:
            await dispatcher.feed_update(bot, update)
        except Exception as exc:  # noqa: BLE001 - Telegram retries a non-2xx answer: nothing is lost
            log.warning("update not handled (%s); Telegram will send it again", type(exc).__name__)
            return JSONResponse({"ok": False, "error": "retry later"}, status_code=503, headers={"Retry-After": "1"})
        return {"ok": True}

    return router


async def register_webhook(bot, url: str, secret: str) -> None:
    """Tell Telegram where to send updates (called once at start-up)."""
    await bot.set_my_commands(COMMANDS)
    await bot.set_webhook(url, secret_token=secret, drop_pending_updates=False)
