"""The benefit calculator: one pure function from a checked Case and the loaded policies to an Estimate.

Order of work (rules.md "The same everywhere"):
  1. the document in force on the care date;
  2. every category the identities give (就高不就低: compute each, keep the one that pays most);
  3. for the category, the claim rule for this care type: annual deductible, rate, annual limit;
  4. region extras: 西藏's second tier (重特大), 乌鲁木齐/黔江 倾斜救助;
  5. side benefits that do not change the amount: 资助参保, 大病保险 tilt, 先诊疗后付费, monitoring;
  6. documents, where to apply, notes and the trace, each step naming its clause.
No policy number lives here: every figure comes from `policies/*.yaml`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

from .case import FACT_LABELS, Alternative, Case, Category, Estimate, Flag, Part, PolicyRef, Subsidy, construct
from .conditions import IDENTITIES, Ctx
from .money import ZERO, fen, percent, whole_yuan, yuan
from .policy import CapRule, Claim, Common, Policies, RegionPolicy, StatRef, Tier

_UNCAPPED = None
IDENTITY_ORDER = {code: i for i, code in enumerate(IDENTITIES)}


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


class _Run(Ctx):
    """Per-estimate scratch space: the case and what the answer must mention. It is also the
    context the conditions look at (identities, care, self_pay, stated facts, defaults)."""

    __slots__ = ("case", "region", "common", "ytd", "stat_notes", "who")

    def __init__(self, case: Case, region: RegionPolicy, common: Common):
        self.case = case
        self.region = region
        self.common = common
        given = case.facts.__pydantic_fields_set__  # most cases state no facts at all
        facts = {k: v for k, v in case.facts.__dict__.items() if v is not None} if given else {}
        self.identities = frozenset(case.identities)
        self.care = case.care
        self.self_pay = case.self_pay
        self.facts = facts
        self.defaults = common.defaults
        self.ytd = case.year_to_date
        self.stat_notes: list[str] = []
        # Who the person is, as far as the amount-free rules can tell: identities, care and the facts
        # some condition of this region reads. Never an amount: it keys the profile memo. A number
        # the rules only compare with thresholds counts by which side of each threshold it is on.
        who = ()
        if facts:
            read = _facts_read(region)
            who = tuple((name, value if read[name] is None else tuple((value > b) - (value < b) for b in read[name]))
                        for name, value in facts.items() if name in read)
        self.who = (self.identities, case.care, who)

    # -------------------------------------------------------------- dated statistics

    def statistic(self, ref: StatRef, trace: list | None, cite: str | None = None) -> Decimal:
        """share × the statistic for (care year + offset); the latest earlier year when missing."""
        key = ("statistic", ref.statistic, ref.share, ref.year_offset, ref.round, ref.cite or cite, self.case.date.year)
        value, note, line = self.region.derived(key, lambda: _statistic(self.region, ref, self.case.date.year,
                                                                        ref.cite or cite))
        if note is not None:
            self.stat_notes.append(note)
        if trace is not None:
            trace.append(line)
        return value


def _statistic(region: RegionPolicy, ref: StatRef, care_year: int, cite: str | None) -> tuple:
    """(value, note when an older year stands in, trace line): the same for every case of a year."""
    stat = region.statistics[ref.statistic]
    want = care_year + ref.year_offset
    year = _stat_year(stat, want)
    base = stat.values[year].value
    value = base * ref.share
    if ref.round == "yuan":
        value = whole_yuan(value)
    note = None
    if year != want:
        note = (f"{stat.name}：没有{want}年的数字，用的是{year}年的{base:,}元（{stat.values[year].source}）；"
                f"以当地医保部门公布的标准为准。")
    line = f"{stat.name}（{year}年）{base:,}元 × {percent(ref.share)} = {yuan(value)}" + (f"〔{cite}〕" if cite else "")
    return value, note, line


def _stat_year(stat, want: int) -> int:
    years = sorted(y for y in stat.values if y <= want)
    return years[-1] if years else min(stat.values)


class _Choice(NamedTuple):
    """Which claim rule of a tier applies to this care type, decided without the amounts."""

    any_for_care: bool  # the tier has some rule for this care type at all
    chosen: Claim | None
    notes: tuple
    missing: tuple
    optimistic: Claim | None  # the first rule that a missing fact could still make apply


class _Match(NamedTuple):
    tier: Tier
    notes: tuple
    choice: _Choice
    category: Category


class _Profile:
    """The amount-free part of an answer for one kind of person (region, identities, care and the
    facts the rules read): which categories match, which claim rule each uses, the side benefits,
    documents and texts. Decided once and reused for every bill of the same kind of person; only
    `requires:` conditions may read the bill's amount (the policy loader enforces this)."""

    __slots__ = ("policy_ref", "matched", "exclusive_dropped", "needs_requires", "excluded", "referral_notes", "tilt",
                 "further", "monitoring", "answer_notes", "side", "tails", "no_category")

    def __init__(self, run: "_Run"):
        region = run.region
        self.policy_ref = _policy_ref(region)
        self.matched, self.exclusive_dropped = _shared(run, "tiers", lambda: _categories(run))
        self.needs_requires = any(m.tier.requires is not None for m in self.matched)
        self.excluded, self.referral_notes = False, ()
        if region.referral is not None:
            value, self.referral_notes = region.referral.not_covered_when.fn(run)
            self.excluded = bool(value)
        self.tilt = region.tilt.when.fn(run) if region.tilt is not None else (False, ())
        self.further = _shared(run, "further", lambda: _further_help(run))
        self.monitoring = _shared(run, "monitoring",
                                  lambda: [rule for rule in region.monitoring if rule.when.fn(run)[0]])
        self.answer_notes = _shared(run, "notes", lambda: tuple(
            f"{text.text}〔{text.cite}〕" for text in region.answer_notes if text.show_when.fn(run)[0]))
        self.side: dict = {}  # (in_transition, year) -> _Side
        self.tails: dict = {}  # what the category's claim noted, status, settlement, year … -> _Tail
        self.no_category: dict = {}  # ranks of the tiers whose requires: failed -> (reason, reasons, trace)


def estimate_case(case: Case, policies: Policies, explain: bool = True) -> Estimate:
    """The Estimate for a checked Case (see engine.estimate for the public entry point).

    With explain=False the amounts, status, category and side benefits are the same, but the
    trace, notes, documents and places are left empty: for callers that only compare outcomes
    (engine.questions probes the engine many times a turn; charts sample hundreds of points).
    """
    region = policies.regions[case.region]
    common = policies.common
    run = _Run(case, region, common)
    doc = region.document
    if case.date < doc.effective_from:
        return _before_document(run, _policy_ref(region))

    notes: list[str] = []
    trace: list[str] = []
    if doc.effective_until and case.date > doc.effective_until:
        notes.append(
            f"《{doc.title}》有效期到{doc.effective_until:%Y年%m月%d日}，就医日期已超过；本估算仍按该文件计算，"
            f"请向当地医保部门确认是否已有新规定。"
        )

    # ------------------------------------------------------------------ categories
    profile = region.memo(run.who, lambda: _Profile(run))
    failed_requires: list[tuple[Tier, str]] = []
    matched = profile.matched
    if profile.needs_requires:  # the one kind of rule that reads the amount
        kept = []
        for m in matched:
            if m.tier.requires is not None:
                value, more = _requires(region, m.tier)(run)
                if value is False:
                    failed_requires.append((m.tier, f"{m.tier.requires.quote}〔{m.tier.requires.cite}〕"))
                    continue
                m = m._replace(notes=m.notes + more)
            kept.append(m)
        matched = kept

    excluded = profile.excluded
    if not matched:
        return _no_category(run, profile, profile.policy_ref, failed_requires, notes)

    if len(matched) == 1:  # the usual case: price once, with the trace when it is wanted
        best_index = 0
        best = _price_tier(run, profile, matched[0], excluded, trace=[] if explain else None)
    else:
        priced = [_price_tier(run, profile, m, excluded, trace=None) for m in matched]
        best_index = min(
            range(len(priced)),
            key=lambda i: _rank_key(priced[i]),
        )
        best = priced[best_index]
        if explain:  # again, this time with the trace
            best = _price_tier(run, profile, matched[best_index], excluded, trace=[])
    best_match = matched[best_index]
    best_tier = best_match.tier

    alternatives = [] if len(matched) == 1 else _alternatives(run, matched, priced, best_index, excluded)
    if explain:
        trace.append(f"救助类别：{best_tier.name}〔{best_tier.cite}〕")
        if alternatives:
            others = "、".join(f"{a.category.name}（{yuan(a.assistance)}）" for a in alternatives)
            trace.append(f"同时符合：{others}；按就高不就低原则取救助最多的类别"
                         + ("，依申请的框架标准不排在按规定直接救助的类别前面。" if any(
                             p.tier.discretionary for p in priced) and not best_tier.discretionary else "。"))
        for tier in profile.exclusive_dropped:
            trace.append(f"{tier.name}只适用于不属于其他类别的人〔{tier.exclusive_cite}〕，所以不按此类别计算。")
        trace.extend(best.trace)

    settlement = _settlement(run, best, excluded)
    reason = best.reason
    missing = list(dict.fromkeys(best.missing)) if best.missing else []
    if_known = None
    if not best.covered:
        status, eligible = "not_eligible", False
    elif excluded:
        status, eligible = "zero", True
        reason = f"{region.referral.text}〔{region.referral.cite}〕"
        trace.append(f"就医地点：{region.where_labels.__dict__[_where(run)]}，未办理转诊/备案：{reason}")
    else:
        eligible = True
        if settlement != best_tier.settlement and explain:
            trace.append(f"就医地点：{region.where_labels.__dict__[_where(run)]}，不在“一站式”结算的范围内，"
                         f"要带转诊证明和票据办理{common.settlement[settlement]}〔{region.settlement_by_where.cite}〕")
        if missing:
            status = "undecided"
            if best.optimistic is not None:
                forced = best_match._replace(choice=_Choice(True, best.optimistic, (), (), None))
                hopeful = _price_tier(run, profile, forced, excluded, trace=None)
                if hopeful.amount != best.amount:
                    if_known = _if_known_text(best.optimistic, hopeful.amount, best.amount)
        elif best.amount > 0:
            status = "paid"
        else:
            status = "zero"
    if status == "undecided":
        readings_missing = [common_label(run, m) for m in missing]
        notes.append(f"还需要知道：{'、'.join(readings_missing)}，才能算出准确金额。")
        if if_known:
            notes.append(if_known)
    if reason and status in ("zero", "not_eligible"):
        notes.append(reason)
    if best_tier.base_note and eligible:
        notes.append(best_tier.base_note + "。")
    if eligible and profile.answer_notes:
        notes.extend(profile.answer_notes)

    parts = best.parts
    assistance = parts[0].amount if len(parts) == 1 else sum((p.amount for p in parts), ZERO)
    side_key = (common.transition_period.value_on(case.date), case.date.year)
    side = profile.side.get(side_key)
    if side is None:
        side = profile.side[side_key] = _shared(run, "side", lambda: _side_benefits(run, side_key[0]), *side_key)
    tail_key = (best.notes, best.covered, eligible, settlement, best_tier.rank, side_key)
    tail = profile.tails.get(tail_key)
    if tail is None:  # shared by every profile whose answer ends the same way
        subsidy = side.subsidy
        shared_key = ("tail", best.notes, best.covered, eligible, settlement, best_tier.rank, case.date.year,
                      side.readings, side.notes, subsidy.kind, subsidy.amount is not None, profile.referral_notes,
                      _where(run), "illness_poverty" in run.identities, case.facts.contribution is None)
        tail = profile.tails[tail_key] = region.memo(
            shared_key, lambda: _tail(run, profile, best, side, eligible, settlement, best_tier))

    if explain:
        notes.extend(tail.reading_texts)
        for text in tail.assumption_texts:
            if text not in notes:
                notes.append(text)
        if run.stat_notes:
            notes.extend(dict.fromkeys(run.stat_notes))
        notes.extend(tail.closing)
        documents, where_to_apply, further = list(tail.documents), list(tail.where_to_apply), list(profile.further)
        monitoring = _monitoring(run, profile, assistance) if profile.monitoring else []
        trace.append(f"合计：本次估算医疗救助{yuan(assistance)}。")
    else:
        documents, where_to_apply, further, monitoring, notes, trace = [], [], [], [], [], []
    return Estimate.of({
        "region": case.region,
        "policy": profile.policy_ref,
        "status": status,
        "eligible": eligible,
        "category": best_match.category,
        "assistance": assistance,
        "parts": parts,
        "self_pay_after": case.self_pay - assistance if case.self_pay > assistance else ZERO,
        "settlement": settlement,
        "subsidy": side.subsidy,
        "critical_illness_tilt": side.tilt,
        "deposit_waiver": side.waiver,
        "documents": documents,
        "where_to_apply": where_to_apply,
        "notes": notes,
        "trace": trace,
        "reason": reason if status in ("zero", "not_eligible") else None,
        "missing_facts": missing if status == "undecided" else [],
        "if_known": if_known,
        "readings": list(tail.readings),
        "assumed": list(tail.assumed),
        "monitoring": monitoring,
        "further_help": further,
        "disclaimer": common.disclaimer,
        "alternatives": alternatives,
    })


# ---------------------------------------------------------------------- amount-free parts


def _facts_read(region: RegionPolicy) -> dict:
    """The facts amount-free conditions of the region read: fact -> the thresholds it is only ever
    compared against (so the profile key can use the side of each), or None (the value itself)."""
    return region.derived("facts_read", lambda: _compute_facts_read(region))


def _compute_facts_read(region: RegionPolicy) -> dict:
    read: dict = {}
    for _, _, cond in region.amount_free_conditions():
        for name in cond.facts:
            read.setdefault(name, set())
        for name, op, bound in cond.thresholds:
            if op in ("min", "below", "above") and read[name] is not None:
                read[name].add(bound)
            else:
                read[name] = None  # compared for equality: the value itself matters
    for names in _VALUES.values():  # used as values, not only by conditions
        for name in names:
            read[name] = None
    return {name: (None if bounds is None or not bounds else tuple(sorted(bounds))) for name, bounds in read.items()}


def _shared(run: _Run, part: str, compute, *extra):
    """One amount-free part of an answer, memoised for everyone its rules cannot tell apart: the
    key holds only the identities and facts that part's conditions read (and the facts it uses as
    values), so people who differ elsewhere share it."""
    identities, read = run.region.derived(("reads", part), lambda: _reads(run.region, part))
    who_facts = run.who[2]
    key = (part, run.identities & identities, run.care, tuple(f for f in who_facts if f[0] in read) if who_facts else ())
    return run.region.memo(key + extra, compute)


# the facts a part of the answer uses as values (contribution: 资助参保's amount; where: documents,
# places and the referral note), besides those its conditions read
_VALUES = {"side": ("contribution",), "further": ("where",), "profile": ("where",)}


def _reads(region: RegionPolicy, part: str) -> tuple[frozenset, frozenset]:
    """The identities and facts one part of the answer depends on."""
    conditions = [cond for _, of, cond in region.amount_free_conditions() if of == part]
    if part not in ("tiers", "side", "further", "monitoring", "notes"):
        raise ValueError(f"unknown part {part!r}")
    return (frozenset(code for cond in conditions for code in cond.identities),
            frozenset(name for cond in conditions for name in cond.facts) | frozenset(_VALUES.get(part, ())))


def _categories(run: _Run) -> tuple[list, list]:
    """The categories the person falls in, each with its claim rule for this care and the identity
    that gives it; and the categories dropped because they only apply to people in no other."""
    matched, exclusive_dropped = _match_tiers(run)
    return [_Match(tier, notes, _choose_claim(tier, run), _category(run, tier)) for tier, notes in matched], \
        exclusive_dropped


def _match_tiers(run: _Run) -> tuple[list, list]:
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


def _choose_claim(tier: Tier, ctx: Ctx) -> _Choice:
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
            return _Choice(True, claim, notes + more, missing, optimistic)
        if value is None:
            missing += tuple(name for kind, name in more if kind == "missing")
            if optimistic is None:
                optimistic = claim
        else:
            notes += tuple(n for n in more if n[0] == "assumed")
    return _Choice(any_for_care, None, notes, missing, optimistic)


class _Side(NamedTuple):
    """资助参保, the 大病保险 tilt and 先诊疗后付费 for one kind of person in one year."""

    subsidy: Subsidy
    notes: tuple  # what deciding the subsidy assumed
    tilt: Flag
    waiver: Flag
    readings: tuple


def _side_benefits(run: _Run, in_transition: bool | None) -> _Side:
    readings: list[str] = []
    subsidy, sub_notes = _subsidy(run, in_transition, readings)
    tilt_flag = _critical_tilt(run, in_transition, readings)
    return _Side(subsidy, sub_notes, tilt_flag, _deposit_waiver(run), tuple(readings))


class _Tail(NamedTuple):
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


def _tail(run: _Run, profile: _Profile, best: Priced, side: _Side, eligible: bool, settlement: str,
          tier: Tier) -> _Tail:
    common = run.common
    readings: list[str] = []
    assumed: list[str] = []
    said: list[str] = []  # notes the claim's rules carry as text (("note", text))
    for kind, name in best.notes + (profile.referral_notes if best.covered else ()):
        if kind == "assumed" and name not in assumed:
            assumed.append(name)
        elif kind == "reading" and name not in readings:
            readings.append(name)
        elif kind == "note" and name not in said:
            said.append(name)
    for name in side.readings:
        if name not in readings:
            readings.append(name)
    if side.subsidy.kind != "none":
        for kind, name in side.notes:
            if kind == "assumed" and name not in assumed:
                assumed.append(name)
    if eligible and run.region.residence is not None and "residence" not in assumed:
        assumed.append("residence")
    closing = []
    subsidy = side.subsidy
    if subsidy.kind != "none" and subsidy.amount is not None and run.case.facts.contribution is None:
        stat = common.statistics["resident_contribution"]
        year, value = _contribution(run)
        closing.append(f"资助参保金额按{year}年{stat.name}{value:,}元估算；{stat.note}")
    documents, where_to_apply = run.region.memo(
        ("documents", settlement, tier.rank, _where(run), "illness_poverty" in run.identities),
        lambda: _documents(run, settlement, tier))
    if documents:
        closing.append(common.documents.note)
    closing.append(common.disclaimer)
    return _Tail(
        readings=tuple(readings), assumed=tuple(assumed),
        reading_texts=tuple(common.readings[name] for name in readings) + tuple(said),
        assumption_texts=tuple(text for name in assumed if (text := common.assumptions.get(name))),
        closing=tuple(closing), documents=tuple(documents), where_to_apply=tuple(where_to_apply),
    )


# ---------------------------------------------------------------------- one category, one claim


def _price_tier(run: _Run, profile: _Profile, match: _Match, excluded: bool, trace: list | None) -> Priced:
    care = run.case.care
    tier = match.tier
    any_for_care, chosen, claim_notes, missing, optimistic = match.choice
    notes = match.notes + claim_notes
    if not any_for_care:
        reason, reading = _not_covered_reason(run, tier)
        if reading:
            notes += (("reading", reading),)
        if trace is not None:
            trace.append(reason)
        return Priced(tier=tier, claim=None, covered=False, reason=reason, notes=notes, trace=trace or [])
    if excluded:
        return Priced(tier=tier, claim=chosen, covered=True, notes=notes, trace=trace or [], missing=missing)

    parts: list[Part] = []
    reason = None
    regular_amount = ZERO
    base = ZERO
    rate = None
    cap_left = _UNCAPPED
    if trace is not None:  # what was assumed in choosing the rule, said before the rule's result
        _trace_assumed(run, trace, claim_notes, chosen or optimistic)
    if chosen is None or not chosen.pays:
        reason = (chosen.reason + f"〔{chosen.cite}〕") if chosen is not None else None
        if trace is not None and missing and chosen is not None:
            # a fact is not known yet: say so, never state the unfavourable case as fact
            labels = "、".join(dict.fromkeys(FACT_LABELS.get(m, m) for m in missing))
            trace.append(f"还不知道{labels}，先按没有普通医疗救助算〔{chosen.cite}〕")
        elif trace is not None and reason:
            trace.append(reason)
    else:
        rate = chosen.rate
        ytd = run.ytd
        deductible = chosen.deductible
        if deductible.__class__ is not Decimal:  # a share of a dated statistic
            deductible = run.statistic(deductible, trace)
        to_meet = deductible - ytd.self_pay if deductible > ytd.self_pay else ZERO
        self_pay = run.case.self_pay
        base = self_pay - to_meet if self_pay > to_meet else ZERO
        cap = chosen.cap
        cap_lines = None if trace is None else []  # said after the deductible: the order the money flows
        if cap is None:
            cap_used = ZERO
            cap_left = None
            amount = rate * base
        else:
            if cap.__class__ is not Decimal or chosen.major:  # bracketed by the year's self-pay; 西藏's two tiers
                cap, cap_used = _cap(run, chosen, cap_lines)
            else:
                cap_used = ytd.aid
            if chosen.earlier_aid_note is not None and cap_used > 0:
                notes += (("note", chosen.earlier_aid_note),)
            cap_left = cap - cap_used if cap > cap_used else ZERO
            raw = rate * base
            amount = raw if raw < cap_left else cap_left
        regular_amount = fen(amount)
        parts.append(Part.of({"kind": chosen.kind, "base": base, "deductible": deductible, "rate": rate, "cap": cap,
                              "cap_left": cap_left, "amount": regular_amount, "cite": chosen.cite}))
        if chosen.reading:
            notes += (("reading", chosen.reading),)
        if trace is not None:
            _trace_regular(run, trace, chosen, deductible, to_meet, base, rate, cap, cap_used, cap_left,
                           rate * base, regular_amount, cap_lines)
        if regular_amount == 0:
            reason = _zero_reason(run, deductible, to_meet, base, cap_left)
        if chosen.major and run.region.major is not None and care in run.region.major.care:
            major_part, more = _major(run, rate, regular_amount, trace)
            notes += more
            if major_part is not None:
                parts.append(major_part)

    if run.region.tilt is not None and care in run.region.tilt.care and tier.tilt_rate is not None:
        tilt_part, more = _tilt(run, profile, tier, chosen, base, rate, cap_left, regular_amount, trace)
        notes += more
        if tilt_part is not None:
            parts.append(tilt_part)

    total = parts[0].amount if len(parts) == 1 else sum((p.amount for p in parts), ZERO)
    if total > 0:
        reason = None
    return Priced(tier, chosen, True, parts, total, reason, notes, trace or [], missing, optimistic)


def _cap(run: _Run, claim: Claim, trace: list | None) -> tuple[Decimal | None, Decimal]:
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
            trace.append(f"本年度政策范围内个人自付累计{yuan(year_total)}，年度救助限额为{yuan(chosen)}〔{cap.cite}〕")
        cap = chosen
    if cap is None:
        return None, ZERO
    if claim.major and run.region.major is not None:
        return cap, min(ytd.aid, run.region.major.ordinary_cap)
    return cap, ytd.aid


def _major(run: _Run, rate: Decimal, ordinary: Decimal, trace: list | None) -> tuple[Part | None, tuple]:
    """西藏 重特大疾病医疗救助 on what the ordinary tier left (Reading xizang_two_tiers)."""
    major = run.region.major
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
        so_far = f"今年此前剩余{yuan(earlier)}，全年合计{yuan(year_residual)}" if earlier > 0 else "今年此前没有剩余"
        trace.append(f"普通医疗救助后剩余自付：本次{yuan(residual)}，{so_far}〔{major.cite}〕")
    if residual <= 0 or year_residual < threshold:
        if trace is not None:
            trace.append(f"全年剩余自付{yuan(year_residual)}，未达到重特大疾病医疗救助标准{yuan(threshold)}，"
                         f"没有重特大疾病医疗救助〔{major.cite}〕")
        return None, notes
    amount = fen(min(rate * residual, left))
    if trace is not None:
        trace.append(
            f"全年剩余自付{yuan(year_residual)}，达到{yuan(threshold)}，本次剩余部分给予重特大疾病医疗救助："
            f"{yuan(residual)} × {percent(rate)}，年度限额{yuan(major.cap)}（剩余{yuan(left)}）= {yuan(amount)}"
            f"〔{major.cite}〕"
        )
    part = Part.trusted(kind="major", base=residual, deductible=ZERO, rate=rate, cap=major.cap, cap_left=left,
                amount=amount, cite=major.cite)
    return part, notes


def _tilt(run: _Run, profile: _Profile, tier: Tier, claim: Claim | None, base: Decimal, rate: Decimal | None,
          cap_left: Decimal | None, regular: Decimal, trace: list | None) -> tuple[Part | None, tuple]:
    """倾斜救助: 乌鲁木齐 above the annual limit; 黔江 above a yearly threshold of what is left."""
    tilt = run.region.tilt
    value, notes = profile.tilt
    if not value:
        if trace is not None:
            trace.append(f"{tilt.not_applicable_text}〔{tilt.cite}〕")
        return None, ()
    ytd = run.ytd
    tilt_left = max(ZERO, tilt.cap - ytd.tilt_aid)
    tilt_rate = tier.tilt_rate
    if tilt.mode == "over_cap":
        if claim is None or not claim.pays or rate is None or rate == 0 or cap_left is None or rate * base <= cap_left:
            if trace is not None:
                trace.append(f"本次没有超过年度救助限额的费用，不涉及倾斜救助〔{tilt.cite}〕")
            return None, notes
        over = base - cap_left / rate
        amount = fen(min(tilt_rate * over, tilt_left))
        tilt_base = over
        if trace is not None:
            trace.append(
                f"超出年度限额、没报到的那部分费用{yuan(fen(over))}，倾斜救助{percent(tilt_rate)}，"
                f"年度倾斜救助限额{yuan(tilt.cap)}（剩余{yuan(tilt_left)}）：{yuan(amount)}〔{tilt.cite}〕"
            )
    else:
        threshold = tier.tilt_threshold
        before = max(ZERO, ytd.self_pay - ytd.aid)
        now = run.case.self_pay - regular
        tilt_base = max(ZERO, before + now - threshold) - max(ZERO, before - threshold)
        amount = fen(min(tilt_rate * tilt_base, tilt_left))
        if trace is not None:
            trace.append(
                f"倾斜救助：全年住院报销和救助后剩余自付累计{yuan(before + now)}（此前{yuan(before)}，本次{yuan(now)}），"
                f"超过{yuan(threshold)}的部分中本次占{yuan(tilt_base)}，按{percent(tilt_rate)}救助，年度倾斜救助限额"
                f"{yuan(tilt.cap)}（剩余{yuan(tilt_left)}）：{yuan(amount)}〔{tilt.cite}〕"
            )
    notes = notes + (("reading", tilt.reading),)
    if amount <= 0:
        return None, notes
    values = {"kind": "tilt", "base": fen(tilt_base), "deductible": ZERO, "rate": tilt_rate, "cap": tilt.cap,
              "cap_left": tilt_left, "amount": amount, "cite": tilt.cite}
    if tilt.note is not None:
        notes += (("note", tilt.note),)
    if tilt.settlement is None:
        return Part.of(values), notes
    # settled unlike the answer (contract.md parts[].settlement): an extra field, only on this part
    return construct(Part, values, set(values), {"settlement": tilt.settlement}), notes


_BASE_GLOSS = "计入救助的费用（自付里可以按比例救助的部分）"
_APPLICATION_GLOSS = "依申请救助（自己申请、审核通过后才给）"


def _trace_assumed(run: _Run, trace: list, claim_notes: tuple, claim: Claim | None) -> None:
    if claim is None:
        return
    for kind, name in claim_notes:
        if kind == "assumed" and name in run.common.assumptions:
            trace.append(f"{run.common.assumptions[name].rstrip('。')}〔{claim.cite}〕")


def _trace_regular(run, trace, claim, deductible, to_meet, base, rate, cap, cap_used, cap_left, raw, amount,
                   cap_lines=None):
    label = _APPLICATION_GLOSS if claim.kind == "application" else "普通医疗救助"
    base_text = yuan(base)
    if deductible > 0:
        trace.append(
            f"年度起付线{yuan(deductible)}，今年此前已自付{yuan(run.ytd.self_pay)}，本次还需先扣{yuan(to_meet)}，"
            f"{_BASE_GLOSS}{base_text}〔{claim.cite}〕"
        )
    else:
        trace.append(f"不设起付线，{_BASE_GLOSS}{base_text}〔{claim.cite}〕")
    if cap_lines:
        trace.extend(cap_lines)
    amount_text = yuan(amount)
    if cap is None:
        trace.append(f"{label}：{base_text} × {percent(rate)} = {amount_text}，不设年度限额〔{claim.cite}〕")
        return
    cap_cite = claim.cap_cite or claim.cite
    limited = "（受年度限额限制）" if raw > cap_left else ""
    raw_fen = fen(raw)
    trace.append(
        f"{label}：{base_text} × {percent(rate)} = {amount_text if raw_fen == amount else yuan(raw_fen)}；"
        f"年度限额{yuan(cap)}，今年已用{yuan(cap_used)}，剩余{yuan(cap_left)}；本次{amount_text}{limited}〔{cap_cite}〕"
    )


def _zero_reason(run: _Run, deductible: Decimal, to_meet: Decimal, base: Decimal, cap_left: Decimal | None) -> str:
    if run.case.self_pay == 0:
        return "本次没有需要救助的自付费用。"
    if base == 0 and deductible > 0:
        return f"本次自付费用还没有超过年度起付线{yuan(deductible)}（本次还需先扣{yuan(to_meet)}）。"
    if cap_left is not None and cap_left == 0:
        return "今年的年度救助限额已经用完。"
    return "本次没有可以救助的费用。"


def _not_covered_reason(run: _Run, tier: Tier) -> tuple[str, str | None]:
    care = run.case.care
    for rule in run.region.not_covered_care:
        if rule.care == care:
            return f"{rule.text}〔{rule.cite}〕", rule.reading
    cite = tier.claims[0].cite if tier.claims else tier.cite
    return f"{tier.name}没有{run.common.care[care]}的医疗救助〔{cite}〕。", None


def _where(run: _Run) -> str:
    return run.facts.get("where") or run.common.defaults.get("where", "local")


def _rank_key(priced: Priced) -> tuple:
    """就高不就低 (rules.md): a covered category first; a discretionary frame (广西 4) never above
    one settled by rule (revised 2026-12); then the most assistance; on a tie the higher-ranked."""
    return (not priced.covered, priced.tier.discretionary is not None, -priced.amount, priced.tier.rank)


def _settlement(run: _Run, priced: Priced, excluded: bool) -> str:
    """How this category's claim is settled: not covered, then the place (referred care outside the
    one-stop area is settled by hand), then the category's own way."""
    if not priced.covered or excluded:
        return "not_covered"
    settlement = priced.tier.settlement
    if run.region.settlement_by_where is not None:
        settlement = _settlement_for_place(run, settlement)
    return settlement


def _alternatives(run: _Run, matched: list, priced: list, best_index: int, excluded: bool) -> list:
    """Every other category the person holds, with what it gives for this claim and why it was not
    chosen (contract.md `alternatives`). Amount-dependent, so built for every case."""
    best = priced[best_index]
    best_name = best.tier.name
    out = []
    for i, other in enumerate(priced):
        if i == best_index:
            continue
        tier = other.tier
        if not other.covered:
            why = other.reason or f"{tier.name}不救助这类看病。"
        elif excluded:  # not referred: no category pays for this care
            why = f"{run.region.referral.text}〔{run.region.referral.cite}〕"
        elif tier.discretionary is not None and best.tier.discretionary is None and other.amount > best.amount:
            why = (f"如果申请这一类，最多可能救助{yuan(other.amount)}（按文件框架最有利的一端估算），"
                   f"不和{best_name}叠加。{tier.discretionary}")
        elif other.amount == best.amount:
            why = f"按这个类别也是{yuan(other.amount)}；金额相同，按排在前面的{best_name}计算。"
        else:
            why = f"按这个类别救助{yuan(other.amount)}，比{best_name}的{yuan(best.amount)}少，按就高不就低取多的。"
        out.append(Alternative.trusted(category=matched[i].category, assistance=other.amount, settlement=_settlement(run, other, excluded),
                                       why_not=why))
    return out

def _settlement_for_place(run: _Run, settlement: str) -> str:
    by_where = run.region.settlement_by_where
    if by_where is None or settlement != "one_stop":
        return settlement
    override = getattr(by_where, _where(run), None) if _where(run) != "local" else None
    return override or settlement


def _category(run: _Run, tier: Tier) -> Category:
    return Category.trusted(id=tier.category, name=tier.name, identity=_giving_identity(run, tier), tier=tier.tier)


def _giving_identity(run: _Run, tier: Tier) -> str | None:
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


def common_label(run: _Run, fact: str) -> str:
    return FACT_LABELS.get(fact, fact)


def _if_known_text(claim: Claim, hopeful: Decimal, current: Decimal) -> str:
    cond = claim.condition_text or "补充的情况符合条件"
    return f"如果{cond}，预计可救助{yuan(hopeful)}；否则为{yuan(current)}。"


# ---------------------------------------------------------------------- outcomes without a category


# shared by every answer without a category (outputs are read-only)
_NO_SUBSIDY = Subsidy.trusted(kind="none", share=None, amount=None, text="没有资助参保。", cite=None, applies=False)
_NOT_APPLICABLE = Flag.trusted(applies=False, text="不适用。", cite=None)


def _base_estimate(run: _Run, policy_ref: PolicyRef, **fields) -> Estimate:
    common = run.common
    values = dict(
        region=run.case.region, policy=policy_ref, status="not_eligible", eligible=False, category=None,
        assistance=ZERO, parts=[], self_pay_after=run.case.self_pay, settlement="none",
        subsidy=_NO_SUBSIDY, critical_illness_tilt=_NOT_APPLICABLE, deposit_waiver=_NOT_APPLICABLE,
        documents=[], where_to_apply=list(common.where_to_apply_common), notes=[], trace=[], reason=None,
        missing_facts=[], if_known=None, readings=[], assumed=[], monitoring=[], further_help=[],
        disclaimer=common.disclaimer,
    )
    values.update(fields)
    return Estimate.of(values)


def _before_document(run: _Run, policy_ref: PolicyRef) -> Estimate:
    doc = run.region.document
    text = (
        f"就医日期早于《{doc.title}》施行日期（{doc.effective_from:%Y年%m月%d日}），当时的规定本系统没有收录，"
        f"无法估算；请咨询当地医保部门。"
    )
    return _base_estimate(
        run, policy_ref, status="undecided", reason=text, notes=[text, run.common.disclaimer],
        trace=[f"文件施行日期：{doc.effective_from:%Y年%m月%d日}〔{doc.cite}〕；就医日期{run.case.date:%Y年%m月%d日}，早于施行日期。"],
    )


def _no_category(run: _Run, profile: _Profile, policy_ref: PolicyRef, failed: list, notes: list) -> Estimate:
    key = tuple(tier.rank for tier, _ in failed)
    found = profile.no_category.get(key)
    if found is None:
        found = profile.no_category[key] = _why_no_category(run, failed)
    reason, reasons, trace = found
    return _base_estimate(run, policy_ref, reason=reason, notes=notes + reasons + [run.common.disclaimer],
                          trace=list(trace), monitoring=_monitoring(run, profile))


def _why_no_category(run: _Run, failed: list) -> tuple[str, list, list]:
    region = run.region
    trace: list[str] = []
    reasons: list[str] = []
    if not run.case.identities:
        reasons.append("没有救助身份。医疗救助只面向特困、低保等困难群众；普通参保人看病按基本医保和大病保险报销。")
    for tier, why in failed:
        reasons.append(f"不符合{tier.name}的条件：{why}")
        trace.append(f"{tier.name}：条件未满足〔{tier.requires.cite}〕")
    explained = set()
    for rule in region.unlisted:
        if rule.identity in run.case.identities:
            reasons.append(f"{rule.text}〔{rule.cite}〕")
            explained.add(rule.identity)
    others = [c for c in sorted(run.identities, key=IDENTITY_ORDER.__getitem__) if c not in explained]
    if others and not failed:
        names = "、".join(run.common.identities[c] for c in others)
        reasons.append(f"在{region.short_name}，{names}不属于医疗救助对象类别〔{region.tiers[0].cite}〕。")
    trace.append(f"{region.short_name}的救助对象：" + "；".join(t.name for t in region.tiers))
    return " ".join(reasons), reasons, trace


# ---------------------------------------------------------------------- side benefits


def _subsidy_rank(rule) -> tuple:
    return (0 if rule.kind == "full" else 1, -(rule.share if rule.share is not None else Decimal(-1)))


def _requires(region: RegionPolicy, tier: Tier):
    return region.derived(("requires", tier.category, tier.tier), lambda: tier.requires.condition().fn)


def _policy_ref(region: RegionPolicy) -> PolicyRef:
    """One PolicyRef per region (outputs are read-only)."""
    doc = region.document
    return region.derived("policy_ref", lambda: PolicyRef.trusted(
        doc_no=doc.doc_no, title=doc.title, effective_from=doc.effective_from, effective_until=doc.effective_until))


def _subsidy(run: _Run, in_transition: bool | None, readings: list) -> tuple[Subsidy, tuple]:
    notes: tuple = ()
    for rule in run.region.derived("subsidy_sorted", lambda: sorted(run.region.subsidy, key=_subsidy_rank)):
        value, more = rule.when.fn(run)
        notes += more
        if not value:
            continue
        if rule.transition_only and not in_transition:
            if "transition_period" not in readings:
                readings.append("transition_period")
            continue
        amount = None
        if rule.share is not None and not (rule.on_highest_tier and run.case.facts.contribution is None):
            contribution = run.case.facts.contribution
            if contribution is None:
                contribution = _contribution(run)[1]
            amount = fen(rule.share * contribution)
        text = rule.text + ("（过渡期内）" if rule.transition_only else "")
        return Subsidy.trusted(kind=rule.kind, share=rule.share, amount=amount, text=text, cite=rule.cite), notes
    return Subsidy.trusted(kind="none", share=None, amount=None, text="按您的身份，文件没有规定资助参保。", cite=None,
                   applies=False), notes


def _contribution(run: _Run) -> tuple[int, Decimal]:
    """The national minimum individual contribution for the care year (latest earlier year if missing)."""
    stat = run.common.statistics["resident_contribution"]
    year = run.region.derived(("contribution_year", run.case.date.year), lambda: _stat_year(stat, run.case.date.year))
    return year, stat.values[year].value


def _critical_tilt(run: _Run, in_transition: bool | None, readings: list) -> Flag:
    expired = None
    for rule in run.region.critical_illness_tilt:
        if not rule.when.fn(run)[0]:
            continue
        if rule.transition_only and not in_transition:
            expired = rule
            continue
        return Flag.trusted(applies=True, text=rule.text + ("（过渡期内）" if rule.transition_only else ""), cite=rule.cite)
    if expired is not None:
        if "transition_period" not in readings:
            readings.append("transition_period")
        return Flag.trusted(applies=False, text=f"{expired.text}——{run.common.transition_period.after_text}",
                    cite=expired.cite)
    return Flag.trusted(applies=False, text="按您的身份，大病保险没有倾斜支付。", cite=None)


def _deposit_waiver(run: _Run) -> Flag:
    rule = run.region.deposit_waiver
    if rule.when.fn(run)[0]:
        return Flag.trusted(applies=True, text=rule.text, cite=rule.cite)
    return Flag.trusted(applies=False, text="按您的身份，不在“先诊疗后付费”范围内。", cite=rule.cite)


def _monitoring(run: _Run, profile: _Profile, assistance: Decimal = ZERO) -> list[str]:
    out = []
    ytd = run.ytd
    year_total = ytd.self_pay + run.case.self_pay
    # what is left after assistance (西藏 六（六）"个人年度累计负担"), never below 0
    left = year_total - ytd.aid - ytd.tilt_aid - assistance
    burden = left if left > 0 else ZERO
    for rule in profile.monitoring:  # the rules whose condition holds for this person
        if rule.threshold is None:
            out.append(f"{rule.text}〔{rule.cite}〕")
            continue
        limit = run.statistic(rule.threshold, None) if isinstance(rule.threshold, StatRef) else rule.threshold.amount
        if rule.after_assistance:
            if burden > limit:
                out.append(f"您今年救助后个人负担约{yuan(burden)}，超过{yuan(limit)}：{rule.text}〔{rule.cite}〕")
        elif year_total > limit:
            out.append(f"您今年个人自付已达{yuan(year_total)}，超过{yuan(limit)}：{rule.text}〔{rule.cite}〕")
    return out


def _further_help(run: _Run) -> list[str]:
    out = []
    for text in run.region.texts:
        if text.in_answer and text.show_when.fn(run)[0]:
            out.append(f"{text.text}〔{text.cite}〕")
    note = run.region.referral_note
    if note is not None and _where(run) != "local":
        out.append(f"{note.text}〔{note.cite}〕")
    return out


def _documents(run: _Run, settlement: str, tier: Tier) -> tuple[list[str], list[str]]:
    docs = run.common.documents
    region = run.region
    common_where = list(run.common.where_to_apply_common)
    if settlement in ("none", "not_covered"):
        return [], common_where
    out = list(getattr(docs, settlement))
    if settlement != "one_stop":
        if _where(run) != "local":
            out += docs.elsewhere
        if "illness_poverty" in run.case.identities and tier.settlement == "application":
            out += docs.illness_poverty
        out += docs.agent + docs.death
    places = list(getattr(region.where_to_apply, settlement, []) or region.where_to_apply.one_stop)
    if any("代办" in p for p in places):  # the region already says who helps: no second line for it
        common_where = [w for w in common_where if "代办" not in w]
    return out, places + common_where
