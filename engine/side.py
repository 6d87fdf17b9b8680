"""Side benefits that do not change the amount — 资助参保, the 大病保险 tilt, 先诊疗后付费 — and
the answer's monitoring lines, further help, documents and places to apply."""
from __future__ import annotations

from decimal import Decimal
from typing import NamedTuple

from .case import Flag, Subsidy
from .context import Run, cited, stat_year, where
from .money import ZERO, fen, yuan
from .policy import StatRef


class Side(NamedTuple):
    """资助参保, the 大病保险 tilt and 先诊疗后付费 for one kind of person in one year."""

    subsidy: Subsidy
    notes: tuple  # what deciding the subsidy assumed
    tilt: Flag
    waiver: Flag
    readings: tuple


def side_benefits(run: Run, in_transition: bool | None) -> Side:
    readings: list[str] = []
    subsidy, sub_notes = subsidy_for(run, in_transition, readings)
    tilt_flag = critical_tilt(run, in_transition, readings)
    return Side(subsidy, sub_notes, tilt_flag, deposit_waiver(run), tuple(readings))


def _subsidy_rank(rule) -> tuple:
    return (0 if rule.kind == "full" else 1, -(rule.share if rule.share is not None else Decimal(-1)))


def _with_transition(run: Run, text: str, transition_only: bool) -> str:
    return text + (run.common.wording["in_transition"] if transition_only else "")


def subsidy_for(run: Run, in_transition: bool | None, readings: list) -> tuple[Subsidy, tuple]:
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
                contribution = contribution_of_year(run)[1]
            amount = fen(rule.share * contribution)
        text = _with_transition(run, rule.text, rule.transition_only)
        return Subsidy.trusted(kind=rule.kind, share=rule.share, amount=amount, text=text, cite=rule.cite), notes
    return Subsidy.trusted(kind="none", share=None, amount=None, text=run.common.wording["no_subsidy"], cite=None,
                           applies=False), notes


def contribution_of_year(run: Run) -> tuple[int, Decimal]:
    """The national minimum individual contribution for the care year (latest earlier year if missing)."""
    stat = run.common.statistics["resident_contribution"]
    year = run.region.derived(("contribution_year", run.case.date.year), lambda: stat_year(stat, run.case.date.year))
    return year, stat.values[year].value


def critical_tilt(run: Run, in_transition: bool | None, readings: list) -> Flag:
    expired = None
    for rule in run.region.critical_illness_tilt:
        if not rule.when.fn(run)[0]:
            continue
        if rule.transition_only and not in_transition:
            expired = rule
            continue
        return Flag.trusted(applies=True, text=_with_transition(run, rule.text, rule.transition_only), cite=rule.cite)
    if expired is not None:
        if "transition_period" not in readings:
            readings.append("transition_period")
        return Flag.trusted(applies=False, text=f"{expired.text}——{run.common.transition_period.after_text}",
                            cite=expired.cite)
    return Flag.trusted(applies=False, text=run.common.wording["no_critical_tilt"], cite=None)


def deposit_waiver(run: Run) -> Flag:
    rule = run.region.deposit_waiver
    if rule.when.fn(run)[0]:
        return Flag.trusted(applies=True, text=rule.text, cite=rule.cite)
    return Flag.trusted(applies=False, text=run.common.wording["no_deposit_waiver"], cite=rule.cite)


def monitoring(run: Run, profile, assistance: Decimal = ZERO) -> list[str]:
    out = []
    ytd = run.ytd
    year_total = ytd.self_pay + run.case.self_pay
    # what is left after assistance (西藏 六（六）"个人年度累计负担"), never below 0
    left = year_total - ytd.aid - ytd.tilt_aid - assistance
    burden = left if left > 0 else ZERO
    for rule in profile.monitoring:  # the rules whose condition holds for this person
        if rule.threshold is None:
            out.append(cited(rule.text, rule.cite))
            continue
        limit = run.statistic(rule.threshold, None) if isinstance(rule.threshold, StatRef) else rule.threshold.amount
        if rule.after_assistance:
            if burden > limit:
                out.append(cited(run.common.say["monitor_burden"](burden=yuan(burden), limit=yuan(limit),
                                     text=rule.text), rule.cite))
        elif year_total > limit:
            out.append(cited(run.common.say["monitor_self_pay"](total=yuan(year_total), limit=yuan(limit),
                                 text=rule.text), rule.cite))
    return out


def further_help(run: Run) -> list[str]:
    out = []
    for text in run.region.texts:
        if text.in_answer and text.show_when.fn(run)[0]:
            out.append(cited(text.text, text.cite))
    note = run.region.referral_note
    if note is not None and where(run) != "local":
        out.append(cited(note.text, note.cite))
    return out


def documents(common, region, settlement: str, tier_settlement: str, place: str,
              illness_poverty: bool) -> tuple[list[str], list[str]]:
    """What to bring and where to go, for this settlement, the category's own way and the place."""
    docs = common.documents
    common_where = list(common.where_to_apply_common)
    if settlement in ("none", "not_covered"):
        return [], common_where
    out = list(getattr(docs, settlement))
    if settlement != "one_stop":
        if place != "local":
            out += docs.elsewhere
        if illness_poverty and tier_settlement == "application":
            out += docs.illness_poverty
        out += docs.agent + docs.death
    places = list(getattr(region.where_to_apply, settlement, []) or region.where_to_apply.one_stop)
    if any("代办" in p for p in places):  # the region already says who helps: no second line for it
        common_where = [w for w in common_where if "代办" not in w]
    return out, places + common_where
