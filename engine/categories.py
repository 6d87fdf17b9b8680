"""Category choice: which tiers the person's identities and facts give, which claim rule of each
applies to this care, and 就高不就低 among the priced categories."""
from __future__ import annotations

from typing import NamedTuple

from .case import Category
from .conditions import IDENTITIES, Ctx
from .context import Run
from .policy import Claim, Tier

IDENTITY_ORDER = {code: i for i, code in enumerate(IDENTITIES)}


class Choice(NamedTuple):
    """Which claim rule of a tier applies to this care type, decided without the amounts."""

    any_for_care: bool  # the tier has some rule for this care type at all
    chosen: Claim | None
    notes: tuple
    missing: tuple
    optimistic: Claim | None  # the first rule that a missing fact could still make apply


class Match(NamedTuple):
    tier: Tier
    notes: tuple
    choice: Choice
    category: Category


def categories(run: Run) -> tuple[list, list]:
    """The categories the person falls in, each with its claim rule for this care and the identity
    that gives it; and the categories dropped because they only apply to people in no other."""
    matched, exclusive_dropped = match_tiers(run)
    return [Match(tier, notes, choose_claim(tier, run), category(run, tier)) for tier, notes in matched], \
        exclusive_dropped


def match_tiers(run: Run) -> tuple[list, list]:
    matched = []
    for tier in run.region.tiers:
        value, tier_notes = tier.when.fn(run)
        if value:
            matched.append((tier, tier_notes))
    exclusive_dropped = []
    if any(not t.only_without_other_category for t, _ in matched):
        exclusive_dropped = [t for t, _ in matched if t.only_without_other_category]
        matched = [(t, n) for t, n in matched if not t.only_without_other_category]
    return matched, exclusive_dropped


def choose_claim(tier: Tier, ctx: Ctx) -> Choice:
    """The first claim rule of the tier for this care type whose condition holds; when a missing
    fact leaves one undecided, what is missing and which rule it could make apply."""
    notes: tuple = ()
    missing: tuple = ()
    optimistic: Claim | None = None
    any_for_care = False
    for claim in tier.claims:
        if ctx.care not in claim.care:
            continue
        any_for_care = True
        value, more = claim.when.fn(ctx)
        if value is True:
            return Choice(True, claim, notes + more, missing, optimistic)
        if value is None:
            missing += tuple(name for kind, name in more if kind == "missing")
            if optimistic is None:
                optimistic = claim
        else:
            notes += tuple(n for n in more if n[0] == "assumed")
    return Choice(any_for_care, None, notes, missing, optimistic)


def category(run: Run, tier: Tier) -> Category:
    return Category.trusted(id=tier.category, name=tier.name, identity=giving_identity(run, tier), tier=tier.tier)


def giving_identity(run: Run, tier: Tier) -> str | None:
    """The identity that gives the category: the first in the contract's order, so the order the
    user listed identities in never changes the answer."""
    ordered = sorted(run.identities & tier.when.identities, key=IDENTITY_ORDER.__getitem__)
    for code in ordered:
        single = Ctx(identities=frozenset((code,)), care=run.care, self_pay=run.self_pay,
                     facts=run.facts, defaults=run.defaults)
        if tier.when.fn(single)[0]:
            return code
    # only a combination gives it (低保对象中的重度残疾人): name the first of the rule's identities
    return ordered[0] if ordered else None


def rank_key(priced) -> tuple:
    """就高不就低 (rules.md): a covered category first; a discretionary frame (广西 4) never above
    one settled by rule (revised 2026-12); then the most assistance; on a tie the higher-ranked."""
    return (not priced.covered, priced.tier.discretionary is not None, -priced.amount, priced.tier.rank)


def best_of(priced: list) -> int:
    """The index of the category 就高不就低 keeps."""
    return min(range(len(priced)), key=lambda i: rank_key(priced[i]))
