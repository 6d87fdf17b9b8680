"""HTML pages: web chat (/), cadre workbench (/cadre, /cadre/batch), helpdesk (/faq), policies."""
from __future__ import annotations

import datetime as dt
import secrets
from decimal import Decimal
from pathlib import Path
from typing import Any

import jinja2
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

import engine
from engine.money import percent, yuan

from . import labels
from .api import SESSION_COOKIE, check_admin, session_from_cookie
from .cases import build_case

router = APIRouter(include_in_schema=False)
HERE = Path(__file__).parent

_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(str(HERE / "templates")),
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
    undefined=jinja2.StrictUndefined,
)
_env.filters["yuan"] = lambda v: "" if v is None else yuan(Decimal(str(v)))

NAV = [("/", "对话", "chat"), ("/cadre", "干部工作台", "cadre"), ("/cadre/batch", "批量估算", "batch"),
       ("/faq", "政策问答", "faq"), ("/policies", "政策", "policies")]


def render(request: Request, template: str, status: int = 200, **ctx: Any) -> HTMLResponse:
    pol = engine.load_policies()
    base = {"nav": NAV, "active": ctx.pop("active", ""), "hotline": pol.common.hotline,
            "disclaimer": pol.common.disclaimer, "request_path": request.url.path}
    html = _env.get_template(template).render(**base, **ctx)
    return HTMLResponse(html, status_code=status)


def render_error(request: Request, status: int, text: str) -> HTMLResponse:
    return render(request, "error.html", status=status, title="出错了", message=text)


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


async def _chat_page(request: Request, sid: str, new: bool, text: str, shown_user: str | None):
    from .api import chat_reply

    messages: list[dict] = []
    unavailable = None
    try:
        messages = await chat_reply(request, "web:" + sid, text)
    except HTTPException as exc:
        unavailable = (exc.detail or {}).get("message_zh") if isinstance(exc.detail, dict) else "对话功能暂时不可用。"
    response = render(request, "chat.html", active="chat", title="医疗救助小助手", messages=messages,
                      user_text=shown_user, unavailable=unavailable)
    return _with_cookie(response, sid, new, request)


@router.get("/", response_class=HTMLResponse)
async def chat_page(request: Request):
    sid, new = _session(request)
    return await _chat_page(request, sid, new, "/start", None)


@router.post("/chat", response_class=HTMLResponse)
async def chat_form(request: Request):
    """The chat without JavaScript: a form post, the reply rendered on the page."""
    form = await request.form()
    text = str(form.get("text") or "")[:2000]
    sid, new = _session(request)
    return await _chat_page(request, sid, new, text, text or None)


# ------------------------------------------------------------------------------------------ cadre

FORM_FIELDS = ("region", "care", "self_pay", "date", "ytd_self_pay", "ytd_aid", "ytd_tilt_aid",
               "disability_grade", "disability_kind", "age", "special_disease", "hospital_level",
               "stay_policy_total", "where", "referred", "family_income", "family_size", "veteran_kind",
               "insurance_tier", "contribution")


def _form_options() -> dict:
    return {
        "regions": labels.region_options(), "identities": labels.identity_options(),
        "cares": labels.care_options(), "wheres": labels.where_options(), "kinds": labels.kind_options(),
        "veterans": labels.veteran_options(),
    }


@router.get("/cadre", response_class=HTMLResponse)
def cadre_page(request: Request):
    values = {name: "" for name in FORM_FIELDS}
    values["date"] = dt.date.today().isoformat()
    return render(request, "cadre.html", active="cadre", title="干部工作台", values=values, chosen=[],
                  errors=[], error_fields=set(), result=None, **_form_options())


@router.post("/cadre", response_class=HTMLResponse)
async def cadre_submit(request: Request):
    from .render import estimate_view

    form = await request.form()
    values = {name: str(form.get(name) or "").strip()[:100] for name in FORM_FIELDS}
    chosen = [str(v) for v in form.getlist("identities")][:20]
    case, errors = build_case({**values, "identities": chosen})
    result = None
    if not errors:
        try:
            checked = engine.parse_case(case)
            result = estimate_view(engine.estimate(checked), checked)
        except engine.CaseError as exc:
            errors = exc.errors
    error_fields = {e["field"].split(".")[-1] if e["field"].startswith("facts.") else e["field"] for e in errors}
    error_fields |= {"ytd_" + e["field"].split(".")[-1] for e in errors if e["field"].startswith("year_to_date.")}
    return render(request, "cadre.html", status=422 if errors else 200, active="cadre", title="干部工作台",
                  values=values, chosen=chosen, errors=errors, error_fields=error_fields, result=result,
                  **_form_options())


# ------------------------------------------------------------------------------------------ batch

@router.get("/cadre/batch", response_class=HTMLResponse)
def batch_page(request: Request):
    from .batch import TEMPLATE_HEADERS

    return render(request, "batch.html", active="batch", title="批量估算", report=None, roster="", error=None,
                  headers=TEMPLATE_HEADERS)


@router.get("/cadre/batch/template.csv")
def batch_template():
    from .batch import template_csv

    return Response(template_csv(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": "attachment; filename=\"roster-template.csv\"; "
                                                    "filename*=UTF-8''%E8%8A%B1%E5%90%8D%E5%86%8C%E6%A8%A1%E6%9D%BF.csv"})


async def _roster_text(request: Request) -> tuple[str | None, str | None]:
    from .batch import BatchError, decode_roster

    form = await request.form()
    upload = form.get("file")
    raw: bytes | None = None
    if upload is not None and hasattr(upload, "read"):
        raw = await upload.read()
        if not raw:
            raw = None
    if raw is None:
        text = form.get("roster")
        if isinstance(text, str) and text.strip():
            return text, None
        return None, "请先选择一个CSV文件。"
    try:
        return decode_roster(raw), None
    except BatchError as exc:
        return None, str(exc)


@router.post("/cadre/batch", response_class=HTMLResponse)
async def batch_submit(request: Request):
    from .batch import TEMPLATE_HEADERS, BatchError, run_batch

    text, error = await _roster_text(request)
    report = None
    if text is not None:
        try:
            report = run_batch(text, max_rows=request.app.state.jz.settings.max_rows)
        except BatchError as exc:
            error = str(exc)
    return render(request, "batch.html", status=422 if error else 200, active="batch", title="批量估算",
                  report=report, roster=text or "", error=error, headers=TEMPLATE_HEADERS)


@router.post("/cadre/batch/download")
async def batch_download(request: Request):
    from .batch import BatchError, run_batch

    text, error = await _roster_text(request)
    if text is None:
        raise HTTPException(422, error)
    try:
        report = run_batch(text, max_rows=request.app.state.jz.settings.max_rows)
    except BatchError as exc:
        raise HTTPException(422, str(exc)) from None
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M")
    return Response(report.csv_bytes(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f"attachment; filename=\"results-{stamp}.csv\"; "
                                                    f"filename*=UTF-8''%E4%BC%B0%E7%AE%97%E7%BB%93%E6%9E%9C-{stamp}.csv"})


# ------------------------------------------------------------------------------------------ FAQ

@router.get("/faq", response_class=HTMLResponse)
def faq_page(request: Request, q: str = "", region: str = ""):
    from .api import faq_search

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
    from faq.misses import list_misses

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
    from .policyview import comparison

    pol = engine.load_policies()
    regions = [pol.regions[c] for c in engine.REGIONS]
    return render(request, "policies.html", active="policies", title="五个地区的政策", regions=regions,
                  comparison=comparison())


@router.get("/policies/{region}", response_class=HTMLResponse)
def policy_page(request: Request, region: str):
    from . import charts
    from .policyview import region_view

    pol = engine.load_policies()
    if region not in pol.regions:
        raise HTTPException(404, "没有这个地区。可选：西藏、安康、广西、乌鲁木齐、黔江。")
    view = region_view(region)
    chart_list = [{"chart": c, "legend": charts.legend(c)} for c in charts.region_charts(region)]
    return render(request, "policy_region.html", active="policies", title=view["name"], view=view,
                  charts=chart_list, percent=percent)
