"""The cadre's desk in a real browser (Chromium, desktop 1280 px and phone 360 px): the workbench
(typed words read back, keyboard only, 下一位 keeps the region, the printed page, share box), the
roster's result page (counts, filters, pages, no one-character-per-line columns, cards on a phone,
downloads) and the household year kept in the browser. Fixtures come from test_browser.py."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import openpyxl

from .test_browser import _no_overflow, _pdf_pages, _shot, _wait_js, browser, desktop, phone, server  # noqa: F401


def _fill_cadre(page, region, identities, care, self_pay, date="2024-06-01", extra=None):
    page.fill("#f-region", region)
    for code in identities:
        page.check(f"input[name=identities][value={code}]")
    page.select_option("#f-care", care)
    page.fill("#f-self_pay", self_pay)
    page.fill("#f-date", date)
    for name, value in (extra or {}).items():
        page.locator(f"[name={name}]").first.evaluate("(el, v) => { el.closest('details').open = true; }", value)
        if page.locator(f"select[name={name}]").count():
            page.select_option(f"select[name={name}]", value)
        else:
            page.fill(f"input[name={name}]", value)
    page.click("#estimate-btn")
    page.wait_for_selector("#result")


def test_cadre_form_and_printed_page(server, desktop):
    page = desktop
    page.goto(server + "/cadre")
    _fill_cadre(page, "广西", ["dibao_edge"], "inpatient", "2万")
    assert page.inner_text("#amount").strip() == "1.36万元（13,600元）"
    assert "可以救助" in page.inner_text(".status-word")
    assert page.locator(".trace li").count() >= 3
    assert page.locator(".checklist input[type=checkbox]").count() >= 1
    for word in ("资助参保", "大病保险倾斜", "先诊疗后付费", "到哪里办", "12393"):
        assert word in page.inner_text("#result")
    assert page.locator("#share svg").is_visible() and page.locator("#sheet-pdf").is_visible()
    _shot(page, "cadre-result-1280")

    page.emulate_media(media="print")
    assert page.locator(".top").is_hidden() and page.locator(".nav").is_hidden()
    assert page.locator("#cadre-form").is_hidden() and page.locator("#share").is_hidden()
    assert page.locator("[data-action=print]").is_hidden()
    for sel in ("#amount", ".trace", ".docs", ".where", ".side", ".disclaimer"):
        assert page.locator(sel).is_visible(), sel
    _shot(page, "cadre-print")
    assert _pdf_pages(page.pdf(format="A4", print_background=True)) == 1
    page.emulate_media(media="screen")

    # 下一位 keeps the region and the date, clears the applicant
    page.click("#next")
    page.wait_for_load_state()
    assert page.locator("#result").count() == 0
    assert page.input_value("#f-region") == "广西" and page.input_value("#f-date") == "2024-06-01"
    assert page.input_value("#f-self_pay") == ""
    assert page.locator("input[name=identities]:checked").count() == 0
    assert page.evaluate("document.activeElement.id") == "f-self_pay"   # ready for the next amount


def test_cadre_keyboard_only_with_the_chats_words(server, desktop):
    page = desktop
    page.goto(server + "/cadre")
    assert page.evaluate("document.activeElement.id") == "f-region"
    page.keyboard.type("紫阳县")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "f-care"
    page.keyboard.press("ArrowDown")          # the first care type: 住院
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "f-self_pay"
    page.keyboard.type("两万多")
    page.focus("#f-identity_text")
    page.keyboard.type("地保户")
    page.keyboard.press("Enter")
    page.wait_for_selector("#result")
    said = page.inner_text("#readings")
    assert "紫阳县" in said and "安康" in said and "两万多" in said and "20,000" in said and "地保户" in said
    assert "陕西省安康市" in page.inner_text("#result")


def test_cadre_long_result_still_prints_on_one_sheet(server, desktop):
    page = desktop
    page.goto(server + "/cadre")
    _fill_cadre(page, "黔江", ["dibao", "severe_disability"], "inpatient", "50000")
    assert "还需要补充信息" in page.inner_text(".status-word")
    page.emulate_media(media="print")
    assert _pdf_pages(page.pdf(format="A4")) == 1
    page.emulate_media(media="screen")
    page.goto(server + "/cadre")
    _fill_cadre(page, "西藏", ["illness_poverty"], "inpatient", "80000")
    page.emulate_media(media="print")
    assert _pdf_pages(page.pdf(format="A4")) == 1


def test_cadre_on_a_phone(server, phone):
    page = phone
    page.goto(server + "/cadre")
    _no_overflow(page, "/cadre form")
    _fill_cadre(page, "乌鲁木齐", ["dibao_edge"], "outpatient_chronic", "12000")
    _no_overflow(page, "/cadre result")
    _shot(page, "cadre-result-360")
    # the share link reopens the same amount
    amount = page.inner_text("#amount")
    page.click("#share-link")
    page.wait_for_selector("#result")
    assert page.inner_text("#amount") == amount
    _no_overflow(page, "/cadre/case")


# ------------------------------------------------------------------------------------------ roster

ROSTER = ("序号,姓名,地区,身份,就医类型,自付金额,就医日期\n"
          "1,张三,广西,低保,住院,20000,2024-06-01\n"
          "2,李四,火星,低保,住院,20000,2024-06-01\n"
          "3,王五,安康,低保边缘、重度残疾人,门诊慢特病,8000,2024-06-01\n")


def test_batch_upload_and_download(server, desktop, tmp_path):
    page = desktop
    page.goto(server + "/cadre/batch")
    with page.expect_download() as info:
        page.click("#template")
    template = Path(info.value.path()).read_bytes()
    assert template.startswith("\ufeff".encode()) and "序号".encode() in template

    src = tmp_path / "花名册.csv"
    src.write_bytes(ROSTER.encode("gb18030"))  # as Excel saves it in China
    page.set_input_files("#file", str(src))
    page.click("#upload-form button.primary")
    page.wait_for_selector("#report")
    rows = page.locator("table.results tbody tr")
    assert rows.count() == 3
    assert "1.8万元（18,000元）" in rows.nth(0).inner_text()
    assert "第3行" in rows.nth(1).inner_text()
    assert "1行有误" in page.inner_text("#report h2") and "读入3行，写出3行" in page.inner_text("#report h2")
    _shot(page, "batch-1280")

    with page.expect_download() as info:
        page.click("#download")
    data = Path(info.value.path()).read_bytes()
    assert data.startswith("\ufeff".encode())
    out = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert [r["姓名"] for r in out] == ["张三", "李四", "王五"]
    assert out[0]["估算救助金额（元）"] == "18000.00"
    assert out[1]["错误"].startswith("第3行")


def _big_roster(path: Path) -> dict:
    """130 rows: paid, zero with a fact to add, not eligible and refused ones, as .xlsx."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["序号", "姓名", "地区", "身份", "就医类型", "自付金额", "就医日期"])
    groups = {"ok": 0, "need": 0, "no": 0, "bad": 0}
    for n in range(1, 131):
        kind = n % 10
        if kind == 0:
            sheet.append([n, f"人{n}", "火星", "低保", "住院", 20000, "2024-06-01"])
            groups["bad"] += 1
        elif kind == 1:
            sheet.append([n, f"人{n}", "广西", "", "住院", 20000, "2024-06-01"])
            groups["no"] += 1
        elif kind == 2:
            sheet.append([n, f"人{n}", "黔江", "低保、重度残疾人", "住院", 50000, "2024-06-01"])
            groups["need"] += 1
        else:
            sheet.append([n, f"人{n}", "广西", "低保", "住院", 20000 + n, "2024-06-01"])
            groups["ok"] += 1
    book.save(path)
    return groups


def _visible_rows(page) -> int:
    return page.evaluate("Array.from(document.querySelectorAll('table.roster tbody tr')).filter(r => !r.hidden).length")


def test_batch_result_page_counts_filters_pages_columns(server, desktop, tmp_path):
    page = desktop
    groups = _big_roster(tmp_path / "花名册.xlsx")
    page.goto(server + "/cadre/batch")
    page.set_input_files("#file", str(tmp_path / "花名册.xlsx"))
    page.click("#upload-form button.primary")
    page.wait_for_selector("#report")
    assert "读入130行，写出130行" in page.inner_text("#report h2")
    for key, count in groups.items():
        assert page.inner_text(f"#filters .filter-{key} b") == str(count), key
    assert _visible_rows(page) == 50 and "共3页" in page.inner_text("#page-info")
    page.click("#next-page")
    page.click("#next-page")
    assert _visible_rows(page) == 30
    page.click("#filters .filter-bad")
    assert _visible_rows(page) == groups["bad"]
    assert all(t.startswith("第") and "火星" in t for t in page.locator("tbody tr:not([hidden]) .error-text").all_inner_texts())
    page.click("#filters .filter-need")
    assert _visible_rows(page) == groups["need"]
    page.click("#filters [data-group='']")
    _no_overflow(page, "roster result")
    # no column is squeezed to one character per line: short cells stay on one line, the text column is wide
    heights = page.evaluate("""() => {
      const row = document.querySelector('table.roster tbody tr.row-ok:not([hidden])');
      const lh = parseFloat(getComputedStyle(row).lineHeight) || 24;
      const out = {};
      for (const c of ['c-line', 'c-status', 'c-cat', 'c-amount', 'c-link']) {
        const range = document.createRange(); range.selectNodeContents(row.querySelector('.' + c));
        out[c] = range.getBoundingClientRect().height / lh; }   // the text's lines, not the stretched cell
      out.textWidth = row.querySelector('.c-text').getBoundingClientRect().width;
      return out; }""")
    for col in ("c-line", "c-status", "c-amount", "c-link"):
        assert heights[col] < 1.5, heights
    assert heights["c-cat"] < 3.5 and heights["textWidth"] >= 200, heights
    _shot(page, "batch-filters-1280")
    # each row links to its full explanation
    with page.expect_popup() as popup:
        page.locator("tbody tr.row-ok a").first.click()
    detail = popup.value
    detail.wait_for_selector("#result")
    assert detail.locator(".trace li").count() >= 3
    detail.close()
    with page.expect_download() as info:
        page.click("#download-xlsx")
    assert info.value.suggested_filename.endswith(".xlsx")
    data = io.BytesIO(Path(info.value.path()).read_bytes())
    rows = list(openpyxl.load_workbook(data, read_only=True).worksheets[0].iter_rows(values_only=True))
    assert len(rows) == 131 and [r[0] for r in rows[1:]] == list(range(2, 132))


def test_batch_result_on_a_phone_is_cards(server, phone, tmp_path):
    page = phone
    _big_roster(tmp_path / "花名册.xlsx")
    page.goto(server + "/cadre/batch")
    page.set_input_files("#file", str(tmp_path / "花名册.xlsx"))
    page.click("#upload-form button.primary")
    page.wait_for_selector("#report")
    _no_overflow(page, "roster result on a phone")
    assert page.locator("table.roster thead").is_hidden()
    display = page.evaluate("getComputedStyle(document.querySelector('table.roster tbody tr')).display")
    assert display == "block"
    _shot(page, "batch-360")


# ------------------------------------------------------------------------------------------ household

def _bill(page, n, care, self_pay, date, special="", level="", total=""):
    row = page.locator("#bills tbody tr").nth(n)
    row.locator("[name=date]").fill(date)
    row.locator("[name=care]").select_option(care)
    row.locator("[name=self_pay]").fill(self_pay)
    if special:
        row.locator("[name=special_disease]").select_option(special)
    if level:
        row.locator("[name=hospital_level]").select_option(level)
    if total:
        row.locator("[name=stay_policy_total]").fill(total)


def test_household_year_in_the_browser(server, desktop, tmp_path):
    page = desktop
    page.goto(server + "/cadre/household")
    page.fill("#h-id", "三组-07")
    page.fill("#h-region", "黔江")
    page.fill("#h-identities", "特困")
    _bill(page, 0, "inpatient", "10万", "2024-03-01", special="是")
    page.click("#add-bill")
    _bill(page, 1, "outpatient_chronic", "50000", "2024-04-01", special="是")
    page.click("#add-bill")
    _bill(page, 2, "inpatient", "40000", "2024-05-01", special="否", level="3", total="60000")
    page.click("#compute")
    page.wait_for_selector("#year:not([hidden])")
    assert page.inner_text("#year-total") == "13万元（130,000元）"
    cells = page.locator("#year-table tbody tr").all_inner_texts()
    assert len(cells) == 3 and "1.11万元（11,100元）" in cells[2]
    assert "7万元（70,000元）" in cells[1] and "10万元（100,000元）" in cells[2]   # what earlier bills used, as people read it
    _no_overflow(page, "household")
    _shot(page, "household-1280")
    # kept in this browser: a reload shows the same ledger
    page.reload()
    assert page.input_value("#h-id") == "三组-07" and page.locator("#bills tbody tr").count() == 3
    # export and import as a file
    with page.expect_download() as info:
        page.click("#export")
    saved = json.loads(Path(info.value.path()).read_text(encoding="utf-8"))
    assert saved["region"] == "黔江" and len(saved["bills"]) == 3 and "name" not in saved
    page.click("#clear")
    assert page.locator("#bills tbody tr").count() == 1
    page.set_input_files("#import", info.value.path())
    _wait_js(page, "document.querySelectorAll('#bills tbody tr').length === 3")
    assert page.input_value("#h-region") == "黔江"


def test_household_on_a_phone(server, phone):
    page = phone
    page.goto(server + "/cadre/household")
    page.fill("#h-region", "西藏")
    page.fill("#h-identities", "低保")
    _bill(page, 0, "inpatient", "100000", "2024-03-01")
    page.click("#add-bill")
    _bill(page, 1, "inpatient", "80000", "2024-06-01")
    page.click("#compute")
    page.wait_for_selector("#year:not([hidden])")
    assert page.inner_text("#year-total") == "约17.83万元（178,262.50元）"
    _no_overflow(page, "household on a phone")
    _shot(page, "household-360")
