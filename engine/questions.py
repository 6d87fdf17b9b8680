"""Which facts still matter: the engine tells the conversation what to ask next.

Each region's file lists its candidate questions in a sensible order, each with `when` (the
situations it can matter in). A candidate is asked only if the person has not answered it yet and
if some value of it would change the answer: the engine probes itself with the values that sit on
the policy's own thresholds and compares the outcomes. So 黔江 asks about 特殊疾病 and the stay's
total, 广西 asks the disability grade only of a 低保 person who says they are severely disabled, and a
特困人员 in 安康 (no deductible, no limit) is never asked about earlier claims this year.
"""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from pydantic import BaseModel

from .calc import estimate_case
from .case import FACT_LABELS, CaseError, construct, parse_case
from .conditions import Ctx
from .policy import Policies, RegionPolicy, default
from .vocabulary import FACT_VALUES

ESSENTIALS = ("region", "identities", "care", "self_pay")
_BIG = Decimal("10000000")
# every value of a fact with a small domain (policies/common.yaml facts:), and for the open-ended
# ones a few that sit far apart (the thresholds themselves are added per region)
_DOMAINS = {**FACT_VALUES, "family_income": (Decimal(0), _BIG), "age": (10, 40, 80)}
_YTD_PROBES = (
    {"self_pay": _BIG, "aid": Decimal(0), "tilt_aid": Decimal(0)},
    {"self_pay": Decimal(0), "aid": _BIG, "tilt_aid": _BIG},
    {"self_pay": _BIG, "aid": _BIG, "tilt_aid": _BIG},
)


def _probe_values(region: RegionPolicy, fact: str) -> tuple:
    """Values of `fact` that sit on or next to every threshold the region's conditions use."""
    return region.derived(("probe_values", fact), lambda: _compute_probe_values(region, fact))


def _compute_probe_values(region: RegionPolicy, fact: str) -> tuple:
    values: list = list(_DOMAINS.get(fact, ()))
    conditions = []
    for tier in region.tiers:
        conditions.append(tier.when)
        conditions.extend(c.when for c in tier.claims)
    conditions.extend(r.when for r in region.subsidy)
    for cond in conditions:
        for name, op, bound in cond.thresholds:
            if name != fact:
                continue
            if op == "in":
                values.append(bound)
            elif op in ("min", "below", "above"):
                step = Decimal("0.01") if fact in ("stay_policy_total", "family_income") else 1
                values.extend((bound - step, bound, bound + step))
    return tuple(dict.fromkeys(v for v in values if not (isinstance(v, (int, Decimal)) and v < 0)))


def _signature(est) -> tuple:
    """What a person would notice: status, amount, category, settlement, side benefits.
    Two 'not eligible' answers count as the same answer, whatever category was found."""
    cat = est.category
    if est.status == "not_eligible":
        return ("not_eligible", est.subsidy.kind, est.subsidy.share, est.critical_illness_tilt.applies,
                est.deposit_waiver.applies)
    return (
        est.status, est.assistance, cat.tier if cat else None, est.settlement, est.subsidy.kind,
        est.subsidy.share, est.critical_illness_tilt.applies, est.deposit_waiver.applies,
    )


def next_question(partial: dict, skip: tuple | list = (), policies: Policies | None = None) -> str | None:
    """The first fact still worth asking (not in `skip`), or None: what a conversation needs each
    turn. Stops probing at the first question that changes the answer."""
    found = questions(partial, policies=policies, skip=skip, first_only=True)
    return found[0] if found else None


def questions(partial: dict, policies: Policies | None = None, skip: tuple | list = (),
              first_only: bool = False) -> list[str]:
    """The facts still worth asking, in order: missing essentials first, then the region's own.

    `partial` is a Case as far as it is known (a dict). Essentials are `region`, `identities`,
    `care`, `self_pay`; while any is missing only those are returned. Raises CaseError when what
    is known is malformed.
    """
    missing = [key for key in ESSENTIALS if partial.get(key) is None]
    if missing:
        return missing[:1] if first_only else missing
    policies = policies or default()
    case = parse_case(partial)
    base = _signature(estimate_case(case, policies, explain=False))
    region = policies.region_on(case.region, case.date)
    stated = {k for k, v in case.facts.__dict__.items() if v is not None}
    ctx = Ctx(identities=frozenset(case.identities), care=case.care, self_pay=case.self_pay,
              facts={k: getattr(case.facts, k) for k in stated}, defaults=policies.common.defaults)
    wanted: list[str] = []
    for question in region.questions:
        fact = question.fact
        if fact in stated or fact in skip or (fact == "year_to_date" and partial.get("year_to_date") is not None):
            continue
        if not question.when(ctx)[0]:
            continue
        if fact == "year_to_date":
            probes = (_with(case, year_to_date=_with(case.year_to_date, **p)) for p in _YTD_PROBES)
        else:
            probes = (_with(case, facts=_with(case.facts, **{fact: v})) for v in _probe_values(region, fact))
        # made one at a time: the first probe that changes the answer ends the search
        if any(_signature(estimate_case(p, policies, explain=False)) != base for p in probes):
            wanted.append(fact)
            if first_only:
                break
    return wanted


def changing_day(partial: dict, first: date, last: date, policies: Policies | None = None) -> date | None:
    """A day after `first` and up to `last` on which the region's rules change (Policies.change_days)
    and this case's answer with them, or None. A care date known only to its month or year
    (first–last) is then to be asked which side of that day the care was on: never guessed."""
    policies = policies or default()
    case = parse_case({**partial, "date": first.isoformat()})
    for day in policies.change_days(case.region):
        if first < day <= last and _answer_on(case, day - timedelta(days=1), policies) != _answer_on(case, day, policies):
            return day
    return None


def side_for_unknown_day(partial: dict, day: date, policies: Policies | None = None) -> str:
    """"before" or "after" `day` (a changing_day), when the care's own day is not known: the side
    that pays less, never over-promising; before the region's first document nothing can be
    estimated, so its first day is taken as on or after."""
    policies = policies or default()
    case = parse_case({**partial, "date": day.isoformat()})
    if day == policies.first_day(case.region):
        return "after"
    before, after = (estimate_case(_with(case, date=d), policies, explain=False).assistance
                     for d in (day - timedelta(days=1), day))
    return "after" if after < before else "before"


def _answer_on(case, day: date, policies: Policies) -> tuple:
    return _signature(estimate_case(_with(case, date=day), policies, explain=False))


def _with(model: BaseModel, **changes) -> BaseModel:
    """`model.model_copy(update=changes)` (a shallow copy with some fields replaced, unvalidated),
    written straight to BaseModel's slots as engine.case does for its outputs: pydantic's own copy
    was a quarter of the time spent choosing the next question (two copies per probe)."""
    return construct(type(model), {**model.__dict__, **changes}, model.__pydantic_fields_set__ | changes.keys(),
                     model.__pydantic_extra__, model.__pydantic_private__)


__all__ = ["questions", "next_question", "changing_day", "side_for_unknown_day", "ESSENTIALS", "FACT_LABELS",
           "CaseError"]
