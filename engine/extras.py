"""Region extras on top of the ordinary claim: 西藏's second tier (重特大疾病医疗救助) and the two
倾斜救助 modes (乌鲁木齐 above the annual limit; 黔江 above a yearly threshold of what is left)."""
from __future__ import annotations

from decimal import Decimal

from .case import Part, construct
from .context import Run, cited
from .money import ZERO, fen, percent, yuan
from .policy import Claim, Tier


def major_part(run: Run, rate: Decimal, ordinary: Decimal, trace: list | None) -> tuple[Part | None, tuple]:
    """西藏 重特大疾病医疗救助 on what the ordinary tier left (Reading xizang_two_tiers)."""
    major = run.region.major
    common = run.common
    ytd = run.ytd
    residual = run.case.self_pay - ordinary
    threshold = run.statistic(major.threshold, trace, major.cite)
    # earlier aid of the year is taken from the ordinary limit first; the 5% line is tested on the
    # year's residual (rules.md, revised 2026-12), only this claim's residual is paid
    prior_ordinary = min(ytd.aid, major.ordinary_cap)
    prior = max(ZERO, ytd.aid - major.ordinary_cap)
    left = max(ZERO, major.cap - prior)
    earlier = max(ZERO, ytd.self_pay - prior_ordinary)
    year_residual = earlier + residual
    notes = (("reading", major.reading),)
    if trace is not None:
        so_far = (common.say["major_earlier"](earlier=yuan(earlier), year=yuan(year_residual)) if earlier > 0
                  else common.wording["major_no_earlier"])
        trace.append(cited(common.say["major_residual"](residual=yuan(residual), so_far=so_far), major.cite))
    if residual <= 0 or year_residual < threshold:
        if trace is not None:
            trace.append(cited(common.say["major_below"](year=yuan(year_residual), threshold=yuan(threshold)),
                               major.cite))
        return None, notes
    amount = fen(min(rate * residual, left))
    if trace is not None:
        trace.append(cited(common.say["major_paid"](year=yuan(year_residual), threshold=yuan(threshold),
                               residual=yuan(residual), rate=percent(rate), cap=yuan(major.cap), left=yuan(left),
                               amount=yuan(amount)), major.cite))
    part = Part.trusted(kind="major", base=residual, deductible=ZERO, rate=rate, cap=major.cap, cap_left=left,
                        amount=amount, cite=major.cite)
    return part, notes


def tilt_part(run: Run, decided: tuple, tier: Tier, claim: Claim | None, base: Decimal, rate: Decimal | None,
              cap_left: Decimal | None, regular: Decimal, trace: list | None) -> tuple[Part | None, tuple]:
    """倾斜救助 for the person (`decided`: the tilt's condition, decided once per person)."""
    tilt = run.region.tilt
    value, notes = decided
    if not value:
        if trace is not None:
            trace.append(cited(tilt.not_applicable_text, tilt.cite))
        return None, ()
    tilt_left = max(ZERO, tilt.cap - run.ytd.tilt_aid)
    if tilt.mode == "over_cap":
        if claim is None or not claim.pays or rate is None or rate == 0 or cap_left is None or rate * base <= cap_left:
            if trace is not None:
                trace.append(cited(run.common.wording["tilt_not_over_cap"], tilt.cite))
            return None, notes
        tilt_base, amount = over_cap(run, tier.tilt_rate, base, rate, cap_left, tilt_left, trace)
    else:
        tilt_base, amount = over_annual_threshold(run, tier, regular, tilt_left, trace)
    notes = notes + (("reading", tilt.reading),)
    if amount <= 0:
        return None, notes
    values = {"kind": "tilt", "base": fen(tilt_base), "deductible": ZERO, "rate": tier.tilt_rate, "cap": tilt.cap,
              "cap_left": tilt_left, "amount": amount, "cite": tilt.cite}
    if tilt.note is not None:
        notes += (("note", tilt.note),)
    if tilt.settlement is None:
        return Part.of(values), notes
    # settled unlike the answer (contract.md parts[].settlement): an extra field, only on this part
    return construct(Part, values, set(values), {"settlement": tilt.settlement}), notes


def over_cap(run: Run, tilt_rate: Decimal, base: Decimal, rate: Decimal, cap_left: Decimal, tilt_left: Decimal,
             trace: list | None) -> tuple[Decimal, Decimal]:
    """乌鲁木齐: the cost the annual limit left unpaid × the tilt rate, within the tilt's own limit."""
    tilt = run.region.tilt
    # the part's base is shown to the fen; its amount is reckoned on that same base, so it never
    # exceeds rate × the base the answer shows (test_properties.test_bounds_and_parts)
    over = fen(base - cap_left / rate)
    amount = fen(min(tilt_rate * over, tilt_left))
    if trace is not None:
        trace.append(cited(run.common.say["tilt_over_cap"](over=yuan(fen(over)), rate=percent(tilt_rate),
                               cap=yuan(tilt.cap), left=yuan(tilt_left), amount=yuan(amount)), tilt.cite))
    return over, amount


def over_annual_threshold(run: Run, tier: Tier, regular: Decimal, tilt_left: Decimal,
                          trace: list | None) -> tuple[Decimal, Decimal]:
    """黔江: this claim's share of the year's leftover self-pay above the tier's threshold × the rate."""
    tilt = run.region.tilt
    ytd = run.ytd
    threshold = tier.tilt_threshold
    before = max(ZERO, ytd.self_pay - ytd.aid)
    now = run.case.self_pay - regular
    tilt_base = max(ZERO, before + now - threshold) - max(ZERO, before - threshold)
    amount = fen(min(tier.tilt_rate * tilt_base, tilt_left))
    if trace is not None:
        trace.append(cited(run.common.say["tilt_annual"](total=yuan(before + now), before=yuan(before),
                               now=yuan(now), threshold=yuan(threshold), part=yuan(tilt_base),
                               rate=percent(tier.tilt_rate), cap=yuan(tilt.cap), left=yuan(tilt_left),
                               amount=yuan(amount)), tilt.cite))
    return tilt_base, amount
