"""Charts of assistance against self-pay, drawn from the engine's own answers.

For each category (tier) of a region and each care type it covers, the engine is asked for a range
of self-pay amounts; the curve shows the deductible (a flat start at 0), the rate (the slope) and the
annual limit (the flat top). No policy number is written here: the axes, the point where payment
starts and the point where the limit is reached all come from `engine.estimate`.
"""
from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal
from functools import lru_cache
from html import escape
from itertools import combinations

import engine
from engine.conditions import CARE_TYPES, IDENTITIES
from engine.money import yuan

LADDER = [Decimal(m) * Decimal(10) ** e for e in range(3, 7) for m in (1, 2, 5)] + [Decimal(10_000_000)]
SAMPLES = 96
COLORS = ["#1f6feb", "#d4380d", "#389e0d", "#8250df", "#b08800", "#0e7c86", "#c2185b"]
DASHES = ["", "6 3", "2 3", "8 3 2 3", "1 2", "10 4", ""]
# facts the charts fill in when the engine says an amount depends on them (the favourable case)
_FILL = {"hospital_level": 3, "stay_policy_total": Decimal(10_000_000)}
_FILL_TEXT = {"hospital_level": "三级医院", "stay_policy_total": "本次住院总费用较高"}
# yes/no facts a region asks about that change the curve: drawn as an extra line when they do
_VARIANTS = {"special_disease": ({"special_disease": True}, "特殊疾病")}


@dataclass
class Series:
    tier: str
    name: str
    identities: list[str]
    facts: dict
    points: list[tuple[Decimal, Decimal]] = field(default_factory=list)
    start: Decimal = Decimal(0)       # smallest self-pay that gets something
    top: Decimal = Decimal(0)         # most this category gets for one claim (at the largest amount)
    reaches_top: Decimal | None = None  # self-pay where `top` is reached; None when no limit shows
    note: str = ""
    tiers: list[str] = field(default_factory=list)  # every tier this line stands for (identical lines merged)

    @property
    def label(self) -> str:
        return self.name


@dataclass
class Chart:
    region: str
    care: str
    care_label: str
    series: list[Series]
    x_max: Decimal
    y_max: Decimal
    x_step: Decimal = Decimal(0)
    y_step: Decimal = Decimal(0)
    svg: str = ""
    summary: str = ""


def _estimate(region: str, care: str, identities: list[str], facts: dict, self_pay: Decimal, day: dt.date):
    return engine.estimate({"region": region, "identities": identities, "care": care,
                            "self_pay": self_pay, "date": day, "facts": facts})


@lru_cache(maxsize=16)
def tier_scenarios(region: str, day: dt.date) -> dict[str, tuple[tuple[str, ...], str]]:
    """For each tier of the region, the simplest identities that the engine places in it."""
    pol = engine.load_policies().regions[region]
    found: dict[str, tuple[tuple[str, ...], str]] = {}
    wanted = {t.tier for t in pol.tiers}
    candidates = [(i,) for i in IDENTITIES] + list(combinations(IDENTITIES, 2))
    for ids in candidates:
        if wanted <= set(found):
            break
        for care in CARE_TYPES:
            try:
                est = _estimate(region, care, list(ids), {}, Decimal(100000), day)
            except engine.CaseError:
                continue
            if est.category and est.category.tier not in found:
                found[est.category.tier] = (ids, est.category.name)
    order = {t.tier: n for n, t in enumerate(pol.tiers)}
    return dict(sorted(found.items(), key=lambda kv: order.get(kv[0], 99)))


def _amount(region, care, ids, facts, x, day) -> tuple[Decimal, object]:
    est = _estimate(region, care, list(ids), facts, x, day)
    return Decimal(est.assistance), est


def _first_reaching(fn, target: Decimal, lo: Decimal, hi: Decimal) -> Decimal:
    """Smallest whole-yuan x in (lo, hi] with fn(x) >= target (fn is non-decreasing)."""
    lo, hi = int(lo), int(hi)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if fn(Decimal(mid)) >= target:
            hi = mid
        else:
            lo = mid
    return Decimal(hi)


def _series_for(region: str, care: str, tier: str, ids, name: str, day: dt.date,
                base_facts: dict | None = None) -> Series | None:
    facts: dict = dict(base_facts or {})
    big = LADDER[-1]
    top, est = _amount(region, care, ids, facts, big, day)
    note = ""
    if est.status == "undecided" and est.missing_facts:
        if not all(f in _FILL for f in est.missing_facts):
            return None
        facts = {**facts, **{f: _FILL[f] for f in est.missing_facts}}
        note = "图中按" + "、".join(_FILL_TEXT[f] for f in est.missing_facts) + "计算"
        top, est = _amount(region, care, ids, facts, big, day)
    if not est.category or est.category.tier != tier or not est.eligible or top <= 0:
        return None
    s = Series(tier=tier, name=name, identities=list(ids), facts=facts, top=top, note=note)
    half, _ = _amount(region, care, ids, facts, big / 2, day)
    fn = lambda x: _amount(region, care, ids, facts, x, day)[0]  # noqa: E731
    if half >= top:  # the limit shows: find where it is reached
        s.reaches_top = _first_reaching(fn, top, Decimal(0), big / 2)
    first_paid = _first_reaching(fn, Decimal("0.01"), Decimal(0), big)
    s.start = first_paid - 1 if first_paid > 0 else Decimal(0)
    return s


NICE_STEPS = [Decimal(m) * Decimal(10) ** e for e in range(1, 8) for m in ("1", "2", "2.5", "5")]
MAX_TICKS = 5


def fit_axis(value: Decimal) -> tuple[Decimal, Decimal]:
    """(axis maximum, tick step): the smallest round step that covers `value` in at most MAX_TICKS
    steps, so the axis ends at the first round number at or above the data (a 20万 maximum gets a
    25万 or 20万 axis, never 50万)."""
    value = max(value, Decimal(1))
    for step in NICE_STEPS:
        count = (value / step).to_integral_value(rounding=ROUND_CEILING)
        if count <= MAX_TICKS:
            return (step * count).normalize(), step.normalize()
    step = NICE_STEPS[-1]
    return (step * (value / step).to_integral_value(rounding=ROUND_CEILING)).normalize(), step


def merge_identical(series: list[Series]) -> list[Series]:
    """Lines of identical rules hide each other: one line, its label naming every category."""
    kept: dict[tuple, Series] = {}
    for s in series:
        same = kept.get(tuple(s.points))
        if same is None:
            s.tiers = s.tiers or [s.tier]
            kept[tuple(s.points)] = s
        else:
            same.tiers.append(s.tier)
            same.name = f"{same.name} / {s.name}"
            if s.note and s.note not in same.note:
                same.note = "；".join(n for n in (same.note, s.note) if n)
    return list(kept.values())


_lock = threading.Lock()


def region_charts(region: str, day: dt.date | None = None) -> list[Chart]:
    """The charts of a region (cached per day; one computation at a time, so a warm-up thread and
    the first visitor do not both compute them)."""
    with _lock:
        return _region_charts(region, day or dt.date.today())


@lru_cache(maxsize=64)
def _region_charts(region: str, day: dt.date) -> list[Chart]:
    common = engine.load_policies().common
    scenarios = tier_scenarios(region, day)
    asked = {q.fact for q in engine.load_policies().regions[region].questions}
    variants = [v for fact, v in _VARIANTS.items() if fact in asked]
    charts = []
    for care in CARE_TYPES:
        series = []
        for tier, (ids, name) in scenarios.items():
            s = _series_for(region, care, tier, ids, name, day)
            if s is not None:
                series.append(s)
            for facts, label in variants:
                v = _series_for(region, care, tier, ids, f"{name}（{label}）", day, facts)
                if v is not None and (s is None or (v.top, v.start, v.reaches_top) != (s.top, s.start, s.reaches_top)):
                    v.tier = f"{tier}+{next(iter(facts))}"
                    series.append(v)
        if not series:
            continue
        capped = [s.reaches_top for s in series if s.reaches_top is not None]
        starts = [s.start for s in series]
        want = max(capped + [max(starts) * 3, Decimal(10000)])
        x_max, x_step = fit_axis(want * Decimal("1.1"))
        for s in series:
            xs = {x_max * i / SAMPLES for i in range(SAMPLES + 1)}
            for b in (s.start, s.start + 1, s.reaches_top):
                if b is not None and 0 <= b <= x_max:
                    xs.add(Decimal(b))
            s.points = [(x, _amount(region, care, s.identities, s.facts, x, day)[0]) for x in sorted(xs)]
        series = merge_identical(series)
        y_top = max(y for s in series for _, y in s.points)
        y_max, y_step = fit_axis(y_top * Decimal("1.05")) if y_top > 0 else (Decimal(1000), Decimal(200))
        chart = Chart(region=region, care=care, care_label=common.care[care], series=series, x_max=x_max,
                      y_max=y_max, x_step=x_step, y_step=y_step)
        chart.svg = render_svg(chart)
        chart.summary = summary(chart)
        charts.append(chart)
    return charts


def _wan(value: Decimal) -> str:
    if value >= 10000:
        w = (value / 10000).normalize()
        return f"{w:f}万"
    return f"{int(value):,}"


def _ticks(maximum: Decimal, step: Decimal) -> list[Decimal]:
    if step <= 0:
        step = maximum / MAX_TICKS
    return [step * i for i in range(int(maximum / step) + 1)]


def render_svg(chart: Chart) -> str:
    """An inline, self-contained SVG (no script, no external resources), scaled by its viewBox."""
    # about as wide as a phone's content column (~300 px at 360 px): a 14-unit label stays >= 12 px
    w, h = 330, 260
    left, right, top, bottom = 52, 26, 12, 46  # right: room for half of the last x label ("12.5万")
    pw, ph = w - left - right, h - top - bottom

    def sx(x: Decimal) -> float:
        return left + float(x / chart.x_max) * pw

    def sy(y: Decimal) -> float:
        return top + ph - float(y / chart.y_max) * ph

    title = f"{chart.care_label}：自付金额与救助金额"
    out = [f'<svg class="chart" viewBox="0 0 {w} {h}" role="img" aria-label="{escape(title)}" '
           f'xmlns="http://www.w3.org/2000/svg" data-care="{escape(chart.care)}">',
           f"<title>{escape(title)}</title>"]
    xt = _ticks(chart.x_max, chart.x_step)
    for t in xt:
        x = sx(t)
        out.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{top + ph}" stroke="#e5e5e5"/>')
        out.append(f'<text x="{x:.1f}" y="{top + ph + 18}" text-anchor="middle" font-size="14" fill="#333" class="tick-x">{_wan(t)}</text>')
    for t in _ticks(chart.y_max, chart.y_step):
        y = sy(t)
        out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + pw}" y2="{y:.1f}" stroke="#e5e5e5"/>')
        out.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="14" fill="#333" class="tick-y">{_wan(t)}</text>')
    out.append(f'<line x1="{left}" y1="{top + ph}" x2="{left + pw}" y2="{top + ph}" stroke="#333"/>')
    out.append(f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + ph}" stroke="#333"/>')
    out.append(f'<text x="{left + pw / 2}" y="{h - 6}" text-anchor="middle" font-size="14" fill="#333">本次自付金额（元）</text>')
    out.append(f'<text x="12" y="{top + ph / 2}" text-anchor="middle" font-size="14" fill="#333" '
               f'transform="rotate(-90 12 {top + ph / 2})">救助金额（元）</text>')
    for n, s in enumerate(chart.series):
        color, dash = COLORS[n % len(COLORS)], DASHES[n % len(DASHES)]
        d = " ".join(f"{'M' if i == 0 else 'L'}{sx(x):.1f} {sy(y):.1f}" for i, (x, y) in enumerate(s.points))
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        reach = "" if s.reaches_top is None else f' data-reaches-top="{s.reaches_top}"'
        out.append(f'<path class="series" d="{d}" fill="none" stroke="{color}" stroke-width="3"{dash_attr} '
                   f'data-tier="{escape(s.tier)}" data-tiers="{escape(",".join(s.tiers or [s.tier]))}" data-start="{s.start}" data-top="{s.top}"{reach}>'
                   f"<title>{escape(s.name)}</title></path>")
    out.append("</svg>")
    return "".join(out)


def legend(chart: Chart) -> list[dict]:
    rows = []
    for n, s in enumerate(chart.series):
        rows.append({
            "color": COLORS[n % len(COLORS)], "dash": DASHES[n % len(DASHES)], "name": s.name, "tier": s.tier,
            "start": yuan(s.start) if s.start > 0 else "不设起付线（从第1元起）",
            "top": yuan(s.top) if s.reaches_top is not None else "图中范围内未见年度限额",
            "reaches": yuan(s.reaches_top) if s.reaches_top is not None else "图中范围内未到限额",
            "note": s.note,
        })
    return rows


def _line_sentence(s: Series) -> str:
    start = "从第1元起就救助" if s.start <= 0 else f"自付超过{yuan(s.start)}才开始救助"
    if s.reaches_top is None:
        return f"{s.name}{start}，图中范围内没有到年度限额"
    return f"{s.name}{start}，自付到{yuan(s.reaches_top)}时达到最多{yuan(s.top)}"


def summary(chart: Chart) -> str:
    """The chart in one plain sentence (read by those who cannot see the lines)."""
    parts = "；".join(_line_sentence(s) for s in chart.series)
    return f"{chart.care_label}：{parts}。"
