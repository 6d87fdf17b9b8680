"""What the arithmetic needs for one kind of person: each category it falls in, with the claim
rule's deductible, rate and limits, 西藏's second tier, 倾斜救助 and a `requires:` condition, all
read from the engine's own profile of that person (so a changed policy file changes them too)."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ..answer import Profile, requires, settlement_for_place
from ..case import Case, Category
from ..conditions import Ctx
from ..context import Run
from ..money import HUNDRED
from ..policy import Major, Policies, RegionPolicy, Tier

# the rows' integer arithmetic stays far inside int64 with amounts up to engine.case.MAX_AMOUNT
# when a rate's numerator and denominator stay below this (else the engine prices the rows)
LARGEST_TERM = 10 ** 8


@dataclass(frozen=True)
class Tilt:
    """倾斜救助 as it applies to this person's category (in fen; the rate as an exact fraction)."""

    over_cap: bool  # 乌鲁木齐: over the annual limit; else 黔江: over a yearly threshold
    num: int
    den: int
    cap: int
    threshold: int


@dataclass(frozen=True)
class Requires:
    """A `requires:` condition on the bill: self-pay ≥ share × a money fact (None: always holds)."""

    fact: str | None
    num: int
    den: int
    when_unknown: bool  # whether the category is kept when the fact is not stated


@dataclass(frozen=True)
class Candidate:
    """One category a kind of person falls in, with what the arithmetic needs (amounts in fen)."""

    covered: bool  # the category pays for this care at all (the engine's Priced.covered)
    priced: bool  # covered and not excluded by the referral rule: the claim is priced
    pays: bool  # priced, and its claim rule pays
    deductible: Any  # Decimal, or a StatRef (a share of a dated statistic)
    num: int
    den: int
    caps: tuple  # ((below in fen, or -1 for the last), limit in fen, or -1 for none), ...: the first that holds
    aid_cap: int  # earlier aid counted against the limit only up to this (西藏's ordinary limit), -1: all
    major: Major | None  # 西藏's second tier on top
    tilt: Tilt | None
    requires: Requires | None
    rank: int
    discretionary: bool  # a frame granted at the office's discretion
    category: Category
    settlement: str
    region: RegionPolicy


def plan(case: Case, region: RegionPolicy, policies: Policies) -> list[Candidate] | None:
    """The candidates of this kind of person, best rank first (none: no category); None when a
    rule is outside what the arithmetic reproduces exactly (the engine prices those rows)."""
    run = Run(case, region, policies.common)
    profile = region.memo(run.who, lambda: Profile(run))  # the engine's own memo of this person
    out = []
    for m in sorted(profile.matched, key=lambda m: m.tier.rank):
        candidate = _candidate(run, profile, m)
        if candidate is None:
            return None
        out.append(candidate)
    return out


def _candidate(run: Run, profile: Profile, m) -> Candidate | None:
    region, tier = run.region, m.tier
    covered, chosen = m.choice.any_for_care, m.choice.chosen
    priced = covered and not profile.excluded
    pays = priced and chosen is not None and chosen.pays
    num, den = chosen.rate.as_integer_ratio() if pays else (0, 1)
    caps = _caps(chosen.cap) if pays else ((-1, -1),)
    if caps is None or max(num, den) >= LARGEST_TERM or (pays and not _whole(chosen.deductible)):
        return None
    major = pays and chosen.major and region.major is not None
    if major and not (_whole(region.major.ordinary_cap) and _whole(region.major.cap)):
        return None
    tilt = _tilt(region, tier, profile, run.care) if priced else None
    if tilt is False:
        return None
    needs = _requires(run, tier)
    if needs is False:
        return None
    settlement = settlement_for_place(run, tier.settlement) if priced else "not_covered"
    return Candidate(covered, priced, pays, chosen.deductible if pays else Decimal(0), num, den, caps,
                     int_fen(region.major.ordinary_cap) if major else -1,
                     region.major if major and run.care in region.major.care else None, tilt, needs, tier.rank,
                     tier.discretionary is not None, m.category, settlement, region)


def _tilt(region: RegionPolicy, tier: Tier, profile: Profile, care: str) -> Tilt | None | bool:
    tilt = region.tilt
    if tilt is None or care not in tilt.care or tier.tilt_rate is None or not profile.tilt[0]:
        return None
    num, den = tier.tilt_rate.as_integer_ratio()
    threshold = tier.tilt_threshold if tier.tilt_threshold is not None else Decimal(0)
    if max(num, den) >= LARGEST_TERM or not (_whole(tilt.cap) and _whole(threshold)):
        return False
    return Tilt(tilt.mode == "over_cap", num, den, int_fen(tilt.cap), int_fen(threshold))


def _requires(run: Run, tier: Tier) -> Requires | None | bool:
    rule = tier.requires
    if rule is None:
        return None
    if rule.self_pay_share_of is None:  # {assume: …}: holds, noted as assumed
        holds = requires(run.region, tier)(run)[0]
        return None if holds is True else False
    num, den = rule.share.as_integer_ratio()
    if max(num, den) >= LARGEST_TERM:
        return False
    # what the engine's own condition says when the fact is not stated
    unknown = requires(run.region, tier)(Ctx(run.identities, run.care, run.self_pay, {}, run.defaults))[0]
    return Requires(rule.self_pay_share_of, num, den, unknown is not False)


def _caps(cap) -> tuple | None:
    """The annual limit as brackets of the year's self-pay (one bracket for a fixed limit)."""
    if cap is None or cap.__class__ is Decimal:
        return ((-1, int_fen(cap)),) if _whole(cap) else None
    brackets = cap.by_year_self_pay
    if not all(_whole(b.below) and _whole(b.cap) for b in brackets):
        return None
    return tuple((int_fen(b.below), int_fen(b.cap)) for b in brackets)


def int_fen(value: Decimal | None) -> int:
    """A whole-fen figure of the rules as an integer of fen; -1 for none (no limit, no line)."""
    return -1 if value is None else int(value * HUNDRED)


def _whole(value) -> bool:
    """A sum in whole fen (a share of a statistic is checked year by year, when it is read)."""
    return value is None or value.__class__ is not Decimal or value * HUNDRED == int(value * HUNDRED)

