"""Questions that found no good answer, kept in SQLite for the helpdesk (no personal data).

Table ``faq_misses``: ``key`` (hash of text + region), ``question`` (normalised text, at most 100
characters, redacted — see `clean_question`), ``region``, ``count``, ``first_seen``,
``last_seen`` (UTC, ISO seconds).  Nothing else about the asker is stored, and a row goes with the
conversations when the retention period is over (`purge_misses`, called by the chat's store).

What people type holds names, addresses and numbers ("我叫张三，住幸福村三组，电话一三八…"):
before anything is written every digit run in any script (Arabic, full-width, other scripts'
digits, runs of Chinese numerals such as 一三八零零), every e-mail address, the name after "我叫 /
姓名 / 名字是 …" or before "先生 / 女士 / 大爷 …", and the place name before 村 / 组 / 路 / 小区 …
is replaced by a placeholder. Then only the words the knowledge base itself uses are kept
(`known`, the search index's vocabulary); every other word becomes "…". Patterns alone cannot
catch a bare name ("帮我妈李秀英问问"), so what is stored is the question's topic in the knowledge
base's words, never the asker's free text.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
import unicodedata
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import sqlite_utils

from .text import has_content, normalize, scrub_digits, tokenizer

TABLE = "faq_misses"
MAX_CHARS = 100
_EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# any script's decimal digits (\d is Unicode-aware), with the separators people put in numbers
_DIGITS_RE = re.compile(r"\d(?:[\s\-.,/:_]*\d)*[xX]?")
_CN_NUMERAL_RE = re.compile(r"[〇零一二三四五六七八九十百千万亿两幺壹贰叁肆伍陆柒捌玖拾佰仟#]{2,}")
_HAN = r"[\u3400-\u9fff]"
_NAME_AFTER_RE = re.compile(rf"(我叫|名叫|叫做|姓名[是为:：]?|名字[是叫:：]?|本人)\s*{_HAN}{{1,4}}")
_NAME_BEFORE_RE = re.compile(rf"{_HAN}{{1,3}}(先生|女士|小姐|老师|师傅|大爷|大妈|大娘|阿姨|老汉|奶奶|爷爷)")
_PLACE_RE = re.compile(rf"{_HAN}{{1,6}}?(村委会|村|组|社区|小区|街道|大道|路|街|巷|弄|栋|幢|单元|屯|寨)(?=[^\u3400-\u9fff]|$|{_HAN})")
# a segment of its own (between spaces or punctuation) of a common surname and one or two more
# characters is most likely a name ("张三 南宁 …"); losing a rare topic word is the safe side
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
_LONE_NAME_RE = re.compile(rf"(?:(?<=^)|(?<=[\s,，。；;：:、!！?？]))[{_SURNAMES}]{_HAN}{{1,2}}(?=[\s,，。；;：:、!！?？]|$)")
_PLACEHOLDER = "#"


def clean_question(q: str) -> str:
    """Normalised question text safe to keep: no number in any script, no e-mail, no name after
    or before the words that introduce one, no village / street name, ≤ 100 characters."""
    text = unicodedata.normalize("NFKC", q or "")
    text = _EMAIL_RE.sub(_PLACEHOLDER, text)
    text = _DIGITS_RE.sub(_PLACEHOLDER, text)           # before normalize turns 十五万 into 15万 …
    text = _DIGITS_RE.sub(_PLACEHOLDER, normalize(text))  # … and after it
    text = scrub_digits(text, _PLACEHOLDER)
    text = _CN_NUMERAL_RE.sub(_PLACEHOLDER, text)
    text = _NAME_AFTER_RE.sub(lambda m: m.group(1) + "某某", text)
    text = _NAME_BEFORE_RE.sub(lambda m: "某" + m.group(1), text)
    text = _PLACE_RE.sub(lambda m: "某" + m.group(1), text)
    text = _LONE_NAME_RE.sub("某某", text)
    text = re.sub(r"#+", _PLACEHOLDER, text)
    return text[:MAX_CHARS].strip()


_UNKNOWN = "…"
_KEEP_CHARS = set(_PLACEHOLDER + "某，。？！、；：,.?!;:")


def topic_words(text: str, known: Callable[[str], bool]) -> str:
    """`text` with every word the knowledge base does not use replaced by "…" (runs folded).
    A single character is kept only if it is punctuation or a placeholder: a name split into
    characters by the tokenizer must not survive one character at a time."""
    out: list[str] = []
    for word in tokenizer().lcut(text):
        if word.isspace():
            continue
        keep = word in _KEEP_CHARS or (len(word) > 1 and known(word))
        piece = word if keep else _UNKNOWN
        if piece == _UNKNOWN and out and out[-1] == _UNKNOWN:
            continue
        out.append(piece)
    return "".join(out).strip()


def purge_misses(conn: sqlite3.Connection, cutoff: float) -> int:
    """Delete misses not asked again since `cutoff` (seconds since the epoch). Returns how many."""
    if not conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (TABLE,)).fetchone():
        return 0
    stamp = datetime.fromtimestamp(cutoff, timezone.utc).replace(microsecond=0).isoformat()
    return conn.execute(f"DELETE FROM {TABLE} WHERE last_seen < ?", (stamp,)).rowcount or 0


def _db(db_path: str | Path) -> sqlite_utils.Database:
    db = sqlite_utils.Database(sqlite3.connect(str(db_path), timeout=10))
    if TABLE not in db.table_names():
        db[TABLE].create(
            {
                "key": str,
                "question": str,
                "region": str,
                "count": int,
                "first_seen": str,
                "last_seen": str,
            },
            pk="key",
            not_null={"question", "count", "first_seen", "last_seen"},
            if_not_exists=True,
        )
        db[TABLE].create_index(["count"], if_not_exists=True)
    return db


def log_miss(db_path: str | Path, q: str, region: str | None = None, *,
             known: Callable[[str], bool]) -> str | None:
    """Record (or count again) a question without a good answer, in the knowledge base's words
    only (`known`: is this a word of the search index?).  Returns the stored text."""
    text = topic_words(clean_question(q), known)
    if not text or not has_content(text.replace(_UNKNOWN, "")):
        return None
    region = (region or "").strip() or None
    key = hashlib.sha1(f"{region or ''}\x00{text}".encode("utf-8")).hexdigest()
    now = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
    db = _db(db_path)
    with db.conn:
        db.execute(
            f"INSERT INTO {TABLE} (key, question, region, count, first_seen, last_seen) "
            "VALUES (?, ?, ?, 1, ?, ?) "
            "ON CONFLICT(key) DO UPDATE SET count = count + 1, last_seen = excluded.last_seen",
            [key, text, region, now, now],
        )
    db.conn.close()
    return text


def list_misses(db_path: str | Path, limit: int = 50) -> list[dict]:
    """Most frequent unanswered questions first (then the most recent)."""
    if not Path(db_path).exists():
        return []
    db = _db(db_path)
    rows = list(
        db.query(
            f"SELECT question, region, count, first_seen, last_seen FROM {TABLE} "
            "ORDER BY count DESC, last_seen DESC LIMIT ?",
            [max(1, int(limit))],
        )
    )
    db.conn.close()
    return rows
