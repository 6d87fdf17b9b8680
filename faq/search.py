"""FAQ search: BM25-like term overlap plus rapidfuzz, tuned for how people type Chinese.

Pipeline (the same for entries and questions): HTML stripped, NFKC (full-width → half-width),
traditional → simplified for common characters, Chinese amounts as digits, polite fillers
dropped; in questions only, homophone typos of lexicon words corrected by pinyin (底保 → 低保,
五宝户 → 五保户); synonyms mapped to canonical words (吃低保 → 低保, 五保户 → 特困); place names
removed (they steer the region instead).  Terms: jieba words (w:), pinyin of words (q:),
character bigrams (b:) and their pinyin (p:); letters typed as pinyin ("dibao") map to q:/p:.

Ranking score of an entry (0–100) =
    100 × (W_COVER × coverage + W_FUZZY × fuzzy + W_REL × relative BM25), then region steering
where *coverage* is the idf-weighted share of the question's terms found in the entry (question,
variants, tags; the answer counts a little), *fuzzy* is the best rapidfuzz similarity with the
entry's question or a variant, and *relative BM25* is the entry's BM25 divided by the best one.
Region steering: entries of the caller's region, or of a region named in the question, move part
of the way to 100; other regions' entries drop when a region is named; with no region at all,
general entries are preferred.  A result is *confident* when the top hit's ranking score, its
absolute match quality (coverage and fuzzy only) and its lead over the next rival are all high
enough and few of the question's words are unknown to the knowledge base; then the top hit (and,
for a two-part question such as "能报多少 去哪里申请", each part's own top hit) has ``confident``.
A negated word (不是低保, 不是特殊病; not 有没有起付线, an A不A question) is a term of its own, and
so is each meaning class the question asks about (多少/几成 → amount, 哪里/找谁 → where, …, in
synonyms.yaml ``classes:``).  An entry about other identities than the one the question names, or
about an identity it denies, or about another kind of care (住院, 门诊慢特病, 普通门诊, 特殊疾病), or
a worked example on a bill when the question gives no amount, ranks lower.  Not confident: "您是不是想问" with the nearest questions, or, when
nothing is near (``no_answer``), plainly that there is no answer, with 12393 and the local office.
"""
from __future__ import annotations

import heapq
import logging
import re
import math
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

from pydantic import BaseModel
from rapidfuzz import fuzz

from engine import load_policies

from .kb import Entry, load_entries
from .misses import log_miss
from .text import (
    PINYIN_WORD_RE,
    segment_pinyin,
    DATA_DIR,
    MAX_QUERY_CHARS,
    REGION_NAMES,
    REGIONS,
    Lexicon,
    analyze,
    analyze_negated,
    compact,
    has_content,
    load_lexicon,
    normalize,
    strip_fillers,
    tokenizer,
)

log = logging.getLogger(__name__)

# --- tuning -----------------------------------------------------------------------------------
K1 = 1.2
B = 0.5
# n: a negated word (不是低保); c: a meaning class the question asks about (amount, where …)
TYPE_WEIGHT = {"w": 1.0, "q": 0.5, "b": 0.4, "p": 0.25, "n": 1.0, "c": 1.0}
ANSWER_WEIGHT = 0.25  # term frequency weight of words that appear only in the answer
W_COVER, W_FUZZY, W_REL = 0.35, 0.35, 0.30
# a region's entry moves this share of the way to 100 when it is the caller's region (parameter)
# or a region named in the question itself; this keeps the order among that region's entries
REGION_BOOST = 0.3
MENTION_BOOST = 0.5
REGION_PENALTY = 30.0  # entry of another region when a region is named in the question
NO_REGION_PENALTY = 26.0  # a region's entry when no region is known: prefer the general answer
MENTION_ALL_PENALTY = 8.0  # an [all] entry when the region is known (parameter or named)
CANDIDATES = 40  # entries scored with full BM25 and coverage
FUZZY_CANDIDATES = 15  # of those, entries compared with rapidfuzz
POSTINGS_BUDGET = 1500  # postings read to pick candidates (rarest terms first)
UNKNOWN_IDF = 1.0  # weight of a question word no entry has, as a share of the highest idf
A_COVER = 0.5  # share of coverage (vs fuzzy similarity) in the absolute match quality
CONFIDENT_SCORE = 50.0  # ranking score of the top hit
CONFIDENT_MATCH = 46.0  # absolute match quality of the top hit
CONFIDENT_GAP = 6.0  # the top hit must lead the second by this much
MAX_TOP = 20
# not confident, and nothing even near: "no answer" (no hits offered) when the top hit's absolute
# match is below NO_ANSWER_MATCH, or below NO_ANSWER_UNKNOWN_MATCH with many unknown words
NO_ANSWER_MATCH = 22.0
NO_ANSWER_UNKNOWN_MATCH = 40.0
NO_ANSWER_UNKNOWN = 0.6
MAX_UNKNOWN_WORDS = 0.3
REGION_NEEDED = True  # a region's own entry is confident only when the region is known  # share of the question's words (2+ characters) that no entry has
# with no region known, a general entry within this many points of a region's entry on top goes
# first ("医疗救助去什么地方办理": the general answer, not 西藏's); its lead is then negative, so
# the move never makes an answer confident
GENERAL_FIRST_GAP = 15.0
WHOLE_WORDS_ONLY = True  # the share of unknown words counts whole words only (see score)
IDENTITY_PENALTY = 8.0  # an entry about other identities than the one the question names
CARE_PENALTY = 12.0  # an entry about another kind of care (门诊) than the one the question names (住院)
EXAMPLE_PENALTY = 6.0  # a worked example on a bill, for a question that states no amount
NAMED_PENALTY = 8.0  # …and more when its question itself names only other identities
IDENTITY_BONUS = 2.0  # an entry about the identity the question names
# a general entry on top with the known region's own entry close behind: the region's entry says
# the same thing with that region's figures, so it goes first (within REGION_SWAP_GAP points) and
# neither is confident (within REGION_DOUBT_GAP points): "看病钱不够 可以找慈善组织吗" in 乌鲁木齐
REGION_SWAP_GAP = 0.0
ALIKE_RATIO = 60.0  # rapidfuzz token_set_ratio of two entries' questions that ask the same thing
REGION_DOUBT_GAP = 16.0
DOUBT_EXEMPT_MATCH = 90.0  # …unless the general entry matches the question nearly word for word

HOTLINE = "拨打12393医保服务热线，或咨询当地医保局、乡镇（街道）"

ERR_EMPTY = "请输入您想问的问题，例如：低保户住院能报多少？"
ERR_NO_TEXT = "没看懂您的问题，请用文字把问题写出来，例如：特困人员看病要交押金吗？"
ERR_REGION = "暂不支持这个地区。目前可查询：" + "、".join(REGION_NAMES.values()) + "。"


class Hit(BaseModel):
    id: str
    question: str
    answer: str
    detail: str = ""
    score: float
    regions: list[str]
    cite: list[str]
    confident: bool = False  # this hit answers the question (the top hit, or a part's top hit)

    def to_contract(self) -> dict:
        """The hit as the public contract has it: id, question, answer, score, regions, cite, confident."""
        return {
            "id": self.id,
            "question": self.question,
            "answer": self.answer,
            "score": round(float(self.score), 2),
            "regions": list(self.regions),
            "cite": list(self.cite),
            "confident": bool(self.confident),
        }


class SearchResult(BaseModel):
    query: str = ""
    region: str | None = None
    hits: list[Hit] = []
    confident: bool = False
    message: str = ""
    error: str | None = None
    choices: list[str] = []  # questions offered when not confident (top three)
    regions_mentioned: list[str] = []
    no_answer: bool = False  # nothing in the knowledge base is near: the message offers no choices

    @property
    def top(self) -> Hit | None:
        return self.hits[0] if self.hits else None


@dataclass
class _Doc:
    entry: Entry
    regions: frozenset[str]
    weights: dict[str, float]  # term → BM25 contribution (type weight × idf × saturated tf)
    fuzzy_texts: tuple[str, ...]
    specific: bool  # not an [all] entry
    identities: frozenset[str] = frozenset()  # identity words of the question, variants and tags
    care: frozenset[str] = frozenset()  # kinds of care (inpatient, outpatient) the entry's question names
    named: frozenset[str] = frozenset()  # identity words of the entry's question alone
    example: bool = False  # the entry's question is a worked example on a bill (自付1万元 …能给多少)


class Index:
    """Inverted index over a list of entries (build once, query many times)."""

    def __init__(self, entries: Sequence[Entry], lexicon: Lexicon | None = None):
        self.lexicon = lexicon or load_lexicon()
        words = set(self.lexicon.user_words)
        for e in entries:
            words.update(normalize(t) for t in e.tags)
        self.tk = tokenizer(tuple(sorted(words)))
        tfs: list[dict[str, float]] = []
        lengths: list[float] = []
        df: dict[str, int] = {}
        fuzzies: list[tuple[str, ...]] = []
        for e in entries:
            tf: dict[str, float] = {}
            main_texts = [e.question, *e.variants, " ".join(e.tags)]
            for t in main_texts:
                for term, n in self._terms(t).items():
                    tf[term] = tf.get(term, 0.0) + n
            for term, n in self._terms(e.answer).items():
                # an answer that states an amount does not make the entry a question about one
                if term not in tf and term[0] != "c":
                    tf[term] = n * ANSWER_WEIGHT
            for term in tf:
                df[term] = df.get(term, 0) + 1
            tfs.append(tf)
            lengths.append(sum(tf.values()) / max(1, len(main_texts)))
            fuzzies.append(tuple(dict.fromkeys(compact(self._canon(t)) for t in (e.question, *e.variants))))
        n = max(1, len(entries))
        self.n = n
        avgdl = sum(lengths) / n if lengths else 1.0
        self.idf = {t: math.log(1 + (n - c + 0.5) / (c + 0.5)) for t, c in df.items()}
        self.df = df
        # weight of a query term that no entry has (UNKNOWN_IDF × the highest idf): a question
        # made of words the knowledge base does not know cannot reach a confident coverage.
        self.unknown_idf = math.log(1 + (n - 0.5) / 1.5) * UNKNOWN_IDF
        self.docs: list[_Doc] = []
        self.postings: dict[str, list[tuple[int, float]]] = {}
        for i, (e, tf, dl, fz) in enumerate(zip(entries, tfs, lengths, fuzzies)):
            norm_len = K1 * (1 - B + B * dl / avgdl)
            weights = {
                t: TYPE_WEIGHT[t[0]] * self.idf[t] * f * (K1 + 1) / (f + norm_len) for t, f in tf.items()
            }
            for t, w in weights.items():
                self.postings.setdefault(t, []).append((i, w))
            ids = frozenset().union(*(self.lexicon.identities_in(self._canon(t))
                                      for t in (e.question, *e.variants, " ".join(e.tags))))
            care = frozenset().union(*(self.lexicon.care_in(self._canon(t)) for t in (e.question, *e.tags)))
            named = self.lexicon.identities_in(self._canon(e.question))
            example = bool(_EXAMPLE_RE.search(normalize(e.question)))
            self.docs.append(_Doc(e, frozenset(e.regions), weights, fz, e.regions != ["all"], ids, care, named,
                                  example))
        self.by_id = {d.entry.id: i for i, d in enumerate(self.docs)}
        self.allowed = {r: [bool(d.regions & {r, "all"}) for d in self.docs] for r in REGIONS}
        self.syllables = frozenset(t[2:].split("_")[0] for t in self.idf if t.startswith("q:")) | frozenset(
            x for t in self.idf if t.startswith("p:") for x in t[2:].split("_")
        )
        self._preferred: dict[tuple[str, ...], list[bool]] = {}

    def __len__(self) -> int:
        return len(self.docs)

    # -- text pipeline shared by index and query
    def _canon(self, text: str) -> str:
        norm = strip_fillers(normalize(text))
        norm = self.lexicon.apply_synonyms(norm)
        return self.lexicon.strip_regions(norm)

    def _terms(self, text: str) -> dict[str, float]:
        canon = self._canon(text)
        return analyze_negated(canon, self.tk, self.lexicon.negated(canon), self.lexicon.classes_in(canon))

    # -- scoring
    def _pick(self, ranked: Iterable[int], k: int, allowed: list[bool] | None, preferred: list[bool] | None) -> list[int]:
        """The first ``k`` of ``ranked`` that are allowed; with ``preferred``, keep about two
        thirds of the places for preferred entries (the region named in the question)."""
        out: list[int] = []
        if preferred is None:
            for i in ranked:
                if allowed is None or allowed[i]:
                    out.append(i)
                    if len(out) >= k:
                        break
            return out
        k_other = max(1, k // 3)
        mine: list[int] = []
        other: list[int] = []
        for i in ranked:
            if preferred[i]:
                if len(mine) < k:
                    mine.append(i)
            elif len(other) < k_other:
                other.append(i)
            if len(mine) >= k and len(other) >= k_other:
                break
        return mine[: k - min(k_other, len(other))] + other

    def score(self, norm_query: str, region: str | None, mentioned: list[str], top: int):
        return self.score_query(self._read_query(norm_query), region, mentioned, top)

    def score_query(self, q: "_Query | None", region: str | None, mentioned: list[str], top: int):
        """`score` of a question already read (_read_query), for a caller that reads it once."""
        if q is None:
            return []
        known, total, self_unknown = self._weights(q.terms)
        if not known:
            return []
        want = {region} if region else set(mentioned)
        preferred = self.preferred_mask(tuple(sorted(want))) if region is None and mentioned else None
        pool = self._candidates(known, region, preferred)
        if not pool:
            return []
        # 2. full BM25 and coverage for the candidates
        full: dict[int, tuple[float, float]] = {}
        qweights = dict(known)
        qkeys = qweights.keys()
        for i in pool:
            weights = self.docs[i].weights
            common = weights.keys() & qkeys
            full[i] = (sum(map(weights.__getitem__, common)), sum(map(qweights.__getitem__, common)))
        order = sorted(full, key=lambda i: full[i][0], reverse=True)
        finalists = self._pick(order, FUZZY_CANDIDATES, None, preferred)
        best = max(full[i][0] for i in finalists) or 1.0
        boost = MENTION_BOOST if want & set(mentioned) else REGION_BOOST
        scored = []
        for i in finalists:
            bm, cov = full[i]
            d = self.docs[i]
            fz = _fuzzy(q.compact, d.fuzzy_texts)
            cover = min(1.0, cov / total)
            s = 100.0 * (W_COVER * cover + W_FUZZY * fz / 100.0 + W_REL * bm / best)
            # how well the question is matched, on an absolute scale (no relative part, no boost)
            a = 100.0 * (A_COVER * cover + (1 - A_COVER) * fz / 100.0)
            if d.specific:
                if want:
                    s = s + boost * (100.0 - s) if d.regions & want else s - REGION_PENALTY
                else:
                    s -= NO_REGION_PENALTY
            elif want:
                s -= MENTION_ALL_PENALTY
            scored.append((s - _meaning_penalty(q, d), i, a))
        scored.sort(key=lambda x: (-x[0], x[1]))
        return [(max(0.0, min(100.0, s)), i, a, self_unknown) for s, i, a in scored[:top]]

    def _read_query(self, norm_query: str) -> "_Query | None":
        """The question's terms and what it asks about (identities, kind of care, an amount, denials)."""
        lex = self.lexicon
        fixed = lex.correct_homophones(strip_fillers(norm_query), known=lambda w: ("w:" + w) in self.idf)
        canon = lex.strip_regions(lex.apply_synonyms(fixed))
        negated = lex.negated(canon)
        qterms = analyze_negated(canon, self.tk, negated, lex.classes_in(canon))
        if any("a" <= c <= "z" for c in canon):
            self._pinyin_terms(canon, qterms)
        if not qterms:
            return None
        return _Query(terms=qterms, compact=compact(canon), identities=lex.identities_in(canon, negated),
                      care=lex.care_in(canon, negated), amount=bool(_AMOUNT_RE.search(canon)),
                      denied=frozenset(w for _s, _e, w in negated) & lex.identity_set)

    def _weights(self, qterms: dict[str, float]) -> tuple[list[tuple[str, float]], float, float]:
        """(known terms with type weight × idf, the question's whole weight, the share of its
        words no entry has)."""
        idf = self.idf
        known: list[tuple[str, float]] = []
        total = 0.0
        words = unknown_words = 0.0
        # only whole words count: the segmenter's pieces of a longer word (商业, 保险 of
        # 商业健康保险) would make one unknown word ("理赔") look like a small share
        whole = _whole_words(qterms) if WHOLE_WORDS_ONLY else None
        for term in qterms:
            tw = TYPE_WEIGHT[term[0]]
            v = idf.get(term)
            if term[0] == "w" and len(term) >= 4 and (whole is None or term in whole):
                words += 1.0
                unknown_words += v is None
            if v is None:
                total += tw * self.unknown_idf
            else:
                total += tw * v
                known.append((term, tw * v))
        return known, total, (unknown_words / words if words else 0.0)

    def _candidates(self, known: list[tuple[str, float]], region: str | None, preferred) -> list[int]:
        """1. candidates: rarest terms first, until enough entries are touched and the budget of
        postings is spent (keeps a query fast on a large knowledge base)."""
        acc: dict[int, float] = {}
        get = acc.get
        spent = 0
        df = self.df
        for term, _w in sorted(known, key=lambda x: df[x[0]]):
            plist = self.postings[term]
            if spent + len(plist) > POSTINGS_BUDGET and len(acc) >= CANDIDATES:
                break
            spent += len(plist)
            for i, w in plist:
                acc[i] = get(i, 0.0) + w
        if not acc:
            return []
        allowed = self.allowed[region] if region is not None else None
        ranked = heapq.nlargest(CANDIDATES * 3, acc, key=acc.__getitem__)
        return self._pick(ranked, CANDIDATES, allowed, preferred)

    def _pinyin_terms(self, canon: str, qterms: dict[str, float]) -> None:
        """Letters typed as pinyin ("dibao zhuyuan"): replace the word by the pinyin terms of the
        index that its syllables spell (q: words of 2–4 syllables, p: syllable pairs)."""
        for m in PINYIN_WORD_RE.finditer(canon):
            word = m.group(0)
            syl = segment_pinyin(word, self.syllables)
            if not syl or len(syl) < 2:
                continue
            qterms.pop("w:" + word, None)
            for size in (2, 3, 4):
                for k in range(len(syl) - size + 1):
                    key = "q:" + "_".join(syl[k : k + size])
                    if key in self.idf:
                        qterms[key] = qterms.get(key, 0.0) + 1.0
            for a, b in zip(syl, syl[1:]):
                key = f"p:{a}_{b}"
                if key in self.idf:
                    qterms[key] = qterms.get(key, 0.0) + 1.0

    def alike(self, i: int, j: int) -> bool:
        """Two entries ask the same question, region names aside ("骗取医疗救助会怎么处理" and
        "乌鲁木齐骗取医疗救助会怎么处理"): their questions are nearly the same words."""
        a, b = self.docs[i].fuzzy_texts[0], self.docs[j].fuzzy_texts[0]
        return fuzz.token_set_ratio(a, b) >= ALIKE_RATIO

    def preferred_mask(self, regions: tuple[str, ...]) -> list[bool]:
        m = self._preferred.get(regions)
        if m is None:
            want = set(regions) | {"all"}
            m = [bool(d.regions & want) for d in self.docs]
            self._preferred[regions] = m
        return m


_AMOUNT_RE = re.compile(r"\d+(?:\.\d+)?\s*(?:万|元|块)")
# a bill's amount: what was paid or spent ("自付1万元"), not a limit ("5万元用完了")
_EXAMPLE_RE = re.compile(r"(?:自付|花了|花费|付了)\s*\d+(?:\.\d+)?\s*(?:万|元|块)")
_OUTPATIENT_KINDS = frozenset({"chronic", "general"})


def _care_fits(asked: frozenset[str], entry: frozenset[str]) -> bool:
    """The kinds of care asked about and an entry's fit: the same kind, or plain 门诊 (outpatient)
    with either kind of 门诊; the most specific kinds named count ("透析 门诊" is chronic care)."""
    def specific(kinds: frozenset[str]) -> frozenset[str]:
        return kinds - {"outpatient"} if kinds & _OUTPATIENT_KINDS else kinds
    a, e = specific(asked), specific(entry)
    return bool(a & e) or ("outpatient" in a and bool(e & _OUTPATIENT_KINDS)) or (
        "outpatient" in e and bool(a & _OUTPATIENT_KINDS))


def _whole_words(qterms: dict[str, float]) -> set[str]:
    """The question's word terms that are not part of a longer word term of the same question."""
    ws = [t[2:] for t in qterms if t[0] == "w"]
    return {"w:" + w for w in ws if not any(len(o) > len(w) and w in o for o in ws)}


# ---------------------------------------------------------------------------------------------

_index_lock = threading.Lock()
_index_cache: dict[str, Index] = {}


@dataclass(frozen=True)
class _Query:
    terms: dict[str, float]
    compact: str                 # the question without spaces, for fuzzy matching
    identities: frozenset[str]   # identities it asks about
    care: frozenset[str]         # kinds of care it names
    amount: bool                 # it gives an amount (自付1万)
    denied: frozenset[str]       # identities it denies (不是低保)


def _fuzzy(qc: str, texts) -> float:
    """The best fuzzy match of the question with an entry's texts (a part of a long text counts)."""
    long_q = len(qc) >= 4
    best = 0.0
    for t in texts:
        r = fuzz.ratio(qc, t)
        if long_q and len(t) >= 4:
            r = max(r, 0.9 * fuzz.partial_ratio(qc, t))
        if r > best:
            best = r
    return best


def _meaning_penalty(q: _Query, d) -> float:
    """What the question asks (identity, kind of care, an amount) weighs more than the topic."""
    s = 0.0
    if q.identities and d.identities & q.identities:
        s -= IDENTITY_BONUS  # the identity asked about weighs more than the topic
    if q.identities and d.identities and not (q.identities & d.identities):
        s += IDENTITY_PENALTY  # "特困的医保费用谁出" is not about 低保户's
    if q.identities and d.named and not (q.identities & d.named):
        s += NAMED_PENALTY  # the entry's own question is about another identity
    elif q.denied and d.identities and d.identities <= q.denied:
        s += IDENTITY_PENALTY  # "不是低保 能不能救助" is not about 低保户's either
    if d.example and not q.amount:
        s += EXAMPLE_PENALTY  # a worked example answers a question that gives an amount
    if q.care and d.care and not _care_fits(q.care, d.care):
        s += CARE_PENALTY  # "低保住院一年最多几万" is not about 门诊慢性病
    return s


def load_index(data_dir: Path | str | None = None, refresh: bool = False) -> Index:
    """The index over ``faq/data`` (or another directory), built once and cached."""
    key = str(Path(data_dir or DATA_DIR).resolve())
    if not refresh and key in _index_cache:
        return _index_cache[key]
    with _index_lock:
        if refresh or key not in _index_cache:
            _index_cache[key] = Index(load_entries(key))
    return _index_cache[key]


def build_index(entries: Iterable[Entry]) -> Index:
    return Index(list(entries))


# Every name a region's policy file gives it: short name, full name, aliases.
_REGION_ALIASES = {
    name: code
    for code, r in load_policies().regions.items()
    for name in (r.short_name, r.name, *r.aliases)
}


def resolve_region(region: str | None) -> tuple[str | None, bool]:
    """(region code or None, ok).  Accepts codes, Chinese names, '', 'all'."""
    if region is None:
        return None, True
    r = str(region).strip().lower()
    if r in ("", "all", "none", "null", "全部"):
        return None, True
    if r in REGIONS:
        return r, True
    if r in _REGION_ALIASES:
        return _REGION_ALIASES[r], True
    return None, False


def _hotline(region: str | None) -> str:
    """12393 and the local office (of the region, when known)."""
    if region in REGION_NAMES:
        return f"拨打12393医保服务热线，或到{REGION_NAMES[region]}当地的医保局、乡镇（街道）咨询"
    return HOTLINE


def _label(hit: Hit) -> str:
    if hit.regions == ["all"]:
        return hit.question
    names = "、".join(REGION_NAMES[r] for r in hit.regions)
    return hit.question if any(REGION_NAMES[r] in hit.question for r in hit.regions) else f"（{names}）{hit.question}"


def search(
    q: str,
    region: str | None = None,
    top: int = 5,
    *,
    index: Index | None = None,
    miss_db: str | Path | None = None,
) -> SearchResult:
    """Search the FAQ.  Never raises on user input: bad input gives ``error`` and no hits.

    ``region`` restricts hits to that region and to entries for all regions; a region named in
    the question (广西, 南宁, 拉萨, 汉滨, 乌市, 黔江 …) boosts that region's entries.
    With ``miss_db`` (an SQLite path) a question without a confident answer is logged.
    """
    raw = "" if q is None else str(q)
    try:
        top = int(top)
    except (TypeError, ValueError):
        top = 5
    top = max(1, min(MAX_TOP, top))
    reg, ok = resolve_region(region)
    if not ok:
        return SearchResult(query=raw[:MAX_QUERY_CHARS], error=ERR_REGION, message=ERR_REGION)
    if not raw.strip():
        return SearchResult(query="", region=reg, error=ERR_EMPTY, message=ERR_EMPTY)
    norm = normalize(raw[: MAX_QUERY_CHARS * 20])
    if not has_content(norm):
        return SearchResult(query=raw[:MAX_QUERY_CHARS], region=reg, error=ERR_NO_TEXT, message=ERR_NO_TEXT)
    norm = norm[:MAX_QUERY_CHARS]
    idx = index if index is not None else load_index()
    mentioned = idx.lexicon.regions_in(norm)
    hits, confident, no_answer = _rank(idx, norm, reg, mentioned, max(top, 3))
    extra = _second_part(idx, norm, reg, mentioned, hits if confident else [])
    if extra is not None:  # "低保户住院能报多少 去哪里申请": both parts answered
        hits, confident, no_answer = extra, True, False
    res = SearchResult(query=norm, region=reg, hits=hits[:max(top, 2 if extra else 1)],
                       confident=confident, regions_mentioned=mentioned, no_answer=no_answer)
    hotline = _hotline(reg or (mentioned[0] if len(mentioned) == 1 else None))
    if no_answer:
        res.message = f"问答库里没有这个问题的答案。{hotline}。"
    elif confident:
        res.message = "\n".join(_answer_text(h) for h in hits if h.confident)
    else:
        res.choices = [_label(h) for h in hits[:3]]
        if res.choices:
            lines = "\n".join(f"{k}. {c}" for k, c in enumerate(res.choices, 1))
            res.message = f"没有找到确切答案，您是不是想问：\n{lines}\n也可以{hotline}。"
        else:
            res.message = f"没有找到确切答案。您可以换个说法再问，也可以{hotline}。"
    if not confident and miss_db is not None:
        try:
            log_miss(miss_db, raw, reg, known=lambda w: ("w:" + w) in idx.idf)
        except Exception:  # noqa: BLE001 - logging a miss must never break an answer
            log.warning("could not log an FAQ miss")
    return res


def _answer_text(h: Hit) -> str:
    prefix = "" if h.regions == ["all"] else f"【{'、'.join(REGION_NAMES[r] for r in h.regions)}】"
    return f"{prefix}{h.answer}\n{h.detail}\n依据：{'；'.join(h.cite)}".replace("\n\n", "\n")


def _sure_of(idx: Index, scored: list, entry_id: str, norm: str, query: "_Query | None") -> bool:
    """The top entry may be a sure answer: the question holds one of the words it needs (Entry.needs),
    and shares a word with it beyond the asking words ("能报几次", "钱怎么给" name no subject)."""
    doc = next(idx.docs[i] for _s, i, _a, _u in scored if idx.docs[i].entry.id == entry_id)
    if doc.entry.needs and not any(normalize(word) in norm for word in doc.entry.needs):
        return False
    shared = {t[2:] for t in query.terms if t.startswith("w:") and t in doc.weights} if query else set()
    return bool(shared - idx.lexicon.asking_words)


def _rank(idx: Index, norm: str, reg: str | None, mentioned: list[str], top: int,
          part: bool = False) -> tuple[list[Hit], bool, bool]:
    """(hits, confident, no answer) of one question (``part``: one part of a two-part question)."""
    query = idx._read_query(norm)
    scored = idx.score_query(query, reg, mentioned, top)
    hits = [
        Hit(
            id=idx.docs[i].entry.id,
            question=idx.docs[i].entry.question,
            answer=idx.docs[i].entry.answer,
            detail=idx.docs[i].entry.detail,
            score=round(s, 1),
            regions=list(idx.docs[i].entry.regions),
            cite=list(idx.docs[i].entry.cite),
        )
        for s, i, _a, _u in scored
    ]
    doubt = _prefer_region(hits, scored, reg, mentioned, part, alike=idx.alike)
    if reg is None and not mentioned:
        _prefer_general(hits, scored)
    # a question about something no entry names ("护照在哪里办理": 护照) is not answered by the
    # entry that matches its frame ("在哪里办"): confident only when few of its words are unknown
    # the lead is over the next *rival*: a general entry right behind the region's own entry on the
    # same topic is the same answer less precisely, not a doubt
    rivals = [h for h in hits[1:] if not (hits[0].regions != ["all"] and h.regions == ["all"])] if hits else []
    # one region's answer is not sure for a question that names no region, asked by no one's region
    somewhere = reg is not None or bool(mentioned) or not hits or hits[0].regions == ["all"]
    confident = bool(hits) and hits[0].score >= CONFIDENT_SCORE and scored[0][2] >= CONFIDENT_MATCH and (
        not rivals or hits[0].score - rivals[0].score >= CONFIDENT_GAP
    ) and scored[0][3] < MAX_UNKNOWN_WORDS and (somewhere or not REGION_NEEDED) and not doubt
    no_answer = not confident and (not scored or scored[0][2] < NO_ANSWER_MATCH or (
        scored[0][3] >= NO_ANSWER_UNKNOWN and scored[0][2] < NO_ANSWER_UNKNOWN_MATCH))
    if idx.lexicon.asks_elsewhere(norm):  # however near its words, no entry answers it
        confident, no_answer = False, True
    if confident and not _sure_of(idx, scored, hits[0].id, norm, query):
        confident = False
    if confident:
        hits[0].confident = True
    return hits, confident, no_answer


def _prefer_region(hits: list[Hit], scored: list, reg: str | None, mentioned: list[str], part: bool = False,
                   alike=None) -> bool:
    """True when a general entry leads the known region's own entry by less than REGION_DOUBT_GAP
    (then no answer is sure).  In one part of a two-part question ("… 去哪里申请"), or when the
    region's entry asks the same question as the general one (``alike`` of their doc indices), the
    region's entry is moved first instead: only the region's version of the answer is wanted."""
    want = {reg} if reg else set(mentioned)
    if not want or len(hits) < 2 or hits[0].regions != ["all"]:
        return False
    for k, h in enumerate(hits[1:3], 1):
        if set(h.regions) & want:
            gap = hits[0].score - h.score
            same = alike is not None and alike(scored[0][1], scored[k][1])
            if gap < (REGION_DOUBT_GAP if part or same else REGION_SWAP_GAP):
                hits.insert(0, hits.pop(k))
                scored.insert(0, scored.pop(k))
            return gap < REGION_DOUBT_GAP and not part and scored[0][2] < DOUBT_EXEMPT_MATCH
    return False


def _prefer_general(hits: list[Hit], scored: list) -> None:
    """No region known: a general entry close behind a region's entry on top goes first."""
    if len(hits) < 2 or hits[0].regions == ["all"]:
        return
    for k, h in enumerate(hits[1:3], 1):
        if h.regions == ["all"]:
            if hits[0].score - h.score < GENERAL_FIRST_GAP:
                hits.insert(0, hits.pop(k))
                scored.insert(0, scored.pop(k))
            return


# where a question with two parts splits: a question word ends the first part
_PART_RE = re.compile(r"(多少|几成|比例|哪里|哪儿|什么|啥|怎么办|怎么算|吗|么|呢|没有|不)[\s,，.。?？!！;；、]+"
                      r"(?:还有|另外|以及|再|那|还要|还想问|顺便问)?(?=\S{3,})")


_SEP_RE = re.compile(r"[\s,，.。?？!！;；、]+")


def _split_parts(idx: Index, norm: str) -> tuple[str, str] | None:
    """The two parts of a question: after a question word (多少, 哪里 …) and a separator, or at a
    separator where each side asks for another meaning class ("上哪办 要带啥东西": where, documents)."""
    m = _PART_RE.search(norm)
    if m is not None:
        return norm[:m.end(1)], norm[m.end():]
    lex = idx.lexicon
    if len(lex.classes_in(lex.apply_synonyms(norm))) < 2:
        return None  # one thing asked (the common case): no need to try every separator
    for sep in _SEP_RE.finditer(norm):
        first, second = norm[:sep.start()], norm[sep.end():]
        a = set(lex.classes_in(lex.apply_synonyms(first)))
        b = set(lex.classes_in(lex.apply_synonyms(second)))
        if a and b and not (a & b):
            return first, second
    return None


def _second_part(idx: Index, norm: str, reg: str | None, mentioned: list[str], whole: list[Hit]) -> list[Hit] | None:
    """Both answers of a two-part question ("低保户住院能报多少 去哪里申请"), when each part has a
    confident answer of its own and they differ; None otherwise."""
    halves = _split_parts(idx, norm)
    if halves is None:
        return None
    first, second = halves
    if len(compact(first)) < 3 or len(compact(second)) < 3:
        return None
    answers = []
    for part in (first, second):
        hits, confident, _none = _rank(idx, part, reg, mentioned, 3, part=True)
        if not confident:
            return None
        answers.append(hits[0])
    if answers[0].id == answers[1].id:
        return None
    if whole and whole[0].id not in (answers[0].id, answers[1].id):
        return None  # the whole question reads as something else: keep that reading
    rest = [h for h in whole if h.id not in (answers[0].id, answers[1].id)]
    for h in rest:
        h.confident = False
    return answers + rest


def search_many(queries: Iterable[str | dict], region: str | None = None, top: int = 5) -> list[SearchResult]:
    """Search several questions; each item is a string or ``{"q": ..., "region": ...}``."""
    out = []
    for item in queries:
        if isinstance(item, dict):
            out.append(search(item.get("q", ""), item.get("region", region), item.get("top", top)))
        else:
            out.append(search(item, region, top))
    return out
