"""The chat's result links to the same estimate (share link + QR) and to its one-page PDF sheet,
both rebuilt from the case's fields alone."""
from __future__ import annotations

import datetime as dt
import html
import re
import shutil
import subprocess

CONVERSATION = ("广西", "低保户", "选好了", "住院", "本市", "2万", "之前没有")


def _to_result(client, conversation=CONVERSATION):
    client.get("/")
    for text in conversation:
        reply = client.post("/chat/part", data={"text": text})
        assert reply.status_code == 200
    return reply


def _sheet_text(client, tmp_path, missing, conversation=CONVERSATION, layout="-layout") -> str:
    """The result's PDF sheet read back with pdftotext."""
    if shutil.which("pdftotext") is None:
        missing("pdftotext (Debian's poppler-utils) is not installed")
    links = _links(_to_result(client, conversation).text)
    pdf = tmp_path / "sheet.pdf"
    pdf.write_bytes(client.get(links["打印版（PDF，一页A4）"]).content)
    return subprocess.run(["pdftotext", layout, str(pdf), "-"], capture_output=True, text=True).stdout


def _links(page: str) -> dict[str, str]:
    found = dict(re.findall(r'<a href="([^"]+)" class="result-link"[^>]*>([^<]+)</a>', page))
    return {label: html.unescape(href) for href, label in found.items()}


def test_the_api_result_carries_its_case(client):
    client.post("/api/v1/chat", json={"session": "s-share", "text": "/start"})
    for text in CONVERSATION:
        body = client.post("/api/v1/chat", json={"session": "s-share", "text": text}).json()
    result = [m for m in body["messages"] if m["kind"] == "result"]
    assert len(result) == 1
    case = result[0]["case"]
    assert case["region"] == "guangxi" and case["care"] == "inpatient" and case["identities"] == ["dibao"]
    assert str(case["self_pay"]) in ("20000", "20000.00")
    # only the result carries a case
    assert all("case" not in m for m in body["messages"] if m["kind"] != "result")


def test_the_result_links_reopen_the_same_estimate(client):
    reply = _to_result(client)
    links = _links(reply.text)
    assert set(links) == {"打印版（PDF，一页A4）", "结果链接和二维码"}
    shared = client.get(links["结果链接和二维码"])
    assert shared.status_code == 200
    assert "1.8万元" in shared.text and "<svg" in shared.text  # the same amount, and a QR code
    sheet = client.get(links["打印版（PDF，一页A4）"])
    assert sheet.status_code == 200 and sheet.headers["content-type"].startswith("application/pdf")
    assert sheet.content.startswith(b"%PDF")


def test_the_sheet_reads_the_amount(client, tmp_path, missing):
    text = _sheet_text(client, tmp_path, missing)
    assert "18,000" in text and "桂政办发" in text


# a care date said as a month: the estimate uses a stand-in day, the pages show the month as said
LAST_DECEMBER = ("广西", "低保户", "选好了", "去年12月住的院，自付2万", "本市", "之前没有")



def test_a_month_said_is_shown_as_said_on_the_reopened_estimate(client):
    links = _links(_to_result(client, LAST_DECEMBER).text)
    shared = client.get(links["结果链接和二维码"])
    assert shared.status_code == 200
    year = dt.date.today().year - 1
    page = html.unescape(re.sub(r"<[^>]+>", "", shared.text))
    assert f"就医时间{year}年12月（没说哪一天）" in page
    assert f"就医日期{year}-12-15" not in page  # the stand-in day is not printed as the date
    # the page's own links keep the month as said
    again = client.get(html.unescape(re.search(r'href="(/cadre/case\?c=[^"]+)"', shared.text).group(1)))
    assert f"就医时间{year}年12月" in html.unescape(re.sub(r"<[^>]+>", "", again.text))


def test_a_month_said_is_printed_as_said_on_the_sheet(client, tmp_path, missing):
    text = _sheet_text(client, tmp_path, missing, LAST_DECEMBER, layout="-raw")
    year = dt.date.today().year - 1
    flat = re.sub(r"\s+", "", text)
    assert f"就医时间{year}年12月" in flat and f"{year}-12-15" not in flat


def test_a_day_said_with_its_month_is_the_date_of_the_reopened_estimate(client):
    """"去年12月3号住的院": the day itself is the estimate's date, never "没说哪一天"."""
    conversation = LAST_DECEMBER[:3] + ("去年12月3号住的院，自付2万",) + LAST_DECEMBER[4:]
    links = _links(_to_result(client, conversation).text)
    shared = client.get(links["结果链接和二维码"])
    year = dt.date.today().year - 1
    page = html.unescape(re.sub(r"<[^>]+>", "", shared.text))
    assert shared.status_code == 200 and "没说哪一天" not in page and f"{year}-12-03" in page


# a year said, then the side of a rule change (广西's document starts on 1 March 2022)
SIDE_SAID = ("/start", "南宁低保，2022年住的院，自付2万", "本市", "之前没有", "2022年3月1日或以后")


def test_the_side_of_a_rule_change_said_is_shown_on_the_reopened_estimate_and_the_sheet(client, tmp_path, missing):
    links = _links(_to_result(client, SIDE_SAID).text)
    page = html.unescape(re.sub(r"<[^>]+>", "", client.get(links["结果链接和二维码"]).text))
    assert "就医时间2022年（3月1日或以后）" in page and "没说哪一天" not in page
    text = re.sub(r"\s+", "", _sheet_text(client, tmp_path, missing, SIDE_SAID, layout="-raw"))
    assert "就医时间2022年（3月1日或以后）" in text and "没说哪一天" not in text


def test_a_date_said_whose_days_do_not_hold_the_date_is_not_shown():
    from web import share

    def said(value, day="2022-07-01"):
        return share.decode_case(share.encode_case({"region": "guangxi", "date": day, "date_said": value}))

    assert said("2022@2022-03-01/2022-12-31")["date_said"] == "2022@2022-03-01/2022-12-31"
    assert "date_said" not in said("2022@2022-01-01/2022-02-28")  # the date is not within the days
    assert "date_said" not in said("2022@2021-03-01/2022-12-31")  # the days are not within the year
    assert "date_said" not in said("2022@2022-02-30/2022-12-31")  # no such day
    assert "date_said" not in said("2022-13")
    assert said("2022-07")["date_said"] == "2022-07"


def test_when_said_words():
    from web.render import when_said

    assert when_said("2025-12") == "2025年12月（没说哪一天）"
    assert when_said("2022@2022-03-01/2022-12-31") == "2022年（3月1日或以后）"
    assert when_said("2023-10@2023-10-01/2023-10-11") == "2023年10月（10月12日以前）"
    assert when_said("2022@2022-01-01/2022-12-31") == "2022年（没说哪一天）"
