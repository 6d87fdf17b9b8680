"""Claim pricing: one category's rule for this claim — annual deductible, rate, annual limit —
then the region's extras (西藏's second tier, 倾斜救助) on top."""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

from .case import FACT_LABELS, Part, construct
from .context import Run, cited
from .extras import major_part, tilt_part
from .money import ZERO, fen, percent, yuan
from .policy import CapRule, Claim, Tier


@dataclass(slots=True)
class Priced:
    """One category's result for this claim."""

    tier: Tier
    claim: Claim | None
    covered: bool
    parts: list[Part] = field(default_factory=list)
    amount: Decimal = ZERO
    reason: str | None = None
    notes: tuple = ()
    trace: list[str] = field(default_factory=list)
    missing: tuple = ()
    optimistic: Claim | None = None


class Regular(NamedTuple):
    """The ordinary part of a claim: what the tilt and the second tier start from."""

    part: Part
    base: Decimal
    cap_left: Decimal | None
    notes: tuple
    reason: str | None


_PART_FIELDS = frozenset(Part.model_fields)  # a part names every field: built straight, as Part.of would
_regular = functools.partial(tuple.__new__, Regular)  # C-level construction: once per priced claim


def price_tier(run: Run, profile, match, excluded: bool, trace: list | None) -> Priced:
    tier = match.tier
    any_for_care, chosen, claim_notes, missing, optimistic = match.choice
    notes = match.notes + claim_notes
    if not any_for_care:
        return _not_covered(run, tier, notes, trace)
    if excluded:
        return Priced(tier=tier, claim=chosen, covered=True, notes=notes, trace=trace or [], missing=missing)
    parts: list[Part] = []
    regular_amount, base, rate, cap_left = ZERO, ZERO, None, None
    if trace is not None:  # what was assumed in choosing the rule, said before the rule's result
        trace_assumed(run, trace, claim_notes, chosen or optimistic)
    if chosen is None or not chosen.pays:
        reason = _no_rule_reason(run, chosen, missing, trace)
    else:
        rate = chosen.rate
        regular = regular_part(run, chosen, trace)
        parts.append(regular.part)
        notes += regular.notes
        base, cap_left, reason, regular_amount = regular.base, regular.cap_left, regular.reason, regular.part.amount
        if chosen.major and run.region.major is not None and run.care in run.region.major.care:
            second, more = major_part(run, rate, regular_amount, trace)
            notes += more
            if second is not None:
                parts.append(second)
    if run.region.tilt is not None and run.care in run.region.tilt.care and tier.tilt_rate is not None:
        tilt, more = tilt_part(run, profile.tilt, tier, chosen, base, rate, cap_left, regular_amount, trace)
        notes += more
        if tilt is not None:
            parts.append(tilt)
    total = parts[0].amount if len(parts) == 1 else sum((p.amount for p in parts), ZERO)
    if total > 0:
        reason = None
    return Priced(tier, chosen, True, parts, total, reason, notes, trace or [], missing, optimistic)


def _not_covered(run: Run, tier: Tier, notes: tuple, trace: list | None) -> Priced:
    reason, reading = not_covered_reason(run, tier)
    if reading:
        notes += (("reading", reading),)
    if trace is not None:
        trace.append(reason)
    return Priced(tier=tier, claim=None, covered=False, reason=reason, notes=notes, trace=trace or [])


def _no_rule_reason(run: Run, chosen: Claim | None, missing: tuple, trace: list | None) -> str | None:
    """No rule pays (yet): the rule's reason, or — when a fact is not known — say so, never state
    the unfavourable case as fact."""
    reason = (chosen.reason + f"〔{chosen.cite}〕") if chosen is not None else None
    if trace is not None and missing and chosen is not None:
        labels = "、".join(dict.fromkeys(FACT_LABELS.get(m, m) for m in missing))
        trace.append(cited(run.common.say["unknown_fact"](labels=labels), chosen.cite))
    elif trace is not None and reason:
        trace.append(reason)
    return reason


def regular_part(run: Run, claim: Claim, trace: list | None) -> Regular:
    """Deductible (a figure or a share of a dated statistic), rate, and the annual limit left."""
    rate = claim.rate
    ytd = run.ytd
    deductible = claim.deductible
    if deductible.__class__ is not Decimal:  # a share of a dated statistic
        deductible = run.statistic(deductible, trace)
    to_meet = deductible - ytd.self_pay if deductible > ytd.self_pay else ZERO
    self_pay = run.case.self_pay
    base = self_pay - to_meet if self_pay > to_meet else ZERO
    cap = claim.cap
    cap_lines = None if trace is None else []  # said after the deductible: the order the money flows
    notes: tuple = ()
    if cap is None:
        cap_used = ZERO
        cap_left = None
        amount = rate * base
    else:
        if cap.__class__ is not Decimal or claim.major:  # bracketed by the year's self-pay; 西藏's two tiers
            cap, cap_used = annual_cap(run, claim, cap_lines)
        else:
            cap_used = ytd.aid
        if claim.earlier_aid_note is not None and cap_used > 0:
            notes += (("note", claim.earlier_aid_note),)
        cap_left = cap - cap_used if cap > cap_used else ZERO
        raw = rate * base
        amount = raw if raw < cap_left else cap_left
    amount = fen(amount)
    part = construct(Part, {"kind": claim.kind, "base": base, "deductible": deductible, "rate": rate, "cap": cap,
                            "cap_left": cap_left, "amount": amount, "cite": claim.cite}, set(_PART_FIELDS), {})
    if claim.reading:
        notes += (("reading", claim.reading),)
    if trace is not None:
        trace_regular(run, trace, claim, deductible, to_meet, base, rate, cap, cap_used, cap_left, rate * base,
                      amount, cap_lines)
    reason = zero_reason(run, deductible, to_meet, base, cap_left) if amount == 0 else None
    return _regular((part, base, cap_left, notes, reason))


def annual_cap(run: Run, claim: Claim, trace: list | None) -> tuple[Decimal | None, Decimal]:
    """The annual limit for this claim and how much of it earlier claims used."""
    ytd = run.ytd
    cap = claim.cap
    if isinstance(cap, CapRule):
        year_total = ytd.self_pay + run.case.self_pay
        chosen = cap.by_year_self_pay[-1].cap
        for bracket in cap.by_year_self_pay:
            if bracket.below is not None and year_total < bracket.below:
                chosen = bracket.cap
                break
        if trace is not None:
            trace.append(cited(run.common.say["cap_bracket"](year_total=yuan(year_total), cap=yuan(chosen)), cap.cite))
        cap = chosen
    if cap is None:
        return None, ZERO
    if claim.major and run.region.major is not None:
        return cap, min(ytd.aid, run.region.major.ordinary_cap)
    return cap, ytd.aid


def trace_assumed(run: Run, trace: list, claim_notes: tuple, claim: Claim | None) -> None:
    if claim is None:
        return
    for kind, name in claim_notes:
        if kind == "assumed" and name in run.common.assumptions:
            trace.append(cited(run.common.assumptions[name].rstrip("。"), claim.cite))


def trace_regular(run, trace, claim, deductible, to_meet, base, rate, cap, cap_used, cap_left, raw, amount,
                  cap_lines=None):
    common = run.common
    label = common.wording["application_gloss" if claim.kind == "application" else "regular_label"]
    base_text = yuan(base)
    if deductible > 0:
        trace.append(common.say["deductible"](deductible=yuan(deductible), ytd=yuan(run.ytd.self_pay),
                                              to_meet=yuan(to_meet), gloss=common.wording["base_gloss"],
                                              base=base_text, cite=claim.cite))
    else:
        trace.append(common.say["no_deductible"](gloss=common.wording["base_gloss"], base=base_text, cite=claim.cite))
    if cap_lines:
        trace.extend(cap_lines)
    amount_text = yuan(amount)
    if cap is None:
        trace.append(common.say["regular_uncapped"](label=label, base=base_text, rate=percent(rate),
                                                    amount=amount_text, cite=claim.cite))
        return
    raw_fen = fen(raw)
    trace.append(common.say["regular_capped"](
        label=label, base=base_text, rate=percent(rate),
        raw=amount_text if raw_fen == amount else yuan(raw_fen), cap=yuan(cap), used=yuan(cap_used),
        left=yuan(cap_left), amount=amount_text, limited=common.wording["limited"] if raw > cap_left else "",
        cite=claim.cap_cite or claim.cite))


def zero_reason(run: Run, deductible: Decimal, to_meet: Decimal, base: Decimal, cap_left: Decimal | None) -> str:
    common = run.common
    if run.case.self_pay == 0:
        return common.wording["zero_no_self_pay"]
    if base == 0 and deductible > 0:
        return common.say["zero_below_deductible"](deductible=yuan(deductible), to_meet=yuan(to_meet))
    if cap_left is not None and cap_left == 0:
        return common.wording["zero_cap_used"]
    return common.wording["zero_nothing"]


def not_covered_reason(run: Run, tier: Tier) -> tuple[str, str | None]:
    care = run.case.care
    for rule in run.region.not_covered_care:
        if rule.care == care:
            return f"{rule.text}〔{rule.cite}〕", rule.reading
    cite = tier.claims[0].cite if tier.claims else tier.cite
    return cited(run.common.say["care_not_covered"](tier=tier.name, care=run.common.care[care]), cite) + "。", None
