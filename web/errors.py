"""Errors in the engine's shape: {field, field_zh, message, message_zh}, never a stack trace."""
from __future__ import annotations

import logging
import traceback

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from .logs import current as current_request_id
from .rendering import render_error

log = logging.getLogger("jiuzhu.web")

FIELD_ZH = {
    "session": "会话", "text": "内容", "q": "问题", "region": "地区", "top": "条数", "body": "请求内容",
    "(body)": "请求内容", "live": "即时搜索", "strict": "严格模式", "limit": "条数",
}

_MSG_ZH = {
    "missing": "缺少这一项",
    "json_invalid": "不是有效的 JSON",
    "dict_type": "应为 JSON 对象",
    "model_attributes_type": "应为 JSON 对象",
    "string_type": "应为文字",
    "string_too_long": "太长了",
    "string_too_short": "不能为空",
    "int_parsing": "必须是整数",
    "int_type": "必须是整数",
    "bool_parsing": "必须是 true 或 false",
    "greater_than_equal": "太小了",
    "less_than_equal": "太大了",
    "extra_forbidden": "不认识的字段",
}


def api_error(field: str, message: str, message_zh: str, field_zh: str | None = None) -> dict:
    return {"field": field, "field_zh": field_zh or FIELD_ZH.get(field, field), "message": message,
            "message_zh": message_zh}


def convert_validation(exc: RequestValidationError) -> list[dict]:
    out = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ()) if str(p) not in ("body", "query", "path", "header")]
        field = ".".join(loc) or "(body)"
        leaf = next((p for p in reversed(loc) if not p.isdigit()), field)
        kind = err.get("type", "")
        if kind == "json_invalid":
            field, leaf = "(body)", "(body)"
        msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        out.append(api_error(field, msg, _MSG_ZH.get(kind, "填写有误"), FIELD_ZH.get(leaf, leaf)))
    return out


def is_api(request: Request) -> bool:
    path = request.url.path
    return path.startswith("/api/") or path in ("/healthz", "/readyz")


async def validation_handler(request: Request, exc: RequestValidationError):
    errors = convert_validation(exc)
    if is_api(request):
        return JSONResponse({"detail": errors}, status_code=422)
    return _html_error(request, 422, "填写有误：" + "；".join(f"{e['field_zh']}{e['message_zh']}" for e in errors))


_STATUS_ZH = {
    400: "请求有误。", 401: "需要登录口令。", 403: "没有权限。", 404: "没有找到这个页面。",
    405: "不支持这种请求方式。", 413: "内容太大了。", 415: "不支持这种格式。", 422: "填写有误。",
    429: "请求太频繁，请稍后再试。", 503: "服务暂时不可用，请稍后再试。",
}


async def http_handler(request: Request, exc: StarletteHTTPException):
    detail = exc.detail
    if is_api(request):
        if isinstance(detail, list):
            body = detail
        elif isinstance(detail, dict):
            body = [detail]
        else:
            zh = _STATUS_ZH.get(exc.status_code, "请求有误。")
            body = [api_error("(request)", str(detail), zh, "请求")]
        return JSONResponse({"detail": body}, status_code=exc.status_code, headers=getattr(exc, "headers", None))
    if isinstance(detail, dict):
        text = detail.get("message_zh") or _STATUS_ZH.get(exc.status_code, "请求有误。")
    elif isinstance(detail, str) and any("\u4e00" <= ch <= "\u9fff" for ch in detail):
        text = detail
    else:
        text = _STATUS_ZH.get(exc.status_code, "请求有误。")
    response = _html_error(request, exc.status_code, text)
    for name, value in (getattr(exc, "headers", None) or {}).items():  # Retry-After, WWW-Authenticate
        response.headers[name] = value
    return response


async def unexpected_handler(request: Request, exc: Exception):
    # log where and what kind, never the request body or the exception text (may hold personal data)
    frames = "".join(traceback.format_tb(exc.__traceback__))
    log.error("unexpected %s on %s %s\n%s", type(exc).__name__, request.method, request.url.path, frames)
    rid = current_request_id()
    if is_api(request):
        return JSONResponse({"detail": [api_error("(server)", f"unexpected error; please try again later (request {rid})",
                                                  f"系统出了点问题，请稍后再试，或拨打12393。（编号 {rid}）", "系统")],
                             "request_id": rid}, status_code=500)
    return _html_error(request, 500, f"系统出了点问题，请稍后再试，或拨打12393。（编号 {rid}）")


def _html_error(request: Request, status: int, text: str):
    try:
        return render_error(request, status, text)
    except Exception:  # the error page itself must never fail
        return HTMLResponse(f"<!doctype html><meta charset=utf-8><p>{status}</p>", status_code=status)
