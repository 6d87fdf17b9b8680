"""Find which of the five regions a message names (find_region).

The gazetteer is bot/data/places.yaml.  Matching is a longest-match scan over all names and
aliases; ambiguous and weak names (see the YAML header) need a parent place in the same text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from ._data import load_yaml
from .normalize import CLAUSE_RE, compact, strip_punct

STRONG, AMBIGUOUS, WEAK = 2, 1, 0

_SUFFIXES = ("各族自治县", "自治县", "地区", "街道", "示范区", "新区", "市", "区", "县", "镇", "乡", "盟", "州")
_ETHNIC_RE = re.compile(r"^(.{2,4}?)(?:[^族]{1,6}族)+自治[县州]$")
_LEVEL_DEPTH = {"region": 0, "province": 0, "prefecture": 1, "city": 1, "county": 2, "town": 3, "street": 3}

# Words around a name that still make the message "just the name".
_FILLER_RE = re.compile(r"^(我|我们|俺|我家|家|老家|户口|户籍|参保|是|在|住在|来自|的|人|那边|这边|这里|那里|地方|的人)+|"
                        r"(的|人|那边|这边|那里|这里|的人|呀|啊|吧|哦|呢|嘛|了|这块)+$")


@dataclass(frozen=True)
class PlaceNode:
    name: str                     # canonical name, e.g. 南宁市
    level: str                    # region / prefecture / county / town / street; outside: province / city / county
    region: str | None            # one of the five codes, None outside
    outside: bool
    province: str                 # province-level division (short: 广西, 陕西 …)
    ancestors: tuple[str, ...] = ()   # canonical names of the parents, nearest last
    contains: str | None = None   # for 陕西/新疆/重庆: the region inside it


@dataclass(frozen=True)
class _Alias:
    text: str
    node: PlaceNode
    strength: int


@dataclass
class PlaceMatch:
    region: str | None            # xizang / ankang / guangxi / urumqi / qianjiang, None when outside
    place: str                    # canonical matched name (南宁市, 西安市, 黔江区 …)
    level: str                    # region / prefecture / county / town / street / province / city
    outside: bool                 # in China but outside the five regions
    matched: str = ""             # the text as typed (after normalisation)
    ambiguous: bool = False       # the name exists elsewhere too and nothing confirmed it
    province: str = ""            # province-level division of the place (short name)
    alternatives: list[str] = field(default_factory=list)  # other regions also named in the text
    city: str = ""                # the prefecture-level city the place is in (itself for a city), "" unknown


def _split(entry: str) -> tuple[list[tuple[str, int]], bool]:
    """'全称!|别名*' -> [(全称, AMBIGUOUS), (别名, WEAK)], no_short flag."""
    no_short = False
    out: list[tuple[str, int]] = []
    for i, tok in enumerate(entry.split("|")):
        tok = tok.strip()
        strength = STRONG
        while tok and tok[-1] in "!*~":
            mark = tok[-1]
            tok = tok[:-1]
            if mark == "!":
                strength = AMBIGUOUS
            elif mark == "*":
                strength = WEAK
            elif mark == "~" and i == 0:
                no_short = True
        if tok:
            out.append((tok, strength))
    return out, no_short


def _short_forms(name: str) -> list[str]:
    m = _ETHNIC_RE.match(name)
    if m:
        return [m.group(1)]
    for suf in _SUFFIXES:
        if name.endswith(suf) and len(name) - len(suf) >= 2:
            return [name[: -len(suf)]]
    return []


def _level_for(name: str, default: str) -> str:
    if name.endswith("街道"):
        return "street"
    if name.endswith(("镇", "乡")):
        return "town"
    return default


class _Gazetteer:
    def __init__(self) -> None:
        data = load_yaml("places.yaml")
        self.aliases: dict[str, list[_Alias]] = {}
        self.by_first: dict[str, list[_Alias]] = {}
        self.region_names: dict[str, str] = {}
        self.ignore = [re.compile(p) for p in data.get("ignore_patterns", [])]
        for reg in data["regions"]:
            code = reg["code"]
            toks, _ = _split(reg["name"])
            level = reg.get("level", "region")
            node = PlaceNode(toks[0][0], level, code, False, reg["province"])
            self.region_names[code] = toks[0][0]
            self._add(node, toks + [_split(a)[0][0] for a in reg.get("aliases", [])], no_short=True)
            child_level = "prefecture" if level == "region" else ("county" if level == "prefecture" else "town")
            self._walk(reg.get("children", []), code, reg["province"], (node.name,), child_level)
        for prov, spec in data.get("outside", {}).items():
            names = spec.get("names") or []
            contains = spec.get("contains")
            if names:
                toks: list[tuple[str, int]] = []
                for n in names:
                    toks += _split(n)[0]
                pnode = PlaceNode(toks[0][0], "province", None, True, prov, (), contains)
                self._add(pnode, toks, no_short=True)
                anc = (pnode.name,)
            else:
                anc = ()
            for c in spec.get("cities") or []:
                toks, no_short = _split(c)
                lvl = "county" if toks[0][0].endswith(("县", "区", "旗")) and not toks[0][0].endswith("新区") else "city"
                cnode = PlaceNode(toks[0][0], lvl, None, True, prov, anc)
                self._add(cnode, toks, no_short=no_short)
        for text, lst in self.aliases.items():
            self.by_first.setdefault(text[0], []).extend(lst)
        for lst in self.by_first.values():
            lst.sort(key=lambda a: -len(a.text))
        self.max_len = max(len(t) for t in self.aliases)

    def _walk(self, items, code, province, ancestors, level) -> None:
        for item in items:
            if isinstance(item, list):
                self._walk(item, code, province, ancestors, level)
                continue
            if isinstance(item, dict):
                toks, no_short = _split(item["name"])
                lvl = item.get("level", level)
                children = item.get("children", [])
            else:
                toks, no_short = _split(str(item))
                lvl = level
                children = []
            node = PlaceNode(toks[0][0], _level_for(toks[0][0], lvl), code, False, province, ancestors)
            self._add(node, toks, no_short=no_short)
            if children:
                nxt = "county" if lvl == "prefecture" else "town"
                self._walk(children, code, province, ancestors + (node.name,), nxt)

    def _add(self, node: PlaceNode, toks: list[tuple[str, int]], no_short: bool) -> None:
        explicit = {t for t, _ in toks}
        entries = list(toks)
        if not no_short:
            full, strength = toks[0]
            for s in _short_forms(full):
                if s not in explicit:
                    entries.append((s, WEAK if strength != STRONG else STRONG))
        for text, strength in entries:
            text = compact(text)
            if not text:
                continue
            lst = self.aliases.setdefault(text, [])
            if not any(a.node == node for a in lst):
                lst.append(_Alias(text, node, strength))

    def names_of(self, node: PlaceNode) -> set[str]:
        return {a.text for lst in self.aliases.values() for a in lst if a.node == node}


@lru_cache(maxsize=1)
def _gaz() -> _Gazetteer:
    return _Gazetteer()


@dataclass
class _Cand:
    start: int
    end: int
    alias: _Alias

    @property
    def node(self) -> PlaceNode:
        return self.alias.node


def _mask(text: str, gaz: _Gazetteer) -> str:
    for pat in gaz.ignore:
        text = pat.sub(lambda m: "\x00" * len(m.group(0)), text)
    return text


def _scan(text: str) -> list[_Cand]:
    gaz = _gaz()
    masked = _mask(text, gaz)
    cands: list[_Cand] = []
    for i, ch in enumerate(masked):
        for al in gaz.by_first.get(ch, ()):
            if masked.startswith(al.text, i):
                cands.append(_Cand(i, i + len(al.text), al))
    # drop names strictly inside a longer name (石家 in 石家庄, 兴安 in 兴安盟)
    by_start: dict[int, list[_Cand]] = {}
    for c in cands:
        by_start.setdefault(c.start, []).append(c)
    keep = []
    seen: set = set()
    for c in cands:
        length = c.end - c.start
        inside = False
        for s in range(max(0, c.start - gaz.max_len), c.start + 1):
            for o in by_start.get(s, ()):
                if o is not c and o.end >= c.end and (o.end - o.start) > length:
                    inside = True
                    break
            if inside:
                break
        if inside:
            continue
        key = (c.alias.text, c.node)  # one occurrence of each name is enough
        if key in seen:
            continue
        seen.add(key)
        keep.append(c)
    return keep


def _whole_answer(text: str, alias: str) -> bool:
    rest = strip_punct(text).replace(alias, "", 1)
    rest = _FILLER_RE.sub("", rest)
    return rest == ""


def _effective(c: _Cand, cands: list[_Cand], text: str) -> tuple[int, bool]:
    """(strength after context, ambiguous flag)."""
    node = c.node
    strength = c.alias.strength
    if strength == STRONG:
        return STRONG, False
    # a parent in the text confirms the name
    for o in cands:
        if o is c:
            continue
        on = o.node
        if on.region is not None and on.region == node.region and on.name in node.ancestors:
            return STRONG, False
        if on.region is not None and on.region == node.region and on.level == "region" and node.region is not None:
            return STRONG, False
        if node.outside and on.outside and on.name in node.ancestors:
            return STRONG, False
    if _whole_answer(text, c.alias.text):
        return AMBIGUOUS, True
    if strength == AMBIGUOUS:
        return AMBIGUOUS, True
    return -1, True


def _all_matches(text: str) -> list[tuple[tuple, _Cand, bool]]:
    cands = _scan(text)
    scored = []
    for c in cands:
        strength, amb = _effective(c, cands, text)
        if strength < 0:
            continue
        node = c.node
        # a province that contains one of our regions loses against that region
        if node.contains and any(o.node.region == node.contains for o in cands):
            continue
        score = (strength, not node.outside, _LEVEL_DEPTH.get(node.level, 0), c.end - c.start, -c.start)
        scored.append((score, c, amb))
    scored.sort(key=lambda t: t[0], reverse=True)
    return scored


def _city_of(node: PlaceNode) -> str:
    """The prefecture-level city of an in-region place (本市 is decided by it), "" when unknown."""
    if node.outside or node.region is None:
        return ""
    if node.level in ("prefecture", "city"):
        return node.name
    up = _LEVEL_DEPTH.get(node.level, 0) - _LEVEL_DEPTH["prefecture"]  # steps up to the city
    if up <= 0 or len(node.ancestors) < up:
        return ""
    city = node.ancestors[-up]
    return "" if city.endswith(("自治区", "省")) else city  # the region itself is no city


def find_region(text: object) -> PlaceMatch | None:
    """Return the best place named in ``text`` or None.

    In-region names win over outside ones at equal confidence; deeper (more precise) names win
    over their parents; longer names win over shorter ones."""
    t = compact(text)
    if not t:
        return None
    scored = _all_matches(t)
    if not scored:
        return None
    _, best, amb = scored[0]
    node = best.node
    alts: list[str] = []
    for _, c, _a in scored[1:]:
        r = c.node.region
        if r and r != node.region and r not in alts and c.alias.strength == STRONG:
            alts.append(r)
    return PlaceMatch(
        region=node.region,
        place=node.name,
        level=node.level,
        outside=node.outside,
        matched=best.alias.text,
        ambiguous=amb,
        province=node.province,
        alternatives=alts,
        city=_city_of(node),
    )


def find_places(text: object) -> list[PlaceMatch]:
    """Every accepted place in ``text``, best first (one per canonical place)."""
    t = compact(text)
    if not t:
        return []
    out: list[PlaceMatch] = []
    seen: set[str] = set()
    for _, c, amb in _all_matches(t):
        n = c.node
        if n.name in seen:
            continue
        seen.add(n.name)
        out.append(PlaceMatch(n.region, n.name, n.level, n.outside, c.alias.text, amb, n.province,
                              city=_city_of(n)))
    return out


@lru_cache(maxsize=1)
def _home_re() -> re.Pattern:
    spec = load_yaml("places.yaml")["home"]

    def alt(words: list[str]) -> str:
        return "|".join(map(re.escape, words))
    return re.compile(f"{alt(spec['words'])}|(?:{alt(spec['persons'])})(?:{alt(spec['fillers'])})*是"
                      f"(?!{alt(spec['not_after'])})[^,.!?;，。！？；\\s]{{1,12}}?(?:{alt(spec['ends'])})")


def says_home(text: object) -> bool:
    """The message says where the user is from ("不对，我其实是安康的", "户口在柳州"), not where
    the care was ("去拉萨看的", "我是在柳州看的")."""
    return bool(_home_re().search(compact(text)))


def named_in_order(text: str, places: list[PlaceMatch]) -> list[tuple[int, PlaceMatch]]:
    """(where it is named, place) of those of ``places`` whose words are in ``text``, in text order."""
    found = [(text.find(p.matched), i, p) for i, p in enumerate(places) if p.matched and p.matched in text]
    return [(at, p) for at, _, p in sorted(found)]


def said_as_home(text: object, places: list[PlaceMatch]) -> list[PlaceMatch]:
    """Those of ``places`` (found in ``text``) said as home, in text order: the words of its clause
    before it, up to the place named before, and two characters after it ("户口在[安康]",
    "我是[安康]的"; in "我在[南宁]打工，户口在安康" 南宁 is not)."""
    t = compact(text)
    if not says_home(t):
        return []
    named = named_in_order(t, places)
    homes = []
    for k, (at, place) in enumerate(named):
        before = named[k - 1][0] + len(named[k - 1][1].matched) if k else 0
        end = at + len(place.matched)
        after = named[k + 1][0] if k + 1 < len(named) else len(t)
        head = CLAUSE_RE.split(t[before:at])[-1]
        if says_home(head + place.matched + CLAUSE_RE.split(t[end:after])[0][:2]):
            homes.append(place)
    return homes


def region_name(code: str) -> str:
    """Chinese name of a region code (西藏自治区 …), '' when unknown."""
    return _gaz().region_names.get(code, "")
