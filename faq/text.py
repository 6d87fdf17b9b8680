"""Text handling for the FAQ search: normalisation, synonyms, region words, terms.

Everything here is pure Python and deterministic.  The same pipeline is applied to the
knowledge-base texts (at index time) and to the user's question (at query time), so that a
colloquial word, a homophone typo or a full-width character lands on the same terms on both sides.
"""

from __future__ import annotations

import html
import logging
import re
import threading
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

import engine
from bot.understand.numerals import parse_numeral
from engine import load_policies

DATA_DIR = Path(__file__).parent / "data"
SYNONYMS_FILE = DATA_DIR / "synonyms.yaml"

# The regions are the policy files found (engine.REGIONS); their names come from those files.
REGIONS = engine.REGIONS
REGION_NAMES = {code: r.short_name for code, r in load_policies().regions.items()}

# Longest input kept for searching (characters, after normalisation).
MAX_QUERY_CHARS = 200

_TAG_RE = re.compile(r"<[^>]{0,2000}>")
_SCRIPT_RE = re.compile(r"<(script|style)\b.*?</\1\s*>", re.I | re.S)
_WS_RE = re.compile(r"\s+")
_CJK_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_CJK_RUN_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_ALNUM_RE = re.compile(r"[0-9a-z]")
# Runs of 6+ digits (ID numbers, phone numbers, bank cards), also with spaces or dashes inside.
_DIGIT_RUN_RE = re.compile(r"\d(?:[\s\-]?\d){5,}[xX]?")

# Polite fillers and question frames that carry no meaning for matching.
_FILLERS = (
    "请问一下", "请问", "问一下", "我想问一下", "我想问问", "我想问", "想问一下", "想问问", "想问",
    "想咨询一下", "咨询一下", "打听一下", "到底", "究竟", "你好", "您好", "麻烦", "谢谢", "老师", "同志",
    "领导", "帮我看看", "帮忙看看", "帮我查查", "请教", "急急急", "在线等", "哈哈",
    # who in the family is ill says nothing about the answer (俺家老头子是低保户 → 是低保户)
    "俺家", "老头子", "老太太", "老伴", "我妈", "我爸", "我爹", "我娘", "我老公", "我老婆", "我媳妇",
    # where the asker stands and "if" tails (安康这边没参加医保的话 → 安康没参加医保)
    "我们这边", "咱们这边", "这边", "那边", "的话",
)

_STOPWORDS = frozenset(
    """的 了 吗 呢 啊 吧 呀 嘛 哦 哈 么 嗯 噢 哪 着 过 也 都 就 还 又 和 与 及 或 跟 而 并 被 把 给 让
    我 我们 我家 俺 咱 咱们 你 你们 您 他 她 它 他们 她们 这 那 这个 那个 这些 那些 这种 那种 一个 一下
    是 不是 是不是 有没有 能不能 可不可以 会不会 在 去 来 到 说 讲 问 想 要 得 地 之 其 该 啥 个 些 点
    怎么 怎样 如何 什么 为什么 咋 咋办 怎么办 怎么样 如何办 吗 呢 么 是否 可否 请 问题 一些 有点""".split()
)

_PUNCT_CATS = ("P", "S", "Z", "C")


def _is_noise_char(ch: str) -> bool:
    """Punctuation, symbols (emoji included), separators and control characters."""
    return unicodedata.category(ch)[0] in _PUNCT_CATS


def strip_html(text: str) -> str:
    text = _SCRIPT_RE.sub(" ", text)
    text = _TAG_RE.sub(" ", text)
    return html.unescape(text)


_CN_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
_CN_NUM = "零一二两三四五六七八九十百千"
_CN_AMOUNT_RE = re.compile(f"([{_CN_NUM}]+)(?=万|元|块)")
_CN_PERCENT_RE = re.compile(f"百分之([{_CN_NUM}]+)")
_CN_TENTHS_RE = re.compile("([一二三四五六七八九])成")
# 住/出 + 了/过 + up to six characters (a duration, 的) + 院: "住了半个月院", "住过两次院", "出了院"
_SPLIT_VERB_RE = re.compile(r"(住|出)(?:了|过)[^\s,，.。!！?？;；住出院]{0,6}?院")
_IN_CHARGE_RE = re.compile(r"(?:是谁|谁|哪个部门|哪个单位)?(?<![尽不只别])管([^\s,，.。!！?？;；的]{2,6})的(?:是|部门|单位)")
_ORDER_RE = re.compile(r"先(?:走|报|用|办)?([^\s,，.。!！?？;；还]{1,6})还是(?:先(?:走|报|用|办)?)?([^\s,，.。!！?？;；]{1,6})")
_THOUSANDS_RE = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")


def cn_to_int(s: str) -> int | None:
    """十五 → 15, 两千 → 2000, 三千五 → 3500, 一百二十 → 120; None if not an exact whole number. The
    project's one reader of Chinese numerals (bot/understand/numerals.py), as the chat reads them."""
    read = parse_numeral(s) if s else None
    if read is None or read[1] or read[0] != read[0].to_integral_value():
        return None
    return int(read[0])


def _cn_numbers(text: str) -> str:
    """Chinese numerals before 万/元/块, 百分之N and N成 become digits (十五万 → 15万, 九成 → 90%)."""
    if not any(c in _CN_DIGITS or c in _CN_UNITS for c in text):
        return text

    def amount(m: re.Match) -> str:
        n = cn_to_int(m.group(1))
        return m.group(0) if n is None else str(n)

    def percent(m: re.Match) -> str:
        n = cn_to_int(m.group(1))
        return m.group(0) if n is None else f"{n}%"

    text = _CN_PERCENT_RE.sub(percent, text)
    text = _CN_AMOUNT_RE.sub(amount, text)
    return _CN_TENTHS_RE.sub(lambda m: f"{_CN_DIGITS[m.group(1)] * 10}%", text)


# Traditional characters common in these questions → simplified (so 低保戶 finds 低保户).
_TRAD = str.maketrans(
    "來個們備傾優兒內兩劃務區參員問啟單嗎圍報塊壓學實審將專對層屬師帳幫幾廣張後從慶應戶撫擇據時會條業構標樣機檢權歡歲殘氣況測準濟灣為烏無熱狀異當療癥發監確碼筆範籌紙級結絡給統經網線緣縣總繫繼續罰聯職聽腎臺與萬蓋藥處號術衛補見親觀計託診詐話該認說請謝證議護讓貧費貼資質賬車軍轉辦農這連進過選還邊鄉鄰醫銀銷錢鎮長門開間關際隨險雙難雲電預頭題額類養騙體魯麼齡",
    "来个们备倾优儿内两划务区参员问启单吗围报块压学实审将专对层属师账帮几广张后从庆应户抚择据时会条业构标样机检权欢岁残气况测准济湾为乌无热状异当疗症发监确码笔范筹纸级结络给统经网线缘县总系继续罚联职听肾台与万盖药处号术卫补见亲观计托诊诈话该认说请谢证议护让贫费贴资质账车军转办农这连进过选还边乡邻医银销钱镇长门开间关际随险双难云电预头题额类养骗体鲁么龄",
)


def normalize(text: str) -> str:
    """Full-width → half-width (NFKC), HTML removed, lower case, common traditional characters
    simplified, whitespace collapsed,
    thousands separators dropped (2,000 → 2000), Chinese amounts as digits (十五万 → 15万)."""
    if not text:
        return ""
    text = strip_html(str(text))
    text = unicodedata.normalize("NFKC", text).lower().translate(_TRAD)
    text = _THOUSANDS_RE.sub("", text)
    text = _cn_numbers(text)
    return _WS_RE.sub(" ", text).strip()


def has_content(norm: str) -> bool:
    """True when the normalised text has at least one Chinese character, letter or digit."""
    return bool(_CJK_RE.search(norm) or _ALNUM_RE.search(norm))


def strip_fillers(norm: str) -> str:
    for f in _FILLERS:
        if f in norm:
            norm = norm.replace(f, " ")
    return norm


def scrub_digits(text: str, placeholder: str = "#") -> str:
    """Replace runs of 6+ digits (IDs, phone or card numbers) by a placeholder."""
    return _DIGIT_RUN_RE.sub(placeholder, text)


# ---------------------------------------------------------------------------------------------
# Synonyms and region words (faq/data/synonyms.yaml)


def _longest_first(words) -> str:
    """An alternation of the words, longest first, so the longest word at a place matches."""
    return "|".join(re.escape(w) for w in sorted(words, key=lambda w: (-len(w), w)))


@dataclass
class Lexicon:
    synonyms: dict[str, str] = field(default_factory=dict)  # colloquial → canonical
    region_words: dict[str, str] = field(default_factory=dict)  # word → region code
    user_words: list[str] = field(default_factory=list)  # extra words for jieba
    negatable: list[str] = field(default_factory=list)  # words whose negation is its own term
    identities: list[str] = field(default_factory=list)  # identity words (canonical)
    classes: dict[str, str] = field(default_factory=dict)  # word → meaning class (amount, where …)
    care: dict[str, str] = field(default_factory=dict)  # word → kind of care (inpatient, outpatient)
    elsewhere: list[str] = field(default_factory=list)  # phrases of questions no entry answers
    # words that ask (能报, 几次, 怎么, 找谁) but name no subject: sharing only these is no sure match
    asking_words: frozenset = frozenset()
    _elsewhere_re: re.Pattern | None = None
    _care_re: re.Pattern | None = None
    identity_set: frozenset[str] = frozenset()
    _class_re: re.Pattern | None = None
    _syn_re: re.Pattern | None = None
    _region_re: re.Pattern | None = None
    _neg_re: re.Pattern | None = None
    _id_re: re.Pattern | None = None
    _homophones: dict[tuple[str, str], list[tuple[tuple[str, ...], str]]] = field(default_factory=dict)

    def compile(self) -> "Lexicon":
        # lexicon words by the pinyin of their first two characters, longest first
        words = {w for w in (*self.synonyms, *self.synonyms.values(), *self.user_words)
                 if len(w) >= 2 and _CJK_RUN_RE.fullmatch(w)}
        self._homophones = {}
        for w in sorted(words, key=lambda x: (-len(x), x)):
            py = tuple(char_pinyin(c) for c in w)
            self._homophones.setdefault(py[:2], []).append((py, w))
        if self.synonyms:
            self._syn_re = re.compile(_longest_first(self.synonyms))
        if self.region_words:
            self._region_re = re.compile(_longest_first(self.region_words))
        if self.negatable:
            words = _longest_first(self.negatable)
            self._neg_re = re.compile(rf"(?<!是)(?P<neg>并不是|也不是|不是|并非|不算|不属于|没有|没办|没|非|无|不)(?:的|在|去|办|参加|做|评上|评)?({words})")
        if self.care:
            self._care_re = re.compile(_longest_first(self.care))
        if self.elsewhere:
            self._elsewhere_re = re.compile(_longest_first(self.elsewhere))
        if self.classes:
            self._class_re = re.compile(_longest_first(self.classes))
        self.identity_set = frozenset(self.identities)
        if self.identities:
            self._id_re = re.compile(_longest_first(self.identities))
        return self

    def negated(self, norm: str) -> list[tuple[int, int, str]]:
        """(start, end, word) of each negated word ("不是低保户" → 低保); "是不是低保" negates nothing."""
        if self._neg_re is None:
            return []
        return [(m.start(2), m.end(2), m.group(2)) for m in self._neg_re.finditer(norm)
                if not _a_not_a(norm, m.start(), m.group("neg"))]

    def asks_elsewhere(self, norm: str) -> bool:
        """The text asks about another benefit (低保一个月发多少钱: a monthly payment), not medical assistance."""
        return self._elsewhere_re is not None and self._elsewhere_re.search(norm) is not None

    def classes_in(self, norm: str) -> list[str]:
        """Meaning classes the text asks about (多少/几成/报多少 → amount, 哪里/找谁 → where)."""
        if self._class_re is None:
            return []
        return list(dict.fromkeys(self.classes[m.group(0)] for m in self._class_re.finditer(norm)))

    def identities_in(self, norm: str, negated: list | None = None) -> frozenset[str]:
        """Identity words the text names, negated ones left out (``negated``: of ``norm``, if known)."""
        if self._id_re is None:
            return frozenset()
        neg = [(s, e) for s, e, _w in (self.negated(norm) if negated is None else negated)]
        return frozenset(m.group(0) for m in self._id_re.finditer(norm)
                         if not any(s <= m.start() < e for s, e in neg))

    def care_in(self, norm: str, negated: list | None = None) -> frozenset[str]:
        """Kinds of care the text names (住院 → inpatient, 门诊 → outpatient), negated ones left out."""
        if self._care_re is None:
            return frozenset()
        neg = [(s, e) for s, e, _w in (self.negated(norm) if negated is None else negated)]
        return frozenset(self.care[m.group(0)] for m in self._care_re.finditer(norm)
                         if not any(s <= m.start() < e for s, e in neg))

    def apply_synonyms(self, norm: str) -> str:
        # a separable verb with words inside ("住了半个月院", "出了院") is the plain word
        norm = _SPLIT_VERB_RE.sub(r"\1院", norm)
        # "管医疗救助的是医保局还是民政局" asks who is in charge, not where to go
        norm = _IN_CHARGE_RE.sub(r"\1归哪个部门管 ", norm)
        # "先走医保还是先走救助" asks for the order of the two
        norm = _ORDER_RE.sub(r"\1 \2 谁先谁后 ", norm)
        if self._syn_re is None:
            return norm
        # two passes: a typo can land on a colloquial form (特因人员 → 特困人员 → 特困)
        for _ in range(2):
            new = self._syn_re.sub(lambda m: self.synonyms[m.group(0)], norm)
            if new == norm:
                break
            norm = new
        return norm

    def correct_homophones(self, norm: str, known=None) -> str:
        """Replace a span that sounds like a lexicon word but is written otherwise (底保 → 低保,
        五宝户 → 五保户, 医撩 → 医疗).  ``known(span)`` may veto spans that are real words."""
        if not self._homophones or not _CJK_RE.search(norm):
            return norm
        chars = list(norm)
        py = [char_pinyin(c) if _CJK_RE.match(c) else "" for c in chars]
        i, out = 0, []
        n = len(chars)
        while i < n:
            hit = None
            if py[i] and i + 1 < n and py[i + 1]:
                for wpy, w in self._homophones.get((py[i], py[i + 1]), ()):
                    k = len(wpy)
                    if i + k <= n and tuple(py[i : i + k]) == wpy:
                        span = "".join(chars[i : i + k])
                        if span != w and (known is None or not known(span)):
                            hit = w
                        elif span == w:
                            hit = span
                        if hit:
                            break
            if hit:
                out.append(hit)
                i += len(hit)
            else:
                out.append(chars[i])
                i += 1
        return "".join(out)

    def regions_in(self, norm: str) -> list[str]:
        """Region codes named in the text, in order of first mention, without repeats."""
        if self._region_re is None:
            return []
        out: list[str] = []
        for m in self._region_re.finditer(norm):
            code = self.region_words[m.group(0)]
            if code not in out:
                out.append(code)
        return out

    def strip_regions(self, norm: str) -> str:
        if self._region_re is None:
            return norm
        return self._region_re.sub(" ", norm)


def _a_not_a(norm: str, start: int, neg: str) -> bool:
    """A question of the form A不A / A没A ("有没有起付线", "算不算低保", "属不属于特困"): the word
    after it is asked about, not denied."""
    verb = neg.lstrip("并也")[1:2]
    return bool(verb) and start > 0 and norm[start - 1] == verb


def load_lexicon(path: Path = SYNONYMS_FILE) -> Lexicon:
    """Read synonyms.yaml: ``synonyms: {canonical: [variants]}``, ``regions: {code: [words]}``."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    lex = Lexicon()
    for canonical, variants in (raw.get("synonyms") or {}).items():
        canonical = normalize(str(canonical))
        for v in variants or []:
            v = normalize(str(v))
            if v and v != canonical:
                if lex.synonyms.get(v, canonical) != canonical:
                    raise ValueError(f"{path.name}: {v!r} is listed under {lex.synonyms[v]!r} and {canonical!r}")
                lex.synonyms[v] = canonical
        # the canonical word maps to itself, so that a shorter variant inside it (起付 in 起付线)
        # is not replaced again
        if lex.synonyms.get(canonical, canonical) != canonical:
            raise ValueError(f"{path.name}: canonical {canonical!r} is also a variant of {lex.synonyms[canonical]!r}")
        lex.synonyms[canonical] = canonical
        lex.user_words.append(canonical)
    for code, words in (raw.get("regions") or {}).items():
        if code not in REGIONS:
            raise ValueError(f"{path.name}: unknown region code in regions: {code!r}")
        for w in words or []:
            lex.region_words[normalize(str(w))] = code
    lex.user_words.extend(normalize(str(w)) for w in (raw.get("words") or []))
    lex.negatable = [normalize(str(w)) for w in raw.get("negatable") or []]
    lex.identities = [normalize(str(w)) for w in raw.get("identities") or []]
    lex.elsewhere = [normalize(str(w)) for w in raw.get("elsewhere") or []]
    lex.asking_words = frozenset(normalize(str(w)) for w in raw.get("asking_words") or [])
    for kind, words in (raw.get("care") or {}).items():
        for w in words or []:
            lex.care[normalize(str(w))] = str(kind)
    for cls, words in (raw.get("classes") or {}).items():
        for w in words or []:
            lex.classes[normalize(str(w))] = str(cls)
    return lex.compile()


# ---------------------------------------------------------------------------------------------
# Tokenisation (jieba) and pinyin (pypinyin)

_jieba_lock = threading.Lock()
_tokenizer = None
_added_words: set[str] = set()


def tokenizer(user_words: tuple[str, ...] = ()):
    """A private jieba Tokenizer (the global one is left alone), initialised once and quietly;
    words of the lexicon and the entries' tags are added to its dictionary."""
    global _tokenizer
    with _jieba_lock:
        if _tokenizer is None:
            import jieba

            jieba.setLogLevel(logging.WARNING)
            logging.getLogger("jieba").setLevel(logging.WARNING)
            tk = jieba.Tokenizer()
            tk.initialize()
            _tokenizer = tk
        for w in user_words:
            if w and len(w) > 1 and w not in _added_words:
                _tokenizer.add_word(w, freq=200000)
                _added_words.add(w)
    return _tokenizer


@lru_cache(maxsize=65536)
def char_pinyin(ch: str) -> str:
    """Tone-less pinyin of one character (context-free, so index and query agree)."""
    from pypinyin import lazy_pinyin

    out = lazy_pinyin(ch)
    return out[0] if out else ch


def analyze_negated(norm: str, tk, negated: list[tuple[int, int, str]],
                    classes: list[str] = ()) -> dict[str, float]:
    """analyze(), with each negated word's terms replaced by one ``n:`` term ("不是特殊病"), and
    one ``c:`` term per meaning class the text asks about (``classes``)."""
    terms = analyze(norm, tk)
    for cls in classes:
        terms["c:" + cls] = 1.0
    for _s, _e, word in negated:
        for key in analyze(word, tk):
            if key in terms:
                terms[key] -= 1.0
                if terms[key] <= 0:
                    del terms[key]
        terms["n:" + word] = terms.get("n:" + word, 0.0) + 1.0
    return terms


def analyze(norm: str, tk) -> dict[str, float]:
    """Weighted terms of an already normalised, synonym-mapped, region-stripped text.

    - ``w:`` jieba words (search mode), stop words dropped;
    - ``b:`` character bigrams inside runs of Chinese characters (robust to segmentation);
    - ``p:`` pinyin bigrams of the same pairs (catches homophone typos such as 底保 → 低保);
    - ``q:`` pinyin of whole words of two or more Chinese characters (低宝 → di_bao, as 低保).
    """
    terms: dict[str, float] = {}
    for w in tk.cut_for_search(norm):
        w = w.strip()
        if not w or w in _STOPWORDS:
            continue
        if len(w) == 1 and not (_CJK_RE.match(w) or w.isdigit()):
            continue
        if all(_is_noise_char(c) for c in w):
            continue
        key = "w:" + w
        terms[key] = terms.get(key, 0.0) + 1.0
        if len(w) >= 2 and _CJK_RUN_RE.fullmatch(w):
            kq = "q:" + "_".join(char_pinyin(c) for c in w)
            terms[kq] = terms.get(kq, 0.0) + 1.0
    for run in _CJK_RUN_RE.findall(norm):
        chars = [c for c in run]
        for a, b in zip(chars, chars[1:]):
            if a in _STOPWORDS and b in _STOPWORDS:
                continue
            kb = "b:" + a + b
            terms[kb] = terms.get(kb, 0.0) + 1.0
            kp = "p:" + char_pinyin(a) + "_" + char_pinyin(b)
            terms[kp] = terms.get(kp, 0.0) + 1.0
    return terms


PINYIN_WORD_RE = re.compile(r"[a-z]{2,40}")


def segment_pinyin(word: str, syllables: frozenset[str] | set[str]) -> list[str] | None:
    """Split toneless pinyin typed in letters ("dibaozhuyuan") into known syllables, fewest first."""
    n = len(word)
    best: list[list[str] | None] = [None] * (n + 1)
    best[0] = []
    for i in range(n):
        if best[i] is None:
            continue
        for j in range(min(n, i + 6), i, -1):
            syl = word[i:j]
            if syl in syllables and (best[j] is None or len(best[j]) > len(best[i]) + 1):
                best[j] = best[i] + [syl]
    return best[n]


def compact(norm: str) -> str:
    """Text for fuzzy string comparison: noise characters and stop characters removed."""
    return "".join(c for c in norm if not _is_noise_char(c) and c not in "的了吗呢啊吧呀嘛")
