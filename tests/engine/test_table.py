"""The population path agrees with engine.estimate case by case.

Issue 17: "`engine.estimate_table` (or similar) over a column table of N cases, amounts, category
and settlement only, that agrees with `estimate` case by case". Seeded random populations over all
five regions and care types (西藏's two tiers, both 倾斜救助 modes, `requires:` with and without the
fact, dates before the documents), with bills one fen either side of each deductible, limit and
`requires:` line; a hypothesis property over small tables; dated rule values and a second
document; and bad rows anywhere in the table, each refused with its row number.
"""
from __future__ import annotations

import datetime as dt
import random
import shutil
from decimal import Decimal

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import engine
from engine import table
from engine.money import HUNDRED
from engine.policy import load, policy_dir

IDENTITY_WEIGHTS = {
    "dibao": 30, "tekun": 10, "dibao_edge": 10, "unstable_lifted": 6, "edge_poverty": 5, "sudden_hardship": 3,
    "returned_poverty": 4, "severe_disability": 8, "illness_poverty": 8, "orphan": 2, "hardship_worker": 3,
    "key_veteran": 3, "poor_student": 2,
}
CARES = ["inpatient", "outpatient_chronic", "outpatient_major", "outpatient_general"]


def _person(rnd: random.Random, policies) -> dict:
    region = rnd.choice(sorted(policies.regions))
    start = policies.regions[region].document.effective_from
    ids = rnd.sample(sorted(IDENTITY_WEIGHTS), rnd.choices([0, 1, 2, 3], weights=[5, 60, 30, 5])[0])
    facts: dict = {}
    if rnd.random() < 0.4:
        facts["where"] = rnd.choice(["local", "in_province", "out_of_province"])
        facts["referred"] = rnd.random() < 0.6
    if "severe_disability" in ids and rnd.random() < 0.7:
        facts["disability_grade"] = rnd.randint(1, 4)
    if region == "qianjiang" and rnd.random() < 0.5:
        facts["special_disease"] = rnd.random() < 0.3
        facts["hospital_level"] = rnd.randint(1, 3)
    if "illness_poverty" in ids and rnd.random() < 0.5:
        facts["family_size"] = rnd.randint(1, 6)
    if rnd.random() < 0.5:  # what a requires: compares the bill with (西藏 因病致贫重病患者)
        facts["family_income"] = rnd.choice([1000, 25000.5, 80000, 3, 123456.78])
    return {"region": region, "identities": ids, "care": rnd.choice(CARES), "facts": facts,
            "date": (start + dt.timedelta(days=rnd.randrange(-30, 1500))).isoformat()}


def _yuan(fen: int) -> str:
    return f"{Decimal(fen) / HUNDRED:.2f}"


def _amounts(rnd: random.Random, edges: list[int]) -> dict:
    if edges and rnd.random() < 0.3:  # one fen either side of a deductible or a limit
        self_pay = max(0, rnd.choice(edges) + rnd.choice([-1, 0, 1]))
    else:
        self_pay = int(min(rnd.lognormvariate(8.6, 1.3), 1_200_000) * 100)
    amounts: dict = {"self_pay": _yuan(self_pay)}
    if rnd.random() < 0.4:
        amounts["year_to_date"] = {"self_pay": _yuan(rnd.randrange(0, 5_000_000)),
                                   "aid": _yuan(rnd.randrange(0, 4_000_000)),
                                   "tilt_aid": _yuan(rnd.randrange(0, 1_000_000))}
    return amounts


def _edges(policies, person: dict) -> list[int]:
    """Bills at the region's deductibles and (for a fresh year at 100%) its limits, and at the
    line a requires: draws through the family's income, in fen."""
    region = policies.regions[person["region"]]
    income = (person.get("facts") or {}).get("family_income")
    out = [int(Decimal(str(income)) * t.requires.share * HUNDRED) for t in region.tiers
           if income is not None and t.requires is not None and t.requires.share is not None]
    for tier in policies.regions[person["region"]].tiers:
        for claim in tier.claims:
            if claim.deductible.__class__ is Decimal:
                out.append(int(claim.deductible * HUNDRED))
            if claim.cap.__class__ is Decimal and claim.rate:
                out.append(int(claim.deductible * HUNDRED) + int(claim.cap * HUNDRED / claim.rate)
                           if claim.deductible.__class__ is Decimal else int(claim.cap * HUNDRED / claim.rate))
    return out


def make_population(count: int, seed: int, people: int = 400) -> list[dict]:
    """`count` cases of `people` kinds of person, each with its own bill."""
    policies = engine.load_policies()
    rnd = random.Random(seed)
    kinds = [_person(rnd, policies) for _ in range(people)]
    edges = [_edges(policies, p) for p in kinds]
    out = []
    for _ in range(count):
        k = rnd.randrange(people)
        out.append({**kinds[k], **_amounts(rnd, edges[k])})
    return out


def _engine_answers(cases, policies):
    for case in cases:
        est = engine.estimate(case, policies=policies, explain=False)
        yield int(est.assistance * HUNDRED), est.category, est.settlement


def _disagreements(cases, policies) -> tuple[list, table.Table]:
    got = table.estimate_table(table.table_from_cases(cases), policies)
    wrong = []
    for i, want in enumerate(_engine_answers(cases, policies)):
        mine = (int(got.assistance_fen[i]), got.category_of(i), table.SETTLEMENTS[got.settlement[i]])
        if mine != want:
            wrong.append((i, cases[i], mine, want))
    return wrong, got


@pytest.mark.parametrize("seed, people", [(17, 400), (18, 3000)])
def test_agrees_with_the_engine_case_by_case(seed, people):
    policies = engine.load_policies()
    cases = make_population(30_000, seed=seed, people=people)
    wrong, got = _disagreements(cases, policies)
    assert not wrong, f"{len(wrong)} of {len(cases)} disagree, e.g. {wrong[:3]}"
    assert got.engine_rows == 0  # every kind of rule is vectorised
    assert {c["region"] for c in cases} == set(policies.regions)


def _parts(case, policies) -> set:
    return {p.kind for p in engine.estimate(case, policies=policies, explain=False).parts}


def test_the_extras_are_priced_and_agree():
    """The population reaches 西藏's second tier, both 倾斜救助 modes and a failed and a kept
    requires: — the rules the table once left to the engine — and agrees on all of them."""
    policies = engine.load_policies()
    cases = make_population(20_000, seed=5, people=600)
    kinds = set()
    for case in cases[:4000]:
        kinds |= {(case["region"], kind) for kind in _parts(case, policies)}
    assert {("xizang", "major"), ("urumqi", "tilt"), ("qianjiang", "tilt")} <= kinds
    wrong, got = _disagreements(cases, policies)
    assert not wrong and got.engine_rows == 0


def test_requires_one_fen_either_side_of_its_line():
    """西藏 因病致贫重病患者: the category holds from self-pay = share × family income on; a fen
    below it the person has no category (or another one) — as the engine says, row by row."""
    policies = engine.load_policies()
    tier = next(t for t in policies.regions["xizang"].tiers if t.requires is not None and t.requires.share)
    person = {"region": "xizang", "identities": ["illness_poverty"], "care": "inpatient", "date": "2024-06-01",
              "facts": {"family_income": 50000}}
    line = int(Decimal(50000) * tier.requires.share * HUNDRED)
    cases = [{**person, "self_pay": _yuan(line + d)} for d in (-1, 0, 1)]
    cases.append({**person, "facts": {}, "self_pay": _yuan(line - 1)})  # not stated: the engine's if_unknown
    wrong, got = _disagreements(cases, policies)
    assert not wrong and got.engine_rows == 0
    below, at = got.category_of(0), got.category_of(1)
    assert at is not None and at.tier == tier.tier and (below is None or below.tier != tier.tier)


def test_one_fen_either_side_of_a_deductible():
    """广西 低保边缘 (a deductible): a bill one fen under it gets nothing, one fen over gets the
    rate of one fen rounded half-up — the same as the engine, in the same rows."""
    policies = engine.load_policies()
    person = {"region": "guangxi", "identities": ["dibao_edge"], "care": "inpatient", "date": "2024-06-01"}
    ded = next(int(c.deductible * HUNDRED) for t in policies.regions["guangxi"].tiers
               for c in t.claims if "inpatient" in c.care and c.deductible.__class__ is Decimal and c.deductible > 0)
    bills = [ded - 1, ded, ded + 1, ded + 100]
    cases = [{**person, "self_pay": _yuan(b)} for b in bills]
    got = table.estimate_table(table.table_from_cases(cases), policies)
    assert got.engine_rows == 0
    want = [a for a, _, _ in _engine_answers(cases, policies)]
    assert got.assistance_fen.tolist() == want
    assert want[0] == want[1] == 0 and want[2] > 0


def test_before_the_document_no_amount_and_no_category():
    policies = engine.load_policies()
    cases = []
    for code, region in sorted(policies.regions.items()):
        early = region.document.effective_from - dt.timedelta(days=1)
        cases += [{"region": code, "identities": ["dibao"], "care": "inpatient", "self_pay": 30000,
                   "date": day.isoformat()} for day in (early, region.document.effective_from)]
    wrong, got = _disagreements(cases, policies)
    assert not wrong and got.engine_rows == 0
    assert got.assistance_fen[0::2].tolist() == [0] * len(policies.regions)
    assert (got.category[0::2] == -1).all() and (got.assistance_fen[1::2] > 0).all()


ONE_OF_EACH = st.fixed_dictionaries({
    "region": st.sampled_from(["ankang", "guangxi", "qianjiang", "urumqi", "xizang"]),
    "identities": st.lists(st.sampled_from(sorted(IDENTITY_WEIGHTS)), max_size=3, unique=True),
    "care": st.sampled_from(CARES),
    "self_pay": st.integers(0, 100_000_000).map(_yuan),
    "year_to_date": st.fixed_dictionaries({"self_pay": st.integers(0, 10_000_000).map(_yuan),
                                           "aid": st.integers(0, 10_000_000).map(_yuan),
                                           "tilt_aid": st.integers(0, 6_000_000).map(_yuan)}),
    "date": st.dates(dt.date(2021, 1, 1), dt.date(2028, 12, 31)).map(dt.date.isoformat),
    "facts": st.fixed_dictionaries({}, optional={
        "family_income": st.one_of(st.integers(0, 500_000), st.integers(0, 50_000_000).map(_yuan)), "where": st.sampled_from(
            ["local", "in_province", "out_of_province"]), "referred": st.booleans(),
        "disability_grade": st.integers(1, 4), "hospital_level": st.integers(1, 3),
        "special_disease": st.booleans()}),
})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ONE_OF_EACH, min_size=1, max_size=30))
def test_any_small_table_agrees(cases):
    policies = engine.load_policies()
    wrong, got = _disagreements(cases, policies)
    assert not wrong, wrong[:3]
    assert got.engine_rows == 0


# ---------------------------------------------------------------------------------------- dated rules


@pytest.fixture
def dated_policies(tmp_path):
    """广西 低保 inpatient's rate by date (90%, then 80% from 2025), and a second 广西 document from
    2027 (rate 70%): the care date picks the rules, row by row."""
    path = tmp_path / "policies"
    shutil.copytree(policy_dir(), path, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    data = yaml.safe_load((path / "guangxi.yaml").read_text(encoding="utf-8"))
    cite, quote = data["tiers"][2]["claims"][0]["cite"], "按90%的比例给予救助"
    data["tiers"][2]["claims"][0]["rate"] = {dt.date(2022, 3, 1): {"value": 0.9, "cite": cite, "quote": quote},
                                             dt.date(2025, 1, 1): {"value": 0.8, "cite": cite, "quote": quote}}
    data["document"]["effective_until"] = dt.date(2026, 12, 31)
    (path / "guangxi.yaml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    data["document"] = {**data["document"], "doc_no": "桂测〔2027〕1号", "effective_from": dt.date(2027, 1, 1),
                        "effective_until": None}
    data["tiers"][2]["claims"][0]["rate"] = 0.7
    (path / "guangxi.2027.yaml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False),
                                            encoding="utf-8")
    return load(path)


def test_dated_values_and_a_second_document(dated_policies):
    days = ["2022-02-28", "2022-03-01", "2024-12-31", "2025-01-01", "2026-12-31", "2027-01-01", "2028-06-30"]
    cases = [{"region": "guangxi", "identities": ["dibao"], "care": "inpatient", "self_pay": 20000, "date": d}
             for d in days]
    cases += make_population(3000, seed=9)
    wrong, got = _disagreements(cases, dated_policies)
    assert not wrong and got.engine_rows == 0
    rates = [int(a) for a in got.assistance_fen[1:6]]
    assert got.assistance_fen[0] == 0 and rates[0] == rates[1] > rates[2] == rates[3] > rates[4]


def _half_fen_deductible(tmp_path) -> tuple:
    """The shipped policies with one 广西 identity's inpatient deductible half a fen higher: (the
    policies, that identity's code)."""
    path = tmp_path / "policies"
    shutil.copytree(policy_dir(), path, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    data = yaml.safe_load((path / "guangxi.yaml").read_text(encoding="utf-8"))
    tier, claim = next((t, c) for t in data["tiers"] for c in t["claims"] if set(t["when"]) == {"identity"}
                       and "inpatient" in c["care"] and isinstance(c.get("deductible"), (int, float)) and c["deductible"])
    claim["deductible"] = float(Decimal(str(claim["deductible"])) + Decimal("0.005"))
    (path / "guangxi.yaml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return load(path), tier["when"]["identity"]


def test_a_figure_not_in_whole_fen_is_left_to_the_engine(tmp_path):
    """A deductible of half a fen: the integer arithmetic would not be exact, so exactly those rows
    are priced by engine.estimate one by one (and still agree); the rest stay vectorised."""
    policies, code = _half_fen_deductible(tmp_path)
    odd = [{"region": "guangxi", "identities": [code], "care": "inpatient", "self_pay": 5000 + i,
            "date": "2024-06-01"} for i in range(20)]
    plain = [{"region": "guangxi", "identities": ["dibao"], "care": "inpatient", "self_pay": 5000 + i,
              "date": "2024-06-01"} for i in range(20)]
    wrong, got = _disagreements(odd + plain, policies)
    assert not wrong and got.engine_rows == len(odd)



@pytest.mark.parametrize("chunk", [1, 7, 1000])
def test_any_chunk_size_gives_the_same_table(chunk, tmp_path):
    """Rows priced a chunk at a time (estimate_table's `chunk`): the same amounts, categories and
    settlements as the whole table at once — with rows before their document, rows the engine
    prices (a deductible of half a fen) and a category first met in a later chunk."""
    policies, code = _half_fen_deductible(tmp_path)
    odd = [{"region": "guangxi", "identities": [code], "care": "inpatient", "self_pay": 5000 + i,
            "date": "2024-06-01"} for i in range(9)]
    cases = make_population(2_000, seed=21, people=150) + odd + [{**odd[0], "date": "2019-01-01"}]
    cols = table.table_from_cases(cases)
    whole = table.estimate_table(cols, policies)
    parts = table.estimate_table(cols, policies, chunk=chunk)
    assert parts.engine_rows == whole.engine_rows >= len(odd)  # the population has such people too
    assert [parts.category_of(i) for i in range(len(cases))] == [whole.category_of(i) for i in range(len(cases))]
    assert parts.assistance_fen.tolist() == whole.assistance_fen.tolist()
    assert parts.settlement.tolist() == whole.settlement.tolist()
    wrong, _ = _disagreements(cases, policies)
    assert not wrong


# ---------------------------------------------------------------------------------------- bad rows


def _good(n: int = 40) -> dict:
    """n rows of the same kind of person (one group: a bad value is never its first row)."""
    return table.table_from_cases([{"region": "guangxi", "identities": ["severe_disability"], "care": "inpatient",
                                    "self_pay": 1000 + i, "date": "2024-06-01", "facts": {"disability_grade": 1}}
                                   for i in range(n)])


@pytest.mark.parametrize("column, value, field", [
    ("self_pay", -1, "self_pay"), ("ytd_aid", 10 ** 11, "ytd_aid"), ("region", "guangdong", "region"),
    ("care", "dental", "care"), ("identities", 1 << 40, "identities"), ("date", np.datetime64("NaT"), "date"),
    ("date", np.datetime64("1980-01-01"), "date"),
])
def test_a_bad_value_in_any_row_is_refused_with_its_row(column, value, field):
    cols = _good()
    if cols[column].dtype.kind == "U":
        cols[column] = cols[column].astype(object)
    before = {k: v.copy() for k, v in cols.items() if k != "facts"}
    cols[column][17] = value
    before[column][17] = value
    with pytest.raises(table.TableError) as caught:
        table.estimate_table(cols)
    assert caught.value.rows.tolist() == [17]
    assert field in str(caught.value) and "17" in str(caught.value)
    assert all(np.array_equal(cols[k], v, equal_nan=v.dtype.kind in "fM") for k, v in before.items())  # unchanged


@pytest.mark.parametrize("values", [
    [1.0] * 17 + [9.0] + [1.0] * 22,  # a grade out of its range
    [1.0] * 17 + [1.5] + [1.0] * 22,  # not a whole number
    np.array([1] * 17 + ["一级"] + [1] * 22, dtype=object),  # words among numbers
])
def test_a_bad_fact_in_a_later_row_of_a_group_is_refused(values):
    cols = _good()
    cols["facts"]["disability_grade"] = np.array(values, dtype=object if isinstance(values, np.ndarray) else float)
    with pytest.raises(table.TableError) as caught:
        table.estimate_table(cols)
    assert caught.value.rows.tolist() == [17] and "disability_grade" in str(caught.value)


def test_bad_columns_are_refused():
    cols = _good()
    for broken, text in [({**cols, "self_pay": cols["self_pay"].astype(float)}, "self_pay"),
                         ({**cols, "care": cols["care"][:5]}, "care"),
                         ({**cols, "facts": {"shoe_size": np.zeros(40)}}, "shoe_size"),
                         ({k: v for k, v in cols.items() if k != "region"}, "region")]:
        with pytest.raises(table.TableError, match=text):
            table.estimate_table(broken)


def test_the_error_names_every_bad_row():
    cols = _good(100)
    cols["self_pay"][[3, 50, 99]] = -5
    cols["region"] = cols["region"].astype(object)
    cols["region"][50] = "nowhere"
    with pytest.raises(table.TableError) as caught:
        table.estimate_table(cols)
    assert caught.value.rows.tolist() == [3, 50, 99]
    assert "3, 50, 99" in str(caught.value) and "不能是负数" in str(caught.value)


def test_amounts_must_be_whole_fen():
    with pytest.raises(ValueError):
        table.table_from_cases([{"region": "guangxi", "identities": [], "care": "inpatient", "self_pay": "1.005"}])


def test_columns_are_numpy():
    cols = table.table_from_cases(make_population(50, seed=3))
    assert cols["self_pay"].dtype == np.int64 and cols["date"].dtype == np.dtype("datetime64[D]")


def test_the_callers_columns_are_left_as_they_were():
    """The checked columns are the caller's own arrays where their type is already right (no copy):
    nothing may write into them."""
    cols = table.table_from_cases(make_population(3_000, seed=5, people=300))
    before = {name: values.copy() for name, values in cols.items() if name != "facts"}
    facts_before = {name: values.copy() for name, values in cols["facts"].items()}
    table.estimate_table(cols)
    for name, values in before.items():
        assert np.array_equal(cols[name], values), name
    for name, values in facts_before.items():
        assert np.array_equal(cols["facts"][name], values, equal_nan=values.dtype.kind == "f"), name
    assert "coded" not in cols and set(cols["facts"]) == set(facts_before)
