"""The JSON API of contract.md: estimate, FAQ, chat, policies, health."""
from __future__ import annotations

import datetime as dt
import hmac
import math
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Body, HTTPException, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from pydantic import BaseModel, ConfigDict, Field

import engine
import faq
from bot.errors import StorageUnavailable
from engine.case import Case
from engine.conditions import Condition
from faq.misses import list_misses

from .errors import api_error
from .labels import region_names
from .state import ChatUnavailable, app_state

class FieldError(BaseModel):
    """One problem with the input, in the engine's shape (contract.md)."""
    field: str = Field(..., description="where: a field name, a dotted path, or (body) / (request)")
    field_zh: str
    message: str
    message_zh: str


class ErrorBody(BaseModel):
    detail: list[FieldError]


def error_response(description: str) -> dict:
    return {"model": ErrorBody, "description": description}


COMMON_ERRORS = {422: error_response("输入有误 / bad input: {detail: [{field, field_zh, message, message_zh}]}"),
                 429: error_response("请求太频繁 / too many requests; see Retry-After"),
                 413: error_response("内容太大 / request body too large")}
router = APIRouter(responses=COMMON_ERRORS)

CASE_EXAMPLE = {
    "region": "guangxi", "identities": ["dibao", "severe_disability"], "care": "inpatient", "self_pay": 50000,
    "date": "2024-06-01", "year_to_date": {"self_pay": 0, "aid": 0, "tilt_aid": 0},
    "facts": {"disability_grade": 2, "disability_kind": "physical"},
}


# ------------------------------------------------------------------------------------------ estimate

def document_case(openapi: dict) -> dict:
    """The estimate's request body in the OpenAPI document as the contract's Case model (the route
    takes a plain dict so that the engine, not FastAPI, checks it and answers in its own words)."""
    schema = Case.model_json_schema(ref_template="#/components/schemas/{model}")
    components = openapi.setdefault("components", {}).setdefault("schemas", {})
    components.update(schema.pop("$defs", {}))
    components["Case"] = schema
    body = openapi["paths"]["/api/v1/estimate"]["post"]["requestBody"]["content"]["application/json"]
    body["schema"] = {"$ref": "#/components/schemas/Case"}
    body["examples"] = {"guangxi": {"summary": "广西 低保 重度残疾 住院", "value": CASE_EXAMPLE}}
    return openapi


@router.post(
    "/api/v1/estimate",
    tags=["estimate"],
    summary="估算医疗救助 / Case → Estimate",
    response_model=engine.Estimate,
)
async def post_estimate(request: Request, case: dict[str, Any] = Body(..., examples=[CASE_EXAMPLE]),
                        strict: bool = Query(False, description="refuse unknown fields")):
    # async: the engine's few dozen microseconds cost less than a hop to the thread pool and back
    return estimate_response(request, case, strict)


def estimate_response(request: Request, case: dict[str, Any], strict: bool) -> Response:
    """The estimate's answer (the route's and web/fastpath.py's, so the two cannot drift apart)."""
    try:
        est = engine.estimate(case, strict=strict)
    except engine.CaseError as exc:
        return JSONResponse({"detail": exc.errors}, status_code=422)
    metrics = getattr(request.app.state, "metrics", None)
    if metrics is not None:
        metrics.child(metrics.estimates, est.region, est.status).inc()
    return Response(est.model_dump_json(), media_type="application/json")  # one serialisation, not two


# ------------------------------------------------------------------------------------------ FAQ

def _hit(hit, names: dict[str, str]) -> dict:
    return {
        **hit.to_contract(), "detail": hit.detail,
        "region_names": ["全部地区" if r == "all" else names.get(r, r) for r in hit.regions],
    }


def faq_search(request: Request, q: str, region: str | None, top: int, log_misses: bool) -> dict:
    st = app_state(request)
    pol = engine.load_policies()
    names = {code: r.short_name for code, r in pol.regions.items()}
    result = faq.search(q, region=region, top=top, miss_db=st.faq_db if log_misses else None)
    metrics = getattr(request.app.state, "metrics", None)
    if metrics is not None and log_misses and not result.confident and not result.error:
        metrics.faq_misses.inc()
    return {
        "query": q, "region": result.region, "confident": bool(result.confident), "message": result.message,
        "error": result.error, "choices": list(getattr(result, "choices", []) or []),
        "hits": [_hit(h, names) for h in result.hits],
    }


@router.get("/api/v1/faq", tags=["faq"], summary="政策问答搜索 / FAQ hits")
def get_faq(request: Request, q: str = Query(..., max_length=500, description="问题"),
            region: str | None = Query(None, max_length=40), top: int = Query(5, ge=1, le=20),
            live: bool = Query(False, description="search-as-you-type: do not log unanswered questions")):
    out = faq_search(request, q, region, top, log_misses=not live)
    if out["error"]:
        field = "region" if "地区" in out["error"] and region else "q"
        return JSONResponse({"detail": [api_error(field, out["error"], out["error"])]}, status_code=422)
    return out


def admin_token_given(request: Request) -> str:
    """The admin token from `Authorization: Bearer …` or `X-Admin-Token` — never from the URL,
    where it would end up in logs, proxies and the browser's history."""
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    return request.headers.get("x-admin-token", "").strip()


def check_admin(request: Request, form_token: str | None = None) -> None:
    """Admin pages: the token in a header (or, for the HTML page, posted in its form). Wrong
    attempts are counted per client and, past a few a minute, refused with 429 before the token
    is even compared, so it cannot be guessed at speed."""
    expected = app_state(request).settings.admin_token
    if not expected:
        raise HTTPException(403, {"field": "(token)", "field_zh": "口令", "message": "admin pages are closed",
                                  "message_zh": "管理页面未开启"})
    failures = getattr(request.app.state, "auth_failures", None)
    client = f"auth:{request.client.host if request.client else '?'}"
    if failures is not None:
        wait = failures.waiting(client)
        if wait:
            raise HTTPException(429, {"field": "(token)", "field_zh": "口令", "message": "too many wrong tokens; retry later",
                                      "message_zh": "口令错误次数太多，请稍后再试"},
                                headers={"Retry-After": str(max(1, math.ceil(wait)))})
    given = form_token if form_token is not None else admin_token_given(request)
    if not given or not hmac.compare_digest(given.encode(), expected.encode()):
        if failures is not None:
            failures.take(client)
        raise HTTPException(401, {"field": "(token)", "field_zh": "口令", "message": "token required",
                                  "message_zh": "需要正确的管理口令"}, headers={"WWW-Authenticate": "Bearer"})


ADMIN_RESPONSES = {401: {"description": "no or wrong token (header `Authorization: Bearer …` or `X-Admin-Token`)"},
                   403: {"description": "admin pages closed (JIUZHU_ADMIN_TOKEN not set)"},
                   429: {"description": "too many wrong tokens from this client; see Retry-After"}}


@router.get("/api/v1/faq/misses", tags=["faq"], summary="没有答上的问题（管理） / unanswered questions",
            responses=ADMIN_RESPONSES)
def get_faq_misses(request: Request, limit: int = Query(100, ge=1, le=1000)):
    check_admin(request)
    return {"misses": list_misses(app_state(request).faq_db, limit)}


# ------------------------------------------------------------------------------------------ chat

RETRY_AFTER = "5"
STORAGE_DOWN = {"field": "(storage)", "field_zh": "对话记录", "message": "conversation storage unavailable; nothing was saved, retry later",
                "message_zh": "系统忙，刚才这句没有记下，请过几秒再发一次。"}

SESSION_COOKIE = "jz_session"


def session_from_cookie(request: Request) -> str | None:
    """The web chat's HttpOnly session cookie, when it is one we could have set."""
    sid = request.cookies.get(SESSION_COOKIE, "")
    if sid and 8 <= len(sid) <= 64 and sid.replace("-", "").replace("_", "").isalnum():
        return sid
    return None


class ChatIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    session: str | None = Field(None, min_length=1, max_length=128,
                                description="the conversation's id; left out by the web chat page, which "
                                            "is known by its HttpOnly cookie instead")
    text: str = Field("", max_length=2000)


async def chat_reply(request: Request, session: str, text: str) -> list[dict]:
    try:
        service = app_state(request).chat()
    except ChatUnavailable:
        raise HTTPException(503, {"field": "(service)", "field_zh": "对话", "message": "chat is not available",
                                  "message_zh": "对话功能暂时不可用，请稍后再试，或拨打12393。"}) from None
    try:
        messages = await service.handle(session, text)
    except StorageUnavailable:
        raise HTTPException(503, STORAGE_DOWN, headers={"Retry-After": RETRY_AFTER}) from None
    metrics = getattr(request.app.state, "metrics", None)
    if metrics is not None:
        metrics.child(metrics.chat_messages, "web").inc()
    return [m.public() if hasattr(m, "public") else dict(m) for m in messages]


@router.post("/api/v1/chat", tags=["chat"], summary="对话 / the guided conversation")
async def post_chat(request: Request, body: ChatIn):
    return await chat_answer(request, body.session, body.text)


async def chat_answer(request: Request, session: str | None, text: str) -> dict | JSONResponse:
    """The chat's answer to a checked body (the route's and web/fastpath.py's)."""
    session = session or session_from_cookie(request)
    if not session:
        return JSONResponse({"detail": [api_error("session", "session required (or the chat page's cookie)",
                                                  "缺少会话")]}, status_code=422)
    # web sessions live in their own namespace, so a web client can never step into a Telegram chat
    return {"messages": await chat_reply(request, "web:" + session, text)}


# ------------------------------------------------------------------------------------------ policies

def _plain(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return _plain(value.model_dump(mode="python", by_alias=True))
    if isinstance(value, Condition):
        return _plain(value.raw)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def region_summary(code: str) -> dict:
    pol = engine.load_policies()
    r = pol.regions[code]
    return {"region": code, "name": r.name, "short_name": r.short_name, "document": _plain(r.document),
            "categories": [{"category": t.category, "tier": t.tier, "name": t.name, "cite": t.cite} for t in r.tiers],
            "url": f"/api/v1/policies/{code}"}


@router.get("/api/v1/policies", tags=["policies"], summary="各地区的政策 / the encoded policies")
def get_policies():
    pol = engine.load_policies()
    return {"regions": [region_summary(code) for code in engine.REGIONS],
            "common": {"identities": pol.common.identities, "care": pol.common.care, "where": pol.common.where,
                       "settlement": pol.common.settlement, "part_kinds": pol.common.part_kinds,
                       "disclaimer": pol.common.disclaimer, "hotline": pol.common.hotline}}


@router.get("/api/v1/policies/{region}", tags=["policies"], summary="一个地区的政策，带出处 / one region, cited",
            responses={404: error_response("没有这个地区 / unknown region")})
def get_policy(region: str):
    pol = engine.load_policies()
    if region not in pol.regions:
        raise HTTPException(404, {"field": "region", "field_zh": "地区", "message": f"unknown region; expected one of {', '.join(engine.REGIONS)}",
                                  "message_zh": f"没有这个地区，可选：{region_names()}"})
    return _plain(pol.regions[region])


@router.get("/metrics", tags=["health"], summary="Prometheus metrics (admin token)",
            response_class=PlainTextResponse,
            responses={**ADMIN_RESPONSES, 200: {"content": {"text/plain": {"schema": {"type": "string"}}},
                                                 "description": "Prometheus text format"}})
def get_metrics(request: Request):
    check_admin(request)
    body, content_type = request.app.state.metrics.render()
    return Response(body, media_type=content_type)


HEALTHY = {"status": "ok"}


@router.get("/healthz", tags=["health"], summary="liveness")
async def healthz():  # async: no hop to the thread pool for a constant
    return HEALTHY


@router.get("/readyz", tags=["health"], summary="readiness: the conversation storage answers",
            responses={503: {"description": "storage (Redis or SQLite) not reachable; Retry-After says when to ask again"}})
async def readyz(request: Request):
    """200 when the chat's storage (Redis with REDIS_URL, else the SQLite file) answers now; 503
    otherwise, for a load balancer to send no traffic to this worker. /healthz only says the
    process is up."""
    try:
        service = app_state(request).chat()
        check = getattr(service, "ready", None)  # a stand-in service without storage is always ready
        ready = await check() if check is not None else True
    except ChatUnavailable:
        ready = False
    if ready:
        return {"status": "ready"}
    return JSONResponse({"status": "unavailable", "detail": [STORAGE_DOWN]}, status_code=503,
                        headers={"Retry-After": RETRY_AFTER})
