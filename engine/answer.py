"""The answer's amount-free parts (the profile of one kind of person, the tail of notes and
documents), how it is settled, the alternatives, and the answers without a category."""
from __future__ import annotations

from decimal import Decimal
from typing import NamedTuple

from .case import Alternative, Estimate, Flag, PolicyRef, Subsidy
from .categories import IDENTITY_ORDER, categories
from .context import Run, cited, shared, stat_year, where
from .money import ZERO, yuan
from .plain import plain_of
from .policy import Claim, RegionPolicy, Tier
from .side import documents, further_help, monitoring


class Profile:
    """The amount-free part of an answer for one kind of person (region, identities, care and the
    facts the rules read): which categories match, which claim rule each uses, the side benefits,
    documents and texts. Decided once and reused for every bill of the same kind of person; only
    `requires:` conditions may read the bill's amount (the policy loader enforces this)."""

    __slots__ = ("policy_ref", "matched", "exclusive_dropped", "needs_requires", "excluded", "referral_notes", "tilt",
                 "further", "monitoring", "answer_notes", "side", "tails", "no_category", "plain")

    def __init__(self, run: Run):
        region = run.region
        self.policy_ref = policy_ref(region)
        self.matched, self.exclusive_dropped = shared(run, "tiers", lambda: categories(run))
        self.needs_requires = any(m.tier.requires is not None for m in self.matched)
        self.excluded, self.referral_notes = False, ()
        if region.referral is not None:
            value, self.referral_notes = region.referral.not_covered_when.fn(run)
            self.excluded = bool(value)
        self.tilt = region.tilt.when.fn(run) if region.tilt is not None else (False, ())
        self.further = shared(run, "further", lambda: further_help(run))
        self.monitoring = shared(run, "monitoring",
                                 lambda: [rule for rule in region.monitoring if rule.when.fn(run)[0]])
        self.answer_notes = shared(run, "notes", lambda: tuple(
            cited(text.text, text.cite) for text in region.answer_notes if text.show_when.fn(run)[0]))
        self.side: dict = {}  # (in_transition, year) -> Side
        self.tails: dict = {}  # what the category's claim noted, status, settlement, year … -> Tail
        self.no_category: dict = {}  # ranks of the tiers whose requires: failed -> (reason, reasons, trace)
        self.plain = plain_of(run, self)  # the amounts-only answers' one claim rule, when it is that simple


def policy_ref(region: RegionPolicy) -> PolicyRef:
    """One PolicyRef per region (outputs are read-only)."""
    doc = region.document
    return region.derived("policy_ref", lambda: PolicyRef.trusted(
        doc_no=doc.doc_no, title=doc.title, effective_from=doc.effective_from, effective_until=doc.effective_until))


def requires(region: RegionPolicy, tier: Tier):
    return region.derived(("requires", tier.category, tier.tier), lambda: tier.requires.condition().fn)


class Tail(NamedTuple):
    """The end of an answer that follows from the person, the category's claim and the year, not
    from the amounts: the Readings and assumptions used (ids and their texts), the closing notes,
    the documents and where to apply."""

    readings: tuple
    assumed: tuple
    reading_texts: tuple
    assumption_texts: tuple
    closing: tuple
    documents: tuple
    where_to_apply: tuple


class TailIn(NamedTuple):
    """Everything the tail is made from. The memo key is this tuple itself and `tail()` sees
    nothing else of the case, so the key and what the tail reads cannot drift apart."""

    notes: tuple  # what the claim's rules noted, with the referral condition's when covered
    eligible: bool
    settlement: str
    tier_rank: int
    tier_settlement: str
    year: int
    side_readings: tuple
    subsidy_assumed: tuple  # what deciding 资助参保 assumed, when there is one
    contribution_estimated: bool  # 资助参保 reckoned on the national minimum (no contribution stated)
    where: str
    illness_poverty: bool  # 因病致贫 applicants bring the family's income papers


def tail_in(run: Run, profile: Profile, best, side, eligible: bool, settlement: str, tier: Tier) -> TailIn:
    subsidy = side.subsidy
    return TailIn(
        best.notes + (profile.referral_notes if best.covered else ()), eligible, settlement, tier.rank,
        tier.settlement, run.case.date.year, side.readings,
        tuple(name for kind, name in side.notes if kind == "assumed") if subsidy.kind != "none" else (),
        subsidy.kind != "none" and subsidy.amount is not None and run.case.facts.contribution is None,
        where(run), "illness_poverty" in run.identities)


def _add(into: list, name: str) -> None:
    if name not in into:
        into.append(name)


def tail(common, region: RegionPolicy, t: TailIn) -> Tail:
    readings: list[str] = []
    assumed: list[str] = []
    said: list[str] = []  # notes the claim's rules carry as text (("note", text))
    for kind, name in t.notes:
        if kind in ("assumed", "reading", "note"):
            _add({"assumed": assumed, "reading": readings, "note": said}[kind], name)
    for name in t.side_readings:
        _add(readings, name)
    for name in t.subsidy_assumed:
        _add(assumed, name)
    if t.eligible and region.residence is not None:
        _add(assumed, "residence")
    closing = []
    if t.contribution_estimated:
        stat = common.statistics["resident_contribution"]
        year = stat_year(stat, t.year)
        closing.append(common.say["contribution_estimated"](year=year, name=stat.name, value=stat.values[year].value,
                           note=stat.note))
    docs, where_to_apply = region.memo(
        ("documents", t.settlement, t.tier_rank, t.where, t.illness_poverty),
        lambda: documents(common, region, t.settlement, t.tier_settlement, t.where, t.illness_poverty))
    if docs:
        closing.append(common.documents.note)
    closing.append(common.disclaimer)
    return Tail(
        readings=tuple(readings), assumed=tuple(assumed),
        reading_texts=tuple(common.readings[name] for name in readings) + tuple(said),
        assumption_texts=tuple(text for name in assumed if (text := common.assumptions.get(name))),
        closing=tuple(closing), documents=tuple(docs), where_to_apply=tuple(where_to_apply),
    )


# ---------------------------------------------------------------------- settlement and alternatives


def settlement_of(run: Run, priced, excluded: bool) -> str:
    """How this category's claim is settled: not covered, then the place (referred care outside the
    one-stop area is settled by hand), then the category's own way."""
    if not priced.covered or excluded:
        return "not_covered"
    settlement = priced.tier.settlement
    if run.region.settlement_by_where is not None:
        settlement = settlement_for_place(run, settlement)
    return settlement


def settlement_for_place(run: Run, settlement: str) -> str:
    by_where = run.region.settlement_by_where
    if by_where is None or settlement != "one_stop":
        return settlement
    override = getattr(by_where, where(run), None) if where(run) != "local" else None
    return override or settlement


def alternatives(run: Run, matched: list, priced: list, best_index: int, excluded: bool) -> list:
    """Every other category the person holds, with what it gives for this claim and why it was not
    chosen (contract.md `alternatives`). Amount-dependent, so built for every case."""
    best = priced[best_index]
    out = []
    for i, other in enumerate(priced):
        if i == best_index:
            continue
        out.append(Alternative.trusted(category=matched[i].category, assistance=other.amount,
                                       settlement=settlement_of(run, other, excluded),
                                       why_not=_why_not(run, other, best, excluded)))
    return out


def _why_not(run: Run, other, best, excluded: bool) -> str:
    common = run.common
    tier = other.tier
    if not other.covered:
        return other.reason or common.say["alt_not_covered"](tier=tier.name)
    if excluded:  # not referred: no category pays for this care
        return cited(run.region.referral.text, run.region.referral.cite)
    if tier.discretionary is not None and best.tier.discretionary is None and other.amount > best.amount:
        return common.say["alt_discretionary"](amount=yuan(other.amount), best=best.tier.name,
                   why=tier.discretionary)
    if other.amount == best.amount:
        return common.say["alt_same"](amount=yuan(other.amount), best=best.tier.name)
    return common.say["alt_less"](amount=yuan(other.amount), best=best.tier.name, best_amount=yuan(best.amount))


def if_known_text(run: Run, claim: Claim, hopeful: Decimal, current: Decimal) -> str:
    cond = claim.condition_text or run.common.wording["if_known_default"]
    return run.common.say["if_known"](condition=cond, hopeful=yuan(hopeful), current=yuan(current))


# ---------------------------------------------------------------------- outcomes without a category


def base_estimate(run: Run, policy: PolicyRef, **fields) -> Estimate:
    common = run.common
    # shared by every answer without a category (outputs are read-only)
    none_subsidy, not_applicable = run.region.derived("no_side", lambda: (
        Subsidy.trusted(kind="none", share=None, amount=None, text=common.wording["no_subsidy_at_all"], cite=None,
                        applies=False),
        Flag.trusted(applies=False, text=common.wording["not_applicable"], cite=None)))
    values = dict(
        region=run.case.region, policy=policy, status="not_eligible", eligible=False, category=None,
        assistance=ZERO, parts=[], self_pay_after=run.case.self_pay, settlement="none",
        subsidy=none_subsidy, critical_illness_tilt=not_applicable, deposit_waiver=not_applicable,
        documents=[], where_to_apply=list(common.where_to_apply_common), notes=[], trace=[], reason=None,
        missing_facts=[], if_known=None, readings=[], assumed=[], monitoring=[], further_help=[],
        disclaimer=common.disclaimer,
    )
    values.update(fields)
    return Estimate.of(values)


def before_document(run: Run, policy: PolicyRef) -> Estimate:
    doc = run.region.document
    text = run.common.say["before_document"](title=doc.title, start=doc.effective_from)
    trace = cited(run.common.say["document_start"](start=doc.effective_from), doc.cite) + run.common.say["care_before_start"](
        date=run.case.date)
    return base_estimate(run, policy, status="undecided", reason=text, notes=[text, run.common.disclaimer],
                         trace=[trace])


def no_category(run: Run, profile: Profile, failed: list, notes: list) -> Estimate:
    key = tuple(tier.rank for tier, _ in failed)
    found = profile.no_category.get(key)
    if found is None:
        found = profile.no_category[key] = why_no_category(run, failed)
    reason, reasons, trace = found
    return base_estimate(run, profile.policy_ref, reason=reason, notes=notes + reasons + [run.common.disclaimer],
                         trace=list(trace), monitoring=monitoring(run, profile))


def why_no_category(run: Run, failed: list) -> tuple[str, list, list]:
    region = run.region
    common = run.common
    trace: list[str] = []
    reasons: list[str] = []
    if not run.case.identities:
        reasons.append(common.wording["no_identity"])
    for tier, why in failed:
        reasons.append(common.say["requires_failed"](tier=tier.name, why=why))
        trace.append(cited(common.say["requires_failed_trace"](tier=tier.name), tier.requires.cite))
    explained = set()
    for rule in region.unlisted:
        if rule.identity in run.case.identities:
            reasons.append(cited(rule.text, rule.cite))
            explained.add(rule.identity)
    others = [c for c in sorted(run.identities, key=IDENTITY_ORDER.__getitem__) if c not in explained]
    if others and not failed:
        names = "、".join(common.identities[c] for c in others)
        reasons.append(cited(common.say["not_a_category"](region=region.short_name, names=names),
                             region.tiers[0].cite) + "。")
    trace.append(common.say["region_tiers"](region=region.short_name) + "；".join(t.name for t in region.tiers))
    return " ".join(reasons), reasons, trace
