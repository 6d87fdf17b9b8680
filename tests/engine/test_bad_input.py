"""Bad input: every field of the Case contract, with the wrong type, out of range, or an unknown code.

contract.md: "Bad input (unknown region or identity, negative or non-numeric money, impossible dates,
unknown fields in strict mode) is refused with a clear message naming the field; nothing is
half-computed." Every refusal must be an engine.CaseError whose errors name the field by its
English path and carry `field_zh` and `message_zh` in Chinese.
"""
from __future__ import annotations

import json
import re
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import engine
from engine import CaseError

GOOD = {
    "region": "guangxi",
    "identities": ["dibao", "severe_disability"],
    "care": "inpatient",
    "self_pay": 50000,
    "date": "2024-06-01",
    "year_to_date": {"self_pay": 0, "aid": 0, "tilt_aid": 0},
    "facts": {"disability_grade": 2, "disability_kind": "physical"},
}
GOOD_JSON = engine.estimate(GOOD).model_dump_json()
CJK = re.compile(r"[\u4e00-\u9fff]")


def with_(path: str, value, base=GOOD) -> dict:
    """A copy of `base` with the dotted `path` set to `value` (`...` deletes it)."""
    case = json.loads(json.dumps(base))
    *parents, leaf = path.split(".")
    node = case
    for key in parents:
        node = node.setdefault(key, {})
    if value is ...:
        node.pop(leaf, None)
    else:
        node[leaf] = value
    return case


def refused(case, field: str, strict: bool = False) -> dict:
    """Assert the case is refused naming `field`; return that error. The next good case is unaffected."""
    with pytest.raises(CaseError) as info:
        engine.estimate(case, strict=strict)
    errors = info.value.errors
    assert errors, "a CaseError must list its errors"
    for err in errors:
        assert set(err) >= {"field", "field_zh", "message", "message_zh"}, err
        assert err["message"] and err["message_zh"], err
        assert CJK.search(err["message_zh"]), f"message_zh not Chinese: {err}"
    named = [e for e in errors if e["field"] == field]
    assert named, f"no error names {field!r}: {errors}"
    assert CJK.search(named[0]["field_zh"]), f"field_zh not Chinese: {named[0]}"
    as_json = info.value.as_json()
    assert as_json["errors"] == errors and as_json["field"] == errors[0]["field"]
    json.dumps(as_json, ensure_ascii=False)  # serialisable for the CLI and the API
    # nothing half-computed: the next good estimate is exactly what it was
    assert engine.estimate(GOOD).model_dump_json() == GOOD_JSON
    return named[0]


def accepted(case, strict: bool = False):
    got = engine.estimate(case, strict=strict)
    assert got.region == case.get("region", GOOD["region"])
    return got


# ------------------------------------------------------------------------------------ region

@pytest.mark.parametrize("value", ["mars", "Guangxi", "", None, 5, 1.5, True, ["guangxi"], {"a": 1}])
def test_region_unknown_or_wrong_type(value):
    err = refused(with_("region", value), "region")
    assert err["field_zh"] == "地区"


def test_region_missing():
    err = refused(with_("region", ...), "region")
    assert err["message_zh"] == "缺少这一项"


# ------------------------------------------------------------------------------------ identities

@pytest.mark.parametrize("value", ["dibao", 5, {"dibao": True}, True, 1.5])
def test_identities_not_a_list(value):
    refused(with_("identities", value), "identities")


@pytest.mark.parametrize("value,field", [
    (["dibao", "martian"], "identities.1"),
    (["DIBAO"], "identities.0"),
    ([5], "identities.0"),
    ([None], "identities.0"),
    ([["dibao"]], "identities.0"),
    (["低保"], "identities.0"),
])
def test_identities_unknown_code(value, field):
    err = refused(with_("identities", value), field)
    assert err["field_zh"] == "救助身份"


def test_identities_duplicates_are_deduplicated():
    once = engine.estimate(GOOD)
    twice = engine.estimate(with_("identities", ["dibao", "severe_disability", "dibao", "severe_disability"]))
    assert twice.model_dump_json() == once.model_dump_json()
    case = engine.parse_case(with_("identities", ["dibao", "dibao"]))
    assert case.identities == ["dibao"]


def test_identities_empty_or_null_mean_no_identity():
    for value in ([], None, ...):
        got = accepted(with_("identities", value))
        assert got.status == "not_eligible" and got.category is None and got.assistance == 0


# ------------------------------------------------------------------------------------ care

@pytest.mark.parametrize("value", ["dental", "Inpatient", "住院", "", None, 1, ["inpatient"]])
def test_care_unknown(value):
    err = refused(with_("care", value), "care")
    assert err["field_zh"] == "就医类型"


def test_care_missing():
    refused(with_("care", ...), "care")


# ------------------------------------------------------------------------------------ self_pay

@pytest.mark.parametrize("value,zh", [
    (-1, "不能是负数"),
    (-0.01, "不能是负数"),
    ("-5", "不能是负数"),
    ("abc", "必须是数字（元）"),
    ("", "必须是数字（元）"),
    ("0x10", "必须是数字（元）"),
    (None, "必须是数字（元）"),
    (True, "必须是数字（元）"),
    (False, "必须是数字（元）"),
    ([100], "必须是数字（元）"),
    ({"yuan": 100}, "必须是数字（元）"),
    (float("nan"), "必须是有效数字"),
    (float("inf"), "必须是有效数字"),
    (float("-inf"), None),
    ("NaN", "必须是有效数字"),
    ("Infinity", "必须是有效数字"),
    (1e9, "金额太大（超过1亿元），请核对"),
    ("100000000.01", "金额太大（超过1亿元），请核对"),
    (10**20, "金额太大（超过1亿元），请核对"),
])
def test_self_pay_bad(value, zh):
    err = refused(with_("self_pay", value), "self_pay")
    assert err["field_zh"] == "自付金额"
    if zh:
        assert err["message_zh"] == zh


def test_self_pay_missing():
    refused(with_("self_pay", ...), "self_pay")


@pytest.mark.parametrize("value,base", [
    ("20000", "20000.00"), ("20000.5", "20000.50"), (" 20,000 ", "20000.00"), ("2e4", "20000.00"),
    (20000.0, "20000.00"), (100000000, "100000000.00"), (0, "0.00"), ("1.005", "1.01"),
])
def test_self_pay_numbers_and_numeric_strings_are_accepted(value, base):
    got = accepted({**GOOD, "identities": ["tekun"], "self_pay": value})
    assert got.parts[0].base == Decimal(base)
    assert got.self_pay_after == Decimal(base) - got.assistance


# ------------------------------------------------------------------------------------ date

@pytest.mark.parametrize("value", [
    "2024-02-30", "2023-02-29", "2024-13-01", "2024-00-10", "yesterday", "昨天", "2024/06/01", "06/01/2024",
    "", "2024-6-1", "1800-01-01", "1989-12-31", "2101-01-01", "9999-12-31", True, [2024, 6, 1], {"y": 2024},
    1.5,
])
def test_date_impossible_or_out_of_range(value):
    err = refused(with_("date", value), "date")
    assert err["field_zh"] == "就医日期"


def test_date_leap_day_and_default():
    assert accepted(with_("date", "2024-02-29")).status == "paid"
    assert accepted(with_("date", ...)).status in ("paid", "zero", "undecided")  # default: today
    assert accepted(with_("date", None)).status in ("paid", "zero", "undecided")



def test_date_range_edges_are_accepted_and_named():
    for edge in ("1990-01-01", "2100-12-31"):
        accepted(with_("date", edge))
    err = refused(with_("date", "1989-12-31"), "date")
    assert "1990-01-01" in err["message"] and "1990-01-01" in err["message_zh"]


def test_date_number_is_not_a_date():
    refused(with_("date", 1699920000), "date")


# ------------------------------------------------------------------------------------ year_to_date

@pytest.mark.parametrize("key", ["self_pay", "aid", "tilt_aid"])
@pytest.mark.parametrize("value", [-1, "-0.01", "abc", True, None, float("nan"), "Infinity", [1], 1e9])
def test_year_to_date_bad(key, value):
    err = refused(with_(f"year_to_date.{key}", value), f"year_to_date.{key}")
    assert CJK.search(err["field_zh"])


@pytest.mark.parametrize("value", [5, "0", [0, 0], True])
def test_year_to_date_not_an_object(value):
    err = refused(with_("year_to_date", value), "year_to_date")
    assert err["field_zh"] == "本年度已发生"


def test_year_to_date_partial_is_fine():
    got = accepted(with_("year_to_date", {"aid": "45000"}))
    assert got.parts[0].cap_left == Decimal(5000)


# ------------------------------------------------------------------------------------ facts

FACT_BAD = [
    ("disability_grade", 0), ("disability_grade", 5), ("disability_grade", "two"), ("disability_grade", True),
    ("disability_grade", 2.5), ("disability_grade", -1), ("disability_grade", [2]),
    ("disability_kind", "legs"), ("disability_kind", 1), ("disability_kind", "Physical"),
    ("age", -1), ("age", 200), ("age", "old"), ("age", True), ("age", 30.5),
    ("special_disease", "yes"), ("special_disease", 1), ("special_disease", "true"),
    ("hospital_level", 0), ("hospital_level", 4), ("hospital_level", "三级"), ("hospital_level", False),
    ("stay_policy_total", -1), ("stay_policy_total", "lots"), ("stay_policy_total", float("nan")),
    ("stay_policy_total", True), ("stay_policy_total", 1e9),
    ("where", "mars"), ("where", "abroad"), ("where", 1), ("where", True),
    ("referred", "yes"), ("referred", 1), ("referred", 0),
    ("family_income", -100), ("family_income", "rich"), ("family_income", True), ("family_income", float("inf")),
    ("family_size", 0), ("family_size", -2), ("family_size", 51), ("family_size", "three"), ("family_size", True),
    ("veteran_kind", "general"), ("veteran_kind", 1), ("veteran_kind", True),
    ("insurance_tier", 0), ("insurance_tier", 3), ("insurance_tier", "一档"), ("insurance_tier", True),
    ("contribution", -1), ("contribution", "x"), ("contribution", True),
]


@pytest.mark.parametrize("fact,value", FACT_BAD, ids=[f"{f}={v!r}" for f, v in FACT_BAD])
def test_fact_out_of_range_or_wrong_type(fact, value):
    err = refused(with_(f"facts.{fact}", value), f"facts.{fact}")
    assert err["field_zh"] == engine.case.FIELD_ZH[fact]


def test_every_fact_of_the_contract_is_checked():
    checked = {f for f, _ in FACT_BAD}
    assert checked == set(engine.case.Facts.model_fields)


@pytest.mark.parametrize("value", ["x", 5, [1], True])
def test_facts_not_an_object(value):
    refused(with_("facts", value), "facts")


@pytest.mark.parametrize("fact,value", [
    ("disability_grade", "2"), ("disability_grade", 2.0), ("age", 61), ("special_disease", False),
    ("hospital_level", 3), ("stay_policy_total", "30000.01"), ("where", "in_province"), ("referred", True),
    ("family_income", 0), ("family_size", 4), ("veteran_kind", "demobilized"), ("insurance_tier", 2),
    ("contribution", "380"), ("family_income", None),
])
def test_good_fact_values_are_accepted(fact, value):
    accepted(with_(f"facts.{fact}", value))


# ------------------------------------------------------------------------------------ unknown fields


@pytest.mark.parametrize("path", ["colour", "facts.favourite_food", "year_to_date.last_year"])
def test_unknown_fields_accepted_normally_refused_in_strict_mode(path):
    case = with_(path, "x")
    assert engine.estimate(case).model_dump_json() == GOOD_JSON
    with pytest.raises(CaseError) as info:
        engine.estimate(case, strict=True)
    errors = info.value.errors
    assert [e["field"] for e in errors] == [path]
    assert errors[0]["message_zh"] == "不认识的字段"
    assert engine.estimate(GOOD, strict=True).model_dump_json() == GOOD_JSON


def test_strict_lists_every_unknown_field():
    case = {**with_("facts.x", 1), "y": 2, "year_to_date": {"z": 3}}
    with pytest.raises(CaseError) as info:
        engine.estimate(case, strict=True)
    assert {e["field"] for e in info.value.errors} == {"y", "year_to_date.z", "facts.x"}



def test_unknown_field_error_names_it_in_chinese():
    with pytest.raises(CaseError) as info:
        engine.estimate(with_("colour", "x"), strict=True)
    assert CJK.search(info.value.errors[0]["field_zh"])


# ------------------------------------------------------------------------------------ whole case


@pytest.mark.parametrize("value", [None, [], [GOOD], "guangxi", 5, True, json.dumps(GOOD)])
def test_a_case_must_be_an_object(value):
    with pytest.raises(CaseError) as info:
        engine.estimate(value)
    err = info.value.errors[0]
    assert err["field"] == "(case)" and CJK.search(err["field_zh"]) and CJK.search(err["message_zh"])


def test_every_bad_field_is_named_at_once():
    case = {"region": "x", "identities": ["q"], "care": "y", "self_pay": -1, "date": "z",
            "facts": {"age": -1}, "year_to_date": {"aid": "no"}}
    with pytest.raises(CaseError) as info:
        engine.estimate(case)
    fields = {e["field"] for e in info.value.errors}
    assert fields == {"region", "identities.0", "care", "self_pay", "date", "facts.age", "year_to_date.aid"}
    assert "self_pay" in str(info.value) and "region" in str(info.value)


def test_empty_case_names_the_required_fields():
    with pytest.raises(CaseError) as info:
        engine.estimate({})
    assert {e["field"] for e in info.value.errors} == {"region", "care", "self_pay"}
    assert all(e["message_zh"] == "缺少这一项" for e in info.value.errors)


def test_estimate_many_goes_on_after_a_bad_case():
    out = list(engine.estimate_many([GOOD, with_("self_pay", "abc"), [], GOOD]))
    assert isinstance(out[1], CaseError) and isinstance(out[2], CaseError)
    assert out[0].model_dump_json() == out[3].model_dump_json() == GOOD_JSON


def test_case_error_is_a_value_error_with_a_readable_message():
    with pytest.raises(ValueError, match="self_pay"):
        engine.estimate(with_("self_pay", -3))


# ------------------------------------------------------------------------------------ fuzz

junk = st.one_of(
    st.none(), st.booleans(), st.integers(-10**12, 10**12), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12), st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.sampled_from(["2024-06-01", "inpatient", "dibao", "local", "1e400", "-1e-400", "1" * 40, "٣", "１２"]),
)
PATHS = ["region", "identities", "care", "self_pay", "date", "year_to_date", "year_to_date.self_pay",
         "year_to_date.aid", "year_to_date.tilt_aid", "facts"] + [f"facts.{f}" for f in engine.case.Facts.model_fields]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(PATHS), junk, st.booleans())
def test_any_junk_is_either_refused_cleanly_or_estimated(path, value, strict):
    case = with_(path, value)
    try:
        got = engine.estimate(case, strict=strict)
    except CaseError as exc:
        assert exc.errors and all(CJK.search(e["message_zh"]) for e in exc.errors)
        assert any(e["field"] == path or e["field"].startswith(path + ".") or path.startswith(e["field"])
                   for e in exc.errors), (path, value, exc.errors)
    else:
        json.loads(got.model_dump_json())
        assert 0 <= got.assistance <= got.assistance + got.self_pay_after
    assert engine.estimate(GOOD).model_dump_json() == GOOD_JSON



def test_negative_zero_comes_out_as_zero():
    for value in ("-0", "-0.00", -0.0):
        got = engine.estimate({**GOOD, "identities": [], "self_pay": value})
        assert '"self_pay_after":-0' not in got.model_dump_json()
