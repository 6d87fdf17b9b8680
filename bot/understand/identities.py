"""Which assistance identities a message names (find_identities).

Exact words come from bot/data/lexicon.yaml (longest match wins, a negation right before a word
cancels it).  Typos are caught in three ways: known misspellings (unsure), homophones by toneless
pinyin for a few short keys (confident: 底保 -> 低保), and one wrong character in longer keys
(unsure: 特因户 -> 特困户)."""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass, field
from functools import lru_cache

from engine.vocabulary import IDENTITIES, MONITORED

from ._data import load_yaml
from .normalize import compact, strip_punct
from .pinyin import pinyin_seq

CODES = IDENTITIES  # the identity codes common.yaml declares, in the contract's order

# kinds of entries in the phrase table
EXACT, UNSURE, MONITOR, VAGUE = "exact", "unsure", "monitored", "vague"

_GRADE_RE = re.compile(r"([一二三四1-4壹贰叁肆])(?:级|等)")
_GRADE_VAL = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4, "壹": 1, "贰": 2, "叁": 3, "肆": 4}
_QUESTION_BEFORE = ("是不是", "是否", "算不算", "属不属于", "能不能", "有没有")


@dataclass
class IdentityMatch:
    codes: list[str] = field(default_factory=list)          # confident identity codes, in text order
    none: bool = False                                       # the user said "none of these"
    unsure: list[tuple[str, str]] = field(default_factory=list)  # (phrase as typed, code): ask "您是说…吗？"
    facts: dict = field(default_factory=dict)                # disability_grade, disability_kind, veteran_kind
    notes: list[str] = field(default_factory=list)          # short Chinese explanations
    monitored: bool = False                                  # a monitored type was named without saying which
    negated: list[str] = field(default_factory=list)        # codes the user explicitly denied (不是低保户)
    corrections: list[tuple[str, str]] = field(default_factory=list)  # (typed, canonical) homophone fixes

    @property
    def found(self) -> bool:
        return bool(self.codes or self.unsure)


@dataclass(frozen=True)
class _Entry:
    phrase: str
    code: str
    kind: str
    facts: tuple = ()
    note: str | None = None
    when: tuple = ()  # a vague word's likelier code when other words are said too: ((code, words), …)


class _Lexicon:
    def __init__(self) -> None:
        d = load_yaml("lexicon.yaml")
        self.entries: dict[str, _Entry] = {}
        self.homophones: list[tuple[tuple[str, ...], str, str]] = []   # (pinyin, code, key)
        self.fuzzy: list[tuple[str, str]] = []                          # (key, code)
        self.labels: dict[str, str] = {}
        for code, spec in d["identities"].items():
            self.labels[code] = spec.get("label", code)
            facts = spec.get("facts", {}) or {}
            notes = spec.get("notes", {}) or {}
            for p in spec.get("phrases", []) or []:
                self._add(_Entry(p, code, EXACT, tuple(sorted((facts.get(p) or {}).items())), notes.get(p)))
            for p in (spec.get("unsure", []) or []) + (spec.get("typos", []) or []):
                self._add(_Entry(p, code, UNSURE, tuple(sorted((facts.get(p) or {}).items())), notes.get(p)))
            for k in spec.get("homophones", []) or []:
                self.homophones.append((pinyin_seq(k), code, k))
            for k in spec.get("fuzzy", []) or []:
                self.fuzzy.append((k, code))
        mon = d.get("monitored", {})
        for p in mon.get("phrases", []):
            self._add(_Entry(p, "unstable_lifted", MONITOR, (), mon.get("note")))
        for k in mon.get("fuzzy", []) or []:
            self.fuzzy.append((k, "monitored"))
        self.monitored_note = mon.get("note")
        for grp in d.get("vague", []):
            when = tuple((code, tuple(words)) for code, words in (grp.get("when") or {}).items())
            for p in grp["phrases"]:
                self._add(_Entry(p, grp["code"], VAGUE, (), grp.get("note"), when))
        none = d.get("none", {})
        self.none_anywhere = sorted(none.get("anywhere", []), key=len, reverse=True)
        self.none_whole = set(none.get("whole", []))
        self.homophone_stop = set(d.get("homophone_stop", []) or [])
        self.negations = sorted(d.get("negations", []), key=len, reverse=True)
        dis = d.get("disability", {})
        self.dis_context = sorted(dis.get("context", []), key=len, reverse=True)
        self.dis_strong = [w for w in dis.get("context", []) if w not in dis.get("weak_context", [])]
        self.dis_context = sorted(set(self.dis_context) | set(dis.get("weak_context", [])), key=len, reverse=True)
        self.dis_kinds = [(w, k) for k, ws in dis.get("kinds", {}).items() for w in ws]
        self.dis_kinds.sort(key=lambda t: -len(t[0]))
        self.fuzzy_by_first: dict[str, list[tuple[str, str]]] = {}
        for key, code in self.fuzzy:
            if len(key) >= 3:
                self.fuzzy_by_first.setdefault(key[0], []).append((key, code))
        self.by_first: dict[str, list[_Entry]] = {}
        for e in self.entries.values():
            self.by_first.setdefault(e.phrase[0], []).append(e)
        for lst in self.by_first.values():
            lst.sort(key=lambda e: -len(e.phrase))
        self.max_len = max(len(p) for p in self.entries)

    def _add(self, e: _Entry) -> None:
        p = compact(e.phrase)
        if p and p not in self.entries:
            self.entries[p] = _Entry(p, e.code, e.kind, e.facts, e.note, e.when)


@lru_cache(maxsize=1)
def _lex() -> _Lexicon:
    return _Lexicon()


def label(code: str) -> str:
    """Chinese label of an identity code (低保对象 …)."""
    return _lex().labels.get(code, code)


def _negated(text: str, start: int, lex: _Lexicon) -> bool:
    before = text[max(0, start - 5):start]
    if before.endswith(("但是不是", "可是不是", "就是不是", "但不是")):
        return True
    if before.endswith(_QUESTION_BEFORE) or before.endswith("还是"):
        return False
    for n in lex.negations:
        if len(n) == 1:
            if before.endswith(n) or before.endswith(n + "是"):
                return True
        elif n in before[-4:] or before.endswith(n):
            # the negation must be close: at most two characters in between (没有评上低保)
            idx = before.rfind(n)
            if len(before) - (idx + len(n)) <= 2:
                return True
    return False


_CLAUSE_END_NEG_RE = re.compile(r"(都不是|都没有|都不沾|都没|也不是|也没有|都不算|都不属于|不是|没有|没得)(的|啊|呀|呢|吧|哦|了)*$")
_CLAUSE_SPLIT_RE = re.compile(r"[,.;!?，。；！？、\s]|但是|可是|不过|而是")
_PAST_RE = re.compile(r"(以前|原来|过去|曾经|之前|早先|前几年)(是|当过|吃过|评过|办过|享受过|算)?$")
_APPLY_RE = re.compile(r"(申请|正在办|在办|想办|想申请|准备申请|申报|打算申请|能不能办|能办|怎么办|如何办|怎么申请)(了)?$")
_HEDGE_NOTES = {
    "past": "您说的是以前的身份；请确认现在是否还是{label}。",
    "applying": "正在申请的身份要等批下来才算；请确认是否已经是{label}。",
}


def _clause_denied(text: str, end: int) -> bool:
    """'低保五保都不是': a clause that ends in a denial denies every identity in it."""
    m = _CLAUSE_SPLIT_RE.search(text, end)
    rest = text[end:m.start() if m else len(text)]
    return bool(rest) and bool(_CLAUSE_END_NEG_RE.search(rest)) and len(rest) <= 12


def _hedged(text: str, start: int) -> str | None:
    before = text[max(0, start - 8):start]
    if _PAST_RE.search(before):
        return "past"
    if _APPLY_RE.search(before):
        return "applying"
    return None


def _scan(text: str, lex: _Lexicon) -> list[tuple[int, int, _Entry]]:
    """Longest non-overlapping exact matches, left to right."""
    out = []
    i = 0
    n = len(text)
    while i < n:
        best = None
        for e in lex.by_first.get(text[i], ()):
            if text.startswith(e.phrase, i):
                best = e
                break  # sorted longest first
        if best is not None:
            # prefer a longer phrase that starts inside this one (低保边缘 in 非低保边缘 is fine)
            out.append((i, i + len(best.phrase), best))
            i += len(best.phrase)
        else:
            i += 1
    return out


def _disability_facts(text: str, lex: _Lexicon) -> dict:
    facts: dict = {}
    # `w in text` first: most messages name no disability word, and a regex per word was most of the time
    ctx_pos = [m.start() for w in lex.dis_context if w in text for m in re.finditer(re.escape(w), text)]
    if not ctx_pos:
        return facts
    strong = any(w in text for w in lex.dis_strong)
    ctx_pos.sort()

    def dist_to_ctx(pos: int) -> int:
        k = bisect_left(ctx_pos, pos)
        d = 10 ** 6
        if k < len(ctx_pos):
            d = ctx_pos[k] - pos
        if k > 0:
            d = min(d, pos - ctx_pos[k - 1])
        return d

    best = None
    for m in _GRADE_RE.finditer(text):
        after = text[m.end():m.end() + 2]
        if after.startswith(("医院", "医", "甲", "乙", "卫生", "护理", "伤残军")):
            continue
        dist = dist_to_ctx(m.start())
        if dist <= 6 and (best is None or dist < best[0]):
            best = (dist, _GRADE_VAL[m.group(1)])
    if best:
        facts["disability_grade"] = best[1]
    elif not strong:
        return facts  # 精神很好: a kind word alone is not a disability
    for w, kind in lex.dis_kinds:
        if w not in text:
            continue
        for m in re.finditer(re.escape(w), text):
            if dist_to_ctx(m.start()) <= 6:
                facts.setdefault("disability_kind", kind)
                break
        if "disability_kind" in facts:
            break
    return facts


class _Cover:
    """Which characters of the text are already explained by a match."""

    def __init__(self, n: int) -> None:
        self.mask = bytearray(n)

    def append(self, span: tuple[int, int]) -> None:
        s, e = span
        self.mask[s:e] = b"\x01" * (e - s)

    def hit(self, i: int, j: int) -> bool:
        return 1 in self.mask[i:j]


class _Finding:
    """What the passes over one text have found so far: the result, the characters already
    matched, and where each confident code was named (codes are kept in the order named)."""

    def __init__(self, t: str, lex) -> None:
        self.t, self.lex = t, lex
        self.res = IdentityMatch()
        self.spans = _Cover(len(t))
        self.order: list[tuple[int, str]] = []

    def code(self, pos: int, code: str) -> None:
        if code not in [c for _, c in self.order]:
            self.order.append((pos, code))

    def unsure(self, phrase: str, code: str) -> None:
        if all(c != code for _, c in self.res.unsure):
            self.res.unsure.append((phrase, code))

    def note(self, note: str | None) -> None:
        if note and note not in self.res.notes:
            self.res.notes.append(note)

    def denied(self, start: int, end: int) -> bool:
        return _negated(self.t, start, self.lex) or _clause_denied(self.t, end)


def find_identities(text: object) -> IdentityMatch:
    """Identities named in ``text`` (see IdentityMatch). Never raises."""
    t = compact(text)
    if not t:
        return IdentityMatch()
    f = _Finding(t, _lex())
    _words_pass(f)
    _homophone_pass(f)
    _one_typo_pass(f)
    _latin_pinyin_pass(f)
    _settle(f)
    _disability_pass(f)
    _none_pass(f)
    return f.res


def _words_pass(f: _Finding) -> None:
    """The identity words of the lexicon, as typed."""
    t, lex, res = f.t, f.lex, f.res
    for s, e, ent in _scan(t, lex):
        f.spans.append((s, e))
        if f.denied(s, e):
            if ent.code not in res.negated and ent.kind == EXACT:
                res.negated.append(ent.code)
            continue
        state = _hedged(t, s)
        if state and ent.kind == EXACT and not (state == "applying" and ent.code == "illness_poverty"):
            f.unsure(ent.phrase, ent.code)
            f.note(_HEDGE_NOTES[state].format(label=lex.labels.get(ent.code, ent.phrase)))
            continue
        if ent.kind == EXACT:
            f.code(s, ent.code)
        elif ent.kind == MONITOR:
            res.monitored = True
            f.unsure(ent.phrase, "unstable_lifted")
        elif ent.kind == VAGUE:  # "孩子在上大学，家里困难": 困难大学生 first, where the region has it
            for code, words in ent.when:
                if any(w in t for w in words):
                    f.unsure(ent.phrase, code)
            f.unsure(ent.phrase, ent.code)
        elif ent.kind == UNSURE:
            f.unsure(ent.phrase, ent.code)
        else:
            continue
        if ent.kind in (EXACT, UNSURE):
            for k, v in ent.facts:
                res.facts.setdefault(k, v)
        f.note(ent.note)


def _homophone_pass(f: _Finding) -> None:
    """Homophones by pinyin (底保 -> 低保), on characters not already matched."""
    t, lex, res = f.t, f.lex, f.res
    py = None
    for key_py, code, key in lex.homophones:
        k = len(key_py)
        if len(t) < k:
            continue
        if py is None:
            py = pinyin_seq(t)
        for i in range(len(t) - k + 1):
            if py[i] == key_py[0] and py[i:i + k] == key_py and not f.spans.hit(i, i + k):
                typed = t[i:i + k]
                if typed == key or any(w in t[max(0, i - 2):i + k + 2] and typed in w for w in lex.homophone_stop):
                    continue
                f.spans.append((i, i + k))
                if f.denied(i, i + k):
                    if code not in res.negated:
                        res.negated.append(code)
                    continue
                f.code(i, code)
                res.corrections.append((typed, key))


def _one_typo_pass(f: _Finding) -> None:
    """One wrong character in longer keys (特因户 -> 特困户): unsure."""
    t, lex = f.t, f.lex
    for i, ch in enumerate(t):
        for key, code in lex.fuzzy_by_first.get(ch, ()):
            k = len(key)
            if i + k > len(t) or f.spans.hit(i, i + k):
                continue
            win = t[i:i + k]
            if k < 4 and win[-1] != key[-1]:
                continue
            diff = sum(1 for a, b in zip(win, key) if a != b)
            if diff == 1 and all("\u4e00" <= c <= "\u9fff" for c in win):
                f.spans.append((i, i + k))
                if f.denied(i, i + k):
                    continue
                if code == "monitored":
                    f.res.monitored = True
                    f.unsure(win, "unstable_lifted")
                    f.note(lex.monitored_note)
                else:
                    f.unsure(win, code)


def _latin_pinyin_pass(f: _Finding) -> None:
    """Latin pinyin typed instead of characters: "dibao", "wubaohu"."""
    if any("a" <= c <= "z" for c in f.t):
        for key_py, code, key in f.lex.homophones:
            joined = "".join(key_py)
            if joined in f.t:
                f.code(f.t.index(joined), code)
                f.res.corrections.append((joined, key))


def _settle(f: _Finding) -> None:
    """The codes in the order named; a code both confident and unsure stays confident only; a
    named monitored type settles the generic "监测户"."""
    res, lex = f.res, f.lex
    f.order.sort()
    res.codes = [c for _, c in f.order]
    if any(c in MONITORED for c in res.codes) and res.monitored:
        res.monitored = False
        res.unsure = [(p, c) for p, c in res.unsure if p not in lex.entries or lex.entries[p].kind != MONITOR]
        if lex.monitored_note in res.notes:
            res.notes.remove(lex.monitored_note)
    res.unsure = [(p, c) for p, c in res.unsure if c not in res.codes]


def _disability_pass(f: _Finding) -> None:
    res = f.res
    dis = _disability_facts(f.t, f.lex)
    if dis:
        for k, v in dis.items():
            res.facts.setdefault(k, v)
        if "severe_disability" not in res.codes and "severe_disability" not in res.negated and \
                "disability_grade" in dis:
            res.codes.append("severe_disability")
            res.unsure = [(p, c) for p, c in res.unsure if c != "severe_disability"]


def _none_pass(f: _Finding) -> None:
    """"都不是", "我没有低保，也不是五保": none of them."""
    res, t, lex = f.res, f.t, f.lex
    if not res.codes and not res.unsure:
        bare = strip_punct(t)
        if bare in lex.none_whole or any(w in t for w in lex.none_anywhere):
            res.none = True
        elif res.negated and re.search(r"也不是|也没有|也不算|也没|都不", t):
            res.none = True
