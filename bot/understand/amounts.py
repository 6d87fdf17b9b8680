"""Money amounts typed on a phone -> Decimal yuan (parse_amount)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from .normalize import compact, strip_punct
from .numerals import parse_numeral

LIMIT = Decimal("10000000")  # above this the amount is absurd for one person's medical bill

MESSAGES = {
    "negative": "金额不能是负数，请重新输入。",
    "too_large": "金额太大了，请核对（单位是元）。",
    "unknown": "不知道也没关系，可以先跳过。",
    "vague": "请说一个大概的数字，例如：20000 或 2万。",
    "ambiguous": "您提到了好几个金额。一次只算一个人的一次看病，请只告诉我一个，例如：2万。",
    "unreadable": "没看懂这个金额，请输入数字，例如：20000 或 2万。",
    "empty": "请输入金额，例如：20000 或 2万。",
    "upper_bound": "“不到”“以内”只说了最多多少。请说一个大概的数字，拿不准就说小一点的。",
}

_D = "0-9零〇一二两俩仨三四五六七八九十百千万亿壹贰貳叁參肆伍陆陸柒捌玖拾佰仟萬億幺"
_DIG = "0-9零〇一二两俩仨三四五六七八九壹贰叁肆伍陆柒捌玖幺"
# a numeral run; '.'/点 only between digits, w/k only right after a numeral
_RUN_RE = re.compile(
    rf"(?:[{_D}]|(?<=[{_DIG}])[.点](?=[{_DIG}])|(?<=[{_D}])[wk](?![a-z])|(?<=[十百千拾佰仟])[多来余](?=[万萬亿]))+"
)
# 2到3万, 2-3万, 两到三千
_RANGE_SEP = re.compile(r"^(到|至|-|~|或|或者)$")
_NOT_MONEY_AFTER = set("级岁甲乙次个天年月号日口人楼层位名周期项种家条床倍度%℃分秒点小届栋间张斤里米亩克粒道所路掌cm")
_MONEY_AFTER = ("元", "块", "圆", "rmb", "人民币", "钱", "w", "k")
_APPROX_RE = re.compile(r"大概|大约|约|左右|差不多|将近|接近|估计|上下|出头|可能|好像|应该|多块|来块|多元|不到|快|以内|以下|之内|以上|上万")
# an upper bound only ("不到两万", "两万以内"): priced as the bound it would over-promise, so asked
_BELOW_BEFORE_RE = re.compile(r"(不到|不足|不够|少于|低于|没到|没有到|没超过|不超过|不满|未满)$")
_BELOW_AFTER_RE = re.compile(r"^[元块钱]?(以内|以下|之内|之下|不到)")
_MORE_RE = re.compile(rf"[{_D}wk]多")
_UNKNOWN_RE = re.compile(r"不知道|不清楚|不记得|记不得|记不清|忘了|忘记|不确定|说不清|没算过|没算|不晓得|不懂|没数|不了解|搞不清|跳过")
_VAGUE_RE = re.compile(r"很多|好多|不少|挺多|蛮多|特别多|太多|一大笔|几万|几千|好几|若干|一些|有点多|很贵|花了不少|万把|千把|百把")
_ZERO_WORDS = {"没有", "没", "无", "零", "没得", "木有", "没拿过", "没有拿过", "没领过", "没有领过", "还没有", "还没",
               "一分没有", "一分也没有", "一分都没有", "没有钱", "没花", "没拿", "没领", "都没有", "没有的"}
_ZERO_RE = re.compile(r"没花钱|没花|一分钱?没|一分没|全报了|全部报销|全报销|不用自己出|没出钱|不用出钱|没有自付|没自付|免费|零元|0元")


@dataclass
class AmountResult:
    value: Decimal | None                  # yuan, 0 <= value <= 10,000,000
    error: str | None = None               # negative too_large unknown vague ambiguous unreadable empty
    message: str | None = None             # short Chinese message for the user when error
    approx: bool = False                   # "大概两万多": read as about
    note: str | None = None                # Chinese note, e.g. "按约20000元计算"
    candidates: list[Decimal] = field(default_factory=list)  # all amounts seen (ambiguous)
    money: bool = True                     # a unit or money word was said (元/块/万/千/¥): "2" alone is not

    @property
    def ok(self) -> bool:
        return self.value is not None and self.error is None


def _err(code: str, candidates: list[Decimal] | None = None) -> AmountResult:
    return AmountResult(None, code, MESSAGES[code], candidates=candidates or [])


@dataclass
class _Found:
    value: Decimal
    start: int
    end: int
    money: bool          # has a unit, 元/块, or 万/千: clearly money
    negative: bool
    approx: bool


def _fix_commas(t: str) -> str:
    # 35,000 / 1,200,000 -> digits; (normalisation turned ，into ,)
    t = re.sub(r"(?<=\d),(?=\d{3}(?!\d))", "", t)
    return re.sub(r"(?<=\d),(?=\d{4}(?![\d,]))", "", t)  # 2,0000: grouping by 万


def find_amounts(text: str) -> list[_Found]:
    """All numeral runs in normalised compact text that may be amounts, with context flags."""
    return _scan(text)[0]


def _scan(text: str) -> tuple[list[_Found], list[int]]:
    """(amounts, positions of vague amounts such as 几万/数十万)."""
    t = _fix_commas(text)
    found: list[_Found] = []
    vague_hits: list[int] = []
    runs = list(_RUN_RE.finditer(t))
    skip_next = False
    for idx, m in enumerate(runs):
        if skip_next:
            skip_next = False
            continue
        if m.group(0)[0] in "百千万亿佰仟萬億wk":
            continue  # a run must not start with a unit other than 十 (万一, 千万别, 百度)
        pair = _range_of(t, m, runs[idx + 1] if idx + 1 < len(runs) else None)
        if pair is not None:  # 2到3万 / 两到三千: the next run is its upper end
            found.append(pair)
            skip_next = True
            continue
        one = _amount_at(t, m, vague_hits)
        if one is not None:
            found.append(one)
    return found, vague_hits


def _range_of(t: str, m: re.Match, nxt: re.Match | None) -> _Found | None:
    """The range this run opens with the next one (2到3万: the middle, approximate), if it does."""
    if nxt is None:
        return None
    s, s2 = m.group(0), nxt.group(0)
    sep = t[m.end():nxt.start()]
    if not _RANGE_SEP.match(sep or "x") or (sep.startswith("或") and any(c in s for c in "万千百wk萬")):
        return None
    unit = s2[-1] if s2[-1] in "万千百wk萬" and s[-1] not in "万千百wk萬十" else ""
    a = parse_numeral(s + unit)
    b = parse_numeral(s2)
    if a is None or b is None or a[0] >= b[0]:
        return None
    after = t[nxt.end():nxt.end() + 3]
    money = any(after.startswith(u) for u in _MONEY_AFTER) or any(c in s2 for c in "万千百wk萬")
    return _Found((a[0] + b[0]) / 2, m.start(), nxt.end(), money, False, True)


def _amount_at(t: str, m: re.Match, vague_hits: list[int]) -> _Found | None:
    """The amount this run says, or None when the words around it say it is not one (二十多年,
    五四运动, 第三, 三口人, 几万: the last noted in vague_hits)."""
    s, start, end = m.group(0), m.start(), m.end()
    if len(s) >= 2 and s[-2] in "万千萬仟" and s[-1] in "一二两三四五六七八九壹贰叁肆伍陆柒捌玖" and t[end:end + 1] in _NOT_MONEY_AFTER:
        s, end = s[:-1], end - 1  # "2万一个自付1万": 一 counts 个, it is not 2.1万
    parsed = parse_numeral(s)
    if parsed is None:
        return None
    value, is_range = parsed
    before = t[max(0, start - 2):start]
    after = t[end:end + 4]
    after_more = after.lstrip("多余来")  # 二十多年 -> 年
    if (after[:1] in _NOT_MONEY_AFTER or after_more[:1] in _NOT_MONEY_AFTER) and \
            not any(c in s for c in "万千wk萬"):
        return None
    if after_more[:1] in _NOT_MONEY_AFTER and after_more[:1] in "年岁天月次":
        return None
    pure_cn = not any(c.isdigit() for c in s) and not any(c in s for c in "十百千万亿拾佰仟萬億wk")
    if pure_cn and len(s) >= 2 and after[:1] and "\u4e00" <= after[:1] <= "\u9fff" and \
            not any(after.startswith(u) for u in _MONEY_AFTER):
        return None  # 五四运动, 三五成群, 乱七八糟
    if before[-1:] in ("几", "数", "若"):
        vague_hits.append(start)
        return None
    if before.endswith("第") or after[:2] in ("口人", "个人") or t[max(0, start - 3):start] == "百分之":
        return None  # 第三, 三口人, 百分之七十 (a share, never yuan)
    money = any(after.startswith(u) for u in _MONEY_AFTER) or any(c in s for c in "万千百wk萬") \
        or before.endswith(("¥", "￥", "$"))
    if len(s) == 1 and not s.isdigit() and not money and strip_punct(t) not in (s, s + "元", s + "块"):
        return None  # 一般, 一下, 三甲 … a lone Chinese digit is rarely an amount in a sentence
    negative = before.endswith(("-", "负")) and not (len(before) == 2 and before[0].isdigit() and before[1] == "-") \
        and not before.endswith(("自负", "人负"))  # 自负2万, 个人自负: borne by oneself, not minus
    approx = is_range or bool(_MORE_RE.match(t, end - 1) if end - 1 >= 0 else False)
    return _Found(value, start, end, money, negative, approx)


_HUGE = Decimal(10) ** 15


def _quantize(v: Decimal) -> Decimal:
    if not v.is_finite() or abs(v) > _HUGE:
        return _HUGE if not v.is_signed() else -_HUGE
    if v == v.to_integral_value():
        return v.quantize(Decimal(1))
    return v.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def upper_bound_at(text: str, start: int, end: int) -> bool:
    """The amount at start–end is said as a bound only ("不到两万", "两万以内")."""
    return bool(_BELOW_BEFORE_RE.search(text[max(0, start - 4):start]) or _BELOW_AFTER_RE.match(text[end:]))


def _finish(f: _Found, text: str, others: list[Decimal]) -> AmountResult:
    if f.negative:
        return _err("negative")
    v = _quantize(f.value)
    if v < 0:
        return _err("negative")
    if v > LIMIT:
        return _err("too_large")
    if upper_bound_at(text, f.start, f.end):
        return _err("upper_bound")
    approx = f.approx or bool(_APPROX_RE.search(text)) or text[f.end:f.end + 1] == "多"
    note = f"按约{v}元计算" if approx else None
    return AmountResult(v, None, None, approx, note, others, f.money)


def parse_amount(text: object) -> AmountResult:
    """Read one amount of money in yuan. Never raises.

    Errors (``error`` code, ``message`` in Chinese): negative, too_large, unknown (不知道: the
    flow may skip), vague (很多), upper_bound (不到两万: how much is not said), ambiguous (several
    different amounts), unreadable, empty."""
    t = compact(text)
    if not t:
        return _err("empty")
    if strip_punct(t) in _ZERO_WORDS:
        return AmountResult(Decimal(0))
    found, vague = _scan(t)
    if not found and vague:
        return _err("vague")
    if not found:
        if _ZERO_RE.search(t):
            return AmountResult(Decimal(0))
        if _UNKNOWN_RE.search(t):
            return _err("unknown")
        if _VAGUE_RE.search(t):
            return _err("vague")
        return _err("unreadable")
    if any(f.negative for f in found):
        return _err("negative")
    values = []
    for f in found:
        q = _quantize(f.value)
        if q not in values:
            values.append(q)
    if len(values) == 1:
        return _finish(found[0], t, [])
    money = [f for f in found if f.money]
    mvals = []
    for f in money:
        q = _quantize(f.value)
        if q not in mvals:
            mvals.append(q)
    if len(mvals) == 1:
        f = next(f for f in money)
        return _finish(f, t, values)
    return _err("ambiguous", values)
