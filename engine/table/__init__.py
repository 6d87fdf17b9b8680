"""The population path: the engine's amounts, category and settlement for a whole column table of
cases at once, for the policy pages and for county offices asking "what would this cost".

    >>> cols = table_from_cases([{"region": "guangxi", "identities": ["dibao"], "care": "inpatient",
    ...                           "self_pay": 20000, "date": "2024-06-01"}])
    >>> estimate_table(cols).assistance_fen.tolist()
    [1800000]

Every answer agrees with `engine.estimate` case by case (tests/engine/test_table.py). How, one
module per job:
  * columns: every row is checked first (TableError names the bad rows; nothing is computed);
  * groups: rows are grouped by the engine's amount-free profile (region and the set of its rules
    the care date picks, care, identities, the facts the rules read) — the kind of person the
    engine memoises (engine.answer.Profile);
  * plans: the profile says which categories match and which claim rule each uses; deductible,
    rate, limits, 西藏's second tier, 倾斜救助 and `requires:` are read from the policy objects, so
    a changed policy file changes this path too;
  * claims: the arithmetic of each candidate category over all its rows at once in integer fen
    (rates as exact fractions, rounding half-up to the fen as engine.money.fen);
then the best category is picked by the engine's rule (engine.categories.rank_key: covered first,
a category settled by rule over a discretionary frame, the largest amount, the lower rank), and
rows dated before their document get the engine's "not yet in force" answer (no amount).
After the check, rows are grouped and priced CHUNK at a time, so the arithmetic's temporaries stay
the same size for any table (a fresh process's first touch of its memory was half the first call).

Only a rule the integer arithmetic could not reproduce exactly (a figure that is not a whole fen,
a rate with a huge denominator) sends its rows to `engine.estimate` one by one;
`Table.engine_rows` says how many.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Mapping

import numpy as np

from ..calc import estimate_case
from ..case import Category, parse_case
from ..context import facts_read
from ..money import HUNDRED
from ..policy import Policies
from ..policy import default as load_policies
from .claims import Rows, price, subset
from .columns import (AMOUNTS, TableError, checked, fact_column, fact_value, identity_mask, person, row_case,
                      table_from_cases)
from .groups import group_rows
from .plans import Candidate, plan

__all__ = ["AMOUNTS", "SETTLEMENTS", "Table", "TableError", "estimate_table", "fact_column", "fact_value",
           "identity_mask", "row_case", "table_from_cases"]

SETTLEMENTS = ("one_stop", "application", "manual", "not_covered", "none")
CHUNK = 1 << 19  # rows priced at a time: the temporaries stay bounded (~150 MB) whatever the table's size
_NONE = SETTLEMENTS.index("none")


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


def estimate_table(cols: Mapping[str, Any], policies: Policies | None = None, chunk: int = CHUNK) -> Table:
    """Amounts, category and settlement of every row of a column table (see table_from_cases for
    the columns: region, care, identities as a bit mask, amounts in fen, date, facts). A bad value
    in any row raises TableError naming the rows, before anything is computed. Rows are priced
    `chunk` at a time (the answers are the same for any chunk size)."""
    if chunk < 1:
        raise ValueError(f"chunk must be at least one row, got {chunk}")
    policies = policies or load_policies()
    cols = checked(cols, policies)
    n = len(cols["self_pay"])
    out = Table(np.zeros(n, dtype=np.int64), np.full(n, -1, dtype=np.int64), np.full(n, _NONE, dtype=np.int64),
                [], 0)
    categories: dict[tuple, int] = {}
    for start in range(0, n, chunk):
        stop = min(n, start + chunk)
        part = Table(out.assistance_fen[start:stop], out.category[start:stop], out.settlement[start:stop],
                     out.categories, 0)  # views: the part writes the whole table's rows
        _estimate_rows(_rows_of(cols, start, stop), policies, part, categories)
        out.engine_rows += part.engine_rows
    return out


def _rows_of(cols: Mapping, start: int, stop: int) -> dict:
    """Rows start..stop of checked columns (views, no copies), with their word codes."""
    part = {name: values[start:stop] for name, values in cols.items() if name not in ("facts", "coded")}
    part["facts"] = {name: values[start:stop] for name, values in cols["facts"].items()}
    part["coded"] = {name: (codes[start:stop], names) for name, (codes, names) in cols["coded"].items()}
    return part


def _estimate_rows(cols: Mapping, policies: Policies, out: Table, categories: dict) -> None:
    """estimate_table's work on checked rows, written into `out`."""
    grouped = group_rows(cols, policies)
    plans = [_plan_of(cols, row, grouped.policies[rules], policies)
             for row, rules in zip(grouped.first.tolist(), grouped.rules[grouped.first].tolist())]
    starts = np.array([np.datetime64(p.document.effective_from, "D") for p in grouped.policies])
    early = cols["date"] < starts[grouped.rules]  # the engine: "the document is not in force yet"
    by_engine = np.array([p is None for p in plans], dtype=bool)[grouped.group] & ~early
    inexact = _vectorised(cols, grouped.group, plans, ~by_engine & ~early, policies, out, categories)
    by_engine |= inexact
    out.engine_rows = int(by_engine.sum())
    for row in np.flatnonzero(by_engine).tolist():
        est = estimate_case(parse_case(row_case(cols, row)), policies, explain=False)
        out.assistance_fen[row] = int(est.assistance * HUNDRED)
        out.category[row] = -1 if est.category is None else _category_index(est.category, categories, out)
        out.settlement[row] = SETTLEMENTS.index(est.settlement)


def _plan_of(cols: Mapping, row: int, region, policies: Policies) -> list | None:
    """The plan of row's kind of person, memoised with the region's rules like the engine's own
    profile: the key holds the care, the identities and the facts the rules read, as given (never
    an amount; the profile reads none, engine.answer.Profile), so the person is built from the
    first row of a group, without its bill, only the first time the kind is met."""
    read = facts_read(region)
    key = ("table plan", str(cols["care"][row]), int(cols["identities"][row]),
           tuple((name, fact_value(values, row)) for name, values in sorted(cols["facts"].items()) if name in read))
    return region.memo(key, lambda: plan(parse_case(person(cols, row)), region, policies))


def _category_index(category: Category, seen: dict, out: Table) -> int:
    key = (category.id, category.name, category.identity, category.tier)
    if key not in seen:
        seen[key] = len(out.categories)
        out.categories.append(category)
    return seen[key]


def _rows(cols: Mapping, rows: np.ndarray, plans: list) -> Rows:
    dated = any(c.deductible.__class__ is not Decimal or c.major is not None for p in plans if p for c in p)
    days = cols["date"][rows]
    if dated:  # the care year, for the figures that are a share of a year's statistic
        first, last = (int(str(d)[:4]) for d in (days.min(), days.max()))
        starts = np.array([np.datetime64(f"{y}-01-01", "D") for y in range(first, last + 2)])
        years, year_list = np.searchsorted(starts, days, side="right") - 1, list(range(first, last + 1))
    else:
        years, year_list = np.zeros(len(rows), dtype=np.int64), [0]
    return Rows(*(cols[name][rows] for name in AMOUNTS), years, year_list, rows, cols.get("facts", {}))


def _vectorised(cols, group, plans: list, mask: np.ndarray, policies: Policies, out: Table,
                categories: dict) -> np.ndarray:
    """Every candidate priced over all its rows at once, then the best of them (rank_key). Returns
    the rows whose figures were not whole fen (for the engine)."""
    inexact = np.zeros(len(mask), dtype=bool)
    rows = np.flatnonzero(mask)
    width = max((len(p) for p in plans if p is not None), default=0)
    if not len(rows) or not width:
        return inexact
    g = group[rows]
    data = _rows(cols, rows, plans)
    memo: dict = {}
    best = {"amount": np.zeros(len(rows), dtype=np.int64), "any": np.zeros(len(rows), dtype=bool),
            "covered": np.zeros(len(rows), dtype=bool), "sure": np.zeros(len(rows), dtype=bool),
            "category": np.full(len(rows), -1, dtype=np.int64),
            "settlement": np.full(len(rows), _NONE, dtype=np.int64)}
    bad = np.zeros(len(rows), dtype=bool)
    count = np.array([0 if p is None else len(p) for p in plans], dtype=np.int64)[g]
    for k in range(width):
        slot = [p[k] if p is not None and k < len(p) else None for p in plans]
        at = np.flatnonzero(count > k) if k else None  # the rows whose kind of person has a k-th category
        priced = price(slot, g if at is None else g[at], data if at is None else subset(data, at), policies.common, memo)
        if at is None:
            bad |= priced.kept & ~priced.exact
        else:
            bad[at] |= priced.kept & ~priced.exact
        _keep_better(best, priced, slot, g, at, categories, out)
    out.assistance_fen[rows] = best["amount"]
    out.category[rows] = best["category"]
    out.settlement[rows] = best["settlement"]
    inexact[rows[bad]] = True
    return inexact


def _keep_better(best: dict, priced, slot: list[Candidate | None], g, at, categories: dict, out: Table) -> None:
    """The engine's order (rank_key): covered first, then a category settled by rule over a
    discretionary frame, then the larger amount; candidates come in rank order, so a tie keeps the
    higher rank. A candidate whose requires: failed is not among them. `at`: the rows priced (all
    when None)."""
    g = g if at is None else g[at]

    def per_group(fn, dtype):
        return np.array([0 if c is None else fn(c) for c in slot], dtype=dtype)[g]

    now = best if at is None else {name: values[at] for name, values in best.items()}
    covered = per_group(lambda c: c.covered, bool)
    sure = ~per_group(lambda c: c.discretionary, bool)
    amount = priced.amount
    better = priced.kept & (~now["any"] | (covered & ~now["covered"]) | ((covered == now["covered"]) & (
        (sure & ~now["sure"]) | ((sure == now["sure"]) & (amount > now["amount"])))))
    for name, value in (("amount", amount), ("covered", covered), ("sure", sure), ("any", True),
                        ("category", per_group(lambda c: _category_index(c.category, categories, out), np.int64)),
                        ("settlement", per_group(lambda c: SETTLEMENTS.index(c.settlement), np.int64))):
        if at is None:
            best[name] = np.where(better, value, best[name])
        else:
            best[name][at] = np.where(better, value, now[name])
