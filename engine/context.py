"""The per-estimate context the formulas read, the trace wording, and the memo keys of the
amount-free answer parts (derived from what each part's conditions read)."""
from __future__ import annotations

from decimal import Decimal

from .case import Case
from .conditions import Ctx
from .money import percent, whole_yuan, yuan
from .policy import Common, RegionPolicy, StatRef


def cited(text: str, cite: str | None) -> str:
    """`text〔cite〕`: every step of the answer names its clause."""
    return f"{text}〔{cite}〕" if cite else text


class Run(Ctx):
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
            read = facts_read(region)
            who = tuple((name, value if read[name] is None else tuple((value > b) - (value < b) for b in read[name]))
                        for name, value in facts.items() if name in read)
        self.who = (self.identities, case.care, who)

    def statistic(self, ref: StatRef, trace: list | None, cite: str | None = None) -> Decimal:
        """share × the statistic for (care year + offset); the latest earlier year when missing."""
        key = ("statistic", ref.statistic, ref.share, ref.year_offset, ref.round, ref.cite or cite, self.case.date.year)
        value, note, line = self.region.derived(
            key, lambda: statistic(self.region, self.common, ref, self.case.date.year, ref.cite or cite))
        if note is not None:
            self.stat_notes.append(note)
        if trace is not None:
            trace.append(line)
        return value


def statistic(region: RegionPolicy, common: Common, ref: StatRef, care_year: int, cite: str | None) -> tuple:
    """(value, note when an older year stands in, trace line): the same for every case of a year
    (also read by engine.table for a whole column of care years)."""
    stat = region.statistics[ref.statistic]
    want = care_year + ref.year_offset
    year = stat_year(stat, want)
    base = stat.values[year].value
    value = base * ref.share
    if ref.round == "yuan":
        value = whole_yuan(value)
    note = None
    if year != want:
        note = common.say["statistic_older_year"](name=stat.name, want=want, year=year, base=base,
                   source=stat.values[year].source)
    line = cited(common.say["statistic_line"](name=stat.name, year=year, base=base, share=percent(ref.share),
                     value=yuan(value)), cite)
    return value, note, line


def stat_year(stat, want: int) -> int:
    years = sorted(y for y in stat.values if y <= want)
    return years[-1] if years else min(stat.values)


def where(run: Run) -> str:
    return run.facts.get("where") or run.common.defaults.get("where", "local")


# ---------------------------------------------------------------------- memo keys


def facts_read(region: RegionPolicy) -> dict:
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
    for names in VALUES.values():  # used as values, not only by conditions
        for name in names:
            read[name] = None
    return {name: (None if bounds is None or not bounds else tuple(sorted(bounds))) for name, bounds in read.items()}


# The facts a part of the answer uses as values, besides those its conditions read: the one thing
# the conditions cannot tell (contribution: 资助参保's amount; where: documents, places and the
# referral note). Everything else in a part's key is computed from its conditions.
VALUES = {"side": ("contribution",), "further": ("where",), "profile": ("where",)}
PARTS = ("tiers", "side", "further", "monitoring", "notes")


def shared(run: Run, part: str, compute, *extra):
    """One amount-free part of an answer, memoised for everyone its rules cannot tell apart: the
    key holds only the identities and facts that part's conditions read (and the facts it uses as
    values), so people who differ elsewhere share it."""
    identities, read = run.region.derived(("reads", part), lambda: reads(run.region, part))
    who_facts = run.who[2]
    key = (part, run.identities & identities, run.care, tuple(f for f in who_facts if f[0] in read) if who_facts else ())
    return run.region.memo(key + extra, compute)


def reads(region: RegionPolicy, part: str) -> tuple[frozenset, frozenset]:
    """The identities and facts one part of the answer depends on."""
    if part not in PARTS:
        raise ValueError(f"unknown part {part!r}")
    conditions = [cond for _, of, cond in region.amount_free_conditions() if of == part]
    return (frozenset(code for cond in conditions for code in cond.identities),
            frozenset(name for cond in conditions for name in cond.facts) | frozenset(VALUES.get(part, ())))
