"""engine.plain: amounts-only answers of a plain claim, filled into the template the general way
left, must be the general way's answers exactly — every field, its order, the fields set — for
the same people with other bills, at the deductible and the annual limit and one fen either side.
"""
from __future__ import annotations

import datetime as dt
import random
import shutil
from decimal import Decimal

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import engine
from engine import plain
from engine.answer import Profile
from engine.calc import estimate_case
from engine.case import parse_case
from engine.conditions import CARE_TYPES, IDENTITIES
from engine.context import Run
from engine.policy import REGIONS, load, policy_dir

POLICIES = engine.load_policies()
FEN = Decimal("0.01")


def forget() -> None:
    for region in POLICIES.regions.values():
        region.clear_memo()


def whole(est) -> tuple:
    return est.model_dump(), list(est.__dict__), est.__pydantic_fields_set__


def general(case: dict, monkeypatch) -> tuple:
    """The answer with the plain path switched off and nothing remembered."""
    forget()
    with monkeypatch.context() as m:
        m.setattr(plain, "answer", lambda run, found: None)
        return whole(estimate_case(parse_case(case), POLICIES, explain=False))


class Counting:
    """plain.answer, counting the answers it gave."""

    def __init__(self):
        self.given = 0
        self.real = plain.answer

    def __call__(self, run, found):
        out = self.real(run, found)
        self.given += out is not None
        return out


def through_plain(cases: list[dict], monkeypatch) -> tuple[list, int]:
    """Each case estimated after the first bill of its kind of person taught the template."""
    forget()
    counting = Counting()
    monkeypatch.setattr(plain, "answer", counting)
    out = []
    given = 0
    for case in cases:
        estimate_case(parse_case({**case, "self_pay": 100000}), POLICIES, explain=False)  # a paying bill first
        before = counting.given
        out.append(whole(estimate_case(parse_case(case), POLICIES, explain=False)))
        given += counting.given - before
    monkeypatch.undo()
    return out, given


def people(n: int, seed: int) -> list[dict]:
    rnd = random.Random(seed)
    out = []
    for _ in range(n):
        case = {"region": rnd.choice(REGIONS), "identities": rnd.sample(IDENTITIES, rnd.choice([0, 1, 1, 1, 2])),
                "care": rnd.choice(CARE_TYPES), "self_pay": round(rnd.lognormvariate(8.6, 1.3), 2),
                "date": f"{rnd.randrange(2022, 2029)}-{rnd.randrange(1, 13):02d}-{rnd.randrange(1, 29):02d}"}
        if rnd.random() < 0.4:
            case["year_to_date"] = {"self_pay": round(rnd.uniform(0, 20000), 2), "aid": round(rnd.uniform(0, 60000), 2)}
        if rnd.random() < 0.3:
            case["facts"] = {"age": rnd.randrange(0, 100), "where": rnd.choice(["local", "out_of_province"])}
        out.append(case)
    return out


def test_mixed_people_get_the_general_answer(monkeypatch):
    cases = people(600, seed=7)
    got, given_count = through_plain(cases, monkeypatch)
    want = [general(case, monkeypatch) for case in cases]
    assert got == want
    assert given_count > 60  # the plain path really answered a good share of them (about 1 in 8)


def profile_of(case: dict):
    checked = parse_case(case)
    region = POLICIES.region_on(checked.region, checked.date)
    run = Run(checked, region, POLICIES.common)
    return region.memo(run.who, lambda: Profile(run))


def paying(case: dict) -> bool:
    """A big bill pays (so the care date is in the document's time, and the rule pays)."""
    return engine.estimate({**case, "self_pay": 100000}, policies=POLICIES).status == "paid"


def plain_people() -> list[dict]:
    """People whose bills the plain path prices, one per region and care type."""
    found: dict = {}
    for case in people(400, seed=11):
        case = {**case, "year_to_date": {}}
        if profile_of(case).plain is not None and paying(case):
            found.setdefault((case["region"], case["care"]), case)
    return list(found.values())


def edges(case: dict) -> list[dict]:
    """Bills at the deductible, at the annual limit, and one fen either side, with earlier aid."""
    part = engine.estimate({**case, "self_pay": 100000}, policies=POLICIES).parts[0]  # the rule's own figures
    limit = [(part.deductible + part.cap / part.rate).quantize(FEN)] if part.cap else []
    out = []
    for ytd_aid in (Decimal(0), FEN):
        for point in [part.deductible] + limit:
            for step in (-FEN, 0, FEN):
                value = max(Decimal(0), point + step)
                out.append({**case, "self_pay": str(value), "year_to_date": {"aid": str(ytd_aid)}})
    return out


def test_some_people_are_plain():
    assert len(plain_people()) >= 6  # several regions and care types have such people


@pytest.mark.parametrize("index", range(5))
def test_at_the_deductible_and_the_limit_and_a_fen_either_side(index, monkeypatch):
    case = plain_people()[index]
    cases = edges(case)
    got, given_count = through_plain(cases, monkeypatch)
    assert got == [general(c, monkeypatch) for c in cases]
    assert given_count == len(cases)
    statuses = {answer[0]["status"] for answer in got}
    assert "paid" in statuses


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.function_scoped_fixture])
@given(case=st.sampled_from(people(200, seed=3)),
       self_pay=st.decimals(min_value=0, max_value=1_500_000, places=2, allow_nan=False, allow_infinity=False),
       aid=st.decimals(min_value=0, max_value=80_000, places=2, allow_nan=False, allow_infinity=False))
def test_any_bill_of_anyone(monkeypatch, case, self_pay, aid):
    case = {**case, "self_pay": str(self_pay), "year_to_date": {"aid": str(aid)}}
    got, _ = through_plain([case], monkeypatch)
    assert got == [general(case, monkeypatch)]


def test_one_template_a_year_and_period_over_many_care_dates(monkeypatch):
    """Day after day of care (more than a year of dates, across the end of the transition period
    and two new years): each kind of bill learns once, every answer is the general way's."""
    start = dt.date(2025, 6, 1)
    days = [str(start + dt.timedelta(days=k)) for k in range(0, 800, 2)]
    cases = [{"region": "guangxi", "identities": ["dibao"], "care": "inpatient", "self_pay": "30000.55",
              "date": day} for day in days]
    assert profile_of(cases[0]).plain is not None
    forget()
    counting = Counting()
    monkeypatch.setattr(plain, "answer", counting)
    got = [whole(estimate_case(parse_case(case), POLICIES, explain=False)) for case in cases]
    monkeypatch.undo()
    assert counting.given == len(cases) - 3  # 2025 in the transition period, 2026 and 2027 after it
    assert got == [general(case, monkeypatch) for case in cases]


def test_a_document_that_expires_mid_year_keeps_its_own_templates(tmp_path, monkeypatch):
    """Care after the document's end may be answered with more (calc notes it): the dates after it
    never take the template of the dates before it, in the same year."""
    path = tmp_path / "policies"
    shutil.copytree(policy_dir(), path, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    data = yaml.safe_load((path / "guangxi.yaml").read_text(encoding="utf-8"))
    data["document"]["effective_until"] = "2024-06-30"
    (path / "guangxi.yaml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    policies = load(path)
    cases = [{"region": "guangxi", "identities": ["dibao"], "care": "inpatient", "self_pay": "30000.55",
              "date": f"2024-{month:02d}-15"} for month in range(1, 13)]
    counting = Counting()
    monkeypatch.setattr(plain, "answer", counting)
    got = [estimate_case(parse_case(case), policies, explain=False) for case in cases]
    monkeypatch.undo()
    assert counting.given == len(cases) - 2  # one template before the end, one after
    for region in policies.regions.values():
        region.clear_memo()
    monkeypatch.setattr(plain, "answer", lambda run, found: None)
    assert [whole(est) for est in got] == [whole(estimate_case(parse_case(case), policies, explain=False))
                                           for case in cases]
