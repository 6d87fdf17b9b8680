"""The chat's result links to the same estimate (share link + QR) and to its one-page PDF sheet,
both rebuilt from the case's fields alone."""
from __future__ import annotations

import html
import re
import shutil
import subprocess

CONVERSATION = ("广西", "低保户", "选好了", "住院", "本市", "2万", "之前没有")


def _to_result(client):
    client.get("/")
    for text in CONVERSATION:
        reply = client.post("/chat/part", data={"text": text})
        assert reply.status_code == 200
    return reply


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
    if shutil.which("pdftotext") is None:
        missing("pdftotext (Debian's poppler-utils) is not installed")
    links = _links(_to_result(client).text)
    pdf = tmp_path / "sheet.pdf"
    pdf.write_bytes(client.get(links["打印版（PDF，一页A4）"]).content)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True).stdout
    assert "18,000" in text and "桂政办发" in text
