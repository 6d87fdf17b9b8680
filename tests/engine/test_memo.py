"""The engine decides the amount-free part of an answer once per kind of person and reuses it
(engine.calc._Profile). A number the rules only compare with thresholds is keyed by which side of
each threshold it is on; these cases sit exactly on, and one step either side of, those thresholds,
one after another with the memo kept, and must give the answers computed from nothing."""
from __future__ import annotations

import pytest

import engine

POLICIES = engine.load_policies()


def forget() -> None:
    for region in POLICIES.regions.values():
        region.clear_memo()


def answer(case: dict) -> str:
    return engine.estimate(case, policies=POLICIES).model_dump_json()


QIANJIANG_STAY = {"region": "qianjiang", "identities": ["dibao"], "care": "inpatient", "self_pay": 12000,
                  "date": "2024-05-01", "facts": {"special_disease": False, "hospital_level": 2}}
GUANGXI_EDGE = {"region": "guangxi", "identities": ["dibao_edge"], "care": "inpatient", "self_pay": 8000,
                "date": "2024-05-01"}

SERIES = [
    [{**QIANJIANG_STAY, "facts": {**QIANJIANG_STAY["facts"], "stay_policy_total": v}}
     for v in ("29999.99", "30000", "30000.01", "45000", "30000")],
    [{**QIANJIANG_STAY, "facts": {"special_disease": False, "hospital_level": level, "stay_policy_total": 40000}}
     for level in (1, 2, 3, 1)],
    [{**GUANGXI_EDGE, "facts": {"age": age}} for age in (17, 18, 59, 60, 61, 17)],
]


@pytest.mark.parametrize("series", SERIES, ids=["qianjiang-stay-total", "qianjiang-level", "guangxi-age"])
def test_answers_on_each_side_of_a_threshold_match_fresh_ones(series):
    forget()
    in_a_row = [answer(case) for case in series]
    fresh = []
    for case in series:
        forget()
        fresh.append(answer(case))
    assert in_a_row == fresh
    assert len(set(fresh)) > 1  # the series really crosses a threshold that changes the answer
