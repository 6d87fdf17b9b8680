"""Policy files → checked models.

The rules live in `policies/*.yaml` (package data), one file per region plus `common.yaml`. This
module is the only place that reads them. A bad file is refused at load time with the file, the
path inside it and what is wrong, so a typo in a rate can never reach a citizen.
"""
from __future__ import annotations

import datetime as dt
import functools
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator, model_validator,
)

from .conditions import CARE_TYPES, FACTS, IDENTITIES, Condition, ConditionError
from .figures import PLACEHOLDER, FigureError, render
from .wording import WordingError, compile_template
from .dated import CODE_RE, DatedError, changes, dated_values, region_files, resolve
from .vocabulary import POLICIES_ENV, policy_dir  # noqa: F401  (re-exported: engine.policy.policy_dir)
Care = Literal["inpatient", "outpatient_chronic", "outpatient_major", "outpatient_general"]
Settlement = Literal["one_stop", "application", "manual", "not_covered", "none"]
Where = Literal["local", "in_province", "out_of_province"]


_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class PolicyError(ValueError):
    """A policy file that cannot be trusted: names the file, the path inside it, and the problem."""


def _condition(value: Any) -> Condition:
    if isinstance(value, Condition):
        return value
    try:
        return Condition.parse(value if value is not None else {})
    except ConditionError as exc:
        raise ValueError(str(exc)) from exc


Cond = Annotated[Condition, BeforeValidator(_condition)]
Rate = Annotated[Decimal, Field(ge=0, le=1)]
Money = Annotated[Decimal, Field(ge=0)]
NonEmpty = Annotated[str, Field(min_length=1)]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True, frozen=True)


class Cited(Model):
    """Every rule names its clause and quotes it (Catala-style: law text next to the rule)."""

    cite: NonEmpty
    quote: NonEmpty


class Document(Cited):
    doc_no: str | None
    cite_prefix: str | None = None
    title: NonEmpty
    issued: date | None
    effective_from: date
    effective_until: date | None

    @model_validator(mode="after")
    def _dates(self):
        if self.effective_until and self.effective_until < self.effective_from:
            raise ValueError("effective_until is before effective_from")
        if not (self.doc_no or self.cite_prefix):
            raise ValueError("a document needs doc_no or cite_prefix to be cited")
        return self


class StatValue(Model):
    value: Money
    source: NonEmpty


class Statistic(Model):
    name: NonEmpty
    unit: NonEmpty
    values: dict[int, StatValue]
    note: str | None = None


class StatRef(Model):
    """A figure derived from a dated statistic: share × the value of (care year + year_offset)."""

    statistic: NonEmpty
    share: Annotated[Decimal, Field(gt=0, le=1)]
    year_offset: int = -1
    round: Literal["yuan", "fen"] = "fen"
    cite: str | None = None
    quote: str | None = None


class Figure(Cited):
    """A figure the document states that no rule computes with (a fee, a months' ban): kept here
    with its clause so the FAQ texts that state it take it from the data (engine.figures)."""

    value: Decimal


class Bracket(Model):
    below: Money | None = None
    cap: Money


class CapRule(Cited):
    """An annual limit that depends on the year's self-pay (安康 三（四）)."""

    by_year_self_pay: list[Bracket]

    @field_validator("by_year_self_pay")
    @classmethod
    def _ordered(cls, brackets):
        if not brackets or brackets[-1].below is not None:
            raise ValueError("the last bracket must have no `below` (it catches everything above)")
        bounds = [b.below for b in brackets[:-1]]
        if any(b is None for b in bounds) or bounds != sorted(bounds):
            raise ValueError("brackets must have increasing `below` bounds")
        return brackets


class Claim(Cited):
    """How one tier pays for some care types: deductible, rate, annual limit and its pool."""

    care: list[Care]
    kind: Literal["regular", "application"] = "regular"
    when: Cond = Field(default_factory=lambda: Condition.parse({}))
    pays: bool = True
    reason: str | None = None
    pool: NonEmpty = "main"
    deductible: Money | StatRef = Decimal(0)
    rate: Rate | None = None
    cap: Money | CapRule | None = None
    cap_cite: str | None = None
    cap_quote: str | None = None
    major: bool = False
    reading: str | None = None
    condition_text: str | None = None  # plain words for `when`, shown when the answer is undecided
    # said when earlier aid of the year is counted against this claim's limit (黔江's one pool)
    earlier_aid_note: str | None = None

    @model_validator(mode="after")
    def _rate(self):
        if self.pays and self.rate is None:
            raise ValueError("a claim that pays needs a rate")
        if not self.pays and not self.reason:
            raise ValueError("a claim that pays nothing needs a reason")
        return self


class Requires(Cited):
    self_pay_share_of: str | None = None
    share: Rate | None = None
    if_unknown: str | None = None
    assume: str | None = None

    def condition(self) -> Condition:
        raw = self.model_dump(exclude={"cite", "quote"}, exclude_none=True)
        return Condition.parse(raw)

    @model_validator(mode="after")
    def _valid(self):
        try:
            self.condition()
        except ConditionError as exc:
            raise ValueError(str(exc)) from exc
        return self


class Tier(Cited):
    category: NonEmpty
    tier: NonEmpty
    name: NonEmpty
    rank: int
    when: Cond
    settlement: Settlement
    claims: list[Claim]
    only_without_other_category: bool = False
    exclusive_cite: str | None = None
    exclusive_quote: str | None = None
    requires: Requires | None = None
    base_note: str | None = None
    tilt_rate: Rate | None = None
    tilt_threshold: Money | None = None
    # a frame the county fills in case by case (广西 4): it never outranks a category settled by
    # rule (rules.md, revised 2026-12); the text says why, in the answer's alternatives
    discretionary: str | None = None


class Major(Cited):
    care: list[Care]
    ordinary_cap: Money
    cap: Money
    threshold: StatRef
    reading: str


class Tilt(Cited):
    mode: Literal["over_cap", "annual_threshold"]
    care: list[Care]
    when: Cond
    cap: Money
    reading: str
    not_applicable_text: NonEmpty
    settlement: Settlement | None = None  # when the tilt part is settled unlike the answer (乌鲁木齐)
    note: str | None = None  # said whenever a tilt part is paid


class Referral(Cited):
    not_covered_when: Cond
    text: NonEmpty


class TextRule(Cited):
    id: NonEmpty = "note"
    text: NonEmpty
    show_when: Cond = Field(default_factory=lambda: Condition.parse({}))
    in_answer: bool = True


class NotCoveredCare(Cited):
    care: Care
    text: NonEmpty
    reading: str | None = None


class SubsidyRule(Cited):
    when: Cond
    kind: Literal["full", "fixed"]
    share: Rate | None
    text: NonEmpty
    transition_only: bool = False
    # reckoned on the highest tier's contribution (西藏): no amount from the national minimum
    on_highest_tier: bool = False


class TiltRule(Cited):
    when: Cond
    transition_only: bool
    text: NonEmpty


class DepositWaiver(Cited):
    when: Cond
    text: NonEmpty


class Amount(Model):
    amount: Money


class Monitoring(Cited):
    when: Cond
    threshold: StatRef | Amount | None
    text: NonEmpty
    after_assistance: bool = False  # the year's burden is what is left after assistance (西藏 六（六）)


class WhereToApply(Cited):
    one_stop: list[str] = []
    application: list[str] = []
    manual: list[str] = []


class Question(Model):
    fact: NonEmpty
    when: Cond = Field(default_factory=lambda: Condition.parse({}))

    @field_validator("fact")
    @classmethod
    def _known(cls, fact):
        if fact not in FACTS and fact != "year_to_date":
            raise ValueError(f"unknown fact {fact!r}")
        return fact


class Unlisted(Cited):
    identity: NonEmpty
    text: NonEmpty

    @field_validator("identity")
    @classmethod
    def _known(cls, code):
        if code not in IDENTITIES:
            raise ValueError(f"unknown identity code {code!r}")
        return code


class SettlementByWhere(Cited):
    in_province: Settlement | None = None
    out_of_province: Settlement | None = None


class WhereLabels(Model):
    local: NonEmpty
    in_province: NonEmpty
    out_of_province: NonEmpty


class RegionPolicy(Model):
    region: Annotated[str, Field(pattern=CODE_RE.pattern)]  # the file's name up to its first dot
    name: NonEmpty
    short_name: NonEmpty
    order: int = 1000  # where the region stands in lists (chat buttons, tables); then by code
    aliases: list[NonEmpty] = []  # other names people use for the place (西藏自治区, 拉萨 …)
    faq_prefix: str | None = None  # the region's FAQ entry ids start `<prefix>-`
    cite_names: list[NonEmpty] = []  # how the region's document is named in a cite
    city_pooling: bool = False  # the pooling area is the city (district) itself: care there is local
    document: Document
    where_labels: WhereLabels
    statistics: dict[str, Statistic] = {}
    tiers: list[Tier]
    major: Major | None = None
    tilt: Tilt | None = None
    referral: Referral | None = None
    referral_note: TextRule | None = None
    residence: TextRule | None = None
    not_covered_care: list[NotCoveredCare] = []
    settlement_by_where: SettlementByWhere | None = None
    unlisted: list[Unlisted] = []
    subsidy: list[SubsidyRule]
    critical_illness_tilt: list[TiltRule]
    deposit_waiver: DepositWaiver
    monitoring: list[Monitoring] = []
    texts: list[TextRule] = []
    answer_notes: list[TextRule] = []  # notes the document requires, shown to the people show_when names
    where_to_apply: WhereToApply
    questions: list[Question] = []
    figures: dict[str, Figure] = {}

    @model_validator(mode="after")
    def _consistent(self):
        refs = []
        for i, tier in enumerate(self.tiers):
            if tier.tilt_rate is not None and self.tilt is None:
                raise ValueError(f"tiers[{i}]: tilt_rate given but the region has no tilt")
            if self.tilt is not None and tier.tilt_rate is None:
                raise ValueError(f"tiers[{i}]: the region has a tilt but this tier has no tilt_rate")
            if self.tilt is not None and self.tilt.mode == "annual_threshold" and tier.tilt_threshold is None:
                raise ValueError(f"tiers[{i}]: annual_threshold tilt needs tilt_threshold")
            if tier.only_without_other_category and not (tier.exclusive_cite and tier.exclusive_quote):
                raise ValueError(f"tiers[{i}]: only_without_other_category needs exclusive_cite and exclusive_quote")
            for j, claim in enumerate(tier.claims):
                if isinstance(claim.deductible, StatRef):
                    refs.append((f"tiers[{i}].claims[{j}].deductible", claim.deductible))
                if claim.major and self.major is None:
                    raise ValueError(f"tiers[{i}].claims[{j}]: major: true but the region has no major")
        if self.major:
            refs.append(("major.threshold", self.major.threshold))
        for k, mon in enumerate(self.monitoring):
            if isinstance(mon.threshold, StatRef):
                refs.append((f"monitoring[{k}].threshold", mon.threshold))
        for where, ref in refs:
            if ref.statistic not in self.statistics:
                raise ValueError(f"{where}: unknown statistic {ref.statistic!r}")
        # Only `requires:` may read the bill's amount: every other condition is decided once per
        # person and reused for all their bills (engine.calc._Profile).
        for where, _, cond in self.amount_free_conditions():
            if cond.reads_amount:
                raise ValueError(f"{where}: self_pay_share_of depends on the bill; use it only in a tier's requires:")
        ids = [(t.category, t.tier) for t in self.tiers]
        if len(ids) != len(set(ids)):
            raise ValueError("duplicate (category, tier) in tiers")
        ranks = [t.rank for t in self.tiers]
        if len(ranks) != len(set(ranks)):
            raise ValueError("tiers need distinct ranks")
        return self

    # What the engine derives from these rules (sorted subsidy rules, compiled conditions, probe
    # values) and its memo of amount-free answer parts live with the policy object, so they can
    # never outlive it or be mixed up with another loaded copy. A cached_property, not a pydantic
    # private attribute: those are read through BaseModel.__getattr__, about 30 times slower, and
    # the engine reads these several times per estimate.
    @functools.cached_property
    def _caches(self) -> tuple[dict, dict]:
        return {}, {}

    def amount_free_conditions(self):
        """Every condition of the region except a tier's `requires:`, as (path in the file, the part
        of the answer it decides, condition). None of them may read the bill (checked at load), so
        the engine decides each part once per kind of person."""
        for i, tier in enumerate(self.tiers):
            yield f"tiers[{i}].when", "tiers", tier.when
            for j, claim in enumerate(tier.claims):
                yield f"tiers[{i}].claims[{j}].when", "tiers", claim.when
        for k, rule in enumerate(self.subsidy):
            yield f"subsidy[{k}].when", "side", rule.when
        for k, rule in enumerate(self.critical_illness_tilt):
            yield f"critical_illness_tilt[{k}].when", "side", rule.when
        yield "deposit_waiver.when", "side", self.deposit_waiver.when
        for k, text in enumerate(self.texts):
            yield f"texts[{k}].show_when", "further", text.show_when
        for k, text in enumerate(self.answer_notes):
            yield f"answer_notes[{k}].show_when", "notes", text.show_when
        for k, rule in enumerate(self.monitoring):
            yield f"monitoring[{k}].when", "monitoring", rule.when
        if self.referral is not None:
            yield "referral.not_covered_when", "profile", self.referral.not_covered_when
        if self.tilt is not None:
            yield "tilt.when", "profile", self.tilt.when

    @property
    def cite_prefix(self) -> str:
        return self.document.doc_no or self.document.cite_prefix or self.name

    def derived(self, key, compute):
        """`compute()` once per policy object: facts that follow from the rules alone."""
        table = self._caches[0]
        found = table.get(key)
        if found is None:
            found = table[key] = compute()
        return found

    def clear_memo(self) -> None:
        """Forget the memoised answer parts (tests use it to show an answer never depends on them)."""
        self._caches[1].clear()

    def memo(self, key, compute, limit: int = 16_384):
        """Like `derived`, for answer parts keyed by who the person is; bounded, cleared when full."""
        table = self._caches[1]
        found = table.get(key)
        if found is None:
            if len(table) >= limit:
                table.clear()
            found = table[key] = compute()
        return found


class Period(Model):
    from_: date = Field(alias="from")
    until: date | None
    value: bool


class TransitionPeriod(Model):
    periods: list[Period]
    cite: NonEmpty
    after_text: NonEmpty

    @field_validator("periods")
    @classmethod
    def _contiguous(cls, periods):
        """Dated values must neither overlap nor leave gaps, or a date would have no answer."""
        if not periods:
            raise ValueError("needs at least one period")
        for a, b in zip(periods, periods[1:]):
            if a.until is None:
                raise ValueError(f"period from {a.from_} is open-ended but is followed by another")
            if b.from_ <= a.until:
                raise ValueError(f"periods overlap: {a.from_}–{a.until} and {b.from_}–")
            if (b.from_ - a.until).days != 1:
                raise ValueError(f"gap between {a.until} and {b.from_}")
        return periods

    def value_on(self, day: date) -> bool | None:
        for p in self.periods:
            if p.from_ <= day and (p.until is None or day <= p.until):
                return p.value
        return None


class Documents(Model):
    one_stop: list[str]
    application: list[str]
    manual: list[str]
    elsewhere: list[str]
    illness_poverty: list[str]
    agent: list[str]
    death: list[str]
    note: NonEmpty


class Common(Model):
    identities: dict[str, NonEmpty]
    monitored_identities: list[NonEmpty]
    facts: dict[str, dict]  # label, kind and domain of each fact (checked by engine.vocabulary)
    care: dict[str, NonEmpty]
    where: dict[str, NonEmpty]
    settlement: dict[str, NonEmpty]
    part_kinds: dict[str, NonEmpty]
    defaults: dict[str, Any]
    transition_period: TransitionPeriod
    statistics: dict[str, Statistic]
    hotline: NonEmpty
    disclaimer: NonEmpty
    readings: dict[str, NonEmpty]
    assumptions: dict[str, NonEmpty]
    documents: Documents
    where_to_apply_common: list[str]
    wording: dict[str, NonEmpty]  # the answer's own sentences, as templates (Common.say)

    @functools.cached_property
    def say(self) -> dict:
        """key -> the sentence's fill-in function: `common.say["total"](amount=…)` (engine.wording)."""
        return {key: compile_template(text) for key, text in self.wording.items()}

    @field_validator("wording")
    @classmethod
    def _sentences(cls, wording):
        for key, text in wording.items():
            try:
                compile_template(text)
            except WordingError as exc:
                raise ValueError(f"{key}: {exc}") from exc
        return wording

    @model_validator(mode="after")
    def _complete(self):
        if set(self.identities) != set(IDENTITIES):
            raise ValueError(f"identities must label exactly {IDENTITIES}")
        if set(self.care) != set(CARE_TYPES):
            raise ValueError(f"care must label exactly {CARE_TYPES}")
        return self


class Policies(Model):
    common: Common
    regions: dict[str, RegionPolicy]  # code -> the policy in force today (or the first, before it)
    # code -> ((first day, policy), …) for a region whose rules change by date (dated values, a
    # second document); a region with one set of rules is not listed
    periods: dict[str, tuple] = {}

    def region_on(self, code: str, day: date) -> RegionPolicy:
        """The region's policy in force on `day` (before the first document: the first)."""
        periods = self.periods.get(code)
        if periods is None:
            return self.regions[code]
        found = periods[0][1]
        for start, policy in periods:
            if start <= day:
                found = policy
        return found

    def first_day(self, code: str) -> date:
        """The first day of the region's first document: before it nothing can be estimated."""
        return self.region_on(code, date.min).document.effective_from

    def change_days(self, code: str) -> tuple[date, ...]:
        """The days the region's rules change on, in order: each document's first day and the day
        after the last one ends, each dated value's change, the transition period's (a care date
        known only to its month or year is asked which side of such a day it was on)."""
        stretches = self.periods.get(code) or ((None, self.regions[code]),)
        days = {start for start, _ in stretches if start is not None}
        for _, policy in stretches:
            days.add(policy.document.effective_from)
            if policy.document.effective_until is not None:
                days.add(policy.document.effective_until + timedelta(days=1))
        days.update(period.from_ for period in self.common.transition_period.periods)
        return tuple(sorted(days))


def _strip_anchors(data: Any) -> Any:
    """Top-level keys starting with `x-` only hold YAML anchors for reuse; they are not rules."""
    if isinstance(data, dict):
        return {k: v for k, v in data.items() if not (isinstance(k, str) and k.startswith("x-"))}
    return data


def _format_error(path: str, exc: ValidationError) -> str:
    lines = []
    for err in exc.errors():
        loc = ""
        for part in err["loc"]:
            loc += f"[{part}]" if isinstance(part, int) else (f".{part}" if loc else str(part))
        msg = err["msg"].removeprefix("Value error, ")
        lines.append(f"{path}: {loc or '(top)'}: {msg}")
    return "\n".join(lines)


def _read_yaml(path: Path) -> Any:
    try:
        with open(path, encoding="utf-8") as fh:
            return yaml.load(fh, Loader=_SAFE_LOADER)  # libyaml when present: start-up is most of a short CLI run
    except yaml.YAMLError as exc:
        raise PolicyError(f"{path}: not valid YAML: {exc}") from exc


def _check_references(common: Common, region: RegionPolicy, path: Path) -> None:
    readings = set(common.readings)
    used = [c.reading for t in region.tiers for c in t.claims if c.reading]
    used += [nc.reading for nc in region.not_covered_care if nc.reading]
    if region.major:
        used.append(region.major.reading)
    if region.tilt:
        used.append(region.tilt.reading)
    for name in used:
        if name not in readings:
            raise PolicyError(f"{path}: reading {name!r} is not described in common.yaml readings")


def region_codes(directory: Path | str | None = None) -> tuple[str, ...]:
    """The region codes of a policies folder: its region files, listed (no list of names)."""
    return tuple(region_files(Path(directory) if directory else policy_dir()))


def load(directory: Path | str | None = None) -> Policies:
    """Read and check every policy file. Raises PolicyError naming file, path and problem."""
    directory = Path(directory) if directory else policy_dir()
    common_path = directory / "common.yaml"
    if not common_path.exists():
        raise PolicyError(f"{common_path}: missing")
    try:
        common = Common.model_validate(_read_yaml(common_path))
    except ValidationError as exc:
        raise PolicyError(_format_error(str(common_path), exc)) from exc
    files = region_files(directory)
    if not files:
        raise PolicyError(f"{directory}: no region files (<code>.yaml beside common.yaml)")
    loaded = {code: _load_region(common, code, paths) for code, paths in files.items()}
    today = dt.date.today()
    order = sorted(loaded, key=lambda code: (loaded[code][0][1].order, code))
    regions = {code: _in_force(loaded[code], today) for code in order}
    periods = {code: tuple(loaded[code]) for code in order if len(loaded[code]) > 1}
    return Policies(common=_with_figures(common, regions, common_path), regions=regions, periods=periods)


def _with_figures(common: Common, regions: dict, path: Path) -> Common:
    """The Readings and the assumptions with the rule values they state filled in from the regions'
    files (engine.figures)."""
    rendered = {}
    for part in ("readings", "assumptions"):
        rendered[part] = {}
        for name, text in getattr(common, part).items():
            if {m.group(1) for m in PLACEHOLDER.finditer(text)} - set(regions):
                continue  # a text about a region whose file is not there: nothing can use it
            try:
                rendered[part][name] = render(text, regions)
            except FigureError as exc:
                raise PolicyError(f"{path}: {part}.{name}: {exc}") from exc
    return common.model_copy(update=rendered)


def _in_force(periods: list, day: date) -> RegionPolicy:
    found = periods[0][1]
    for start, policy in periods:
        if start <= day:
            found = policy
    return found


def _load_region(common: Common, code: str, paths: list[Path]) -> list[tuple[date, RegionPolicy]]:
    """(first day, policy) for each stretch of the region's rules: per document, per dated change."""
    if not CODE_RE.match(code):
        raise PolicyError(f"{paths[0]}: file name: {code!r} is not a region code (a-z, 0-9, _)")
    periods: list[tuple[date, RegionPolicy]] = []
    documents = []
    for path in paths:
        found = _load_file(common, code, path)
        periods.extend(found)
        documents.append(found[0][1].document)
    periods.sort(key=lambda p: p[0])
    documents.sort(key=lambda d: d.effective_from)
    for a, b in zip(documents, documents[1:]):
        if a.effective_until is None or a.effective_until >= b.effective_from:
            raise PolicyError(f"{code}: documents overlap: 《{a.title}》 from {a.effective_from} until "
                              f"{a.effective_until or 'no end'} and 《{b.title}》 from {b.effective_from}")
        if (b.effective_from - a.effective_until).days != 1:
            raise PolicyError(f"{code}: gap between documents: 《{a.title}》 ends {a.effective_until}, "
                              f"《{b.title}》 starts {b.effective_from}")
    return periods


def _load_file(common: Common, code: str, path: Path) -> list[tuple[date, RegionPolicy]]:
    data = _strip_anchors(_read_yaml(path))
    document = data.get("document") if isinstance(data, dict) else None
    start = document.get("effective_from") if isinstance(document, dict) else None
    end = document.get("effective_until") if isinstance(document, dict) else None
    dated = isinstance(start, date) and next(dated_values(data), None) is not None
    days: list[date] = []
    if dated:
        try:
            days = changes(data, start, end if isinstance(end, date) else None)
        except DatedError as exc:
            raise PolicyError(f"{path}: {exc}") from exc
    out = []
    for day in [start, *days]:
        try:
            region = RegionPolicy.model_validate(resolve(data, day) if dated else data)
        except ValidationError as exc:
            raise PolicyError(_format_error(str(path), exc)) from exc
        if region.region != code:
            raise PolicyError(f"{path}: region: says {region.region!r}, file name says {code!r}")
        _check_references(common, region, path)
        out.append((region.document.effective_from, region) if day is None or day == start else (day, region))
    return out


def __getattr__(name: str):
    """REGIONS: the region codes of the loaded policies, in their order (read from the folder)."""
    if name == "REGIONS":
        return tuple(default().regions)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@functools.lru_cache(maxsize=1)
def default() -> Policies:
    """The shipped policies (or $JIUZHU_POLICIES), loaded once per process."""
    return load()
