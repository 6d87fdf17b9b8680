"""HTML pages: web chat (/), helpdesk (/faq), policies. The cadre's desk is in cadre.py."""
from __future__ import annotations

import secrets

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

import engine
from engine.money import percent
from faq.misses import list_misses

from . import charts, chatview, labels, resume
from .api import SESSION_COOKIE, chat_reply, check_admin, faq_search, session_from_cookie
from .policyview import comparison, region_view
from .rendering import ELDER_COOKIE, fragment, render
from .state import ChatUnavailable

router = APIRouter(include_in_schema=False)


# ------------------------------------------------------------------------------------------ chat

def _session(request: Request) -> tuple[str, bool]:
    sid = session_from_cookie(request)
    if sid:
        return sid, False
    return secrets.token_urlsafe(16), True


def _with_cookie(response: Response, sid: str, new: bool, request: Request | None = None) -> Response:
    """The session travels only in this HttpOnly cookie (the page never holds its value: the
    page's script posts without a session and the API reads the cookie). `Secure` when the
    request came over HTTPS — directly, or through a trusted proxy (JIUZHU_TRUSTED_PROXIES)."""
    if new:
        secure = request is not None and request.url.scheme == "https"
        response.set_cookie(SESSION_COOKIE, sid, max_age=30 * 86400, httponly=True, samesite="lax", secure=secure)
    return response


@router.get("/elder")
def elder_toggle(request: Request, on: str = "1", next: str = "/"):  # noqa: A002 - the query's name
    """The 长辈版 switch without JavaScript: remember the choice, go back to the page (any odd
    value of `on` means on; a `next` that is not a path of this site means the chat)."""
    back = next if next.startswith("/") and not next.startswith("//") and "\\" not in next else "/"
    response = RedirectResponse(back, status_code=303)
    response.set_cookie(ELDER_COOKIE, "0" if on == "0" else "1", max_age=365 * 86400, samesite="lax")
    return response


async def _reply(request: Request, sid: str, text: str) -> tuple[list[dict], str | None]:
    try:
        return await chat_reply(request, "web:" + sid, text), None
    except HTTPException as exc:
        detail = exc.detail if isinstance(exc.detail, dict) else {}
        return [], detail.get("message_zh") or "对话功能暂时不可用。"


async def _where_left(request: Request, sid: str) -> tuple[list[dict] | None, str]:
    """The messages that show a saved conversation again, and its mark; None when there is none."""
    try:
        service = request.app.state.jz.chat()
    except ChatUnavailable:
        return None, ""
    state = await resume.saved_state(service, "web:" + sid)
    config = getattr(service, "config", None)
    if state is None or config is None:
        return None, ""
    return [m.public() for m in resume.resume(state, config)], resume.signature(state)


async def _mark(request: Request, sid: str) -> str:
    service = request.app.state.jz.chat()
    return resume.signature(await resume.saved_state(service, "web:" + sid))


def _chat_response(request: Request, sid: str, new: bool, messages: list[dict], shown_user: str | None,
                   unavailable: str | None, resumed: bool, mark: str) -> Response:
    response = render(request, "chat.html", active="chat", title="医疗救助小助手",
                      messages=chatview.views(messages), user_text=shown_user, unavailable=unavailable,
                      resumed=resumed, mark=mark)
    return _with_cookie(response, sid, new, request)


@router.get("/", response_class=HTMLResponse)
async def chat_page(request: Request):
    """The chat. A reload shows where the user was (issue 13); only 重新开始 starts over."""
    sid, new = _session(request)
    if not new:
        messages, mark = await _where_left(request, sid)
        if messages:
            return _chat_response(request, sid, new, messages, None, None, True, mark)
    messages, unavailable = await _reply(request, sid, "/start")
    mark = "" if unavailable else await _mark(request, sid)
    return _chat_response(request, sid, new, messages, None, unavailable, False, mark)


@router.post("/chat", response_class=HTMLResponse)
async def chat_form(request: Request):
    """The chat without JavaScript: a form post, the reply rendered on the page."""
    form = await request.form()
    text = str(form.get("text") or "")[:2000]
    sid, new = _session(request)
    messages, unavailable = await _reply(request, sid, text)
    mark = "" if unavailable else await _mark(request, sid)
    return _chat_response(request, sid, new, messages, text or None, unavailable, False, mark)


@router.post("/chat/part", response_class=HTMLResponse)
async def chat_part(request: Request):
    """The chat with JavaScript: the same post, answered with only the new messages' HTML (one
    renderer for both), the conversation's mark in a header."""
    form = await request.form()
    text = str(form.get("text") or "")[:2000]
    sid, new = _session(request)
    messages, unavailable = await _reply(request, sid, text)
    mark = "" if unavailable else await _mark(request, sid)
    html = fragment("_messages.html", messages=chatview.views(messages), unavailable=unavailable)
    response = HTMLResponse(html, headers={"X-Chat-Mark": mark})
    return _with_cookie(response, sid, new, request)


# ------------------------------------------------------------------------------------------ FAQ

@router.get("/faq", response_class=HTMLResponse)
def faq_page(request: Request, q: str = "", region: str = ""):
    q = q[:500]
    region = region[:40]
    result = None
    if q.strip():
        try:
            result = faq_search(request, q, region or None, 8, log_misses=True)
        except ImportError:
            result = {"error": "问答库暂时不可用，请拨打12393。", "hits": [], "message": "", "confident": False}
    return render(request, "faq.html", active="faq", title="政策问答", q=q, region=region,
                  regions=labels.region_options(), result=result)


@router.get("/faq/misses", response_class=HTMLResponse)
def faq_misses_page(request: Request, limit: int = 200):
    """For the helpdesk's admin: the token in a header, or typed into the form this page shows
    without one (posted, so it never sits in a URL, a log or the browser's history)."""
    return _misses_page(request, None, limit)


@router.post("/faq/misses", response_class=HTMLResponse)
async def faq_misses_login(request: Request):
    form = await request.form()
    return _misses_page(request, str(form.get("token") or ""), 200)


def _misses_page(request: Request, form_token: str | None, limit: int) -> HTMLResponse:
    try:
        check_admin(request, form_token)
    except HTTPException as exc:
        if exc.status_code != 401:
            raise
        return render(request, "admin_login.html", status=401, active="faq", title="管理口令",
                      wrong=form_token is not None)
    rows = list_misses(request.app.state.jz.faq_db, max(1, min(limit, 1000)))
    names = dict(labels.region_options())
    return render(request, "misses.html", active="faq", title="没有答上的问题", rows=rows, names=names)


# ------------------------------------------------------------------------------------------ policies

@router.get("/policies", response_class=HTMLResponse)
def policies_page(request: Request):
    pol = engine.load_policies()
    regions = [pol.regions[c] for c in engine.REGIONS]
    return render(request, "policies.html", active="policies", title="各地区的政策", regions=regions,
                  comparison=comparison())


@router.get("/policies/{region}", response_class=HTMLResponse)
def policy_page(request: Request, region: str):
    pol = engine.load_policies()
    if region not in pol.regions:
        raise HTTPException(404, f"没有这个地区。可选：{labels.region_names()}。")
    view = region_view(region)
    chart_list = [{"chart": c, "legend": charts.legend(c)} for c in charts.region_charts(region)]
    return render(request, "policy_region.html", active="policies", title=view["name"], view=view,
                  charts=chart_list, percent=percent)
