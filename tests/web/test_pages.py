"""HTML pages: they render, show what they promise, escape what people typed, guard admin pages."""
from __future__ import annotations

import re

import pytest

from .conftest import ADMIN


@pytest.mark.parametrize("path", ["/", "/cadre", "/cadre/batch", "/faq", "/policies",
                                  "/policies/xizang", "/policies/ankang", "/policies/guangxi",
                                  "/policies/urumqi", "/policies/qianjiang"])
def test_pages_render(client, path):
    r = client.get(path)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert "Content-Security-Policy" in r.headers
    html = r.text
    assert '<html lang="zh-CN">' in html and 'name="viewport"' in html
    assert "12393" in html


def test_unknown_page_is_a_chinese_404(client):
    r = client.get("/policies/mars")
    assert r.status_code == 404 and "没有这个地区" in r.text
    r = client.get("/nowhere")
    assert r.status_code == 404 and "没有找到" in r.text


def test_chat_page_without_js(fake_client, fake_chat):
    r = fake_client.get("/")
    assert "您好！在哪里参保？" in r.text
    assert 'name="text" value="广西"' in r.text  # buttons are real buttons that post their label
    sid = r.cookies.get("jz_session") or fake_client.cookies.get("jz_session")
    assert sid
    r = fake_client.post("/chat", data={"text": "广西"})
    assert "收到：广西" in r.text
    assert fake_chat.calls[-1] == (f"web:{sid}", "广西")


def test_chat_escapes_html(fake_client):
    r = fake_client.post("/chat", data={"text": "<script>alert(1)</script>"})
    assert "<script>alert(1)</script>" not in r.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in r.text


def test_cadre_result_page(client):
    r = client.post("/cadre", data={"region": "guangxi", "identities": ["dibao_edge"], "care": "inpatient",
                                    "self_pay": "2万", "date": "2024-06-01"})
    assert r.status_code == 200
    html = r.text
    assert "可以救助" in html
    assert "1.36万元（13,600元）" in html
    assert "怎么算的" in html and "依据：桂政办发〔2022〕5号" in html
    assert 'type="checkbox"' in html and "要带的材料" in html
    assert "到哪里办" in html
    for word in ("资助参保", "大病保险倾斜", "先诊疗后付费"):
        assert word in html
    assert "估算仅供参考" in html and "12393" in html
    assert 'href="/cadre"' in html and "下一位" in html
    # the form keeps what was typed
    assert 'value="2万"' in html


@pytest.mark.parametrize("data,status_word", [
    ({"region": "guangxi", "identities": [], "care": "inpatient", "self_pay": "20000"}, "不符合条件"),
    ({"region": "guangxi", "identities": ["dibao_edge"], "care": "inpatient", "self_pay": "2000"}, "本次为0"),
    ({"region": "qianjiang", "identities": ["dibao"], "care": "inpatient", "self_pay": "50000"}, "还需要补充信息"),
])
def test_cadre_status_words(client, data, status_word):
    r = client.post("/cadre", data={**data, "date": "2024-06-01"})
    assert r.status_code == 200 and status_word in r.text


def test_cadre_bad_input(client):
    r = client.post("/cadre", data={"region": "guangxi", "care": "inpatient", "self_pay": "-5"})
    assert r.status_code == 422
    assert "自付金额" in r.text and "不能是负数" in r.text
    r = client.post("/cadre", data={"care": "inpatient"})
    assert r.status_code == 422 and "地区：没有填写" in r.text


def test_cadre_escapes_html(client):
    evil = '"><img src=x onerror=alert(1)>'
    r = client.post("/cadre", data={"region": "guangxi", "care": "inpatient", "self_pay": evil,
                                    "identities": [evil]})
    assert r.status_code == 422
    assert "<img src=x" not in r.text
    assert "&lt;img src=x" in r.text or "&#34;&gt;&lt;img" in r.text


def test_faq_page_server_side(client):
    r = client.get("/faq", params={"q": "低保户住院能报多少", "region": "guangxi"})
    assert "依据：" in r.text and 'class="tag"' in r.text


def test_faq_page_escapes(client):
    r = client.get("/faq", params={"q": "<b>低保</b><script>x</script>"})
    assert "<script>x</script>" not in r.text


def test_misses_page(client):
    client.get("/faq", params={"q": "<i>外星人</i>能不能报销飞船票"})
    assert client.get("/faq/misses").status_code == 401
    r = client.post("/faq/misses", data={"token": ADMIN})
    assert r.status_code == 200
    # the topic in the knowledge base's words; the asker's own words (外星人, 飞船) are not kept
    assert "不能报销" in r.text and "外星人" not in r.text and "飞船" not in r.text
    r = client.get("/faq/misses", headers={"Authorization": f"Bearer {ADMIN}"})
    assert r.status_code == 200


def test_policies_page_compares_five_regions(client):
    html = client.get("/policies").text
    for name in ("西藏", "安康", "广西", "乌鲁木齐", "黔江"):
        assert name in html
    assert 'id="compare"' in html
    assert "起付3,000元" in html  # 广西 低保边缘 (from the engine)


def test_region_page_has_tables_citations_and_charts(client):
    html = client.get("/policies/guangxi").text
    assert "桂政办发〔2022〕5号" in html
    assert html.count("<svg class=\"chart\"") >= 2
    assert len(re.findall(r'<path class="series"', html)) >= 6
    assert "起付线" in html and "年度限额" in html


def test_static_files(client):
    css = client.get("/static/app.css")
    assert css.status_code == 200 and "@media print" in css.text
    js = client.get("/static/app.js")
    assert js.status_code == 200 and "/chat/part" in js.text


def test_oversized_form(client):
    r = client.post("/cadre", data={"region": "x" * (300 * 1024)})
    assert r.status_code == 413
