"""Dated rule values (issue 12 item 3, as OpenFisca's parameters) and a second document of a region.

A rule value may carry several values by date; the care date picks one; the loader refuses gaps
and overlaps with the file, the path and the problem. A region's later document is one more file
`<code>.<name>.yaml`; the loader picks the document in force on the care date.
Each test works on a copy of policies/ in a temporary folder; the shipped files stay as they are.
"""
from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal

import pytest
import yaml

import engine
from engine.policy import PolicyError, load, policy_dir

CITE = "桂政办发〔2022〕5号 二（五）1（3）、二（五）3"
QUOTE = "按90%的比例给予救助"
OTHER = {"region": "guangxi", "identities": ["dibao"], "care": "inpatient", "self_pay": 20000}


@pytest.fixture
def folder(tmp_path):
    path = tmp_path / "policies"
    shutil.copytree(policy_dir(), path, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    return path


def _read(folder, name):
    return yaml.safe_load((folder / f"{name}.yaml").read_text(encoding="utf-8"))


def _write(folder, name, data):
    (folder / f"{name}.yaml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _dated_rate(folder, entries):
    """广西 低保 (2_other) inpatient rate written as dated values."""
    data = _read(folder, "guangxi")
    data["tiers"][2]["claims"][0]["rate"] = {day: {"value": value, "cite": CITE, "quote": QUOTE, **extra}
                                             for day, value, extra in entries}
    _write(folder, "guangxi", data)


def _assistance(policies, day):
    return engine.estimate({**OTHER, "date": day}, policies=policies).assistance


def test_a_dated_rate_is_picked_by_the_care_date(folder):
    _dated_rate(folder, [(dt.date(2022, 3, 1), 0.9, {}), (dt.date(2025, 1, 1), 0.8, {})])
    policies = load(folder)
    # the day before the change and the day of it (20,000 within the 30,000 limit, no deductible)
    assert _assistance(policies, "2024-12-31") == Decimal("18000.00")
    assert _assistance(policies, "2025-01-01") == Decimal("16000.00")
    assert _assistance(policies, "2026-06-01") == Decimal("16000.00")
    est = engine.estimate({**OTHER, "date": "2025-01-01"}, policies=policies)
    assert any("80%" in line for line in est.trace)


def test_the_plain_value_still_loads_and_is_the_same(folder):
    policies = load(folder)
    assert "guangxi" not in policies.periods  # one set of rules: no periods
    assert _assistance(policies, "2025-01-01") == Decimal("18000.00")


def test_a_value_with_until_followed_on_by_the_next(folder):
    _dated_rate(folder, [(dt.date(2022, 3, 1), 0.9, {"until": dt.date(2024, 12, 31)}),
                         (dt.date(2025, 1, 1), 0.8, {})])
    policies = load(folder)
    assert _assistance(policies, "2024-12-31") == Decimal("18000.00")
    assert _assistance(policies, "2025-01-01") == Decimal("16000.00")


def test_gap_between_values_is_refused(folder):
    _dated_rate(folder, [(dt.date(2022, 3, 1), 0.9, {"until": dt.date(2024, 12, 30)}),
                         (dt.date(2025, 1, 1), 0.8, {})])
    with pytest.raises(PolicyError) as exc:
        load(folder)
    message = str(exc.value)
    assert "guangxi.yaml" in message and "tiers[2].claims[0].rate" in message and "gap" in message


def test_overlap_is_refused(folder):
    _dated_rate(folder, [(dt.date(2022, 3, 1), 0.9, {"until": dt.date(2025, 1, 1)}),
                         (dt.date(2025, 1, 1), 0.8, {})])
    with pytest.raises(PolicyError) as exc:
        load(folder)
    message = str(exc.value)
    assert "guangxi.yaml" in message and "tiers[2].claims[0].rate" in message and "overlap" in message


def test_a_value_starting_after_the_document_is_refused(folder):
    _dated_rate(folder, [(dt.date(2022, 3, 2), 0.9, {})])
    with pytest.raises(PolicyError, match=r"guangxi\.yaml: tiers\[2\]\.claims\[0\]\.rate: gap"):
        load(folder)


def test_a_value_ending_before_an_open_document_is_refused(folder):
    _dated_rate(folder, [(dt.date(2022, 3, 1), 0.9, {"until": dt.date(2030, 1, 1)})])
    with pytest.raises(PolicyError, match="no value after 2030-01-01"):
        load(folder)


def test_a_dated_value_needs_its_cite_and_quote(folder):
    data = _read(folder, "guangxi")
    data["tiers"][2]["claims"][0]["rate"] = {dt.date(2022, 3, 1): {"value": 0.9}}
    _write(folder, "guangxi", data)
    with pytest.raises(PolicyError, match="cite and quote"):
        load(folder)


def test_a_dated_value_out_of_range_is_refused_like_a_plain_one(folder):
    _dated_rate(folder, [(dt.date(2022, 3, 1), 0.9, {}), (dt.date(2025, 1, 1), 1.8, {})])
    with pytest.raises(PolicyError, match=r"guangxi\.yaml: tiers\.2\.claims\.0\.rate|tiers\[2\]\.claims\[0\]\.rate"):
        load(folder)


def _second_document(folder, start, end_of_first):
    first = _read(folder, "guangxi")
    first["document"]["effective_until"] = end_of_first
    _write(folder, "guangxi", first)
    second = _read(folder, "guangxi")
    second["document"] = {**second["document"], "title": "新的广西医疗救助文件（测试）", "doc_no": "桂测〔2027〕1号",
                          "effective_from": start, "effective_until": None}
    second["tiers"][2]["claims"][0]["rate"] = 0.8
    _write(folder, "guangxi.2027", second)


def test_a_second_document_of_a_region_is_picked_by_date(folder):
    _second_document(folder, dt.date(2027, 1, 1), dt.date(2026, 12, 31))
    policies = load(folder)
    before = engine.estimate({**OTHER, "date": "2026-12-31"}, policies=policies)
    after = engine.estimate({**OTHER, "date": "2027-01-01"}, policies=policies)
    assert before.assistance == Decimal("18000.00") and before.policy.doc_no == "桂政办发〔2022〕5号"
    assert after.assistance == Decimal("16000.00") and after.policy.doc_no == "桂测〔2027〕1号"
    # before the first document: still "no rules recorded", not the second document
    assert engine.estimate({**OTHER, "date": "2022-02-28"}, policies=policies).status == "undecided"
    assert policies.regions["guangxi"].document.doc_no == ("桂测〔2027〕1号" if dt.date.today() >= dt.date(2027, 1, 1)
                                                           else "桂政办发〔2022〕5号")


@pytest.mark.parametrize("start, end, problem", [
    (dt.date(2027, 1, 2), dt.date(2026, 12, 31), "gap between documents"),
    (dt.date(2026, 12, 31), dt.date(2026, 12, 31), "documents overlap"),
])
def test_documents_of_a_region_must_follow_on(folder, start, end, problem):
    _second_document(folder, start, end)
    with pytest.raises(PolicyError, match=problem):
        load(folder)


def test_an_open_first_document_with_a_second_overlaps(folder):
    _second_document(folder, dt.date(2027, 1, 1), None)
    with pytest.raises(PolicyError, match="documents overlap"):
        load(folder)
