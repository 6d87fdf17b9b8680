"""The column table: building it from case dicts, reading one row back as a case, and checking
every row before anything is computed (a bad value refuses the call, naming the rows)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Mapping, Sequence

import numpy as np
from pydantic import ValidationError

from ..case import FIELD_ZH, FIRST_DATE, LAST_DATE, MAX_AMOUNT, Facts
from ..conditions import IDENTITIES
from ..money import HUNDRED, fen
from ..policy import Policies
from ..vocabulary import CARE_TYPES, FACT_SPECS
from .groups import coded_words

AMOUNTS = ("self_pay", "ytd_self_pay", "ytd_aid", "ytd_tilt_aid")
MAX_FEN = int(MAX_AMOUNT * HUNDRED)  # the engine's own limit on an amount (engine.case)
SHOWN_ROWS = 10  # rows named in an error message; TableError.rows holds them all
_BIT = {code: 1 << i for i, code in enumerate(IDENTITIES)}
_AMOUNT_ZH = {"self_pay": FIELD_ZH["self_pay"], "ytd_self_pay": "今年此前的自付", "ytd_aid": FIELD_ZH["aid"],
              "ytd_tilt_aid": FIELD_ZH["tilt_aid"]}


class TableError(ValueError):
    """Bad rows: `problems` is a list of (column, column in Chinese, what is wrong, 问题, rows)."""

    def __init__(self, problems: list[tuple]):
        self.problems = problems
        self.rows = np.unique(np.concatenate([p[4] for p in problems])) if problems else np.zeros(0, np.int64)
        super().__init__("; ".join(f"{col}（{zh}）: {msg}（{msg_zh}）" + (f", row {_rows_text(rows)}" if len(rows) else "")
                                   for col, zh, msg, msg_zh, rows in problems))


def _rows_text(rows: np.ndarray) -> str:
    shown = ", ".join(str(r) for r in rows[:SHOWN_ROWS].tolist())
    return shown + (f" … ({len(rows):,} rows)" if len(rows) > SHOWN_ROWS else "")


# ---------------------------------------------------------------------------------------- building


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


def fact_value(column: np.ndarray, i: int):
    """Row i of a fact column as the engine reads it, or None when not stated."""
    return _value(column[i], _kind(column))


def _kind(column: np.ndarray) -> str:
    """How a fact column is read: "b" yes/no (int8, -1 not stated), "i" whole numbers (other
    integer types), "f" numbers (NaN not stated), "U" words ("" not stated), "O" anything."""
    kind = column.dtype.kind
    if kind in "iu":
        return "b" if column.dtype == np.int8 else "i"
    return "U" if kind == "S" else kind if kind in "fU" else "O"


def _value(value, kind: str):
    if kind == "b":
        return None if value < 0 else bool(value)
    if kind == "i":
        return int(value)
    if kind == "f":
        if np.isnan(value):
            return None
        return int(value) if float(value).is_integer() else repr(float(value))  # numeric text: read exactly
    if kind == "U":
        return str(value) or None
    return value.item() if hasattr(value, "item") else value


def identity_mask(codes) -> int:
    mask = 0
    for code in codes:
        mask |= _BIT[code]
    return mask


def row_case(cols: Mapping, i: int) -> dict:
    """Row i as the case dict engine.estimate takes."""
    case = person(cols, i)
    case["self_pay"] = Decimal(int(cols["self_pay"][i])) / HUNDRED
    case["year_to_date"] = {k: Decimal(int(cols[f"ytd_{k}"][i])) / HUNDRED for k in ("self_pay", "aid", "tilt_aid")}
    return case


def person(cols: Mapping, i: int) -> dict:
    """Row i without its amounts (a bill of 0): all the engine's profile of the person reads."""
    mask = int(cols["identities"][i])
    case = {"region": str(cols["region"][i]), "care": str(cols["care"][i]),
            "identities": [code for code, bit in _BIT.items() if mask & bit], "self_pay": 0,
            "date": str(cols["date"][i])}
    facts = {}
    for name, values in cols.get("facts", {}).items():
        value = fact_value(values, i)
        if value is not None:
            facts[name] = value
    if facts:
        case["facts"] = facts
    return case


def money_fen(column: np.ndarray) -> np.ndarray:
    """A money fact column in fen as the engine reads it (half-up to the fen), -1 where not stated."""
    kind = _kind(column)
    distinct, inverse = _distinct(column, kind)
    values = [_value(v, kind) for v in distinct.tolist()]
    fens = np.array([-1 if v is None else int(fen(Decimal(str(v))) * HUNDRED) for v in values], dtype=np.int64)
    return fens[inverse]


def _distinct(column: np.ndarray, kind: str) -> tuple[np.ndarray, np.ndarray]:
    if kind == "O":
        return _distinct_objects(column)
    distinct, inverse = np.unique(column, return_inverse=True)
    return distinct, inverse.ravel()


def _distinct_objects(column: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    seen: dict = {}
    inverse = np.fromiter((seen.setdefault(v, len(seen)) for v in column.tolist()), dtype=np.int64,
                          count=len(column))
    out = np.empty(len(seen), dtype=object)
    out[:] = list(seen)
    return out, inverse


# ---------------------------------------------------------------------------------------- checking


def checked(cols: Mapping[str, Any], policies: Policies) -> dict:
    """The columns with every row checked (TableError naming the bad rows, nothing computed) and
    the missing year-to-date columns filled with zeros."""
    if not isinstance(cols, Mapping) or "self_pay" not in cols:
        raise TableError([("self_pay", FIELD_ZH["self_pay"], "missing column", "缺少这一列", np.zeros(0, np.int64))])
    n = len(cols["self_pay"])
    out = dict(cols)
    problems: list[tuple] = []
    for name in AMOUNTS:
        if name not in out:
            out[name] = np.zeros(n, dtype=np.int64)
        out[name] = _amount(out[name], name, n, problems)
    out["coded"] = coded = {}  # codes of the word columns, reused by the grouping
    for name, allowed in (("region", sorted(policies.regions)), ("care", list(CARE_TYPES))):
        out[name] = _words(out.get(name), name, n, allowed, problems, coded)
    out["identities"] = _identities(out.get("identities"), n, problems)
    out["date"] = _dates(out.get("date"), n, problems)
    out["facts"] = _facts(out.get("facts") or {}, n, problems, coded)
    if problems:
        raise TableError(problems)
    return out


def _column(values, n: int, name: str, zh: str, problems: list) -> np.ndarray | None:
    if values is None:
        problems.append((name, zh, "missing column", "缺少这一列", np.zeros(0, np.int64)))
        return None
    values = np.asarray(values)
    if values.ndim != 1 or len(values) != n:
        problems.append((name, zh, f"must be one value a row ({n:,} rows)", f"每行一个值（共{n:,}行）",
                         np.zeros(0, np.int64)))
        return None
    return values


def _amount(values, name: str, n: int, problems: list) -> np.ndarray:
    zh = _AMOUNT_ZH[name]
    values = _column(values, n, name, zh, problems)
    if values is None:
        return np.zeros(n, dtype=np.int64)
    if values.dtype.kind not in "iu":
        problems.append((name, zh, "must be whole fen (an integer column)", "必须是整数（分）", np.arange(min(n, 1))))
        return np.zeros(n, dtype=np.int64)
    values = values.astype(np.int64, copy=False)  # read, never written: no copy of an int64 column
    for bad, msg, msg_zh in ((values < 0, "must not be negative", "不能是负数"),
                             (values > MAX_FEN, "is absurdly large (over 100,000,000 yuan)",
                              "金额太大（超过1亿元），请核对")):
        if bad.any():
            problems.append((name, zh, msg, msg_zh, np.flatnonzero(bad)))
    return values


def _words(values, name: str, n: int, allowed: list, problems: list, coded: dict) -> np.ndarray:
    values = _column(values, n, name, FIELD_ZH[name], problems)
    if values is None:
        return np.full(n, allowed[0])
    if values.dtype.kind not in "US":
        values = values.astype(str)
    codes, names = coded[name] = coded_words(values)
    bad = np.isin(codes, [k for k, word in enumerate(names) if word not in allowed])
    if bad.any():
        problems.append((name, FIELD_ZH[name], f"not one of {allowed}", "不是可用的值", np.flatnonzero(bad)))
    return values


def _identities(values, n: int, problems: list) -> np.ndarray:
    values = _column(values, n, "identities", FIELD_ZH["identities"], problems)
    if values is None:
        return np.zeros(n, dtype=np.int64)
    if values.dtype.kind not in "iu":
        problems.append(("identities", FIELD_ZH["identities"], "must be bit masks (identity_mask)",
                         "应为身份代码的位掩码", np.arange(min(n, 1))))
        return np.zeros(n, dtype=np.int64)
    values = values.astype(np.int64, copy=False)
    bad = (values < 0) | (values >= 1 << len(IDENTITIES))
    if bad.any():
        problems.append(("identities", FIELD_ZH["identities"], "unknown identity bits", "不认识的身份",
                         np.flatnonzero(bad)))
    return values


def _dates(values, n: int, problems: list) -> np.ndarray:
    values = _column(values, n, "date", FIELD_ZH["date"], problems)
    if values is None:
        return np.full(n, np.datetime64(dt.date.today(), "D"))
    try:
        values = values.astype("datetime64[D]", copy=False)
    except (ValueError, TypeError):
        problems.append(("date", FIELD_ZH["date"], "must be dates written YYYY-MM-DD",
                         "日期不存在或格式不对（应为 YYYY-MM-DD）", np.arange(min(n, 1))))
        return np.full(n, np.datetime64(dt.date.today(), "D"))
    bad = np.isnat(values) | (values < np.datetime64(FIRST_DATE, "D")) | (values > np.datetime64(LAST_DATE, "D"))
    if bad.any():
        problems.append(("date", FIELD_ZH["date"], f"must be a date from {FIRST_DATE} to {LAST_DATE}",
                         "日期超出范围（1990-01-01 至 2100-12-31）", np.flatnonzero(bad)))
    return values


def _facts(facts: Mapping, n: int, problems: list, coded: dict) -> dict:
    out = {}
    for name, values in facts.items():
        zh = FIELD_ZH.get(name, name)
        if name not in FACT_SPECS:
            problems.append((f"facts.{name}", zh, "unknown fact", "不认识的字段", np.zeros(0, np.int64)))
            continue
        values = _column(values, n, f"facts.{name}", zh, problems)
        if values is None:
            continue
        bad = _bad_values(values, name, coded)
        if bad.any():
            problems.append((f"facts.{name}", zh, "not a value this fact can take", "不是可用的值",
                             np.flatnonzero(bad)))
        out[name] = values
    return out


def _bad_values(values: np.ndarray, name: str, coded: dict) -> np.ndarray:
    """Rows whose value the engine's own Facts model refuses; each distinct value is asked once,
    and a column of numbers is checked against the fact's domain without asking per value."""
    kind = _kind(values)
    spec = FACT_SPECS[name]["kind"]
    if kind in "fi" and spec in ("int", "money"):
        numbers = values.astype(np.float64, copy=False)
        low, high = (FACT_SPECS[name]["min"], FACT_SPECS[name]["max"]) if spec == "int" else (0, float(MAX_AMOUNT))
        ok = (numbers >= low) & (numbers <= high) & ((numbers == np.round(numbers)) if spec == "int" else True)
        return ~np.isnan(numbers) & ~ok
    if kind == "b" and spec == "bool":
        return (values < -1) | (values > 1)
    if kind == "U" and spec == "choice":
        codes, names = coded[f"facts.{name}"] = coded_words(values)
        return np.isin(codes, [k for k, word in enumerate(names) if word and word not in FACT_SPECS[name]["values"]])
    if kind in "bfi":  # e.g. numbers for words: every stated value refused, not guessed at
        return stated(values)
    # words for a number ("1200.5": the engine reads it), or a column of objects: each distinct value asked
    distinct, inverse = _distinct_objects(values) if kind == "O" else _distinct(values, kind)
    refused = np.array([not _accepted(name, _value(v, kind)) for v in distinct.tolist()], dtype=bool)
    return refused[inverse] if len(refused) else np.zeros(len(values), dtype=bool)


def stated(values: np.ndarray) -> np.ndarray:
    """Which rows of a fact column state a value."""
    kind = _kind(values)
    if kind == "b":
        return values >= 0
    if kind == "f":
        return ~np.isnan(values)
    if kind == "U":
        return values != ""
    if kind == "O":
        return ~np.equal(values, None)
    return np.ones(len(values), dtype=bool)


def _accepted(name: str, value) -> bool:
    if value is None:
        return True
    try:
        Facts.model_validate({name: value})
    except ValidationError:
        return False
    return True
