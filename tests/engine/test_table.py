"""The population path agrees with engine.estimate case by case.

Issue 17: "`engine.estimate_table` (or similar) over a column table of N cases, amounts, category
and settlement only, that agrees with `estimate` case by case". 24,000 seeded random cases over all
five regions and care types (kinds of person met many times, as in a county's roster, so most rows
take the vectorised path), with bills one fen either side of each deductible and annual limit.
"""
from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import numpy as np
import pytest

import engine
from engine import table
from engine.money import HUNDRED

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
    """Bills at the region's deductibles and (for a fresh year at 100%) its limits, in fen."""
    out = []
    for tier in policies.regions[person["region"]].tiers:
        for claim in tier.claims:
            if claim.deductible.__class__ is Decimal:
                out.append(int(claim.deductible * HUNDRED))
            if claim.cap.__class__ is Decimal and claim.rate:
                out.append(int(claim.deductible * HUNDRED) + int(claim.cap * HUNDRED / claim.rate)
                           if claim.deductible.__class__ is Decimal else int(claim.cap * HUNDRED / claim.rate))
    return out


def make_population(count: int, seed: int, people: int = 400) -> list[dict]:
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


def test_agrees_with_the_engine_case_by_case():
    policies = engine.load_policies()
    cases = make_population(24_000, seed=17)
    got = table.estimate_table(table.table_from_cases(cases), policies)
    wrong = []
    for i, want in enumerate(_engine_answers(cases, policies)):
        mine = (int(got.assistance_fen[i]), got.category_of(i), table.SETTLEMENTS[got.settlement[i]])
        if mine != want:
            wrong.append((cases[i], mine, want))
    assert not wrong, f"{len(wrong)} of {len(cases)} disagree, e.g. {wrong[:3]}"
    vectorised = len(cases) - got.engine_rows
    assert vectorised > len(cases) // 2, f"only {vectorised} rows vectorised"  # the test exercises the fast path
    regions = {c["region"] for i, c in enumerate(cases)}
    assert regions == set(policies.regions)


def test_one_fen_either_side_of_a_deductible():
    """广西 低保边缘 (a deductible): a bill one fen under it gets nothing, one fen over gets the
    rate of one fen rounded half-up — the same as the engine, in the same rows."""
    policies = engine.load_policies()
    person = {"region": "guangxi", "identities": ["dibao_edge"], "care": "inpatient", "date": "2024-06-01"}
    ded = next(int(c.deductible * HUNDRED) for t in policies.regions["guangxi"].tiers
               for c in t.claims if "inpatient" in c.care and c.deductible.__class__ is Decimal and c.deductible > 0)
    bills = [ded - 1, ded, ded + 1, ded + 100] * table.SMALL_GROUP
    cases = [{**person, "self_pay": _yuan(b)} for b in bills]
    got = table.estimate_table(table.table_from_cases(cases), policies)
    assert got.engine_rows == 0
    want = [a for a, _, _ in _engine_answers(cases, policies)]
    assert got.assistance_fen.tolist() == want
    assert want[0] == want[1] == 0 and want[2] > 0


def test_rows_the_rules_make_special_go_to_the_engine():
    """西藏 inpatient (two tiers) and a date before the document are answered by the engine itself."""
    policies = engine.load_policies()
    early = policies.regions["guangxi"].document.effective_from - dt.timedelta(days=1)
    cases = [{"region": "xizang", "identities": ["dibao"], "care": "inpatient", "self_pay": 300000 + i,
              "date": "2024-06-01"} for i in range(table.SMALL_GROUP)]
    cases += [{"region": "guangxi", "identities": ["dibao"], "care": "inpatient", "self_pay": 1000 + i,
               "date": early.isoformat()} for i in range(table.SMALL_GROUP)]
    got = table.estimate_table(table.table_from_cases(cases), policies)
    assert got.engine_rows == len(cases)
    assert got.assistance_fen.tolist() == [a for a, _, _ in _engine_answers(cases, policies)]


def test_amounts_must_be_whole_fen():
    with pytest.raises(ValueError):
        table.table_from_cases([{"region": "guangxi", "identities": [], "care": "inpatient", "self_pay": "1.005"}])


def test_columns_are_numpy():
    cols = table.table_from_cases(make_population(50, seed=3))
    assert cols["self_pay"].dtype == np.int64 and cols["date"].dtype == np.dtype("datetime64[D]")
