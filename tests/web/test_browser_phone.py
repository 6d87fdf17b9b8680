"""The chat on a phone, for elderly users (issue 16) and a reload that keeps the conversation (issue 13).

Headless Chromium at phone sizes; each test MEASURES what the rule asks: computed font sizes,
button boxes, contrast of text on its background, what the composer covers (the element found at
each button's centre must be the button), that the amount is the largest text. Screenshots go to
test-artefacts/screenshots (ignored by git), as test_browser.py's.
"""
from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

# the server, browser and helpers of the general browser tests (a test module is not importable by name)
_spec = importlib.util.spec_from_file_location("jz_browser_kit", Path(__file__).with_name("test_browser.py"))
kit = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(kit)
server, browser = kit.server, kit.browser
_wait_js, _shot, _no_overflow = kit._wait_js, kit._shot, kit._no_overflow

SIZES = {"360x640": {"width": 360, "height": 640}, "390x844": {"width": 390, "height": 844}}
PREFERRED = ["广西", "低保户", "选好了", "住院", "本市", "之前没有"]
NAV_WORDS = {"上一步", "跳过", "重新开始", "村干部帮办", "修改"}

# 工信部《移动互联网应用（App）适老化通用设计规范》 in CSS px (1 pt = 4/3 px; dp = CSS px at scale 1)
ELDER_TEXT_PX = 24       # main text >= 18 pt
ELDER_FIGURE_PX = 40     # key figure >= 30 pt
ELDER_TARGET_PX = 60     # tap targets >= 60 x 60 dp
MIN_LINE_SPACING = 1.3
MIN_CONTRAST = 4.5

# stand-ins for the browser's speech and share APIs: each call is recorded for the test to read
STUBS = """
window.__said = []; window.__shared = []; window.__copied = []; window.__printed = [];
window.SpeechSynthesisUtterance = function (text) { this.text = text; this.lang = ""; };
Object.defineProperty(window, "speechSynthesis", { configurable: true, value: {
  speak: function (u) { window.__said.push({ text: u.text, lang: u.lang }); },
  cancel: function () {} } });
window.print = function () {
  window.__printed.push(document.querySelectorAll(".msg.printing").length);
};
"""
SHARE_STUB = "navigator.share = function (d) { window.__shared.push(d); return Promise.resolve(); };"
NO_SHARE_STUB = """
delete Navigator.prototype.share;
Object.defineProperty(navigator, "clipboard", { configurable: true, value: {
  writeText: function (t) { window.__copied.push(t); return Promise.resolve(); } } });
"""
NO_VOICE = "delete window.SpeechRecognition; delete window.webkitSpeechRecognition;"
FAKE_VOICE = """
window.SpeechRecognition = window.webkitSpeechRecognition = function () { var self = this;
  this.start = function () { setTimeout(function () {
    self.onresult({ results: [[{ transcript: "住院自付两万" }]] }); self.onend(); }, 10); }; };
"""


def _screen(page, name):
    """What the person sees on the screen right now (not the whole page)."""
    kit.SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(kit.SHOTS / f"{name}.png"))


def _context(browser, size, elder=False, scripts=(), **kw):
    ctx = browser.new_context(viewport=SIZES[size], device_scale_factor=1, locale="zh-CN", **kw)
    for s in scripts:
        ctx.add_init_script(s)
    page = ctx.new_page()
    page.set_default_timeout(30000)
    if elder:
        page.add_init_script("try { localStorage.setItem('jz-elder', '1'); } catch (e) {}")
    return ctx, page


def _press(page, label):
    last = page.locator(".msg.bot").last
    before = page.locator(".msg").count()
    last.locator(".buttons button", has_text=label).first.click()
    _wait_js(page, f"document.querySelectorAll('.msg').length > {before + 1}")


def _type(page, text):
    before = page.locator(".msg").count()
    page.fill("#text", text)
    page.click("#composer button[type=submit]")
    _wait_js(page, f"document.querySelectorAll('.msg').length > {before + 1}")


def _last_labels(page):
    last = page.locator(".msg.bot").last
    return [b.inner_text().strip() for b in last.locator(".buttons button:not([disabled])").all()]


def _to_result(page, amount="2万"):
    """广西 低保 住院 2万 (typed: the amount buttons are the `understand` branch's)."""
    for _ in range(15):
        if page.locator(".msg.kind-result").count():
            return page.locator(".msg.kind-result").last
        labels = _last_labels(page)
        choice = next((p for p in PREFERRED if p in labels), None)
        if choice:
            _press(page, choice)
        else:
            _type(page, amount)
    raise AssertionError("no result after 15 turns")


# ------------------------------------------------------------------------------------------ measuring

MEASURE = r"""
() => {
  const visible = (e) => { const r = e.getBoundingClientRect(); const s = getComputedStyle(e);
    return r.width > 0 && r.height > 0 && s.visibility !== "hidden" && s.display !== "none"; };
  const ownText = (e) => [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
  const rgba = (c) => { const m = c.match(/[\d.]+/g).map(Number); return m.length === 3 ? [...m, 1] : m; };
  const lum = ([r, g, b]) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
  const over = (top, under) => { const a = top[3];
    return [0, 1, 2].map(i => top[i] * a + under[i] * (1 - a)).concat([1]); };
  const background = (e) => { const layers = [];
    for (let n = e; n; n = n.parentElement) { const c = rgba(getComputedStyle(n).backgroundColor);
      if (c[3] > 0) layers.push(c); if (c[3] >= 1) break; }
    let bg = [255, 255, 255, 1]; for (const c of layers.reverse()) bg = over(c, bg); return bg; };
  const texts = [...document.querySelectorAll("body *")].filter(e => visible(e) && ownText(e) && !e.closest(".sr-only"));
  return texts.map(e => { const s = getComputedStyle(e); const fg = over(rgba(s.color), background(e));
    const L1 = lum(fg), L2 = lum(background(e));
    const lh = s.lineHeight === "normal" ? 1.2 * parseFloat(s.fontSize) : parseFloat(s.lineHeight);
    return { tag: e.tagName, cls: String(e.className), text: e.textContent.trim().slice(0, 30),
      size: parseFloat(s.fontSize), lineHeight: lh, disabled: !!e.closest("[disabled]"),
      contrast: (Math.max(L1, L2) + 0.05) / (Math.min(L1, L2) + 0.05) }; });
}
"""

TARGETS = r"""
() => [...document.querySelectorAll("button, a[href], input, select, summary")].filter(e => {
    const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0 && !e.closest(".sr-only");
  }).map(e => { const r = e.getBoundingClientRect();
    return { text: (e.textContent || e.value || e.id).trim().slice(0, 20), w: r.width, h: r.height }; })
"""

UNCOVERED = r"""
() => { const out = [];
  const last = [...document.querySelectorAll("#log .msg")].pop();
  const bots = [...document.querySelectorAll("#log .msg.bot")];
  const items = [...bots[bots.length - 1].querySelectorAll("button"), last.querySelector(".bubble"),
                 ...document.querySelectorAll(".restart button")];
  for (const e of items) {
    if (e.closest("[hidden]")) continue;
    e.scrollIntoView({ block: "end" });
    const r = e.getBoundingClientRect();
    const hit = document.elementFromPoint(r.left + r.width / 2, Math.min(r.bottom - 2, innerHeight - 2));
    if (!(hit === e || e.contains(hit))) out.push({ text: e.textContent.trim().slice(0, 20),
      hit: hit ? hit.tagName + "." + hit.className : null });
  }
  last.scrollIntoView({ block: "end" });
  return out; }
"""


def _check_common(page, where):
    texts = page.evaluate(MEASURE)
    amount = page.locator(".big-amount").last
    amount_px = float(amount.evaluate("e => parseFloat(getComputedStyle(e).fontSize)"))
    biggest = max(t["size"] for t in texts)
    assert amount_px == biggest, f"{where}: amount {amount_px}px, but {biggest}px text: " \
                                 f"{[t for t in texts if t['size'] > amount_px][:3]}"
    low = [t for t in texts if t["contrast"] < MIN_CONTRAST and not t["disabled"]]
    assert not low, f"{where}: text below {MIN_CONTRAST}:1 — {low[:5]}"
    covered = page.evaluate(UNCOVERED)
    assert not covered, f"{where}: covered — {covered}"
    _no_overflow(page, where)
    return texts, amount_px


@pytest.mark.parametrize("size", list(SIZES))
def test_standard_mode_amount_is_the_biggest_and_nothing_hidden(server, browser, size):
    ctx, page = _context(browser, size, scripts=[STUBS])
    page.goto(server + "/")
    page.wait_for_selector(".msg.bot .buttons button")
    result = _to_result(page)
    assert "1.8万元（18,000元）" in result.locator(".big-amount").inner_text()
    result.evaluate("e => e.scrollIntoView({block: 'start'})")
    _screen(page, f"phone-result-screen-{size}")
    texts, _ = _check_common(page, f"standard {size}")
    bubbles = [t for t in texts if t["cls"] == "bubble"]
    assert bubbles and min(t["size"] for t in bubbles) >= 16
    _shot(page, f"phone-result-{size}")
    # the check itself finds a composer that covers: fixed at the bottom, as chat apps often do
    page.evaluate("Object.assign(document.getElementById('composer').style, "
                  "{position: 'fixed', bottom: '0', left: '0', right: '0', background: '#fff'})")
    assert page.evaluate(UNCOVERED), "the cover check did not see a fixed composer"
    ctx.close()


@pytest.mark.parametrize("size", list(SIZES))
def test_elder_mode_meets_the_aging_friendly_figures(server, browser, size):
    ctx, page = _context(browser, size, elder=True, scripts=[STUBS])
    page.goto(server + "/")
    page.wait_for_selector(".msg.bot .buttons button")
    assert page.evaluate("document.body.classList.contains('elder')")
    result = _to_result(page)
    result.scroll_into_view_if_needed()
    result.evaluate("e => e.scrollIntoView({block: 'start'})")
    _screen(page, f"phone-elder-result-screen-{size}")
    texts, amount_px = _check_common(page, f"elder {size}")
    assert amount_px >= ELDER_FIGURE_PX
    small = [t for t in texts if t["size"] < ELDER_TEXT_PX]
    assert not small, f"text under {ELDER_TEXT_PX}px: {small[:5]}"
    tight = [t for t in texts if t["lineHeight"] / t["size"] < MIN_LINE_SPACING - 1e-6]
    assert not tight, f"line spacing under {MIN_LINE_SPACING}: {tight[:5]}"
    targets = page.evaluate(TARGETS)
    tiny = [t for t in targets if t["w"] < ELDER_TARGET_PX - 0.5 or t["h"] < ELDER_TARGET_PX - 0.5]
    assert not tiny, f"tap targets under {ELDER_TARGET_PX}x{ELDER_TARGET_PX}: {tiny[:6]}"
    assert result.locator(".buttons button").count() >= 3
    page.evaluate("window.scrollTo(0, 0)")
    _shot(page, f"phone-elder-result-{size}")
    ctx.close()


def test_focus_and_scroll_land_on_the_new_question(server, browser):
    ctx, page = _context(browser, "360x640", scripts=[STUBS])
    page.goto(server + "/")
    page.wait_for_selector(".msg.bot .buttons button")
    _press(page, "广西")
    _wait_js(page, "document.activeElement && document.activeElement.classList.contains('msg')")
    focused = page.evaluate("document.activeElement.querySelector('.bubble').textContent")
    assert focused == page.locator(".msg.bot").last.locator(".bubble").inner_text()
    top, bottom = page.locator(".msg.bot").last.evaluate("e => { const r = e.getBoundingClientRect(); return [r.top, r.bottom]; }")
    assert 0 <= top < SIZES["360x640"]["height"], "the new question is not on the screen"
    ctx.close()


# ------------------------------------------------------------------------------------------ read aloud, voice, share, print

def test_read_aloud_speaks_the_message_in_chinese(server, browser):
    ctx, page = _context(browser, "390x844", scripts=[STUBS, NO_VOICE])
    page.goto(server + "/")
    first = page.locator(".msg.bot").first
    first.locator("[data-action=say]").click()
    said = page.evaluate("window.__said")
    assert said == [{"text": first.locator(".bubble").inner_text().strip(), "lang": "zh-CN"}]
    assert page.locator("#mic").is_hidden()  # no speech recognition: no microphone button
    result = _to_result(page)
    result.locator("[data-action=say]").click()
    said = page.evaluate("window.__said")
    assert len(said) == 2 and "1.8万元（18,000元）" in said[-1]["text"] and "医疗救助" in said[-1]["text"]
    ctx.close()


def test_no_speech_synthesis_means_no_read_aloud_button(server, browser):
    ctx, page = _context(browser, "360x640", scripts=["delete window.speechSynthesis; delete window.SpeechSynthesisUtterance;"])
    page.goto(server + "/")
    page.wait_for_selector(".msg.bot .buttons button")
    assert page.locator("[data-action=say]").count() == 0
    ctx.close()


def test_voice_input_fills_the_box_where_the_browser_offers_it(server, browser):
    ctx, page = _context(browser, "360x640", scripts=[STUBS, FAKE_VOICE])
    page.goto(server + "/")
    page.wait_for_selector(".msg.bot .buttons button")
    mic = page.locator("#mic")
    assert mic.is_visible() and mic.get_attribute("aria-label")
    mic.click()
    _wait_js(page, "document.getElementById('text').value === '住院自付两万'")
    ctx.close()


def test_share_print_and_copy_the_result(server, browser):
    ctx, page = _context(browser, "390x844", scripts=[STUBS, SHARE_STUB])
    page.goto(server + "/")
    result = _to_result(page)
    result.locator("[data-action=share]").click()
    _wait_js(page, "window.__shared.length === 1")
    shared = page.evaluate("window.__shared[0]")
    assert "1.8万元（18,000元）" in shared["text"] and shared["title"]
    result.locator("[data-action=print]").click()
    assert page.evaluate("window.__printed") == [1]  # only the result is marked for the sheet
    # the printed sheet: the result without buttons or the composer
    page.emulate_media(media="print")
    _shot(page, "phone-result-print")
    assert page.locator(".big-amount").last.is_visible()
    assert page.locator("#composer").is_hidden() and page.locator(".msg.kind-result .buttons").is_hidden()
    assert page.locator(".msg.user").first.is_hidden()
    assert kit._pdf_pages(page.pdf(format="A4")) == 1  # the result alone: one sheet
    page.emulate_media(media="screen")
    ctx.close()

    ctx, page = _context(browser, "360x640", scripts=[STUBS, NO_SHARE_STUB])
    page.goto(server + "/")
    result = _to_result(page)
    result.locator("[data-action=share]").click()
    _wait_js(page, "window.__copied.length === 1")
    assert "1.8万元（18,000元）" in page.evaluate("window.__copied[0]")
    assert "已复制" in result.locator(".tool-note").inner_text()
    ctx.close()


# ------------------------------------------------------------------------------------------ 长辈版 toggle

def test_elder_toggle_is_remembered_on_every_page(server, browser):
    ctx, page = _context(browser, "390x844")
    page.goto(server + "/")
    toggle = page.locator("#elder-toggle")
    assert toggle.inner_text().strip() == "长辈版" and toggle.get_attribute("aria-pressed") == "false"
    toggle.click()
    assert page.evaluate("document.body.classList.contains('elder')")
    assert toggle.get_attribute("aria-pressed") == "true"
    size = page.locator(".msg.bot .bubble").first.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
    assert size >= ELDER_TEXT_PX
    for path in ("/faq", "/policies", "/policies/ankang", "/"):
        page.goto(server + path)
        assert page.evaluate("document.body.classList.contains('elder')"), path
        assert page.locator("#elder-toggle").get_attribute("aria-pressed") == "true", path
    page.locator("#elder-toggle").click()
    page.goto(server + "/faq")
    assert not page.evaluate("document.body.classList.contains('elder')")
    ctx.close()


def test_elder_toggle_works_without_javascript(server, browser):
    ctx = browser.new_context(viewport=SIZES["360x640"], java_script_enabled=False, locale="zh-CN")
    page = ctx.new_page()
    page.goto(server + "/policies")
    page.click("#elder-toggle")
    page.wait_for_load_state()
    assert page.url.endswith("/policies")
    assert "elder" in page.get_attribute("body", "class")
    page.goto(server + "/")
    assert "elder" in page.get_attribute("body", "class")
    size = page.locator(".msg.bot .bubble").first.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
    assert size >= ELDER_TEXT_PX
    ctx.close()


# ------------------------------------------------------------------------------------------ reload (issue 13)

def test_reload_mid_conversation_keeps_it_and_it_can_be_finished(server, browser):
    ctx, page = _context(browser, "390x844", scripts=[STUBS])
    page.goto(server + "/")
    page.wait_for_selector(".msg.bot .buttons button")
    for label in ("广西", "低保户", "选好了", "住院"):
        _press(page, label)
    question = page.locator(".msg.bot").last.locator(".bubble").inner_text()
    users = page.locator(".msg.user").count()
    page.reload()
    page.wait_for_selector(".msg.bot")
    assert page.locator(".msg.user").count() == users  # the history this tab showed is back
    assert page.locator(".msg.bot").last.locator(".bubble").inner_text() == question
    _shot(page, "phone-reloaded-390")
    result = _to_result(page)
    assert "1.8万元（18,000元）" in result.inner_text()
    # a reload after the result shows the result again; only 重新开始 starts over
    page.reload()
    page.wait_for_selector(".msg.kind-result")
    assert "1.8万元（18,000元）" in page.locator(".msg.kind-result").last.inner_text()
    page.click(".restart button")
    _wait_js(page, "document.querySelectorAll('.msg.user').length == 0 && document.querySelectorAll('.msg.kind-result').length == 0")
    page.reload()
    page.wait_for_selector(".msg.bot .buttons button")
    assert page.locator(".msg.kind-result").count() == 0
    assert page.locator(".msg.bot .buttons button", has_text="广西").count() >= 1
    ctx.close()


def test_reload_in_a_new_tab_shows_the_last_question(server, browser):
    """A tab the phone dropped (no history kept in the browser): the server shows the last question."""
    ctx, page = _context(browser, "360x640", scripts=[STUBS])
    page.goto(server + "/")
    page.wait_for_selector(".msg.bot .buttons button")
    for label in ("西藏", "低保户"):
        _press(page, label)
    question = page.locator(".msg.bot").last.locator(".bubble").inner_text()
    labels = _last_labels(page)
    other = ctx.new_page()  # same cookie, empty sessionStorage
    other.goto(server + "/")
    other.wait_for_selector(".msg.bot .buttons button")
    text = other.locator(".msg.bot").last.locator(".bubble").inner_text()
    assert text.startswith("欢迎回来") and question.split("\n")[-1] in text
    assert [b.inner_text().strip() for b in other.locator(".msg.bot").last.locator(".buttons button").all()] == labels
    ctx.close()


def test_reload_without_javascript_keeps_the_conversation(server, browser):
    ctx = browser.new_context(viewport=SIZES["360x640"], java_script_enabled=False, locale="zh-CN")
    page = ctx.new_page()
    page.goto(server + "/")
    page.locator(".buttons button", has_text="广西").first.click()
    page.wait_for_load_state()
    page.goto(server + "/")
    text = page.locator(".msg.bot").last.inner_text()
    assert "欢迎回来" in text and "广西" not in page.locator(".msg.bot .buttons").last.inner_text()
    ctx.close()


# ------------------------------------------------------------------------------------------ screen readers

def _axe(page):
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    bad = [v for v in results.response["violations"] if v.get("impact") in ("serious", "critical")]
    return bad, results.response["violations"]


@pytest.mark.parametrize("elder", [False, True])
def test_axe_finds_no_serious_violations(server, browser, elder):
    ctx, page = _context(browser, "390x844", elder=elder, scripts=[STUBS], bypass_csp=True)
    page.goto(server + "/")
    page.wait_for_selector(".msg.bot .buttons button")
    assert page.get_attribute("#log", "aria-live") == "polite"
    unlabeled = page.evaluate("[...document.querySelectorAll('button')].filter(b => !(b.getAttribute('aria-label') || b.textContent.trim())).length")
    assert unlabeled == 0
    _to_result(page)
    for path in (None, "/policies/ankang", "/faq?q=低保户住院能报多少"):
        if path:
            page.goto(server + path)
            page.wait_for_load_state("networkidle")
        bad, _ = _axe(page)
        assert not bad, f"{path or 'chat result'}: " + "; ".join(f"{v['id']} ({v['impact']}): {v['help']}" for v in bad)
    ctx.close()


# ------------------------------------------------------------------------------------------ charts on a phone

def test_chart_labels_are_at_least_12px_on_a_phone(server, browser):
    ctx, page = _context(browser, "360x640")
    for region in ("xizang", "ankang", "guangxi", "urumqi", "qianjiang"):
        page.goto(server + f"/policies/{region}")
        sizes = page.evaluate("""[...document.querySelectorAll('svg.chart')].flatMap(svg => {
            const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
            return [...svg.querySelectorAll('text')].map(t => parseFloat(t.getAttribute('font-size')) * scale); })""")
        assert sizes and min(sizes) >= 12, (region, min(sizes))
        overlaps = page.evaluate("""[...document.querySelectorAll('svg.chart')].flatMap(svg => {
            for (const cls of ['tick-x', 'tick-y']) {
              const boxes = [...svg.querySelectorAll('text.' + cls)].map(t => t.getBoundingClientRect());
              for (let i = 1; i < boxes.length; i++) {
                const a = boxes[i - 1], b = boxes[i];
                const apart = cls === 'tick-x' ? a.right <= b.left : b.bottom <= a.top;
                if (!apart) return [cls + ' ' + i];
              }
              const box = svg.getBoundingClientRect();
              if (boxes.some(r => r.left < box.left - 0.5 || r.right > box.right + 0.5)) return [cls + ' outside'];
            }
            return []; })""")
        assert not overlaps, (region, overlaps)
        sentences = page.locator(".chart-summary").all_inner_texts()
        assert len(sentences) == page.locator("svg.chart").count() and all("救助" in s for s in sentences)
        _no_overflow(page, region)
    page.locator("svg.chart").first.evaluate("e => e.scrollIntoView({block: 'start'})")
    _screen(page, "phone-chart-qianjiang-360")
    ctx.close()


# ------------------------------------------------------------------------------------------ buttons only

REGION_BUTTONS = ["西藏", "安康", "广西", "乌鲁木齐", "黔江"]


@pytest.mark.parametrize("region", REGION_BUTTONS)
def test_buttons_only_conversation_to_a_result(server, browser, region):
    """Only buttons are pressed (never the keyboard): the amount too must be a button."""
    ctx, page = _context(browser, "360x640", elder=True, scripts=[STUBS])
    page.goto(server + "/")
    page.wait_for_selector(".msg.bot .buttons button")
    _press(page, region)
    for _ in range(25):
        if page.locator(".msg.kind-result").count():
            break
        labels = _last_labels(page)
        choice = next((p for p in PREFERRED if p in labels), None) or next(
            (lab for lab in labels if lab not in NAV_WORDS), None)
        assert choice, f"{region}: a question without a button to press: {page.locator('.msg.bot').last.inner_text()}"
        _press(page, choice)
    result = page.locator(".msg.kind-result").last
    assert re.search(r"元", result.inner_text())
    ctx.close()


# ------------------------------------------------------------------------------------------ every page in 长辈版

ELDER_PAGES = ["/", "/cadre", "/cadre/batch", "/faq?q=特困人员住院要交押金吗", "/policies", "/policies/ankang",
               "/policies/qianjiang"]


@pytest.mark.parametrize("path", ELDER_PAGES)
def test_every_page_in_elder_mode_fits_a_phone(server, browser, path):
    ctx, page = _context(browser, "360x640", elder=True)
    page.goto(server + path)
    page.wait_for_load_state("networkidle")
    assert page.evaluate("document.body.classList.contains('elder')")
    _no_overflow(page, f"{path} in 长辈版")
    toggle = page.locator("#elder-toggle").bounding_box()
    assert toggle["width"] >= ELDER_TARGET_PX and toggle["height"] >= ELDER_TARGET_PX
    texts = page.evaluate(MEASURE)
    small = [t for t in texts if t["size"] < ELDER_TEXT_PX and t["tag"] not in ("OPTION", "text")]
    assert not small, f"{path}: text under {ELDER_TEXT_PX}px: {small[:5]}"
    slug = path.strip("/").split("?")[0].replace("/", "-") or "chat"
    _screen(page, f"elder-{slug}-360")
    ctx.close()


def test_a_tap_that_gets_no_reply_can_be_tapped_again(server, browser):
    ctx, page = _context(browser, "360x640", scripts=[STUBS])
    page.goto(server + "/")
    page.wait_for_selector(".msg.bot .buttons button")
    ctx.set_offline(True)
    page.locator(".msg.bot").last.locator(".buttons button", has_text="广西").first.click()
    page.wait_for_selector(".msg.kind-error")
    assert "网络不通" in page.locator(".msg.kind-error").last.inner_text()
    ctx.set_offline(False)
    retry = page.locator(".msg.bot:not(.kind-error)").last.locator(".buttons button", has_text="广西").first
    assert retry.is_enabled()
    before = page.locator(".msg").count()
    retry.click()
    _wait_js(page, f"document.querySelectorAll('.msg').length > {before + 1}")
    assert "身份" in page.locator(".msg.bot").last.inner_text()
    ctx.close()
