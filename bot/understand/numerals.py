"""Chinese and mixed numerals -> Decimal (三万五, 1万2, 一百二十万, 3.5万, 20k …), and years and
days as people say them."""

from __future__ import annotations

import calendar
import re

from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

CN_DIGITS = {
    "零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "俩": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
    "八": 8, "九": 9, "壹": 1, "贰": 2, "貳": 2, "叁": 3, "參": 3, "肆": 4, "伍": 5, "陆": 6, "陸": 6,
    "柒": 7, "捌": 8, "玖": 9, "幺": 1, "仨": 3,
}
SMALL_UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000, "k": 1000}
BIG_UNITS = {"万": 10_000, "萬": 10_000, "w": 10_000, "亿": 100_000_000, "億": 100_000_000}
NUMERAL_CHARS = "".join(CN_DIGITS) + "".join(SMALL_UNITS) + "".join(BIG_UNITS) + "0123456789.点"


def _tokens(s: str) -> list[tuple[str, object]] | None:
    """Split into ('num', Decimal, is_single_digit), ('unit', int), ('big', int), ('zero',)."""
    out: list[tuple] = []
    i = 0
    n = len(s)
    while i < n:
        ch = s[i]
        if ch.isdigit() and ch.isascii():
            j = i
            while j < n and s[j].isascii() and s[j].isdigit():
                j += 1
            if j < n and s[j] in ".点" and j + 1 < n and s[j + 1].isascii() and s[j + 1].isdigit():
                j += 1
                while j < n and s[j].isascii() and s[j].isdigit():
                    j += 1
            txt = s[i:j].replace("点", ".")
            try:
                out.append(("num", Decimal(txt), j - i == 1))
            except InvalidOperation:
                return None
            i = j
        elif ch in CN_DIGITS:
            # a run of Chinese digits: 一二零零 = 1200; 三点五 = 3.5
            j = i
            digits = []
            while j < n and s[j] in CN_DIGITS:
                digits.append(CN_DIGITS[s[j]])
                j += 1
            if len(digits) == 1 and digits[0] == 0:
                out.append(("zero",))
                i = j
                continue
            frac = ""
            if j < n and s[j] in ".点" and j + 1 < n and s[j + 1] in CN_DIGITS:
                j += 1
                while j < n and s[j] in CN_DIGITS:
                    frac += str(CN_DIGITS[s[j]])
                    j += 1
            if len(digits) == 2 and digits[1] == digits[0] + 1 and digits[0] != 0 and not frac:
                # 两三万, 三四千: a range; the caller gets the midpoint
                out.append(("range", Decimal(digits[0]), Decimal(digits[1])))
            else:
                txt = "".join(str(d) for d in digits) + ("." + frac if frac else "")
                out.append(("num", Decimal(txt), len(digits) == 1 and not frac))
            i = j
        elif ch in SMALL_UNITS:
            out.append(("unit", SMALL_UNITS[ch]))
            i += 1
        elif ch in BIG_UNITS:
            out.append(("big", BIG_UNITS[ch]))
            i += 1
        elif ch in "多来余" and out and out[-1][0] == "unit" and i + 1 < n and s[i + 1] in BIG_UNITS:
            out.append(("about",))  # 十多万, 十来万, 百余万
            i += 1
        else:
            return None
    return out


class _Numeral:
    """One numeral read token by token, left to right; a step returns False when the tokens are
    not one number (3 5, 五百三千, 万 without a number)."""

    __slots__ = ("total", "section", "num", "num_single", "last_unit", "zero_seen", "is_range", "last_big")

    def __init__(self) -> None:
        self.total = Decimal(0)  # sum of finished 万/亿 sections
        self.section = Decimal(0)  # within the current 万 section
        self.num: Decimal | None = None
        self.num_single = False
        self.last_unit: int | None = None  # last unit used (for 三万五 -> 五千)
        self.zero_seen = False
        self.is_range = False
        self.last_big: int | None = None

    def number(self, tok: tuple) -> bool:
        if self.num is not None:
            return False  # two numbers in a row: 3 5
        if tok[0] == "range":
            self.num, self.is_range, self.num_single = (tok[1] + tok[2]) / 2, True, True
        else:
            self.num, self.num_single = tok[1], tok[2]
        return True

    def about(self, tok: tuple) -> bool:
        self.is_range = True
        return True

    def zero(self, tok: tuple) -> bool:
        self.zero_seen = True
        return self.num is None

    def unit(self, tok: tuple) -> bool:
        unit, last_unit, last_big = tok[1], self.last_unit, self.last_big
        if self.num is None:
            if unit != 10 or self.section != 0:
                return False
            self.num = Decimal(1)  # 十万 = 10万, 十五 = 15
        if last_unit is not None and last_big is None and unit >= last_unit:
            return False  # 五百三千
        if last_big is not None and last_unit is not None and last_unit < last_big and unit >= last_unit:
            return False
        self.section += self.num * unit
        self.last_unit, self.num, self.zero_seen = unit, None, False
        return True

    def big(self, tok: tuple) -> bool:
        unit = tok[1]
        if self.num is not None:
            self.section += self.num
            self.num = None
        if self.section == 0 and self.total == 0:
            return False  # 万 without a number
        if self.last_big is not None and unit >= self.last_big:
            return False  # 一万万 or 2亿万: multiplied (rare), refused
        self.total += self.section * unit
        self.section = Decimal(0)
        self.last_big = self.last_unit = unit
        self.zero_seen = False
        return True

    def value(self) -> tuple[Decimal, bool] | None:
        num, last_unit = self.num, self.last_unit
        if self.is_range and num is not None:
            return None  # 七八 / 一二 without a unit is not a range of money (两三万 is)
        section = self.section
        if num is not None:
            if last_unit is not None and not self.zero_seen and self.num_single and last_unit >= 10:
                section += num * (Decimal(last_unit) / 10)  # 三万五 -> 5000, 八百五 -> 50
            elif last_unit is not None and not self.zero_seen and last_unit >= 10 and num >= last_unit:
                return None  # 3万50000
            else:
                section += num
        return self.total + section, self.is_range


_STEPS = {"num": _Numeral.number, "range": _Numeral.number, "about": _Numeral.about, "zero": _Numeral.zero,
          "unit": _Numeral.unit, "big": _Numeral.big}


# "一万五六" / "两万三四" / "三千五六": two digits in a row after 万/千 are a range of the next unit
# down (一万五六千, 三千五六百), as 三万五 is 三万五千
_DIGITS = "一二三四五六七八九"
_NEXT_UNIT = {"万": "千", "千": "百", "萬": "千", "仟": "百"}
_NEXT_UNIT_RANGE_RE = re.compile(r"([万千萬仟])([一二三四五六七八])([二三四五六七八九])$")


def _with_next_unit(m: re.Match) -> str:
    unit, low, high = m.groups()
    if _DIGITS.index(high) != _DIGITS.index(low) + 1:
        return m.group(0)
    return f"{unit}{low}{high}{_NEXT_UNIT[unit]}"


def parse_numeral(s: str) -> tuple[Decimal, bool] | None:
    """Parse one numeral string. Returns (value, approximate) or None when it is not a number;
    approximate for ranges (两三万 -> 25000) and 十多万/十来万.

    Colloquial shortening: 三万五 = 35000, 八百五 = 850, 一千二 = 1200, 1万2 = 12000;
    但 一千零五 = 1005."""
    s = _NEXT_UNIT_RANGE_RE.sub(_with_next_unit, s)
    toks = _tokens(s)
    if not toks:
        return None
    reading = _Numeral()
    for tok in toks:
        step = _STEPS.get(tok[0])
        if step is not None and not step(reading, tok):
            return None
    return reading.value()


def cn_int(s: str) -> int | None:
    """Small integers: '二' -> 2, '十五' -> 15, '65' -> 65, '六十五' -> 65."""
    r = parse_numeral(s)
    if r is None or r[1]:
        return None
    v = r[0]
    if v != v.to_integral_value():
        return None
    return int(v)


def full_year(year: int, latest: int) -> int:
    """A year as said: 1950 stays 1950; "50" / "25" (two digits) is the latest year ending so that is
    not after `latest` (50 → 1950, 25 → 2025 when latest is 2026)."""
    if year >= 100:
        return year
    return latest - (latest - year) % 100


def day_for(year: int, month: int | None) -> date:
    """The day an estimate uses for care said only as a month (the 15th) or a year (1 July): what the
    rules read changes by year (limits used, statistics, the transition period), not by day, except
    where a region's document starts or ends within that month or year (README: the care date)."""
    return date(year, month, 15) if month else date(year, 7, 1)


def month_span(year: int, month: int | None) -> tuple[date, date]:
    """The first and last day of care said only as a month, or as a year."""
    if month is None:
        return date(year, 1, 1), date(year, 12, 31)
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def span_words(year: int, month: int | None, first: date, last: date) -> str:
    """"3月1日或以后": where the care days first..last lie within the month or year said ("" when they
    are all of it), as the answers to "那天是在3月1日以前还是以后？" narrowed them."""
    whole_first, whole_last = month_span(year, month)
    after = last + timedelta(days=1)
    words = ([f"{first.month}月{first.day}日或以后"] if first > whole_first else []) + \
        ([f"{after.month}月{after.day}日以前"] if last < whole_last else [])
    return "、".join(words)
