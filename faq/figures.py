"""FAQ texts take their policy figures from the rules, rendered when the knowledge base loads.

Three kinds of placeholder:
- `{region:path|format}` — a rule value, rendered by engine.figures (same syntax as the Readings);
  `{common:transition_period.periods[0].until|date}`: the same, for a value of policies/common.yaml.
- `{estimate:region:identity:care:self_pay|format}` — a worked example: the assistance the engine
  estimates for that small case (identities joined by +, one care kind, the yearly self-pay in yuan).
  `@2025-06-01` after the self-pay dates the care (default: today); `/major.amount` picks one part
  of the answer (the first part of that kind: its base, deductible, rate, cap or amount);
  `/answer.self_pay_after` is what the person still pays. `?special_disease=true&hospital_level=2`
  after the date states facts of the case (true/false, whole numbers, or a choice's code).
- `{statistic:region:path:year|format}` — a figure derived from a dated statistic (the StatRef at
  path, e.g. major.threshold) for care in that year, as the engine reckons it.

    举例：医保报完自付1万元，估计可救助{estimate:guangxi:dibao:inpatient:10000|wan}。
"""
from __future__ import annotations

import re
from decimal import Decimal

from engine import estimate
from engine.context import statistic
from engine.figures import FORMATS, PLACEHOLDER, FigureError, render, value_at
from engine.policy import Policies, StatRef

ESTIMATE = re.compile(r"\{estimate:([a-z][a-z0-9_]*):([a-z][a-z0-9_+]*):([a-z][a-z0-9_]*):(\d+)"
                      r"(?:@(\d{4}-\d{2}-\d{2}))?(?:\?([a-z_]+=[a-z0-9_]+(?:&[a-z_]+=[a-z0-9_]+)*))?"
                      r"(?:/([a-z]+)\.([a-z_]+))?\|([a-z_]+)\}")
STATISTIC = re.compile(r"\{statistic:([a-z][a-z0-9_]*):([A-Za-z_][A-Za-z0-9_.\[\]]*):(\d{4})\|([a-z_]+)\}")
# Every placeholder kind, for scans that take them out of a text.
PATTERNS = (ESTIMATE, STATISTIC, PLACEHOLDER)
PART_FIELDS = ("base", "deductible", "rate", "cap", "amount")
# Texts of an entry that may state a figure.
TEXT_FIELDS = ("question", "answer", "detail")
LIST_FIELDS = ("variants", "tags")  # searched like the texts, so they state figures too


def _form(match: re.Match, form: str) -> None:
    if form not in FORMATS:
        raise FigureError(f"{match.group(0)}: unknown format {form!r}; known: {', '.join(FORMATS)}")


def _estimated(match: re.Match, policies: Policies) -> str:
    region, identity, care, self_pay, day, facts, kind, field, form = match.groups()
    _form(match, form)
    if region not in policies.regions:
        raise FigureError(f"{match.group(0)}: no region {region!r}")
    case = {"region": region, "identities": identity.split("+"), "care": care, "self_pay": int(self_pay)}
    if day:
        case["date"] = day
    if facts:
        case["facts"] = dict(_fact(pair) for pair in facts.split("&"))
    try:
        est = estimate(case, policies=policies, explain=False)
    except ValueError as exc:  # CaseError: the example names no valid case
        raise FigureError(f"{match.group(0)}: not a case the engine takes: {exc}") from exc
    if est.assistance is None:
        raise FigureError(f"{match.group(0)}: the engine gives no amount for this case ({est.status})")
    if kind is None:
        return FORMATS[form](Decimal(est.assistance))
    if kind == "answer" and field == "self_pay_after":
        return FORMATS[form](Decimal(est.self_pay_after))
    if field not in PART_FIELDS:
        raise FigureError(f"{match.group(0)}: a part has no {field!r}; known: {', '.join(PART_FIELDS)}")
    part = next((p for p in est.parts if p.kind == kind), None)
    if part is None or getattr(part, field) is None:
        raise FigureError(f"{match.group(0)}: the answer has no {kind} part with a {field}")
    return FORMATS[form](Decimal(getattr(part, field)))


def _fact(pair: str) -> tuple[str, object]:
    name, value = pair.split("=")
    if value in ("true", "false"):
        return name, value == "true"
    return name, int(value) if value.isdigit() else value


def _statistic(match: re.Match, policies: Policies) -> str:
    region, path, year, form = match.groups()
    _form(match, form)
    if region not in policies.regions:
        raise FigureError(f"{match.group(0)}: no region {region!r}")
    policy = policies.regions[region]
    ref = value_at(policy, path)
    if not isinstance(ref, StatRef):
        raise FigureError(f"{match.group(0)}: {path} is not a figure derived from a statistic")
    value, _note, _line = statistic(policy, policies.common, ref, int(year), None)
    return FORMATS[form](value)


def render_text(text: str, policies: Policies) -> str:
    """The text with every worked example and rule value filled in; FigureError if one names none."""
    text = STATISTIC.sub(lambda m: _statistic(m, policies), text)
    # `common` names policies/common.yaml (no region file is called that): the transition period
    return render(ESTIMATE.sub(lambda m: _estimated(m, policies), text), {**policies.regions, "common": policies.common})


def render_item(item: dict, policies: Policies) -> dict:
    """A raw entry with its texts, variants and tags rendered (other keys untouched)."""
    out = dict(item)
    for key in TEXT_FIELDS:
        if isinstance(out.get(key), str):
            out[key] = render_text(out[key], policies)
    for key in LIST_FIELDS:
        if isinstance(out.get(key), list):
            out[key] = [render_text(v, policies) if isinstance(v, str) else v for v in out[key]]
    return out
