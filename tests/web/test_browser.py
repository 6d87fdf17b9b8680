"""The web app in a real browser: headless Chromium (Debian's `chromium`) driven by Playwright.

A uvicorn server runs the app on 127.0.0.1 (free port, temp SQLite). Without /usr/bin/chromium the
tests skip with a reason, except under CI=true, where a missing browser is a failure.
"""
from __future__ import annotations

import os
import re
import socket
import threading
import time
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
# screenshots for a person to look at: in the work tree, ignored by git (.gitignore: test-artefacts/)
SHOTS = Path(os.environ.get("JIUZHU_SHOTS") or Path(__file__).resolve().parents[2] / "test-artefacts" / "screenshots")
ADMIN = "browser-admin"
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 900}


def _need_chromium(missing) -> None:
    if not os.path.exists(CHROMIUM):
        missing("chromium not installed (apt-get install chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing("playwright (python package) not installed")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory, missing):
    _need_chromium(missing)
    import uvicorn

    from web.app import create_app
    from web.settings import Settings

    db = tmp_path_factory.mktemp("web") / "jiuzhu.db"
    app = create_app(Settings(db_path=str(db), admin_token=ADMIN))
    from web.server import warm_up

    warm_up(app)  # the real chat service (bot.service), the FAQ index and the charts
    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.time() + 20
    while not srv.started:
        if time.time() > deadline or not thread.is_alive():
            pytest.fail("the web server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def phone(browser):
    ctx = browser.new_context(viewport=PHONE, device_scale_factor=1, locale="zh-CN", accept_downloads=True)
    page = ctx.new_page()
    page.set_default_timeout(30000)
    yield page
    ctx.close()


@pytest.fixture
def desktop(browser):
    ctx = browser.new_context(viewport=DESKTOP, locale="zh-CN", accept_downloads=True)
    page = ctx.new_page()
    page.set_default_timeout(30000)
    yield page
    ctx.close()


def _no_overflow(page, where=""):
    sw, iw = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert sw <= iw, f"{where or page.url}: page is {sw}px wide in a {iw}px window"


def _shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _wait_js(page, expression: str, timeout: float = 30.0):
    """Poll a JS expression (page.wait_for_function would need 'unsafe-eval', which our CSP refuses)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if page.evaluate(expression):
            return
        page.wait_for_timeout(50)
    raise AssertionError(f"timed out waiting for {expression}")


def _pdf_pages(pdf: bytes) -> int:
    assert pdf.startswith(b"%PDF")
    pages = len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf))
    counts = [int(n) for n in re.findall(rb"/Type\s*/Pages\b[^>]*?/Count\s+(\d+)", pdf, flags=re.S)]
    counts += [int(n) for n in re.findall(rb"/Count\s+(\d+)[^>]*?/Type\s*/Pages\b", pdf, flags=re.S)]
    return max([pages] + counts)


# ------------------------------------------------------------------------------------------ chat

PREFERRED = ["广西", "低保户", "选好了", "住院", "本市", "之前没有", "跳过"]


def test_web_chat_to_a_result(server, phone):
    page = phone
    page.goto(server + "/")
    page.wait_for_selector(".msg.bot .bubble")
    assert "医疗救助" in page.inner_text("#log")
    for _ in range(15):
        if page.locator(".msg.kind-result").count():
            break
        last = page.locator(".msg.bot").last
        labels = [b.inner_text().strip() for b in last.locator(".buttons button:not([disabled])").all()]
        before = page.locator(".msg").count()
        choice = next((p for p in PREFERRED if p in labels), None)
        if choice:
            last.locator(".buttons button", has_text=choice).first.click()
        else:  # a free-text question (the amount)
            page.fill("#text", "2万")
            page.click("#composer button[type=submit]")
        _wait_js(page, f"document.querySelectorAll('.msg').length > {before + 1}")
    result = page.locator(".msg.kind-result").first
    result.wait_for()
    text = result.inner_text()
    assert "1.8万元（18,000元）" in text
    assert "12393" in text
    # the buttons under the result are buttons, and tapping one sends its label
    assert page.locator(".msg.kind-result .buttons button").count() >= 1
    page.wait_for_timeout(200)
    _no_overflow(page)
    _shot(page, "chat-result-360")
    # no page reload happened: the whole conversation is on one page
    assert page.locator(".msg.user").count() >= 4


def test_web_chat_restart(server, phone):
    page = phone
    page.goto(server + "/")
    page.wait_for_selector(".msg.bot .buttons button")
    page.locator(".msg.bot .buttons button", has_text="广西").first.click()
    _wait_js(page, "document.querySelectorAll('.msg.user').length >= 1")
    page.click(".restart button")
    _wait_js(page, "document.querySelectorAll('.msg.user').length == 0 && document.querySelectorAll('.msg.bot').length >= 1")


def test_web_chat_works_without_javascript(server, browser):
    """Buttons are real form buttons: with JavaScript off, each tap posts its label and the page answers."""
    ctx = browser.new_context(viewport=PHONE, java_script_enabled=False, locale="zh-CN")
    page = ctx.new_page()
    page.set_default_timeout(30000)
    page.goto(server + "/")
    page.locator(".buttons button", has_text="广西").first.click()
    page.wait_for_load_state()
    assert "广西" in page.inner_text(".msg.user")
    assert page.locator(".msg.bot .buttons button").count() >= 2  # the next question, with its buttons
    page.fill("#text", "低保")
    page.click("#composer button[type=submit]")
    page.wait_for_load_state()
    assert "低保" in page.inner_text(".msg.user")
    _no_overflow(page)
    ctx.close()


# The cadre's workbench and roster: tests/web/test_browser_cadre.py

# ------------------------------------------------------------------------------------------ FAQ

def test_faq_search_as_you_type(server, phone):
    page = phone
    page.goto(server + "/faq")
    page.locator("#q").press_sequentially("低保户住院能报多少", delay=30)
    page.wait_for_selector("#faq-results .hit")
    assert page.url.endswith("/faq")  # no form submit: results came while typing
    first = page.locator("#faq-results .hit").first
    assert "依据" in first.inner_text()
    assert first.locator(".tag").count() >= 1
    page.select_option("#region", "qianjiang")
    _wait_js(page, "[...document.querySelectorAll('#faq-results .tag')].some(t => t.textContent.includes('黔江'))")
    _no_overflow(page)
    _shot(page, "faq-360")


def test_faq_misses_page_behind_token(server, desktop):
    page = desktop
    resp = page.goto(server + "/faq/misses")
    assert resp.status == 401
    page.goto(server + "/faq?q=" + "外星人看病能不能报销")
    page.goto(server + "/faq/misses")
    page.fill("input[name=token]", ADMIN)
    page.click("button[type=submit]")
    shown = page.inner_text("main")  # kept in the knowledge base's words only
    assert "看病" in shown and "外星人" not in shown and ADMIN not in page.url


# ------------------------------------------------------------------------------------------ every page, two widths

PAGES = ["/", "/cadre", "/cadre/batch", "/faq?q=特困人员住院要交押金吗", "/policies", "/policies/xizang",
         "/policies/ankang", "/policies/guangxi", "/policies/urumqi", "/policies/qianjiang"]


@pytest.mark.parametrize("path", PAGES)
def test_screens_fit(server, browser, path):
    for name, viewport in (("360", PHONE), ("1280", DESKTOP)):
        ctx = browser.new_context(viewport=viewport, locale="zh-CN")
        page = ctx.new_page()
        resp = page.goto(server + path)
        assert resp.status == 200
        page.wait_for_load_state("networkidle")
        _no_overflow(page, f"{path} at {name}px")
        slug = path.strip("/").split("?")[0].replace("/", "-") or "chat"
        _shot(page, f"{slug}-{name}")
        ctx.close()


def test_policy_chart_in_browser(server, phone):
    page = phone
    page.goto(server + "/policies/guangxi")
    chart = page.locator("svg.chart").first
    chart.scroll_into_view_if_needed()
    box = chart.bounding_box()
    assert box and box["width"] <= PHONE["width"] and box["height"] > 100
    assert page.locator("svg.chart").first.locator("path.series").count() >= 5
