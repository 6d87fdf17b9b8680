"""The claim arithmetic over many rows at once, in exact integer fen: the ordinary claim
(deductible left, rate rounded half-up to the fen, annual limit left), 西藏's second tier on what
the first left, 倾斜救助 (both modes) and a `requires:` test on the bill — the formulas of
engine.pricing and engine.extras, with every figure from the candidates (engine.table.plans)."""
from __future__ import annotations

from decimal import ROUND_CEILING, Decimal
from typing import NamedTuple

import numpy as np

from ..context import statistic
from ..money import HUNDRED
from ..policy import Common
from .columns import money_fen
from .plans import Candidate, int_fen


class Rows(NamedTuple):
    """The amounts (fen) and care years of the rows being priced, and where to find their facts."""

    self_pay: np.ndarray
    ytd_self_pay: np.ndarray
    ytd_aid: np.ndarray
    ytd_tilt_aid: np.ndarray
    years: np.ndarray  # index into `year_list`
    year_list: list
    index: np.ndarray  # the rows' numbers in the table
    facts: dict  # the table's fact columns, read only when a requires: asks for one


class Priced(NamedTuple):
    amount: np.ndarray
    kept: np.ndarray  # the candidate exists for the row and its requires: holds
    exact: np.ndarray  # False where a figure is not a whole fen (the engine prices those rows)


def half_up(p: np.ndarray, q) -> np.ndarray:
    """p / q rounded half-up to an integer (Decimal's ROUND_HALF_UP) for p ≥ 0, q > 0: every
    amount here is (rates lie in 0–1 and sums are never negative, engine.policy Rate, Money)."""
    return (p + p + q) // (q + q)


def _by_group(slot: list, fn, dtype, empty=0) -> np.ndarray:
    return np.array([empty if c is None else fn(c) for c in slot], dtype=dtype)


def price(slot: list[Candidate | None], g: np.ndarray, rows: Rows, common: Common, memo: dict) -> Priced:
    """The k-th candidate of every row's group (slot[group]), priced for every row."""
    present = _by_group(slot, lambda c: True, bool, False)[g]
    pays = _by_group(slot, lambda c: c.pays, bool)[g]
    num, den = _by_group(slot, lambda c: c.num, np.int64)[g], _by_group(slot, lambda c: c.den, np.int64, 1)[g]
    sp, ysp, yaid = rows.self_pay, rows.ytd_self_pay, rows.ytd_aid
    deductible, exact = _dated(slot, g, rows, common, memo, lambda c: c.deductible if c.pays else None, whole=True)
    to_meet = np.maximum(deductible - ysp, 0)
    base = np.maximum(sp - to_meet, 0)
    raw = half_up(base * num, den)
    cap = _cap(slot, g, sp + ysp)
    aid_cap = _by_group(slot, lambda c: c.aid_cap, np.int64, -1)[g]
    cap_left = np.maximum(cap - np.where(aid_cap >= 0, np.minimum(yaid, aid_cap), yaid), 0)
    regular = np.where(pays, np.where(cap < 0, raw, np.minimum(raw, cap_left)), 0)
    amount = regular.copy()
    # the extras run on the rows they apply to only (西藏, 乌鲁木齐 and 黔江 rows, requires: rows)
    if any(c is not None and c.major is not None for c in slot):
        at = np.flatnonzero(_by_group(slot, lambda c: c.major is not None, bool)[g] & pays)
        amount[at] += _major(slot, g[at], subset(rows, at), common, memo, regular[at], num[at], den[at])
    if any(c is not None and c.tilt is not None for c in slot):
        at = np.flatnonzero(_by_group(slot, lambda c: c.tilt is not None, bool)[g])
        amount[at] += _tilt(slot, g[at], subset(rows, at), regular[at], base[at], num[at], den[at], cap[at],
                            cap_left[at], pays[at])
    kept = present
    if any(c is not None and c.requires is not None for c in slot):
        at = np.flatnonzero(_by_group(slot, lambda c: c.requires is not None, bool)[g] & present)
        kept[at] = _requires(slot, g[at], subset(rows, at))
    return Priced(amount, kept, exact)


def subset(rows: Rows, at: np.ndarray) -> Rows:
    return Rows(rows.self_pay[at], rows.ytd_self_pay[at], rows.ytd_aid[at], rows.ytd_tilt_aid[at], rows.years[at],
                rows.year_list, rows.index[at], rows.facts)


def _cap(slot: list, g, year_total) -> np.ndarray:
    """Each row's annual limit in fen (-1: none): the first bracket the year's self-pay is below."""
    caps = [((-1, -1),) if c is None else c.caps for c in slot]
    depth = max(len(c) for c in caps)
    cap = np.array([c[-1][1] for c in caps], dtype=np.int64)[g]
    for j in range(depth - 2, -1, -1):  # from the last bracket back, so the first that holds wins
        below = np.array([c[j][0] if j < len(c) - 1 else -1 for c in caps], dtype=np.int64)[g]
        limit = np.array([c[j][1] if j < len(c) - 1 else -1 for c in caps], dtype=np.int64)[g]
        cap = np.where((below >= 0) & (year_total < below), limit, cap)
    return cap


def _dated(slot: list, g, rows: Rows, common: Common, memo: dict, pick, whole: bool) -> tuple:
    """A figure of each row's candidate in fen: a fixed sum, or a share of the statistic of the care
    year (engine.context.statistic). whole: a figure that is not a whole fen marks the row inexact;
    else it is rounded up (it is only ever compared with whole fen: x < t ⇔ x < ⌈t⌉)."""
    figures = [None if c is None else pick(c) for c in slot]
    if all(f is None or f.__class__ is Decimal for f in figures):  # fixed sums: no year to look up
        value = [Decimal(0) if f is None else f * HUNDRED for f in figures]
        fixed = np.array([int(v.to_integral_value(ROUND_CEILING)) for v in value], dtype=np.int64)
        ok = np.array([v == int(v) or not whole for v in value], dtype=bool)
        return fixed[g], ok[g]
    table = np.zeros((len(slot), len(rows.year_list)), dtype=np.int64)
    ok = np.ones(table.shape, dtype=bool)
    for i, c in enumerate(slot):
        figure = None if c is None else pick(c)
        if figure is None:
            continue
        for y, year in enumerate(rows.year_list):
            value = figure * HUNDRED if figure.__class__ is Decimal else _statistic_fen(c, figure, year, common, memo)
            rounded = value.to_integral_value(ROUND_CEILING)
            table[i, y] = int(rounded)
            ok[i, y] = rounded == value or not whole
    at = g * len(rows.year_list) + rows.years
    return table.ravel()[at], (ok.ravel()[at] if not ok.all() else np.ones(len(g), dtype=bool))


def _statistic_fen(c: Candidate, ref, year: int, common: Common, memo: dict) -> Decimal:
    key = (id(c.region), ref.statistic, ref.share, ref.year_offset, ref.round, year)
    if key not in memo:
        memo[key] = statistic(c.region, common, ref, year, ref.cite)[0] * HUNDRED
    return memo[key]


def _major(slot: list, g, rows: Rows, common: Common, memo: dict, regular, num, den) -> np.ndarray:
    """西藏 重特大疾病医疗救助 on what the ordinary tier left (engine.extras.major_part)."""
    ordinary_cap = _by_group(slot, lambda c: int_fen(c.major.ordinary_cap) if c.major else 0, np.int64)[g]
    major_cap = _by_group(slot, lambda c: int_fen(c.major.cap) if c.major else 0, np.int64)[g]
    threshold, _ = _dated(slot, g, rows, common, memo, lambda c: c.major.threshold if c.major else None, whole=False)
    yaid = rows.ytd_aid
    residual = rows.self_pay - regular
    left = np.maximum(major_cap - np.maximum(yaid - ordinary_cap, 0), 0)
    year_residual = np.maximum(rows.ytd_self_pay - np.minimum(yaid, ordinary_cap), 0) + residual
    paid = (residual > 0) & (year_residual >= threshold)
    return np.where(paid, np.minimum(half_up(residual * num, den), left), 0)


def _tilt(slot: list, g, rows: Rows, regular, base, num, den, cap, cap_left, pays) -> np.ndarray:
    """倾斜救助 (engine.extras.tilt_part): over the annual limit (乌鲁木齐) or over a yearly
    threshold of what is left (黔江), within the tilt's own limit; only a positive part is paid."""
    over_cap = _by_group(slot, lambda c: c.tilt is not None and c.tilt.over_cap, bool)[g]
    tnum = _by_group(slot, lambda c: c.tilt.num if c.tilt else 0, np.int64)[g]
    tden = _by_group(slot, lambda c: c.tilt.den if c.tilt else 1, np.int64, 1)[g]
    tilt_cap = _by_group(slot, lambda c: c.tilt.cap if c.tilt else 0, np.int64)[g]
    threshold = _by_group(slot, lambda c: c.tilt.threshold if c.tilt else 0, np.int64)[g]
    tilt_left = np.maximum(tilt_cap - rows.ytd_tilt_aid, 0)
    # 乌鲁木齐: the cost the limit left unpaid, base - cap_left / rate, rounded to the fen
    unpaid = base * num - cap_left * den
    over = half_up(unpaid, np.where(num > 0, num, 1))
    beyond = pays & (num > 0) & (cap >= 0) & (unpaid > 0)
    # 黔江: this claim's share of the year's leftover self-pay above the threshold
    before = np.maximum(rows.ytd_self_pay - rows.ytd_aid, 0)
    now = rows.self_pay - regular
    above = np.maximum(before + now - threshold, 0) - np.maximum(before - threshold, 0)
    tilt_base = np.where(over_cap, over, above)
    amount = np.minimum(half_up(tilt_base * tnum, tden), tilt_left)
    return np.where(np.where(over_cap, beyond, True) & (amount > 0), amount, 0)


def _requires(slot: list, g, rows: Rows) -> np.ndarray:
    """Whether each row's candidate keeps its `requires:`: self-pay ≥ share × the fact, or the
    engine's answer for an unstated fact."""
    holds = np.ones(len(g), dtype=bool)
    for fact in {c.requires.fact for c in slot if c is not None and c.requires is not None}:
        mine = _by_group(slot, lambda c: c.requires is not None and c.requires.fact == fact, bool)[g]
        num = _by_group(slot, lambda c: c.requires.num if c.requires and c.requires.fact == fact else 0, np.int64)[g]
        den = _by_group(slot, lambda c: c.requires.den if c.requires and c.requires.fact == fact else 1,
                        np.int64, 1)[g]
        unknown = _by_group(slot, lambda c: bool(c.requires and c.requires.when_unknown), bool)[g]
        if fact is None:
            continue
        column = rows.facts.get(fact)
        value = np.full(len(g), -1, dtype=np.int64) if column is None else money_fen(column[rows.index])
        test = np.where(value >= 0, rows.self_pay * den >= num * value, unknown)
        holds &= np.where(mine, test, True)
    return holds
