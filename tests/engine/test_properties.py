"""Property tests (hypothesis) over every region, identity subset, care type, amount, date and fact.

What must hold for any input (issue "Property tests"; rules.md "The same everywhere";
docs/engine-semantics.md):

* 0 ≤ assistance ≤ self_pay — including 西藏's second tier (重特大, rate × what the ordinary tier
  left) and the 倾斜救助 of 乌鲁木齐 / 黔江, which are paid *on top of* the regular part;
* assistance is the sum of the (rounded) parts, each part within its own limit left;
* non-decreasing in self_pay (安康's limit switch at 100,000 *raises* the limit; 西藏's 5% threshold
  only adds a part; 西藏 cat 5's 40% income test gets easier with a larger self_pay);
* an extra identity never lowers the assistance (就高不就低), even where a category is exclusive
  (西藏 cat 5, 乌鲁木齐 cat 4): the category that displaces it pays at least as much — except that
  广西's discretionary cat 4 frame gives way to a category settled by rule (rules.md, revised
  2026-12); then what is on offer (the answer or an alternative) never shrinks;
* `alternatives` never contains the chosen category, and choosing among the chosen category and
  the alternatives by rules.md's rule (covered first; a discretionary frame never above a sure
  category; most assistance; on a tie the higher-ranked) gives back the chosen category and amount;
* the order of identities never matters;
* the same input gives the same JSON;
* status agrees with the amount (semantics "Outcome: status").
"""
from __future__ import annotations

import datetime as dt
import json
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import engine
from engine.calc import estimate_case
from engine.case import parse_case
from engine.conditions import CARE_TYPES, IDENTITIES
from engine.policy import REGIONS

POLICIES = engine.load_policies()
ZERO = Decimal(0)
FEW = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
MANY = settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# ------------------------------------------------------------------------------------ strategies

money = st.decimals(min_value=0, max_value=2_000_000, places=2, allow_nan=False, allow_infinity=False)
small_money = st.decimals(min_value=0, max_value=400_000, places=2, allow_nan=False, allow_infinity=False)
# amounts near the thresholds the policies use are where the bugs live: mix them in
edgy_money = st.one_of(
    money,
    st.sampled_from([Decimal(v) for v in ("0", "0.01", "500", "2000", "2999.99", "3000", "3000.01",
                                          "4000", "5000", "10000", "30000", "30000.01", "99999.99",
                                          "100000", "150000", "157894.74", "166666.67", "300000",
                                          "450000", "1000000")]),
)
identities = st.lists(st.sampled_from(IDENTITIES), unique=True, max_size=4)
dates = st.dates(min_value=dt.date(2022, 1, 1), max_value=dt.date(2029, 12, 31))



facts = st.fixed_dictionaries(
    {},
    optional={
        "disability_grade": st.integers(1, 4),
        "disability_kind": st.sampled_from(
            ["physical", "visual", "hearing", "speech", "intellectual", "mental", "multiple"]),
        "age": st.integers(0, 110),
        "special_disease": st.booleans(),
        "hospital_level": st.integers(1, 3),
        "stay_policy_total": st.one_of(st.sampled_from([Decimal("30000"), Decimal("30000.01")]), small_money),
        "where": st.sampled_from(["local", "in_province", "out_of_province"]),
        "referred": st.booleans(),
        "family_income": small_money,
        "family_size": st.integers(1, 10),
        "veteran_kind": st.sampled_from(
            ["martyr_family", "duty_death_family", "illness_death_family", "demobilized", "other"]),
        "insurance_tier": st.integers(1, 2),
        "contribution": st.decimals(min_value=0, max_value=2000, places=2),
    },
)
year_to_date = st.fixed_dictionaries(
    {}, optional={"self_pay": small_money, "aid": small_money, "tilt_aid": st.decimals(0, 60_000, places=2)}
)


@st.composite
def cases(draw, self_pay=edgy_money):
    case = {
        "region": draw(st.sampled_from(REGIONS)),
        "identities": draw(identities),
        "care": draw(st.sampled_from(CARE_TYPES)),
        "self_pay": draw(self_pay),
        "date": draw(dates).isoformat(),
    }
    ytd = draw(year_to_date)
    if ytd:
        case["year_to_date"] = ytd
    f = draw(facts)
    if f:
        case["facts"] = f
    return case


def est(case):
    return engine.estimate(case)


def _ctx(case, got) -> str:
    return (f"\ncase: {case}\nstatus={got.status} category={got.category and got.category.tier} "
            f"assistance={got.assistance} parts={[(p.kind, p.amount, p.cap_left) for p in got.parts]}"
            f"\ntrace: {got.trace}")


# ------------------------------------------------------------------------------------ properties


@MANY
@given(cases())
def test_bounds_and_parts(case):
    got = est(case)
    self_pay = Decimal(str(case["self_pay"]))
    assert ZERO <= got.assistance <= self_pay, _ctx(case, got)
    assert got.assistance == sum((p.amount for p in got.parts), ZERO), _ctx(case, got)
    assert got.self_pay_after == self_pay - got.assistance, _ctx(case, got)
    for part in got.parts:
        assert part.amount >= 0, _ctx(case, got)
        assert part.amount == part.amount.quantize(Decimal("0.01")), _ctx(case, got)
        if part.cap_left is not None:
            assert part.amount <= part.cap_left, _ctx(case, got)
        if part.cap is not None and part.cap_left is not None:
            assert part.cap_left <= part.cap, _ctx(case, got)
        if part.rate is not None:
            assert ZERO <= part.rate <= 1, _ctx(case, got)
            # a part never pays more than its rate of its base (round half-up adds at most half a fen)
            assert part.amount <= part.rate * part.base + Decimal("0.005"), _ctx(case, got)
    kinds = [p.kind for p in got.parts]
    assert len(kinds) == len(set(kinds)), _ctx(case, got)


@FEW
@given(cases(), st.sampled_from(["2", "3", "4"]))
def test_big_bills_with_tilts_and_major_stay_within_self_pay(case, which):
    """The regions with a second part (西藏 major, 乌鲁木齐/黔江 tilt), with bills far above the limits."""
    case = {**case, "region": {"2": "xizang", "3": "urumqi", "4": "qianjiang"}[which],
            "identities": case["identities"] or ["tekun"], "care": "inpatient",
            "facts": {**case.get("facts", {}), "where": "local"}}
    got = est(case)
    self_pay = Decimal(str(case["self_pay"]))
    assert got.assistance <= self_pay, _ctx(case, got)
    assert got.assistance == sum((p.amount for p in got.parts), ZERO), _ctx(case, got)


@MANY
@given(cases(), edgy_money)
def test_non_decreasing_in_self_pay(case, other):
    a, b = sorted([Decimal(str(case["self_pay"])), other])
    low = est({**case, "self_pay": a})
    high = est({**case, "self_pay": b})
    assert low.assistance <= high.assistance, (
        f"self_pay {a} → {low.assistance}, {b} → {high.assistance}" + _ctx({**case, "self_pay": b}, high)
        + _ctx({**case, "self_pay": a}, low))


@MANY
@given(cases(), st.sampled_from(IDENTITIES))
def test_an_extra_identity_never_lowers_assistance(case, extra):
    assume(extra not in case["identities"])
    before = est(case)
    after = est({**case, "identities": case["identities"] + [extra]})
    if before.category is not None and _tier(case["region"], before.category).discretionary is not None:
        # a sure category the extra identity gives now outranks the frame: it moves to alternatives
        assert _on_offer(after) >= _on_offer(before), _ctx(case, before) + _ctx(
            {**case, "identities": case["identities"] + [extra]}, after)
        return
    assert after.assistance >= before.assistance, (
        f"adding {extra}: {before.assistance} → {after.assistance}" + _ctx(case, before)
        + _ctx({**case, "identities": case["identities"] + [extra]}, after))
    # 就高: a person who was eligible stays eligible
    if before.eligible and before.status != "undecided":
        assert after.eligible, _ctx(case, before) + _ctx({**case, "identities": case["identities"] + [extra]}, after)


def _tier(region, category):
    """The policy tier an answer's category (or an alternative's) stands for."""
    if category is None:
        return None
    for tier in POLICIES.regions[region].tiers:
        if tier.category == category.id and tier.tier == category.tier:
            return tier
    raise AssertionError(f"no tier {category}")


def _on_offer(got) -> Decimal:
    return max([got.assistance] + [a.assistance for a in got.alternatives])


@MANY
@given(cases())
def test_alternatives_never_contain_the_chosen_category(case):
    got = est(case)
    keys = [(a.category.id, a.category.tier) for a in got.alternatives]
    assert len(keys) == len(set(keys)), _ctx(case, got)
    if got.category is None:
        assert got.alternatives == [], _ctx(case, got)
    else:
        assert (got.category.id, got.category.tier) not in keys, _ctx(case, got)
    for alt in got.alternatives:
        assert ZERO <= alt.assistance <= Decimal(str(case["self_pay"])), _ctx(case, got)
        assert alt.why_not, _ctx(case, got)


@MANY
@given(cases())
def test_choosing_among_alternatives_reproduces_the_answer(case):
    """rules.md: most assistance; tie → higher-ranked; a discretionary frame never outranks a
    category settled by rule; a category that covers this care type first."""
    got = est(case)
    assume(got.category is not None)
    region, care = case["region"], case["care"]

    def key(category, amount):
        tier = _tier(region, category)
        covered = any(care in claim.care for claim in tier.claims)
        return (not covered, tier.discretionary is not None, -amount, tier.rank)

    options = [(got.category, got.assistance)] + [(a.category, a.assistance) for a in got.alternatives]
    category, amount = min(options, key=lambda o: key(*o))
    assert (category.id, category.tier) == (got.category.id, got.category.tier), _ctx(case, got)
    assert amount == got.assistance, _ctx(case, got)
    # an alternative is settled as the answer would be had it been chosen: not covered when its
    # category has no rule for this care type or the care is excluded (not referred)
    for alt in got.alternatives:
        tier = _tier(region, alt.category)
        if not any(care in claim.care for claim in tier.claims) or got.settlement == "not_covered":
            assert alt.settlement == "not_covered" and alt.assistance == 0, _ctx(case, got)
        else:
            assert alt.settlement in (tier.settlement, "manual"), _ctx(case, got)


@FEW
@given(cases(), st.randoms(use_true_random=False))
def test_order_of_identities_never_matters(case, rnd):
    assume(len(case["identities"]) >= 2)
    shuffled = list(case["identities"])
    rnd.shuffle(shuffled)
    forget()
    a = est(case)
    forget()  # computed afresh, so a memo filled by the first order cannot hide a difference
    b = est({**case, "identities": shuffled})
    assert a.model_dump_json() == b.model_dump_json()  # every field, the category's identity included
    assert b.model_dump_json() == est(case).model_dump_json()  # and the memo gives the same answer


@MANY
@given(cases(), edgy_money, year_to_date, dates, st.data())
def test_memo_never_changes_an_answer(case, other_pay, other_ytd, other_date, data):
    """The engine reuses the amount-free part of an answer for the same kind of person. An answer
    computed right after another bill of the same region, identities and care (other amounts,
    year-to-date, date, and the same or other facts) must equal one computed from nothing."""
    forget()
    fresh = est(case).model_dump_json()
    other = {**case, "self_pay": other_pay, "year_to_date": other_ytd, "date": other_date.isoformat()}
    if data.draw(st.booleans()):
        other["facts"] = data.draw(facts)
    forget()
    est(other)
    assert est(case).model_dump_json() == fresh


def forget() -> None:
    for region in POLICIES.regions.values():
        region.clear_memo()


@FEW
@given(cases(), cases())
def test_deterministic_and_no_state_between_estimates(case, other):
    first = est(case).model_dump_json()
    est(other)  # something else in between must not leak into the next answer
    second = est(case).model_dump_json()
    third = estimate_case(parse_case(case), POLICIES).model_dump_json()
    assert first == second == third
    json.loads(first)  # valid JSON with numbers


@MANY
@given(cases())
def test_status_agrees_with_amount(case):
    got = est(case)
    doc = POLICIES.regions[case["region"]].document
    before_doc = dt.date.fromisoformat(case["date"]) < doc.effective_from
    if got.status == "paid":
        assert got.eligible and got.assistance > 0, _ctx(case, got)
    if got.status == "zero":
        assert got.eligible and got.assistance == 0, _ctx(case, got)
    if got.status == "not_eligible":
        assert not got.eligible and got.assistance == 0 and got.parts == [], _ctx(case, got)
        assert got.settlement in ("none", "not_covered"), _ctx(case, got)
    if got.status == "undecided":
        assert got.missing_facts or before_doc, _ctx(case, got)
    else:
        assert got.missing_facts == [], _ctx(case, got)
    if got.eligible and got.assistance > 0 and got.status != "undecided":
        assert got.status == "paid", _ctx(case, got)
    if before_doc:
        assert got.status == "undecided" and got.assistance == 0, _ctx(case, got)
    # a category ⇔ a settlement other than `none`
    assert (got.category is None) == (got.settlement == "none"), _ctx(case, got)
    if got.settlement == "not_covered":
        assert got.assistance == 0, _ctx(case, got)


@FEW
@given(cases())
def test_no_identity_means_nothing(case):
    case = {**case, "identities": []}
    got = est(case)
    assert got.assistance == 0 and not got.eligible and got.category is None
    assert got.status in ("not_eligible", "undecided")


@FEW
@given(cases(), small_money)
def test_more_aid_already_paid_never_raises_assistance(case, more):
    """Using up more of the annual limit (year_to_date.aid) can only lower this claim's assistance.

    Not in 乌鲁木齐: there the 倾斜救助 (第十二条) pays 90% / 85% / 75% on what the limit could not
    reach, more than the regular 80% / 80% / 70%, so with less of the limit left the claim gets *more*
    (dibao, inpatient, 100,000: aid 0 → 83,750; aid 10,000 → 85,000). That is the Reading
    urumqi_tilt_over working as written, and the year's total is the same however the bills are
    split (see test_splitting_a_bill_changes_nothing below).

    Not in 西藏 either: the 重特大 tier starts when *this claim's* residual reaches 5% of last year's
    income (Reading xizang_two_tiers), so a prior aid that leaves more residual can cross that
    threshold (特困, 2023, 150,000: aid 0.01 → 149,999.99; aid 1,247.50 → 150,000.00). A cliff of at
    most rate × threshold, reported to the lead as a consequence of the per-claim Reading.
    """
    assume(case["region"] in ("ankang", "guangxi", "qianjiang"))
    ytd = dict(case.get("year_to_date", {}))
    low = est({**case, "year_to_date": ytd})
    ytd_more = {**ytd, "aid": Decimal(str(ytd.get("aid", 0))) + more}
    high = est({**case, "year_to_date": ytd_more})
    assert high.assistance <= low.assistance, _ctx(case, low) + _ctx({**case, "year_to_date": ytd_more}, high)


def _amounts(got) -> tuple[Decimal, Decimal]:
    regular = sum((p.amount for p in got.parts if p.kind in ("regular", "application")), ZERO)
    tilt = sum((p.amount for p in got.parts if p.kind == "tilt"), ZERO)
    return regular, tilt


@FEW
@given(st.sampled_from(["guangxi", "urumqi", "qianjiang"]), st.sampled_from(IDENTITIES),
       st.sampled_from(["inpatient", "outpatient_chronic", "outpatient_major"]), small_money, small_money,
       year_to_date, st.booleans())
def test_splitting_a_bill_changes_nothing(region, identity, care, first, second, ytd, special):
    """Annual deductible, annual limit and (乌鲁木齐, 黔江) 倾斜救助 are yearly: two claims in a row pay
    what one claim of the same total pays (rules.md "Annual deductible", "Annual limit", the
    qianjiang_tilt_leftover and urumqi_tilt_over Readings), up to a few fen of rounding.

    Not 西藏 (its 5% threshold is judged per claim, rules.md Reading, said in `notes`) and not 安康
    (its limit depends on the year's total: see the report).
    """
    facts = {"where": "local", "special_disease": special, "hospital_level": 3, "stay_policy_total": 50000}
    base = {"region": region, "identities": [identity], "care": care, "date": "2024-06-01", "facts": facts}
    ytd = {k: Decimal(str(v)) for k, v in ytd.items()}
    if "aid" in ytd:  # a consistent history: what was paid came out of what was spent
        ytd["self_pay"] = max(ytd.get("self_pay", ZERO), ytd["aid"] + ytd.get("tilt_aid", ZERO))
    one = est({**base, "self_pay": first + second, "year_to_date": ytd})
    a = est({**base, "self_pay": first, "year_to_date": ytd})
    reg_a, tilt_a = _amounts(a)
    ytd_b = {"self_pay": ytd.get("self_pay", ZERO) + first, "aid": ytd.get("aid", ZERO) + reg_a,
             "tilt_aid": ytd.get("tilt_aid", ZERO) + tilt_a}
    b = est({**base, "self_pay": second, "year_to_date": ytd_b})
    assert abs((a.assistance + b.assistance) - one.assistance) <= Decimal("0.05"), (
        f"split {first}+{second}: {a.assistance}+{b.assistance} vs one claim {one.assistance}"
        + _ctx(base, one) + _ctx(base, a) + _ctx(base, b))


@FEW
@given(st.sampled_from(["dibao", "tekun", "dibao_edge", "illness_poverty"]), small_money,
       st.decimals(0, 60_000, places=2), st.sampled_from(["inpatient", "outpatient_chronic", "outpatient_major"]))
def test_urumqi_tilt_over_the_limit_follows_the_reading(identity, self_pay, aid, care):
    """Reading urumqi_tilt_over: over = base − cap_left / rate when rate × base > cap_left;
    tilt = min(tilt_rate × over, 50,000 − tilt_aid); regular + tilt never above the base."""
    case = {"region": "urumqi", "identities": [identity], "care": care, "self_pay": self_pay,
            "date": "2024-06-01", "year_to_date": {"aid": aid}}
    got = est(case)
    parts = {p.kind: p for p in got.parts}
    main = parts.get("regular") or parts.get("application")
    assert main is not None, _ctx(case, got)
    assert main.cap_left == max(ZERO, Decimal(50000) - aid), _ctx(case, got)
    raw = main.rate * main.base
    if raw <= main.cap_left:
        assert "tilt" not in parts, _ctx(case, got)
    else:
        # the part's base is the over-limit cost to the fen, and the amount is reckoned on it
        over = (main.base - main.cap_left / main.rate).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        assert parts["tilt"].base == over, _ctx(case, got)
        tier = next(t for t in POLICIES.regions["urumqi"].tiers if t.tier == got.category.tier)
        expected = min(tier.tilt_rate * over, Decimal(50000))
        assert abs(parts["tilt"].amount - expected) <= Decimal("0.005"), _ctx(case, got)
    assert got.assistance <= main.base + Decimal("0.01"), _ctx(case, got)


@FEW
@given(st.sampled_from(["xizang", "urumqi"]), st.sampled_from([i for i in IDENTITIES if i != "illness_poverty"]),
       st.sampled_from(CARE_TYPES), edgy_money, st.one_of(st.none(), small_money), year_to_date, dates)
def test_exclusive_illness_poverty_category_never_makes_an_extra_identity_cost(
        region, extra, care, self_pay, income, ytd, day):
    """西藏 cat 5 and 乌鲁木齐 cat 4 are dropped as soon as another category applies (semantics 2): the
    category that replaces them must pay at least as much, for every care type and amount."""
    facts = {"where": "local"}
    if income is not None:
        facts["family_income"] = income
    case = {"region": region, "identities": ["illness_poverty"], "care": care, "self_pay": self_pay,
            "date": day.isoformat(), "year_to_date": ytd, "facts": facts}
    alone = est(case)
    both = est({**case, "identities": ["illness_poverty", extra]})
    assert both.assistance >= alone.assistance, _ctx(case, alone) + _ctx({**case, "identities": [extra]}, both)


@pytest.mark.parametrize("identity,below,at", [("dibao", "40000.00", "50000.00"), ("dibao_edge", "30000.00", "50000.00")])
def test_ankang_limit_switch_at_100000_only_raises(identity, below, at):
    """安康 三（四）: the year's self-pay below 100,000 → limit 30,000 (低保 40,000); 100,000 or more
    → 50,000. The switch raises the limit, so the amount jumps up, never down."""
    def amount(self_pay):
        return est({"region": "ankang", "identities": [identity], "care": "outpatient_chronic",
                    "self_pay": self_pay, "date": "2024-03-01"}).assistance
    assert amount("99999.99") == Decimal(below)
    assert amount("100000") == Decimal(at)
    previous = ZERO
    for value in range(0, 200_001, 2_500):
        now = amount(value)
        assert now >= previous, value
        previous = now


@FEW
@given(cases())
def test_explain_false_gives_the_same_outcome(case):
    """engine.estimate(explain=False) skips the words, never the numbers (used by questions() probing)."""
    full = est(case)
    bare = engine.estimate(case, explain=False)
    for key in ("status", "eligible", "assistance", "settlement", "self_pay_after", "missing_facts"):
        assert getattr(bare, key) == getattr(full, key), key
    assert [p.model_dump() for p in bare.parts] == [p.model_dump() for p in full.parts]
    assert (bare.category and bare.category.model_dump()) == (full.category and full.category.model_dump())
    assert bare.subsidy.kind == full.subsidy.kind and bare.subsidy.share == full.subsidy.share
    assert bare.critical_illness_tilt.applies == full.critical_illness_tilt.applies
    assert bare.deposit_waiver.applies == full.deposit_waiver.applies
