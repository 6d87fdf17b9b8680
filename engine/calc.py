"""The benefit calculator: one pure function from a checked Case and the loaded policies to an Estimate.

Order of work (rules.md "The same everywhere"), one module per job:
  1. the document in force on the care date (here);
  2. every category the identities give (engine.categories; 就高不就低: compute each, keep the one
     that pays most);
  3. for the category, the claim rule for this care type: annual deductible, rate, annual limit
     (engine.pricing);
  4. region extras: 西藏's second tier (重特大), 乌鲁木齐/黔江 倾斜救助 (engine.extras);
  5. side benefits that do not change the amount: 资助参保, 大病保险 tilt, 先诊疗后付费, monitoring
     (engine.side);
  6. documents, where to apply, notes and the trace, each step naming its clause (engine.answer,
     the wording in policies/common.yaml `wording:`).
No policy number lives here: every figure comes from `policies/*.yaml`.
"""
from __future__ import annotations

import functools
from typing import NamedTuple

from .answer import (Profile, alternatives, before_document, if_known_text, no_category, policy_ref, requires,
                     settlement_of, tail, tail_in)
from .case import FACT_LABELS, Case, Estimate
from .categories import Choice, best_of
from .context import Run, cited, shared, where
from . import plain
from .money import ZERO, yuan
from .policy import Policies
from .pricing import price_tier
from .side import monitoring, side_benefits

# Names earlier callers imported from engine.calc
_Run, _Profile = Run, Profile


class Chosen(NamedTuple):
    """The category kept, priced (with the trace when wanted), and what it was chosen among."""

    match: object
    priced: object
    all_priced: list | None
    index: int


def estimate_case(case: Case, policies: Policies, explain: bool = True) -> Estimate:
    """The Estimate for a checked Case (see engine.estimate for the public entry point).

    With explain=False the amounts, status, category and side benefits are the same, but the
    trace, notes, documents and places are left empty: for callers that only compare outcomes
    (engine.questions probes the engine many times a turn; charts sample hundreds of points).
    """
    # most regions have one set of rules: no call to pick the one in force on the care date
    region = policies.regions[case.region] if case.region not in policies.periods else \
        policies.region_on(case.region, case.date)
    run = Run(case, region, policies.common)
    doc = region.document
    if case.date < doc.effective_from:
        return before_document(run, policy_ref(region))
    profile = region.memo(run.who, lambda: Profile(run))
    if not explain and profile.plain is not None:
        found = plain.answer(run, profile.plain)
        if found is not None:
            return found
    notes: list[str] = []
    if doc.effective_until and case.date > doc.effective_until:
        notes.append(run.common.say["document_expired"](title=doc.title, until=doc.effective_until))
    matched, failed = _with_requires(run, profile) if profile.needs_requires else (profile.matched, [])
    if not matched:
        return no_category(run, profile, failed, notes)
    chosen = _choose(run, profile, matched, explain)
    trace: list[str] = _category_trace(run, profile, chosen) if explain else []
    others = [] if chosen.all_priced is None else alternatives(run, matched, chosen.all_priced, chosen.index,
                                                               profile.excluded)
    if explain and others:
        trace[1:1] = [_others_line(run, chosen, others)]
    answer = _answer(run, profile, chosen, others, notes, trace, explain)
    if not explain and profile.plain is not None:
        plain.learn(run, profile.plain, answer)
    return answer


def _with_requires(run: Run, profile: Profile) -> tuple[list, list]:
    """The matched categories whose `requires:` (the one kind of rule that reads the amount) holds."""
    failed: list = []
    kept = []
    for m in profile.matched:
        if m.tier.requires is not None:
            value, more = requires(run.region, m.tier)(run)
            if value is False:
                failed.append((m.tier, cited(m.tier.requires.quote, m.tier.requires.cite)))
                continue
            m = m._replace(notes=m.notes + more)
        kept.append(m)
    return kept, failed


def _choose(run: Run, profile: Profile, matched: list, explain: bool) -> Chosen:
    """就高不就低: price each category (with its trace when it is wanted), keep the best."""
    excluded = profile.excluded
    if len(matched) == 1:  # the usual case
        return _chosen((matched[0], price_tier(run, profile, matched[0], excluded, [] if explain else None), None, 0))
    # each priced once: writing the others' few trace lines costs less than pricing the best again
    priced = [price_tier(run, profile, m, excluded, [] if explain else None) for m in matched]
    index = best_of(priced)
    return _chosen((matched[index], priced[index], priced, index))


def _category_trace(run: Run, profile: Profile, chosen: Chosen) -> list[str]:
    tier = chosen.match.tier
    trace = [run.common.say["category"](name=tier.name, cite=tier.cite)]
    for dropped in profile.exclusive_dropped:
        trace.append(cited(run.common.say["exclusive_dropped_before"](name=dropped.name), dropped.exclusive_cite)
                     + run.common.wording["exclusive_dropped_after"])
    trace.extend(chosen.priced.trace)
    return trace


def _others_line(run: Run, chosen: Chosen, others: list) -> str:
    common = run.common
    listed = "、".join(common.say["other_category"](name=a.category.name, amount=yuan(a.assistance)) for a in others)
    frame_last = any(p.tier.discretionary for p in chosen.all_priced) and not chosen.match.tier.discretionary
    return common.say["also_matched"](others=listed,
               end=common.wording["also_matched_frame_end" if frame_last else "also_matched_end"])


class Outcome(NamedTuple):
    status: str
    eligible: bool
    reason: str | None
    missing: list
    if_known: str | None


# Built with tuple.__new__ (C) rather than the NamedTuple's Python-level __new__: once or twice per
# estimate, on the engine's hottest path.
_chosen = functools.partial(tuple.__new__, Chosen)
_outcome_of = functools.partial(tuple.__new__, Outcome)


def _outcome(run: Run, profile: Profile, chosen: Chosen, settlement: str, trace: list, explain: bool) -> Outcome:
    """paid / zero / not_eligible / undecided, the reason, and what a missing fact could change."""
    best, region, common = chosen.priced, run.region, run.common
    missing = list(dict.fromkeys(best.missing)) if best.missing else []
    if not best.covered:
        return _outcome_of(("not_eligible", False, best.reason, missing, None))
    if profile.excluded:
        reason = cited(region.referral.text, region.referral.cite)
        if explain:
            trace.append(common.say["place_not_referred"](place=region.where_labels.__dict__[where(run)],
                                                          reason=reason))
        return _outcome_of(("zero", True, reason, missing, None))
    if settlement != chosen.match.tier.settlement and explain:
        trace.append(cited(common.say["place_manual"](place=region.where_labels.__dict__[where(run)],
                               how=common.settlement[settlement]), region.settlement_by_where.cite))
    if missing:
        if_known = None
        if best.optimistic is not None:
            forced = chosen.match._replace(choice=Choice(True, best.optimistic, (), (), None))
            hopeful = price_tier(run, profile, forced, profile.excluded, trace=None)
            if hopeful.amount != best.amount:
                if_known = if_known_text(run, best.optimistic, hopeful.amount, best.amount)
        return _outcome_of(("undecided", True, best.reason, missing, if_known))
    return _outcome_of(("paid" if best.amount > 0 else "zero", True, best.reason, missing, None))


def _first_notes(run: Run, profile: Profile, chosen: Chosen, outcome: Outcome, notes: list) -> None:
    common = run.common
    if outcome.status == "undecided":
        notes.append(common.say["missing_facts"](facts="、".join(FACT_LABELS.get(m, m) for m in outcome.missing)))
        if outcome.if_known:
            notes.append(outcome.if_known)
    if outcome.reason and outcome.status in ("zero", "not_eligible"):
        notes.append(outcome.reason)
    tier = chosen.match.tier
    if tier.base_note and outcome.eligible:
        notes.append(tier.base_note + "。")
    if outcome.eligible and profile.answer_notes:
        notes.extend(profile.answer_notes)


def _side_and_tail(run: Run, profile: Profile, chosen: Chosen, eligible: bool, settlement: str) -> tuple:
    """The side benefits (per kind of person and year) and the answer's tail, memoised."""
    case, region, best, tier = run.case, run.region, chosen.priced, chosen.match.tier
    side_key = (run.common.transition_period.value_on(case.date), case.date.year)
    side = profile.side.get(side_key)
    if side is None:
        side = profile.side[side_key] = shared(run, "side", lambda: side_benefits(run, side_key[0]), *side_key)
    # within one profile the claim's notes, settlement, tier and year tell the tail apart; across
    # profiles the tail's own inputs (TailIn) are the key
    tail_key = (best.notes, best.covered, eligible, settlement, tier.rank, side_key)
    found = profile.tails.get(tail_key)
    if found is None:
        made_of = tail_in(run, profile, best, side, eligible, settlement, tier)
        found = profile.tails[tail_key] = region.memo(("tail", made_of),
                                                      lambda: tail(run.common, region, made_of))
    return side, found


def _answer(run: Run, profile: Profile, chosen: Chosen, others: list, notes: list, trace: list,
            explain: bool) -> Estimate:
    case, best = run.case, chosen.priced
    settlement = settlement_of(run, best, profile.excluded)
    outcome = _outcome(run, profile, chosen, settlement, trace, explain)
    if explain:  # without the words the notes are left empty: not worth writing
        _first_notes(run, profile, chosen, outcome, notes)
    parts = best.parts
    assistance = parts[0].amount if len(parts) == 1 else sum((p.amount for p in parts), ZERO)
    side, end = _side_and_tail(run, profile, chosen, outcome.eligible, settlement)
    if explain:
        _last_notes(run, end, notes)
        documents, where_to_apply, further = list(end.documents), list(end.where_to_apply), list(profile.further)
        found = monitoring(run, profile, assistance) if profile.monitoring else []
        trace.append(run.common.say["total"](amount=yuan(assistance)))
    else:
        documents, where_to_apply, further, found, notes, trace = [], [], [], [], [], []
    status = outcome.status
    return Estimate.of({
        "region": case.region, "policy": profile.policy_ref, "status": status, "eligible": outcome.eligible,
        "category": chosen.match.category, "assistance": assistance, "parts": parts,
        "self_pay_after": case.self_pay - assistance if case.self_pay > assistance else ZERO,
        "settlement": settlement, "subsidy": side.subsidy, "critical_illness_tilt": side.tilt,
        "deposit_waiver": side.waiver, "documents": documents, "where_to_apply": where_to_apply, "notes": notes,
        "trace": trace, "reason": outcome.reason if status in ("zero", "not_eligible") else None,
        "missing_facts": outcome.missing if status == "undecided" else [], "if_known": outcome.if_known,
        "readings": list(end.readings), "assumed": list(end.assumed), "monitoring": found, "further_help": further,
        "disclaimer": run.common.disclaimer, "alternatives": others,
    })


def _last_notes(run: Run, end, notes: list) -> None:
    notes.extend(end.reading_texts)
    for text in end.assumption_texts:
        if text not in notes:
            notes.append(text)
    if run.stat_notes:
        notes.extend(dict.fromkeys(run.stat_notes))
    notes.extend(end.closing)
