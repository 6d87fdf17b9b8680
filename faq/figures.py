"""FAQ texts take their policy figures from the rules, rendered when the knowledge base loads.

Two kinds of placeholder:
- `{region:path|format}` — a rule value, rendered by engine.figures (same syntax as the Readings).
- `{estimate:region:identity:care:self_pay|format}` — a worked example: the assistance the engine
  estimates for that small case (identities joined by +, one care kind, the yearly self-pay in yuan).

    举例：医保报完自付1万元，估计可救助{estimate:guangxi:dibao:inpatient:10000|wan}。
"""
from __future__ import annotations

import re
from decimal import Decimal

from engine import estimate
from engine.figures import FORMATS, FigureError, render
from engine.policy import Policies

ESTIMATE = re.compile(r"\{estimate:([a-z][a-z0-9_]*):([a-z][a-z0-9_+]*):([a-z][a-z0-9_]*):(\d+)\|([a-z]+)\}")
# Texts of an entry that may state a figure.
TEXT_FIELDS = ("question", "answer", "detail")
LIST_FIELDS = ("variants", "tags")  # searched like the texts, so they state figures too


def _estimated(match: re.Match, policies: Policies) -> str:
    region, identity, care, self_pay, form = match.groups()
    if form not in FORMATS:
        raise FigureError(f"{match.group(0)}: unknown format {form!r}; known: {', '.join(FORMATS)}")
    if region not in policies.regions:
        raise FigureError(f"{match.group(0)}: no region {region!r}")
    try:
        est = estimate({"region": region, "identities": identity.split("+"), "care": care,
                        "self_pay": int(self_pay)}, policies=policies, explain=False)
    except ValueError as exc:  # CaseError: the example names no valid case
        raise FigureError(f"{match.group(0)}: not a case the engine takes: {exc}") from exc
    if est.assistance is None:
        raise FigureError(f"{match.group(0)}: the engine gives no amount for this case ({est.status})")
    return FORMATS[form](Decimal(est.assistance))


def render_text(text: str, policies: Policies) -> str:
    """The text with every worked example and rule value filled in; FigureError if one names none."""
    return render(ESTIMATE.sub(lambda m: _estimated(m, policies), text), policies.regions)


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
