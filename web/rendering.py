"""The HTML pages' templates: the jinja environment, a page with the site's frame, the error page.
Shared by the page and workbench routers and the error handlers (so none of them imports another)."""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse

import engine
from engine.money import yuan

HERE = Path(__file__).parent
ELDER_COOKIE = "jz_elder"

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
            "disclaimer": pol.common.disclaimer, "request_path": request.url.path, "elder": elder_mode(request)}
    html = _env.get_template(template).render(**base, **ctx)
    return HTMLResponse(html, status_code=status)


def fragment(template: str, **ctx: Any) -> str:
    """A piece of a page (no site frame), e.g. the chat's new messages."""
    return _env.get_template(template).render(**ctx)


def render_error(request: Request, status: int, text: str) -> HTMLResponse:
    return render(request, "error.html", status=status, title="出错了", message=text)


def elder_mode(request: Request) -> bool:
    """长辈版 is on: remembered in a cookie (set by /elder without JavaScript, or by the page's script)."""
    return request.cookies.get(ELDER_COOKIE) == "1"
