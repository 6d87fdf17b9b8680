"""Texts that state a policy figure take it from the rules: `{region:path|format}` in a text of
common.yaml (a Reading) is replaced, at load, by that rule value of that region's file, formatted
as the engine shows amounts. Change the rate in the region's file and the text follows.

    按{xizang:tiers[4].claims[0].rate|percent}救助，计入普通医疗救助年度限额（{xizang:major.ordinary_cap|wan}）
"""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any

from .money import percent, plain, yuan

PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]*):([A-Za-z_][A-Za-z0-9_.\[\]]*)\|([a-z_]+)\}")
_STEP = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)((?:\[\d+\])*)")


def short_yuan(value: Decimal) -> str:
    """`15万元`, `4,481元`: the engine's amount without the exact figure in brackets (for prose)."""
    return yuan(value).split("（")[0]


def times(value: Decimal) -> str:
    """`1.5` → `1.5倍`: a multiple of a standard (安康's 1.5倍低保标准)."""
    return f"{value.normalize():f}倍"


def digits(value: Decimal) -> str:
    """`4481` → `4481`: a yuan figure as people type it in a question (no thousands comma)."""
    return plain(value).replace(",", "")


def number(value: Decimal) -> str:
    """`1.5` → `1.5`: a bare factor inside a formula (no unit, no trailing zeros)."""
    return f"{value.normalize():f}"


def months(value: Decimal) -> str:
    """`6` → `6个月`."""
    return f"{value.normalize():f}个月"


def points(value: Decimal) -> str:
    """`0.05` → `5个百分点`: a rate raised by so much (大病保险 倾斜)."""
    return f"{(value * 100).normalize():f}个百分点"


def rest_percent(value: Decimal) -> str:
    """`0.9` → `10%`: what is left of a share (the 10% a person pays when 90% is paid for them)."""
    return percent(1 - value)


# plain: `10,000`, a bare yuan figure inside a worked sum such as （10,000−3,000）×80%
FORMATS = {"wan": short_yuan, "yuan": yuan, "percent": percent, "plain": plain,
           "times": times, "number": number, "digits": digits, "months": months, "points": points, "rest_percent": rest_percent}


def day(value: date) -> str:
    """`2022-08-01` → `2022年8月1日`: a document's dates as prose writes them (no leading zeros)."""
    return f"{value.year}年{value.month}月{value.day}日"


def year(value: date) -> str:
    """`2025-12-31` → `2025年`."""
    return f"{value.year}年"


DATE_FORMATS = {"date": day, "year": year}


class FigureError(ValueError):
    """A placeholder that names no rule value: the message says which and why."""


def value_at(obj: Any, path: str) -> Any:
    """`tiers[4].claims[0].rate` of a loaded region policy."""
    for part in path.split("."):
        step = _STEP.fullmatch(part)
        if step is None:
            raise FigureError(f"{path!r}: cannot read {part!r}")
        name, indexes = step.groups()
        if isinstance(obj, dict):  # statistics.income_all, figures.fund_fee: keyed by name
            if name not in obj:
                raise FigureError(f"{path!r}: no {name!r} here")
            obj = obj[name]
        elif not hasattr(obj, name):
            raise FigureError(f"{path!r}: no {name!r} here")
        else:
            obj = getattr(obj, name)
        for index in re.findall(r"\d+", indexes):
            try:
                obj = obj[int(index)]
            except (IndexError, TypeError, KeyError) as exc:
                raise FigureError(f"{path!r}: no item {index} of {name!r}") from exc
    return obj


def render(text: str, regions: dict) -> str:
    """The text with every placeholder replaced; FigureError for one that names no figure."""
    def one(match: re.Match) -> str:
        code, path, form = match.groups()
        if code not in regions:
            raise FigureError(f"{match.group(0)}: no region {code!r}")
        if form not in FORMATS and form not in DATE_FORMATS:
            raise FigureError(f"{match.group(0)}: unknown format {form!r}; known: {', '.join([*FORMATS, *DATE_FORMATS])}")
        value = value_at(regions[code], path)
        if form in DATE_FORMATS:
            if not isinstance(value, date):
                raise FigureError(f"{match.group(0)}: {path} is not a date ({type(value).__name__})")
            return DATE_FORMATS[form](value)
        if not isinstance(value, Decimal):
            raise FigureError(f"{match.group(0)}: {path} is not a figure ({type(value).__name__})")
        return FORMATS[form](value)

    out = PLACEHOLDER.sub(one, text)
    if "{" in out or "}" in out:
        raise FigureError(f"a brace that is not a placeholder {{region:path|format}} in {text!r}")
    return out
