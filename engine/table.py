"""The population path: the engine's amounts, category and settlement for a whole column table of
cases at once, for the policy pages and for county offices asking "what would this cost".

    >>> cols = table_from_cases([{"region": "guangxi", "identities": ["dibao"], "care": "inpatient",
    ...                           "self_pay": 20000, "date": "2024-06-01"}])
    >>> estimate_table(cols).assistance_fen.tolist()
    [1800000]

Every answer agrees with `engine.estimate` case by case (tests/engine/test_table.py). How: rows are
grouped by the engine's amount-free profile (region, care, identities, facts): the same kind of person
the engine memoises (engine.answer.Profile). The profile says which categories match and which claim
rule each uses; the rule's deductible, rate and annual limit are read from the policy objects, so a
changed policy file changes this path too. For each candidate category the claim arithmetic runs over
all its rows at once in integer fen (deductible left, rate as an exact fraction rounded half-up to the
fen, the limit left), then the best category is picked by the engine's rule (covered first, then the
largest amount, then the lower rank).

Rows whose rules are too special for that — 西藏's two tiers, 倾斜救助, limits bracketed by the
year's self-pay (安康), conditions that read the bill (`requires:`), a date before the document, a
region with several documents by date, a deductible that is not a whole fen — and kinds of person
met fewer than SMALL_GROUP times go through `engine.estimate` itself, one by one. `Table.engine_rows` says how many.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Mapping, Sequence

import numpy as np

from .answer import Profile, settlement_for_place
from .calc import estimate_case
from .case import Case, Category, parse_case
from .conditions import IDENTITIES
from .context import Run, facts_read, statistic
from .money import HUNDRED
from .policy import Claim, Policies, RegionPolicy
from .policy import default as load_policies

FEW = 64  # a column with at most this many distinct values is coded by comparing, not hashing
SMALL_GROUP = 8  # a kind of person met fewer times than this is cheaper to ask the engine directly
SETTLEMENTS = ("one_stop", "application", "manual", "not_covered", "none")
AMOUNTS = ("self_pay", "ytd_self_pay", "ytd_aid", "ytd_tilt_aid")
_BIT = {code: 1 << i for i, code in enumerate(IDENTITIES)}


@dataclass
class Table:
    """One row per case: assistance in fen, the category (an index into `categories`, -1 for none)
    and the settlement (an index into SETTLEMENTS)."""

    assistance_fen: np.ndarray
    category: np.ndarray
    settlement: np.ndarray
    categories: list[Category]
    engine_rows: int  # rows answered by engine.estimate one by one (the rest vectorised)

    def category_of(self, row: int) -> Category | None:
        index = int(self.category[row])
        return None if index < 0 else self.categories[index]


# ---------------------------------------------------------------------------------------- columns


def table_from_cases(cases: Sequence[Mapping[str, Any]]) -> dict:
    """Case dicts → the columns `estimate_table` takes (amounts in fen; not the fast part)."""
    def fen_of(value) -> int:
        exact = Decimal(str(value)) * HUNDRED
        if exact != exact.to_integral_value():
            raise ValueError(f"amount {value!r} is not a whole number of fen")
        return int(exact)

    names = sorted({name for c in cases for name in (c.get("facts") or {})})
    ytd = [c.get("year_to_date") or {} for c in cases]
    return {
        "region": np.array([c["region"] for c in cases]),
        "care": np.array([c["care"] for c in cases]),
        "identities": np.array([identity_mask(c.get("identities") or ()) for c in cases], dtype=np.int64),
        "self_pay": np.array([fen_of(c["self_pay"]) for c in cases], dtype=np.int64),
        "ytd_self_pay": np.array([fen_of(y.get("self_pay", 0)) for y in ytd], dtype=np.int64),
        "ytd_aid": np.array([fen_of(y.get("aid", 0)) for y in ytd], dtype=np.int64),
        "ytd_tilt_aid": np.array([fen_of(y.get("tilt_aid", 0)) for y in ytd], dtype=np.int64),
        "date": np.array([c.get("date") or dt.date.today().isoformat() for c in cases], dtype="datetime64[D]"),
        "facts": {name: fact_column([(c.get("facts") or {}).get(name) for c in cases]) for name in names},
    }


def fact_column(values: list) -> np.ndarray:
    """One fact as a typed column: yes/no as int8 (-1 not stated), numbers as float64 (NaN not
    stated), words as str ("" not stated); anything else as objects (None not stated, slower)."""
    stated = [v for v in values if v is not None]
    if all(isinstance(v, bool) for v in stated):
        return np.array([-1 if v is None else int(v) for v in values], dtype=np.int8)
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in stated):
        return np.array([np.nan if v is None else float(v) for v in values], dtype=np.float64)
    if all(isinstance(v, str) and v for v in stated):
        return np.array(["" if v is None else v for v in values], dtype=str)
    return np.array(values, dtype=object)


def _fact_value(column: np.ndarray, i: int):
    """Row i of a fact column as the engine reads it, or None when not stated."""
    value = column[i]
    kind = column.dtype.kind
    if kind == "i":
        return None if value < 0 else bool(value)
    if kind == "f":
        if np.isnan(value):
            return None
        return int(value) if float(value).is_integer() else repr(float(value))  # numeric text: read exactly
    if kind in "US":
        return str(value) or None
    return value.item() if hasattr(value, "item") else value


def identity_mask(codes) -> int:
    mask = 0
    for code in codes:
        mask |= _BIT[code]
    return mask


def _row_case(cols: Mapping, i: int) -> dict:
    mask = int(cols["identities"][i])
    case = {
        "region": str(cols["region"][i]), "care": str(cols["care"][i]),
        "identities": [code for code, bit in _BIT.items() if mask & bit],
        "self_pay": Decimal(int(cols["self_pay"][i])) / HUNDRED,
        "year_to_date": {k: Decimal(int(cols[f"ytd_{k}"][i])) / HUNDRED for k in ("self_pay", "aid", "tilt_aid")},
        "date": str(cols["date"][i]),
    }
    facts = {name: _fact_value(values, i) for name, values in cols.get("facts", {}).items()}
    facts = {name: value for name, value in facts.items() if value is not None}
    if facts:
        case["facts"] = facts
    return case


def _codes(values: np.ndarray) -> np.ndarray:
    """Small integer codes of a column (equal values, equal codes; None is a value)."""
    if values.dtype.kind in "US":  # a few distinct names (regions, care types): compare, do not sort
        return _codes_by_compare(values, dict.fromkeys(np.unique(values[:FEW]).tolist()), exhaustive=False)
    if values.dtype != object:
        return _dense(values)[0]
    distinct = set(values.tolist())
    if len(distinct) <= FEW:  # a fact with few values: one comparison per value, in C
        return _codes_by_compare(values, distinct, exhaustive=True)
    seen: dict = {}
    return np.fromiter((seen.setdefault(v, len(seen)) for v in values.tolist()), dtype=np.int64, count=len(values))


def _codes_by_compare(values: np.ndarray, known, exhaustive: bool) -> np.ndarray:
    codes = np.full(len(values), -1, dtype=np.int64)
    k = 0
    for k, value in enumerate(known):
        codes[_equal(values, value)] = k
    if exhaustive:
        return codes
    left = codes < 0
    while left.any():  # names not among the first rows
        k += 1
        same = values == values[np.argmax(left)]
        codes[same] = k
        left &= ~same
    return codes


def _equal(values: np.ndarray, value) -> np.ndarray:
    if value is None:
        return np.equal(values, None)
    return values == value


def _numbers(values: np.ndarray) -> np.ndarray:
    """A fact column as floats, NaN where not stated (or not a number)."""
    if values.dtype.kind == "i":  # yes/no: -1 is "not stated"
        return np.where(values < 0, np.nan, values.astype(float))
    if values.dtype.kind in "US":
        return np.full(len(values), np.nan)
    if values.dtype != object:
        return values.astype(float)
    try:
        return np.where(np.equal(values, None), np.nan, values).astype(float)
    except (TypeError, ValueError):  # some text among the numbers
        return np.array([np.nan if v is None or isinstance(v, str) else float(v) for v in values.tolist()])


def _dense(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(codes 0..k-1 in the order of the values, first row of each code). Small non-negative
    integers are counted into a table (no sort); anything else is sorted."""
    if values.dtype.kind in "iu" and len(values) and values.min() >= 0 and values.max() < max(len(values), 1 << 16):
        seen = np.zeros(int(values.max()) + 1, dtype=np.int64)
        seen[values] = 1
        codes = (np.cumsum(seen) - 1)[values]
        first = np.empty(int(seen.sum()), dtype=np.int64)
        first[codes[::-1]] = np.arange(len(values) - 1, -1, -1)  # the last write is the first row
        return codes, first
    _, first, codes = np.unique(values, return_index=True, return_inverse=True)
    return codes.astype(np.int64).ravel(), first


def _groups(cols: Mapping, policies: Policies) -> tuple[np.ndarray, np.ndarray, dict]:
    """(group of each row, first row of each group, the rows of each region): rows the engine
    cannot tell apart but by their amounts and date — the key of its profile memo
    (engine.context.Run.who)."""
    key = np.zeros(len(cols["self_pay"]), dtype=np.int64)
    size = 1
    region = _codes(cols["region"])
    masks = {code: region == k for k, code in enumerate(_names(cols["region"], region)) if code in policies.regions}
    parts = [region, _codes(cols["care"]), _codes(cols["identities"])]
    parts += [_fact_codes(masks, values, name, policies) for name, values in sorted(cols.get("facts", {}).items())]
    for codes in parts:  # mixed radix; re-coded only when the next digit could overflow
        radix = int(codes.max(initial=0)) + 1
        if size * radix >= 1 << 62:
            key = np.unique(key, return_inverse=True)[1].astype(np.int64).ravel()
            size = int(key.max(initial=0)) + 1
        key = key * radix + codes
        size *= radix
    return (*_dense(key), masks)


def _names(values: np.ndarray, codes: np.ndarray) -> list:
    """The value of each code, in code order."""
    first = np.unique(codes, return_index=True)[1]
    return [str(values[i]) for i in first]


def _fact_codes(masks: dict, values: np.ndarray, name: str, policies: Policies) -> np.ndarray:
    """One fact as the engine's profile sees it, region by region: not at all when the region's
    rules never read it, by which side of each threshold it is on when they only compare it, else
    the value itself."""
    raw = _codes(values)
    out = np.zeros(len(values), dtype=np.int64)
    numbers = None
    for code, mine in masks.items():
        region = policies.regions[code]
        if name not in (read := facts_read(region)) or not mine.any():
            continue
        bounds = read[name]
        if bounds is None:
            out[mine] = raw[mine] + 1
            continue
        if numbers is None:
            numbers = _numbers(values)
        sides = np.zeros(len(values), dtype=np.int64)
        for bound in bounds:  # base-3 digit per threshold: below, equal, above
            sides = sides * 3 + np.sign(np.nan_to_num(numbers - float(bound))).astype(np.int64) + 1
        given = ~np.isnan(numbers)
        out[mine & given] = sides[mine & given] + 1 + int(raw.max(initial=0)) + 1
        out[mine & ~given] = raw[mine & ~given] + 1  # not stated, or not a number: as given
    return out


# ---------------------------------------------------------------------------------------- plans


@dataclass
class _Candidate:
    """One category a kind of person falls in, with what the arithmetic needs (all in fen)."""

    covered: bool
    pays: bool
    deductible: Decimal | Any  # Decimal, or a StatRef (a share of a dated statistic)
    num: int
    den: int
    caps: tuple  # ((below in fen, or -1 for the last), limit in fen, or -1 for none), ...: the first that holds
    rank: int
    discretionary: bool  # a frame granted at the office's discretion (when the policy data has one)
    category: Category | None
    settlement: str


def _plan(case: Case, policies: Policies) -> list[_Candidate] | None:
    """The candidates of this kind of person, best rank first; None when its rules need the engine."""
    region = policies.regions[case.region]
    run = Run(case, region, policies.common)
    profile = region.memo(run.who, lambda: Profile(run))  # the engine's own memo of this person
    if profile.needs_requires:
        return None
    if not profile.matched:  # no category: nothing the amounts could change
        est = estimate_case(case, policies, explain=False)
        return [_Candidate(False, False, Decimal(0), 0, 1, ((-1, -1),), 0, False, None, est.settlement)]
    out = []
    for m in sorted(profile.matched, key=lambda m: m.tier.rank):
        any_for_care, chosen = m.choice.any_for_care, m.choice.chosen
        if not _plain(region, case, m.tier, chosen, profile):
            return None
        pays = any_for_care and not profile.excluded and chosen is not None and chosen.pays
        num, den = chosen.rate.as_integer_ratio() if pays else (0, 1)
        settlement = "not_covered"
        if any_for_care and not profile.excluded:
            settlement = settlement_for_place(run, m.tier.settlement)
        out.append(_Candidate(any_for_care, pays, chosen.deductible if pays else Decimal(0), num, den,
                              _caps(chosen.cap if pays else None), m.tier.rank,
                              getattr(m.tier, "discretionary", None) is not None, m.category, settlement))
    return out


def _caps(cap) -> tuple:
    """The annual limit as brackets of the year's self-pay (one bracket for a fixed limit)."""
    if cap is None or cap.__class__ is Decimal:
        return ((-1, _fen(cap)),)
    return tuple((_fen(b.below), _fen(b.cap)) for b in cap.by_year_self_pay)


def _fen(value: Decimal | None) -> int:
    return -1 if value is None else int(value * HUNDRED)


def _whole_fen(value) -> bool:
    return value is None or value * HUNDRED == int(value * HUNDRED)


def _plain(region: RegionPolicy, case: Case, tier, chosen: Claim | None, profile) -> bool:
    """Whether this category's claim is deductible, rate and annual limit only, all in whole fen."""
    if chosen is None:
        return True
    if chosen.major and region.major is not None and case.care in region.major.care:
        return False  # 西藏's two tiers
    if region.tilt is not None and case.care in region.tilt.care and tier.tilt_rate is not None and profile.tilt[0]:
        return False  # 倾斜救助
    cap = chosen.cap
    if cap is not None and chosen.major:
        return False  # a limit shared with a second tier
    brackets = [cap] if cap is None or cap.__class__ is Decimal else [
        v for b in cap.by_year_self_pay for v in (b.below, b.cap)]
    if not all(_whole_fen(v) for v in brackets):
        return False  # the integer arithmetic would not be exact
    deductible = chosen.deductible
    if deductible.__class__ is Decimal:
        return _whole_fen(deductible)
    return deductible.round == "yuan"  # a share of a statistic, rounded to the yuan: a whole fen


# ---------------------------------------------------------------------------------------- running


def estimate_table(cols: Mapping[str, Any], policies: Policies | None = None) -> Table:
    """Amounts, category and settlement of every row of a column table (see table_from_cases for
    the columns: region, care, identities as a bit mask, amounts in fen, date, facts)."""
    policies = policies or load_policies()
    n = len(cols["self_pay"])
    for name in AMOUNTS:
        cols = cols if name in cols else {**cols, name: np.zeros(n, dtype=np.int64)}
    group, first, regions = _groups(cols, policies)
    plans: list[list[_Candidate] | None] = []
    for row in first.tolist():
        case = parse_case(_row_case(cols, row))
        plans.append(_plan(case, policies))
    counts = np.bincount(group, minlength=len(first))
    by_engine = np.array([p is None for p in plans], dtype=bool) | (counts < SMALL_GROUP)
    by_engine = by_engine[group] | _before_document(cols, regions, policies)
    categories: dict[tuple, int] = {}
    out = Table(np.zeros(n, dtype=np.int64), np.full(n, -1, dtype=np.int64),
                np.full(n, SETTLEMENTS.index("none"), dtype=np.int64), [], int(by_engine.sum()))
    _vectorised(cols, group, plans, ~by_engine, policies, out, categories)
    for row in np.flatnonzero(by_engine).tolist():
        est = estimate_case(parse_case(_row_case(cols, row)), policies, explain=False)
        out.assistance_fen[row] = int(est.assistance * HUNDRED)
        out.category[row] = -1 if est.category is None else _category_index(est.category, categories, out)
        out.settlement[row] = SETTLEMENTS.index(est.settlement)
    return out


def _category_index(category: Category, seen: dict, out: Table) -> int:
    key = (category.id, category.name, category.identity, category.tier)
    if key not in seen:
        seen[key] = len(out.categories)
        out.categories.append(category)
    return seen[key]


def _before_document(cols: Mapping, regions: dict, policies: Policies) -> np.ndarray:
    """Rows dated before their region's document (the engine says it cannot estimate them), and
    every row of a region with several documents (the care date picks the rules: the engine's job)."""
    early = np.zeros(len(cols["self_pay"]), dtype=bool)
    for code, mine in regions.items():
        if code in policies.periods:
            early |= mine
            continue
        early |= mine & (cols["date"] < np.datetime64(policies.regions[code].document.effective_from, "D"))
    return early


def _vectorised(cols, group, plans, rows_mask, policies, out: Table, categories: dict) -> None:
    """The claim arithmetic of every candidate over all its rows at once, then the best of them."""
    rows = np.flatnonzero(rows_mask)
    if not len(rows):
        return
    g = group[rows]
    width = max(len(p) for p in plans if p is not None)
    sp, ysp, yaid = (cols[name][rows] for name in ("self_pay", "ytd_self_pay", "ytd_aid"))
    best_amount = np.full(len(rows), -1, dtype=np.int64)
    best_covered = np.zeros(len(rows), dtype=bool)
    best_sure = np.zeros(len(rows), dtype=bool)
    best_category = np.full(len(rows), -1, dtype=np.int64)
    best_settlement = np.zeros(len(rows), dtype=np.int64)
    for k in range(width):
        slot = [p[k] if p is not None and k < len(p) else None for p in plans]
        has = np.array([c is not None for c in slot])[g]
        table = _slot_table(slot, categories, out)
        amount = _claim(table, g, rows, cols, sp, ysp, yaid, policies)
        covered, sure = table["covered"][g], ~table["discretionary"][g]
        # the engine's order: covered first, then a category settled by rule over a discretionary
        # frame, then the larger amount; candidates come in rank order, so a tie keeps the higher rank
        better = has & ((covered & ~best_covered) | ((covered == best_covered) & (
            (sure & ~best_sure) | ((sure == best_sure) & (amount > best_amount)))))
        best_amount = np.where(better, amount, best_amount)
        best_covered = np.where(better, covered, best_covered)
        best_sure = np.where(better, sure, best_sure)
        best_category = np.where(better, table["category"][g], best_category)
        best_settlement = np.where(better, table["settlement"][g], best_settlement)
    out.assistance_fen[rows] = best_amount
    out.category[rows] = best_category
    out.settlement[rows] = best_settlement


def _slot_table(slot: list, categories: dict, out: Table) -> dict:
    """The k-th candidate of every group as arrays indexed by group."""
    def column(fn, dtype):
        return np.array([fn(c) if c is not None else 0 for c in slot], dtype=dtype)

    return {
        "covered": column(lambda c: c.covered, bool),
        "discretionary": column(lambda c: c.discretionary, bool),
        "pays": column(lambda c: c.pays, bool),
        "num": column(lambda c: c.num, np.int64),
        "den": np.array([c.den if c is not None else 1 for c in slot], dtype=np.int64),
        "caps": [c.caps if c is not None else ((-1, -1),) for c in slot],
        "category": column(lambda c: -1 if c.category is None else _category_index(c.category, categories, out),
                           np.int64),
        "settlement": column(lambda c: SETTLEMENTS.index(c.settlement), np.int64),
        "deductible": [c.deductible if c is not None else Decimal(0) for c in slot],
    }


def _claim(table: dict, g, rows, cols, sp, ysp, yaid, policies: Policies) -> np.ndarray:
    """This candidate's amount in fen for each row: the engine's deductible left, base, rate
    rounded half-up to the fen and annual limit left, in exact integers."""
    deductible = _deductible_fen(table["deductible"], g, rows, cols, policies)
    to_meet = np.maximum(deductible - ysp, 0)
    base = np.maximum(sp - to_meet, 0)
    den = table["den"][g]
    whole, part = np.divmod(base * table["num"][g], den)
    raw = whole + (part + part >= den)  # half-up
    cap = _cap_fen(table["caps"], g, sp + ysp)
    amount = np.where(cap < 0, raw, np.minimum(raw, np.maximum(cap - yaid, 0)))
    return np.where(table["pays"][g], amount, 0)


def _cap_fen(caps: list, g, year_total) -> np.ndarray:
    """Each row's annual limit in fen (-1: none): the first bracket the year's self-pay is below."""
    depth = max(len(c) for c in caps)
    cap = np.array([c[-1][1] for c in caps], dtype=np.int64)[g]
    for j in range(depth - 2, -1, -1):  # from the last bracket back, so the first that holds wins
        below = np.array([c[j][0] if j < len(c) - 1 else -1 for c in caps], dtype=np.int64)[g]
        limit = np.array([c[j][1] if j < len(c) - 1 else -1 for c in caps], dtype=np.int64)[g]
        cap = np.where((below >= 0) & (year_total < below), limit, cap)
    return cap


def _deductible_fen(deductibles: list, g, rows, cols, policies: Policies) -> np.ndarray:
    """Each row's deductible in fen: a fixed sum, or a share of the statistic of the care year."""
    fixed = np.array([int(d * HUNDRED) if d.__class__ is Decimal else 0 for d in deductibles], dtype=np.int64)
    out = fixed[g]
    dated = [i for i, d in enumerate(deductibles) if d.__class__ is not Decimal]
    if not dated:
        return out
    years = cols["date"][rows].astype("datetime64[Y]").astype(np.int64) + 1970
    regions = cols["region"][rows]
    for i in dated:
        mine = g == i
        region = policies.regions[str(regions[np.argmax(mine)])]
        ref = deductibles[i]
        for year in np.unique(years[mine]).tolist():
            value = statistic(region, policies.common, ref, year, ref.cite)[0] * HUNDRED
            if value != int(value):
                raise ValueError(f"{region.name}: a deductible of {value} fen is not whole")
            out[mine & (years == year)] = int(value)
    return out
