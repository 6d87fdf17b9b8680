"""What a cadre still has to find out for one applicant, and what each answer would change.

The engine says which facts still change the answer (`engine.questions`: it probes itself on
the policy's own thresholds). Here each such fact is tried with the everyday values a cadre can
tick (是/否, 1–4级 …) and the best outcome is said in one line, e.g.
"标明是否特殊疾病：如是，估算救助1.4万元（14,000元）（按70%）". Facts with a free amount
(family income, the stay's total, earlier claims) only say that filling them in may change it.
"""
from __future__ import annotations

from decimal import Decimal

import engine
from engine.money import percent, yuan

from . import labels

MAX_FACTS = 3
# values a cadre can state for each fact, as the form and the roster offer them
_CHOICES = {
    "special_disease": ((True, "是"), (False, "否")),
    "referred": ((True, "已办转诊/备案"), (False, "没办")),
    "disability_grade": tuple((g, f"{g}级") for g in (1, 2, 3, 4)),
    "hospital_level": tuple((g, f"{g}级医院") for g in (1, 2, 3)),
    "insurance_tier": ((1, "一档"), (2, "二档")),
}


def _choices(fact: str) -> tuple:
    if fact in _CHOICES:
        return _CHOICES[fact]
    if fact == "where":
        return tuple(labels.where_options())
    if fact == "disability_kind":
        return tuple(labels.kind_options())
    if fact == "veteran_kind":
        return tuple(labels.veteran_options())
    return ()


def _label(fact: str) -> str:
    return engine.FACT_LABELS.get(fact, fact)


def _best(case: dict, fact: str, now: Decimal) -> str | None:
    """The answer that would change the amount most: the highest above `now`, else the lowest below."""
    up: tuple[Decimal, str, object] | None = None
    down: tuple[Decimal, str, object] | None = None
    for value, word in _choices(fact):
        probe = {**case, "facts": {**case.get("facts", {}), fact: value}}
        try:
            est = engine.estimate(probe, explain=False)
        except engine.CaseError:
            continue
        if est.assistance > now and (up is None or est.assistance > up[0]):
            up = (est.assistance, word, est)
        elif est.assistance < now and (down is None or est.assistance < down[0]):
            down = (est.assistance, word, est)
    found = up or down
    if found is None:
        return None
    amount, word, est = found
    rates = [p.rate for p in est.parts if p.amount and p.rate is not None]
    how = f"（按{percent(max(rates))}）" if rates else ""
    return f"标明{_label(fact)}：如{word}，估算救助{yuan(amount)}{how}"


def needed(case: dict, est: engine.Estimate) -> list[str]:
    """One line per fact still worth finding out (at most MAX_FACTS), most useful first."""
    facts = list(est.missing_facts)
    if not facts:
        try:
            facts = engine.questions(case)
        except engine.CaseError:
            return []
    lines: list[str] = []
    for fact in facts[:MAX_FACTS]:
        if fact == "year_to_date":
            lines.append("填写本年此前的自付和救助：可能改变结果")
            continue
        line = _best(case, fact, est.assistance) if _choices(fact) else None
        lines.append(line or f"填写{_label(fact)}：可能改变结果")
    return lines


def assumed(case: dict, est: engine.Estimate) -> list[str]:
    """For a paid answer: the facts the engine assumed that a cadre can tick (残疾等级 taken as 一、二级
    when only 残疾 was written …), each with what the other answer would give, when it changes."""
    stated = case.get("facts") or {}
    lines = []
    for fact in est.assumed:
        if fact in _CHOICES and fact not in stated:
            line = _best(case, fact, est.assistance)
            if line:
                lines.append(line)
    return lines[:MAX_FACTS]


def _get(obj, key: str):
    return obj.get(key) if isinstance(obj, dict) else getattr(obj, key, None)


def alternatives(est) -> list[str]:
    """The contract's `alternatives` (other categories the person holds) as short lines; [] when
    the engine on this build does not give them."""
    lines = []
    for alt in _get(est, "alternatives") or []:
        category = _get(alt, "category")
        name = (_get(category, "name") if category is not None else None) or "其他类别"
        amount = _get(alt, "assistance")
        line = f"{name}：{yuan(Decimal(str(amount)))}" if amount is not None else str(name)
        why = _get(alt, "why_not")
        lines.append(f"{line}（{why}）" if why else line)
    return lines
