"""Unanswered questions are logged to SQLite without personal data."""

import re
import sqlite3

import faq
from faq.misses import clean_question, list_misses, log_miss, topic_words

ANY_WORD = lambda word: True  # noqa: E731 - for the tests of counting and redaction alone


def test_log_and_count(tmp_path):
    db = tmp_path / "m.db"
    assert log_miss(db, "我家房子塌了能救助吗", "ankang", known=ANY_WORD) == "我家房子…救助…"  # one-character words go
    log_miss(db, "我家房子塌了能救助吗", "ankang", known=ANY_WORD)
    log_miss(db, "我家房子塌了能救助吗", None, known=ANY_WORD)
    log_miss(db, "狗咬了打疫苗报销吗", None, known=ANY_WORD)
    rows = list_misses(db)
    assert rows[0]["question"] == "我家房子…救助…"
    assert rows[0]["region"] == "ankang" and rows[0]["count"] == 2
    assert rows[0]["first_seen"] <= rows[0]["last_seen"]
    assert {(r["question"], r["region"], r["count"]) for r in rows[1:]} == {
        ("我家房子…救助…", None, 1),
        ("…疫苗报销…", None, 1),
    }
    assert len(list_misses(db, limit=1)) == 1
    cols = [r[1] for r in sqlite3.connect(db).execute("PRAGMA table_info(faq_misses)")]
    assert {"question", "region", "count", "first_seen", "last_seen"} <= set(cols)


def test_no_digit_runs_or_email_stored(tmp_path):
    db = tmp_path / "m.db"
    q = "我身份证号51010219800101123X 电话138-1234-5678 卡号6222 0200 1234 5678 邮箱a.b@qq.com 住院花了2000元"
    stored = log_miss(db, q, "xizang", known=ANY_WORD)
    assert stored is not None
    assert not re.search(r"\d{6,}", stored)
    assert "@" not in stored
    assert "住院…#" in stored  # every digit run goes, amounts too (issue 11: digits in any script)
    raw = sqlite3.connect(db).execute("SELECT question FROM faq_misses").fetchall()
    for (text,) in raw:
        assert not re.search(r"\d[\s-]?\d[\s-]?\d[\s-]?\d[\s-]?\d[\s-]?\d", text)


def test_truncated_and_normalised(tmp_path):
    db = tmp_path / "m.db"
    stored = log_miss(db, "<b>ＡＢＣ</b>" + "问" * 1000, None, known=ANY_WORD)
    assert len(stored) <= 200
    assert stored.startswith("abc")
    assert clean_question("  多个   空格  ") == "多个 空格"


def test_nothing_logged_for_empty(tmp_path):
    db = tmp_path / "m.db"
    assert log_miss(db, "", None, known=ANY_WORD) is None
    assert log_miss(db, "😀😀", None, known=ANY_WORD) is None
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
    assert len(rows) == 1
    # only the knowledge base's own words are kept: not the asker's words, not the number
    assert "布达拉宫" not in rows[0]["question"] and "天气" not in rows[0]["question"]
    assert "13812345678" not in rows[0]["question"] and "…" in rows[0]["question"]
    faq.search("", miss_db=db)  # bad input is not a question to review
    assert len(list_misses(db)) == 1


def test_a_bare_name_is_never_kept(tmp_path):
    """Patterns cannot find every name; keeping only the knowledge base's words does."""
    db = tmp_path / "m.db"
    faq.search("帮我妈李秀英问问低保住院押金能免吗 她住幸福村三组 王建国", miss_db=db)
    faq.search("我叫张三，得了尿毒症，医保报完还要自己出两万多，能申请救助吗", miss_db=db)
    stored = " ".join(r["question"] for r in list_misses(db))
    for personal in ("李秀英", "秀英", "幸福村", "王建国", "建国", "张三", "两万"):
        assert personal not in stored, (personal, stored)
    assert "低保" in stored and "尿毒症" in stored  # the topic, in the knowledge base's words


def test_topic_words_folds_unknown_runs():
    known = {"低保", "住院"}.__contains__
    assert topic_words("李秀英低保住院", known) == "…低保住院"
    assert topic_words("李 秀 英", known) == "…"
