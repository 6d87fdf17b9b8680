"""The WeChat Official Account webhook under `jiuzhu serve` (when WECHAT_TOKEN is set).

GET /wechat is WeChat's URL check (echo `echostr` when the signature matches); POST /wechat its XML
messages, in plaintext mode or, with WECHAT_AES_KEY and WECHAT_APPID, safe mode (decrypted here,
the reply encrypted back). The signature is checked on every request: 403 otherwise. The door
(bot.doors.wechat) decides the reply; this module only speaks WeChat's HTTP.
"""
from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, Response
from starlette.background import BackgroundTask
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.replies import TextReply
from wechatpy.utils import check_signature

from bot.doors.ttl import MemoryTTL, RedisTTL
from bot.doors.wechat import WeChatDoor
from bot.doors.wechat_api import WeChatAPI

from .settings import Settings

log = logging.getLogger("jiuzhu.wechat.webhook")
PATH = "/wechat"


def _forbidden() -> PlainTextResponse:
    return PlainTextResponse("forbidden", status_code=403)


def _signed(token: str, request: Request) -> bool:
    q = request.query_params
    try:
        check_signature(token, q.get("signature", ""), q.get("timestamp", ""), q.get("nonce", ""))
    except InvalidSignatureException:
        return False
    return True


def wechat_router(door: WeChatDoor, token: str, crypto: WeChatCrypto | None = None) -> APIRouter:
    router = APIRouter()

    @router.get(PATH, include_in_schema=False)
    async def wechat_verify(request: Request):
        if not _signed(token, request):
            return _forbidden()
        return PlainTextResponse(request.query_params.get("echostr", ""))

    @router.post(PATH, include_in_schema=False)
    async def wechat_message(request: Request):
        if not _signed(token, request):
            return _forbidden()
        q = request.query_params
        body = await request.body()
        safe = q.get("encrypt_type", "raw").lower() == "aes"
        if safe:
            if crypto is None:
                return PlainTextResponse("safe mode is not configured (WECHAT_AES_KEY)", status_code=400)
            try:
                body = crypto.decrypt_message(body, q.get("msg_signature", ""), q.get("timestamp", ""),
                                              q.get("nonce", ""))
            except (InvalidSignatureException, InvalidAppIdException):
                return _forbidden()
            except Exception:  # noqa: BLE001 - not WeChat's envelope: refuse, nothing changed
                return PlainTextResponse("bad encrypted message", status_code=400)
        try:
            msg = parse_message(body)
        except Exception:  # noqa: BLE001 - malformed XML or no MsgType
            msg = None
        if msg is None or not msg.source:  # no sender: nobody to answer
            return PlainTextResponse("bad message", status_code=400)
        answer = await door.answer(msg)
        if answer.failed:  # nothing was done, and WeChat has stopped waiting: its retry handles it again
            return PlainTextResponse("try again", status_code=503)
        if answer.text is None:
            xml = "success"
        else:
            # wechatpy puts the text in CDATA as it is; "]]>" would end the section early
            xml = TextReply(message=msg, content=answer.text.replace("]]>", "]] >")).render()
            if safe:
                xml = crypto.encrypt_message(xml, q.get("nonce", ""), q.get("timestamp") or None)
        background = BackgroundTask(answer.after) if answer.after else None
        return Response(xml, media_type="application/xml", background=background)

    return router


def router_from_env(service, settings: Settings) -> APIRouter | None:
    """The router for `jiuzhu serve`, or None when WECHAT_TOKEN is not set. State shared between
    workers (the MsgId cache, the token, the offered choices) goes to the service's Redis if it
    has one, else stays in this process."""
    if not settings.wechat_token:
        return None
    redis = getattr(service.store, "redis", None)
    store = RedisTTL(redis) if redis is not None else MemoryTTL()
    api = None
    if settings.wechat_appid and settings.wechat_secret:
        api = WeChatAPI(settings.wechat_appid, settings.wechat_secret, store, base_url=settings.wechat_api_url)
    else:
        log.warning("WECHAT_APPID / WECHAT_SECRET not set: replies longer than one message are cut short")
    crypto = None
    if settings.wechat_aes_key:
        if not settings.wechat_appid:
            raise ValueError("WECHAT_AES_KEY needs WECHAT_APPID (safe mode checks the AppID)")
        try:
            crypto = WeChatCrypto(settings.wechat_token, settings.wechat_aes_key, settings.wechat_appid)
        except (AssertionError, ValueError):  # binascii.Error is a ValueError
            raise ValueError("WECHAT_AES_KEY must be the 43-character EncodingAESKey") from None
    return wechat_router(WeChatDoor(service, store, api), settings.wechat_token, crypto)
