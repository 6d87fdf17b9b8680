"""Unanswered questions are logged to SQLite without personal data."""

import re
import sqlite3

import faq
from faq.misses import clean_question, list_misses, log_miss


def test_log_and_count(tmp_path):
    db = tmp_path / "m.db"
    assert log_miss(db, "我家房子塌了能救助吗", "ankang") == "我家房子塌了能救助吗"
    log_miss(db, "我家房子塌了能救助吗", "ankang")
    log_miss(db, "我家房子塌了能救助吗", None)
    log_miss(db, "狗咬了打疫苗报销吗", None)
    rows = list_misses(db)
    assert rows[0]["question"] == "我家房子塌了能救助吗"
    assert rows[0]["region"] == "ankang" and rows[0]["count"] == 2
    assert rows[0]["first_seen"] <= rows[0]["last_seen"]
    assert {(r["question"], r["region"], r["count"]) for r in rows[1:]} == {
        ("我家房子塌了能救助吗", None, 1),
        ("狗咬了打疫苗报销吗", None, 1),
    }
    assert len(list_misses(db, limit=1)) == 1
    cols = [r[1] for r in sqlite3.connect(db).execute("PRAGMA table_info(faq_misses)")]
    assert {"question", "region", "count", "first_seen", "last_seen"} <= set(cols)


def test_no_digit_runs_or_email_stored(tmp_path):
    db = tmp_path / "m.db"
    q = "我身份证号51010219800101123X 电话138-1234-5678 卡号6222 0200 1234 5678 邮箱a.b@qq.com 住院花了2000元"
    stored = log_miss(db, q, "xizang")
    assert stored is not None
    assert not re.search(r"\d{6,}", stored)
    assert "@" not in stored
    assert "住院花了#元" in stored  # every digit run goes, amounts too (issue 11: digits in any script)
    raw = sqlite3.connect(db).execute("SELECT question FROM faq_misses").fetchall()
    for (text,) in raw:
        assert not re.search(r"\d[\s-]?\d[\s-]?\d[\s-]?\d[\s-]?\d[\s-]?\d", text)


def test_truncated_and_normalised(tmp_path):
    db = tmp_path / "m.db"
    stored = log_miss(db, "<b>ＡＢＣ</b>" + "问" * 1000, None)
    assert len(stored) <= 200
    assert stored.startswith("abc")
    assert clean_question("  多个   空格  ") == "多个 空格"


def test_nothing_logged_for_empty(tmp_path):
    db = tmp_path / "m.db"
    assert log_miss(db, "", None) is None
    assert log_miss(db, "😀😀", None) is None
    assert list_misses(db) == []


def test_list_missing_db(tmp_path):
    assert list_misses(tmp_path / "nope.db") == []


def test_search_logs_only_unanswered(tmp_path):
    db = tmp_path / "m.db"
    r = faq.search("西藏低保户住院能报多少", miss_db=db)
    assert r.confident
    assert list_misses(db) == []
    r = faq.search("今天拉萨天气怎么样，适合去布达拉宫玩吗 电话13812345678", miss_db=db)
    assert not r.confident
    rows = list_misses(db)
    assert len(rows) == 1 and "布达拉宫" in rows[0]["question"]
    assert "13812345678" not in rows[0]["question"]
    faq.search("", miss_db=db)  # bad input is not a question to review
    assert len(list_misses(db)) == 1
