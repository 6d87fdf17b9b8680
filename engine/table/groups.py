"""Grouping rows by the engine's amount-free profile: rows the engine cannot tell apart but by
their amounts and date (the key of its profile memo, engine.context.Run.who), and which set of a
region's rules (document, dated values) the care date picks."""
from __future__ import annotations

from typing import Mapping, NamedTuple

import numpy as np

from ..context import facts_read
from ..policy import Policies, RegionPolicy

FEW = 64  # a column with at most this many distinct values is coded by comparing, not hashing


class Groups(NamedTuple):
    group: np.ndarray  # the group of each row, 0..k-1
    first: np.ndarray  # the first row of each group
    rules: np.ndarray  # the rules of each row: an index into `policies`
    policies: list  # the RegionPolicy in force for each rules index


def group_rows(cols: Mapping, policies: Policies) -> Groups:
    """Group the rows of checked columns (engine.table.columns.checked)."""
    coded = cols["coded"]
    rules, in_force = _rules(cols, policies, *coded["region"])
    by_rules = [(region, np.flatnonzero(rules == k)) for k, region in enumerate(in_force)]
    parts = [rules, coded["care"][0], _codes(cols["identities"])]
    for name, values in sorted(cols.get("facts", {}).items()):
        codes = _fact_codes(by_rules, values, name, coded.get(f"facts.{name}"))
        if codes is not None:
            parts.append(codes)
    n = len(cols["self_pay"])
    key = np.zeros(n, dtype=np.int64)
    size = 1
    for codes in parts:  # mixed radix; re-coded (counted, not sorted) before the key outgrows the rows
        radix = int(codes.max(initial=0)) + 1
        if size * radix > _counted(n):
            key = _dense(key)[0]
            size = int(key.max(initial=0)) + 1
        key = key * radix + codes
        size *= radix
    group, first = _dense(key)
    return Groups(group, first, rules, in_force)


def _rules(cols: Mapping, policies: Policies, region: np.ndarray, names: list) -> tuple[np.ndarray, list]:
    """Each row's region, and for a region whose rules change by date, the stretch of dates its
    care date falls in (before the first: the first, as Policies.region_on)."""
    if not any(code in policies.periods for code in names):  # the usual case: the region code is the rules
        return region, [policies.regions[code] for code in names]
    rules = np.zeros(len(region), dtype=np.int64)
    in_force: list[RegionPolicy] = []
    for k, code in enumerate(names):
        mine = region == k
        periods = policies.periods.get(code)
        if periods is None:
            rules[mine] = len(in_force)
            in_force.append(policies.regions[code])
            continue
        starts = np.array([np.datetime64(start, "D") for start, _ in periods])
        which = np.maximum(np.searchsorted(starts, cols["date"][mine], side="right") - 1, 0)
        rules[mine] = len(in_force) + which
        in_force.extend(policy for _, policy in periods)
    return rules, in_force


def coded_words(values: np.ndarray) -> tuple[np.ndarray, list]:
    """(codes, the word of each code) of a column of words."""
    empty = values == ""
    if np.count_nonzero(empty) * 2 > len(values):  # a fact most rows leave unstated: code the rest
        at = np.flatnonzero(~empty)
        codes = np.zeros(len(values), dtype=np.int64)
        stated, names = coded_words(values[at])
        codes[at] = stated + 1
        return codes, [""] + names
    return _codes_by_compare(values, dict.fromkeys(np.unique(values[:FEW]).tolist()), exhaustive=False)


def _codes(values: np.ndarray) -> np.ndarray:
    """Small integer codes of a column (equal values, equal codes; None is a value)."""
    if values.dtype.kind in "US":
        return coded_words(values)[0]
    if values.dtype != object:
        return _dense(values)[0]
    distinct = set(values.tolist())
    if len(distinct) <= FEW:  # a fact with few values: one comparison per value, in C
        return _codes_by_compare(values, distinct, exhaustive=True)[0]
    seen: dict = {}
    return np.fromiter((seen.setdefault(v, len(seen)) for v in values.tolist()), dtype=np.int64, count=len(values))


def _codes_by_compare(values: np.ndarray, known, exhaustive: bool) -> tuple[np.ndarray, list]:
    """(codes, the value of each code): the known values first, in their order, then (unless
    `exhaustive`) any other value in the order of its first row."""
    codes = np.zeros(len(values), dtype=np.int64)
    seen = np.zeros(len(values), dtype=bool)
    same = np.empty(len(values), dtype=bool)
    names = list(known)
    for k, value in enumerate(names):  # at most FEW: the byte-sized product below cannot overflow
        np.equal(values, None if value is None else value, out=same)
        if k:
            codes += same.view(np.int8) * np.int8(k)
        seen |= same
    if exhaustive:
        return codes, names
    left = ~seen
    while left.any():  # names not among the first rows
        word = values[np.argmax(left)]
        same = values == word
        codes[same] = len(names)
        names.append(word.item())  # a word of a str or bytes column, as the known ones are
        left &= ~same
    return codes, names


def _numbers(values: np.ndarray) -> np.ndarray:
    """A fact column as floats, NaN where not stated (or not a number)."""
    if values.dtype == np.int8:  # yes/no: -1 is "not stated"
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
    if values.dtype.kind == "f" and len(values):  # whole numbers as floats (NaN: not stated): count them
        gaps = np.isnan(values)
        whole = np.where(gaps, 0, values)
        if np.array_equal(whole, np.round(whole)) and np.abs(whole).max() < 1 << 30:
            low = int(whole.min()) - 1
            return _dense(np.where(gaps, low, whole).astype(np.int64))
    low = int(values.min()) if values.dtype.kind in "iu" and len(values) else 0
    if values.dtype.kind in "iu" and len(values) and int(values.max()) - low < _counted(len(values)):
        values = values - low if low else values
        seen = np.zeros(int(values.max()) + 1, dtype=np.int64)
        seen[values] = 1
        codes = (np.cumsum(seen) - 1)[values]
        first = np.empty(int(seen.sum()), dtype=np.int64)
        first[codes[::-1]] = np.arange(len(values) - 1, -1, -1)  # the last write is the first row
        return codes, first
    _, first, codes = np.unique(values, return_index=True, return_inverse=True)
    return codes.astype(np.int64).ravel(), first


def _counted(n: int) -> int:
    """How large a range of integer codes is counted into a table rather than sorted."""
    return max(4 * n, 1 << 16)


def _fact_codes(by_rules: list, values: np.ndarray, name: str, coded) -> np.ndarray | None:
    """One fact as the engine's profile sees it, rules by rules: not at all when they never read
    it (None when no rules do), by which side of each threshold it is on when they only compare
    it, else the value itself."""
    readers = [(read[name], at) for region, at in by_rules if name in (read := facts_read(region)) and len(at)]
    if not readers:
        return None
    out = np.zeros(len(values), dtype=np.int64)
    raw = None
    if values.dtype.kind in "OUS" or any(bounds is None for bounds, _ in readers):  # words: by the value
        raw = coded[0] if coded is not None else _codes(values)
    offset = int(raw.max(initial=0)) + 2 if raw is not None else 1
    for bounds, at in readers:
        if bounds is None:  # the value itself
            out[at] = raw[at] + 1
            continue
        numbers = _numbers(values[at])
        sides = np.zeros(len(at), dtype=np.int64)
        for bound in bounds:  # base-3 digit per threshold: below, equal, above
            sides = sides * 3 + np.sign(np.nan_to_num(numbers - float(bound))).astype(np.int64) + 1
        number = ~np.isnan(numbers)
        out[at[number]] = sides[number] + offset
        if raw is not None:  # not stated, or not a number: as given
            out[at[~number]] = raw[at[~number]] + 1
    return out
