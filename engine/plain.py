"""Amounts-only answers (explain=False) for the commonest claim: one category, a deductible, a rate
and an annual limit, nothing on top (no second tier, no 倾斜救助, no `requires:`, no referral
rule, no fact missing).

For such a person everything but the amount follows from the person and the year: the category,
settlement, side benefits, Readings and assumptions. The first estimate of each (person, transition
period, care year, document expired or not, earlier aid or not) goes the general way (engine.calc)
and leaves its answer here as a template; later bills of the same kind only price the claim
(engine.pricing.regular_part, without its trace) and fill the template's amounts in (a bill that
gets nothing: "zero", and the reason, which quotes the amounts).
tests/engine/test_plain.py holds every answer equal to the general one.
"""
from __future__ import annotations

from typing import NamedTuple

from .case import Estimate, construct
from .context import Run
from .money import ZERO
from .pricing import regular_part

# An amounts-only answer's lists are empty but for the Readings and assumptions it used: the
# template keeps those two, and a template is only learnt from an answer whose other lists are empty.
_EMPTY_LISTS = ("documents", "where_to_apply", "notes", "trace", "missing_facts", "monitoring", "further_help",
                "alternatives")


class Plain(NamedTuple):
    """The one claim rule a kind of person's bills are priced by, and the answers seen so far."""

    claim: object
    templates: dict  # ((in transition, care year, document expired), earlier aid) -> (fields, readings, assumed, set)
    days: dict  # care date -> (in transition, care year, document expired); a year of dates at most


def plain_of(run: Run, profile) -> Plain | None:
    """The plain claim of this kind of person, or None when the general way is needed."""
    if len(profile.matched) != 1 or profile.needs_requires or profile.excluded:
        return None
    match = profile.matched[0]
    any_for_care, claim, _, missing, optimistic = match.choice
    region, care, tier = run.region, run.case.care, match.tier
    if not any_for_care or claim is None or not claim.pays or missing or optimistic is not None:
        return None
    if claim.major:
        return None
    if region.tilt is not None and care in region.tilt.care and tier.tilt_rate is not None:
        return None
    return Plain(claim, {}, {})


def _key(run: Run, plain: Plain) -> tuple:
    case = run.case
    day = plain.days.get(case.date)
    if day is None:
        if len(plain.days) > 366:
            plain.days.clear()
        until = run.region.document.effective_until  # an answer after it may say more (calc's notes)
        day = plain.days[case.date] = (run.common.transition_period.value_on(case.date), case.date.year,
                                       until is not None and case.date > until)
    earlier = plain.claim.cap is not None and plain.claim.earlier_aid_note is not None and case.year_to_date.aid > 0
    return day, earlier


def answer(run: Run, plain: Plain) -> Estimate | None:
    """The answer from the template of this kind of bill, or None when none was kept yet."""
    template = plain.templates.get(_key(run, plain))
    if template is None:
        return None
    part, _, _, _, reason = regular_part(run, plain.claim, None)  # the claim's arithmetic, without its trace
    amount, self_pay = part.amount, run.case.self_pay
    fields, readings, assumed, fields_set = template
    values = {**fields, "assistance": amount, "parts": [part],
              "self_pay_after": self_pay - amount if self_pay > amount else ZERO,
              "documents": [], "where_to_apply": [], "notes": [], "trace": [], "missing_facts": [],
              "readings": list(readings), "assumed": list(assumed), "monitoring": [], "further_help": [],
              "alternatives": []}
    if not amount:  # what the paying answer says, but "zero" and why
        values["status"], values["reason"] = "zero", reason
    return construct(Estimate, values, set(fields_set), {})


def learn(run: Run, plain: Plain, estimate: Estimate) -> None:
    """Keep a paying answer of the general way as the template of its kind of bill."""
    fields = estimate.__dict__
    if estimate.status == "paid" and len(estimate.parts) == 1 and not any(fields[name] for name in _EMPTY_LISTS):
        plain.templates.setdefault(_key(run, plain), (dict(fields), tuple(estimate.readings), tuple(estimate.assumed),
                                                      frozenset(estimate.model_fields_set)))
