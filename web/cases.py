"""Form fields / roster cells (strings, as people type them) → a Case dict for the engine.

Shared by the cadre form and the roster. Values are read leniently (`1.8万`, `2,000元`,
`2024/6/1`, `二级`, `是`); what the strict tables do not know is read by the chat's own
understanding (`bot.understand`: 两万, 两万多, 地保户, 紫阳县 → 安康), and every such reading is
said back ("自付金额“两万多”按20,000元"). Then the engine checks the case strictly. Errors use the engine's shape:
{field, field_zh, message, message_zh}.
"""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any, Mapping

import engine
from bot.understand import (
    YEARS_BACK, day_for, find_care, find_identities, find_region, month_span, parse_amount, plainly_general, says_unknown,
)
from engine.case import FIELD_ZH
from engine.money import yuan
from engine.vocabulary import FACT_SPECS, FACTS

from .labels import LabelError, lookup, parse_bool, parse_identities, region_name, region_names

# canonical field names used by forms and rosters
YTD = {"ytd_self_pay": "self_pay", "ytd_aid": "aid", "ytd_tilt_aid": "tilt_aid"}
FACT_FIELDS = FACTS  # the facts common.yaml declares, in its order
MONEY = ("self_pay", *YTD, *(name for name in FACTS if FACT_SPECS[name]["kind"] == "money"))
INTS = tuple(name for name in FACTS if FACT_SPECS[name]["kind"] == "int")

FIELD_LABELS = {
    **FIELD_ZH,
    "ytd_self_pay": "本年已自付", "ytd_aid": "本年已获救助", "ytd_tilt_aid": "本年已获倾斜救助",
}

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_FULLWIDTH = str.maketrans("０１２３４５６７８９．，－", "0123456789.,-")


def _err(field: str, message: str, message_zh: str) -> dict:
    leaf = field.split(".")[-1]
    return {"field": field, "field_zh": FIELD_LABELS.get(leaf, leaf), "message": message, "message_zh": message_zh}


def money_text(raw: str) -> str:
    """`1.8万` → `18000`; `2,000元` → `2000`; anything else is handed on for the engine to refuse."""
    text = str(raw).translate(_FULLWIDTH).strip().replace(",", "").replace(" ", "")
    text = text.removeprefix("¥").removeprefix("￥").removesuffix("元").removesuffix("块")
    factor = Decimal(1)
    if text.endswith(("万", "w", "W")):
        factor, text = Decimal(10000), text[:-1]
    try:
        value = Decimal(text) * factor
    except InvalidOperation:
        return str(raw).strip()
    return format(value.normalize(), "f") if value == value.to_integral_value() else format(value, "f")


# A roster repeats the same few words thousands of times: each distinct cell is understood once.
# Each reader gives (value, how it was read or None); a LabelError is not cached (rare, and cheap).

def _noted(read: tuple[Any, str | None], readings: list[str]) -> Any:
    """The value a reader found; how it read the input (if it had to) goes to `readings`."""
    value, reading = read
    if reading:
        readings.append(reading)
    return value


def _money(raw: str, label: str, readings: list[str]) -> str:
    return _noted(_read_money(str(raw), label), readings)


@lru_cache(maxsize=4096)
def _read_money(raw: str, label: str) -> tuple[str, str | None]:
    text = money_text(raw)
    try:
        Decimal(text)
        return text, None
    except InvalidOperation:
        pass
    got = parse_amount(raw)
    if not got.ok:
        return text, None       # the engine refuses it with its own words
    return format(got.value, "f"), f"{label}“{raw[:20]}”按{yuan(got.value)}"


def _region(raw: str, readings: list[str]) -> str:
    return _noted(_read_region(str(raw)), readings)


@lru_cache(maxsize=1024)
def _read_region(raw: str) -> tuple[str, str | None]:
    try:
        return lookup("region", raw), None
    except LabelError:
        place = find_region(raw)
        if place is None or place.region is None or place.ambiguous:
            raise
        return place.region, f"地区“{raw[:20]}”按{region_name(place.region)}（{place.place}）"


def _care(raw: str, readings: list[str]) -> str:
    return _noted(_read_care(str(raw)), readings)


@lru_cache(maxsize=256)
def _read_care(raw: str) -> tuple[str, str | None]:
    try:
        return lookup("care", raw), None
    except LabelError:
        code = find_care(raw)
        if not code:
            raise
        if code == "outpatient_general" and not plainly_general(raw):  # a bare 门诊 may be 门诊慢特病
            raise LabelError(f"which outpatient care: {raw!r}", f"“{raw[:20]}”没说是哪种门诊") from None
        label = engine.load_policies().common.care.get(code, code).split("（")[0]
        return code, f"就医类型“{raw[:20]}”按{label}"


def _identities(raw: str, readings: list[str]) -> list[str]:
    return list(_noted(_read_identities(str(raw)), readings))


@lru_cache(maxsize=4096)
def _read_identities(raw: str) -> tuple[tuple[str, ...], str | None]:
    try:
        return tuple(parse_identities(raw)), None
    except LabelError:
        found = find_identities(raw)
        if found.unsure and not found.negated:  # "孤寡老人": probably 特困人员, which the cadre confirms
            maybe = "、".join(dict.fromkeys(_identity_label(code) for _, code in found.unsure))
            words = "、".join(dict.fromkeys(word for word, _ in found.unsure))
            raise LabelError(f"unsure identity {raw!r}", f"“{words[:20]}”可能是{maybe}：确认后请直接填“{maybe}”")
        if not found.codes or found.negated:
            raise
        named = "、".join(_identity_label(c) for c in found.codes)
        return tuple(dict.fromkeys(found.codes)), f"身份“{raw[:20]}”按{named}"


def _identity_label(code: str) -> str:
    return engine.load_policies().common.identities.get(code, code).split("（")[0]


def int_value(raw: str) -> Any:
    text = str(raw).translate(_FULLWIDTH).strip()
    text = re.sub(r"[级岁人档周]|周岁|一档$", "", text) if not text.isdigit() else text
    if len(text) == 1 and text in _CN_DIGITS:
        return _CN_DIGITS[text]
    try:
        return int(text)
    except ValueError:
        try:
            as_float = float(text)
        except ValueError:
            return str(raw).strip()
        return int(as_float) if as_float.is_integer() else as_float


def date_text(raw: str) -> str:
    return _read_date(str(raw))[0]


_DATE_READING = "就医日期只填了"
_MONTH_ONLY_RE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?")
_YEAR_ONLY_RE = re.compile(r"(\d{4})\s*年")
# "3月5日", "去年12月3号", "今年3月": no year written, or a year said as a word (the chat's words)
_NO_YEAR_RE = re.compile(r"(" + "|".join(YEARS_BACK) + r")?\s*(\d{1,2})\s*月\s*(?:(\d{1,2})\s*[日号]?)?")


def _read_date(raw: str) -> tuple[str, str | None]:
    """(the date as YYYY-MM-DD, or the text for the engine to refuse; how a month or a year alone was
    read: the day the chat uses too, bot.understand.day_for)."""
    text = raw.translate(_FULLWIDTH).strip()
    m = re.fullmatch(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?", text)
    if m:
        return f"{int(m.group(1)):04d}-{int(m.group(2)):02d}-{int(m.group(3)):02d}", None
    m = re.fullmatch(r"(\d{4})(\d{2})(\d{2})", text)
    if m:
        return f"{m.group(1)}-{m.group(2)}-{m.group(3)}", None
    day = _day_without_year(text)
    if day is not None:
        said = "按" if text.startswith(tuple(YEARS_BACK)) else "没写年份，按"
        return day.isoformat(), f"就医日期“{raw[:20]}”{said}{_day_text(day)}算。"
    parts = _month_or_year(text)
    if parts is not None:
        year, month = parts
        day = day_for(year, month)
        said = f"{year}年{month}月" if month else f"{year}年"
        return day.isoformat(), f"{_DATE_READING}{said}，按{day.month}月{day.day}日算。"
    return text, None


def _month_or_year(text: str) -> tuple[int, int | None] | None:
    """(year, month or None) of a care date written as a month or a year only ("2023年10月"), or as a
    month of this year or the last ("去年12月"; "3月": this year's, or last year's when still to come)."""
    m = _MONTH_ONLY_RE.fullmatch(text) or _YEAR_ONLY_RE.fullmatch(text)
    if m:
        if len(m.groups()) > 1 and not 1 <= int(m.group(2)) <= 12:
            return None
        return int(m.group(1)), int(m.group(2)) if len(m.groups()) > 1 else None
    m = _NO_YEAR_RE.fullmatch(text)
    if not m or m.group(3) or not 1 <= int(m.group(2)) <= 12:
        return None
    return _year_of(m.group(1), int(m.group(2)), 1), int(m.group(2))


def _day_without_year(text: str) -> dt.date | None:
    """"3月5日" / "去年12月3号": the day, in this year unless that is still to come (then last year's)."""
    m = _NO_YEAR_RE.fullmatch(text)
    if not m or not m.group(3):
        return None
    month, day = int(m.group(2)), int(m.group(3))
    try:
        return dt.date(_year_of(m.group(1), month, day), month, day)
    except ValueError:
        return None  # not a day (of that year): the engine says so


def _year_of(word: str | None, month: int, day: int) -> int:
    today = dt.date.today()
    if word:
        return today.year - YEARS_BACK[word]
    return today.year if (month, day) <= (today.month, today.day) else today.year - 1


def build_case(fields: Mapping[str, Any]) -> tuple[dict, list[dict]]:
    """(case dict, errors found while reading the words). Empty strings mean "not stated"."""
    case, errors, _ = read_case(fields)
    return case, errors


def read_case(fields: Mapping[str, Any]) -> tuple[dict, list[dict], list[str]]:
    """(case dict, errors, readings): readings say how a value that needed the chat's understanding
    was read, for the form and the roster to show."""
    case: dict[str, Any] = {}
    errors: list[dict] = []
    readings: list[str] = []

    def get(name: str) -> str:
        return _field_text(fields.get(name))

    _read_person(get, case, errors, readings)
    _read_bill(get, case, errors, readings)
    facts = _read_facts(get, errors, readings)
    if facts:
        case["facts"] = facts
    span = _date_span(get("date")) if get("date") else None
    if span is not None and not errors:
        _day_of_a_change(case, span, readings)
    return case, errors, readings


def _date_span(raw: str) -> tuple[dt.date, dt.date] | None:
    """The first and last day of a care date written as a month or a year only ("2023年10月")."""
    parts = _month_or_year(raw.translate(_FULLWIDTH).strip())
    return None if parts is None else month_span(*parts)


def _day_of_a_change(case: dict, span: tuple[dt.date, dt.date], readings: list) -> None:
    """A month or year whose rules change on a day inside it, and this case's answer with them: the
    day used moves to the side that pays less (engine.side_for_unknown_day) and the reading asks
    for the day itself."""
    try:
        change = engine.changing_day(case, *span)
    except engine.CaseError:
        return  # the engine names what is wrong when the case is estimated
    if change is None:
        return
    after = engine.side_for_unknown_day(case, change) == "after"
    used = dt.date.fromisoformat(case["date"])
    if (used >= change) != after:
        used = change if after else change - dt.timedelta(days=1)
    case["date"] = used.isoformat()
    if change == engine.load_policies().first_day(case["region"]):  # before it nothing can be estimated
        why = f"；要是{_day_text(change)}以前，当时的办法这里没有收录。"
    else:
        why = "（算少不算多）。"
    said = next(i for i, text in enumerate(readings) if text.startswith(_DATE_READING))
    readings[said] = readings[said].split("，按")[0] + \
        f"，{_day_text(change)}前后算法不一样：请填具体哪一天。现按{used.month}月{used.day}日算{why}"


def _day_text(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _field_text(value: Any) -> str:
    """A form or roster cell as text; several values (a multi-select) joined with 、."""
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return "、".join(str(v) for v in value if str(v).strip())
    return str(value).strip()


def _read_person(get, case: dict, errors: list, readings: list) -> None:
    """Region, identities and the kind of care."""
    raw = get("region")
    if raw:
        try:
            case["region"] = _region(raw, readings)
        except LabelError as exc:
            errors.append(_err("region", str(exc), f"{exc.message_zh}，可填：{region_names()}"))
    else:
        errors.append(_err("region", "missing", "没有填写"))
    try:
        case["identities"] = _identities(get("identities"), readings)
    except LabelError as exc:
        errors.append(_err("identities", str(exc), exc.message_zh))
    raw = get("care")
    if raw:
        try:
            case["care"] = _care(raw, readings)
        except LabelError as exc:
            errors.append(_err("care", str(exc), f"{exc.message_zh}，可填：住院、门诊慢特病、重特大门诊、普通门诊"))
    else:
        errors.append(_err("care", "missing", "没有填写"))


def _read_bill(get, case: dict, errors: list, readings: list) -> None:
    """The self-pay, the care date and what this year already brought."""
    raw = get("self_pay")
    if raw:
        case["self_pay"] = _money(raw, FIELD_LABELS["self_pay"], readings)
    else:
        errors.append(_err("self_pay", "missing", "没有填写"))
    raw = get("date")
    if raw:
        case["date"] = _noted(_read_date(raw), readings)
    ytd = {key: _money(raw, FIELD_LABELS[name], readings) for name, key in YTD.items()
           if (raw := get(name)) and not _not_known(raw, FIELD_LABELS[name], readings)}
    if ytd:
        case["year_to_date"] = ytd


def _not_known(raw: str, label: str, readings: list) -> bool:
    """"不记得" in a year-to-date cell: counted as none, which can only raise the estimate, and said so."""
    if not says_unknown(raw) or parse_amount(raw).ok:
        return False
    readings.append(f"{label}“{raw[:20]}”按没有算：要是拿过救助，会占掉一年的限额，这次实际会少一些。"
                    if "救助" in label else f"{label}“{raw[:20]}”按没有算。")
    return True


def _read_facts(get, errors: list, readings: list) -> dict:
    """The facts stated, each read by its kind (common.yaml `facts:`); a fact read as nothing is left out."""
    facts: dict[str, Any] = {}
    for name in FACT_FIELDS:
        raw = get(name)
        if not raw:
            continue
        try:
            if name in MONEY:
                facts[name] = _money(raw, FIELD_LABELS[name], readings)
            elif name in INTS:
                facts[name] = int_value(raw)
            elif FACT_SPECS[name]["kind"] == "bool":
                facts[name] = parse_bool(raw)
            elif FACT_SPECS[name]["kind"] == "choice":
                facts[name] = lookup(name, raw)
        except LabelError as exc:
            errors.append(_err(f"facts.{name}", str(exc), exc.message_zh))
    return {k: v for k, v in facts.items() if v is not None}
