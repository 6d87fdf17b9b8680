"""One source for every number: a policy figure in a FAQ text is a placeholder rendered from the
rules (faq/figures.py), so changing a rule in policies/ changes the answer that states it."""
from __future__ import annotations

import functools
import re
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from hypothesis import given, strategies as st

from engine import policy
from engine.figures import FORMATS, FigureError
from faq.figures import LIST_FIELDS, PATTERNS, TEXT_FIELDS, render_text
from faq.kb import DATA_DIR, KBError, load_entries, load_file

ROOT = Path(__file__).resolve().parents[2]
# Files whose figures are all placeholders: every FAQ file (synonyms.yaml holds no answers).
CONVERTED = ("common.yaml", "xizang.yaml", "ankang.yaml", "guangxi.yaml", "urumqi.yaml", "qianjiang.yaml")
NUMBER = r"(?:\d[\d,]*(?:\.\d+)?|[一二三四五六七八九十百千两]+)"
FIGURE = re.compile(NUMBER + r"\s*(?:万元|万|元|%|％|级|倍|个百分点|个月)")
# Literal figures that are not policy figures, each with why.
ALLOWED = [
    (re.compile(r"自付" + NUMBER + r"万?元"), "the self-pay of a worked example: the case, an input"),
    (re.compile(r"（\d[\d,]*−"), "the self-pay opening a worked sum: the case, an input"),
    (re.compile(r"[一二三四]级(?:、[一二三四]级)*(?:的?[\u4e00-\u9fff、]*残疾)?"), "disability grade names (a category)"),
    (re.compile(r"起付线降低50%、报销比例提高10%"), "大病保险 tilt: policies/ hold it as text (critical_illness_tilt.text), not a figure field"),
    (re.compile(r"\d-\d级"), "disability or war-disability grade ranges such as 1-6级伤残军人 (a category)"),
    (re.compile(r"两级财政"), "市、区（县）两级财政: two levels of government, not a figure"),
    (re.compile(r"第一元"), "从第一元自付费用: 'from the very first yuan', not an amount"),
    (re.compile(r"一个月"), "per month (低保标准一个月多少钱): a unit of time, not a figure"),
]
# Literal figures left in a text on purpose, each pinned to its entry with why (a new one fails).
PINNED = {
    ("qj-large-stay", "4万元"): "the worked example's stay total (政策范围内花了4万元): the case, an input",
    ("qj-tilt-how", "1万元"): "the worked example's self-pay (自己还要付1万元): the case, an input",
}
# Figures in variants and tags are the askers' words (how people type a question), not answers:
# they stay literal, pinned here so that a new one is looked at (make it a placeholder or pin it).
ASKERS_FIGURES = {
    "cm-illness-poverty-what": ['十万'], "xz-dibao-inpatient": ['95%'], "xz-cat4-inpatient": ['90%'],
    "xz-annual-limit": ['15万', '30万'], "xz-major-threshold": ['5%'], "xz-major-example": ['10万', '10万', '十万'],
    "xz-outpatient-general": ['500元', '500元'], "xz-cat5-condition": ['40%'], "xz-cat5-rate": ['24个月', '70%'],
    "xz-yishiyiyi": ['十万'], "xz-subsidy-fixed": ['10%'], "ak-cat3": ['1.5倍'],
    "ak-dibao-standard": ['1.5倍', '1.5倍'], "ak-tekun-inpatient": ['100%'], "ak-dibao-inpatient": ['70%'],
    "ak-cat2-other-inpatient": ['2000元', '60%'], "ak-cat3-inpatient": ['50%', '5000元'],
    "ak-annual-limit": ['3万', '4万', '5万'], "ak-limit-100k": ['10万', '10万', '5万', '5万', '十万'],
    "ak-example-dibao": ['一万', '一万', '一万'], "ak-example-edge": ['一万', '一万', '一万'], "wq-cat4-who": ['十万'],
    "wq-shared-limit": ['5万'], "wq-tilt": ['5万'], "qj-large-stay": ['三万', '四万'],
    "qj-small-stay": ['一万', '三万'], "qj-separate-limits": ['三万', '六万', '十万'], "qj-tilt-how": ['三千元'],
}


def _raw(name: str) -> list[dict]:
    return yaml.safe_load((DATA_DIR / name).read_text(encoding="utf-8"))


def literal_figures(text: str) -> list[str]:
    """Figures left in a text once placeholders and allowed literals are taken out."""
    for pattern in PATTERNS:
        text = pattern.sub("", text)
    for pattern, _why in ALLOWED:
        text = pattern.sub("", text)
    return FIGURE.findall(text)


@pytest.mark.parametrize("name", CONVERTED)
def test_no_literal_policy_figure(name):
    found = {(item["id"], fig) for item in _raw(name) for key in TEXT_FIELDS
             if isinstance(item.get(key), str) for fig in literal_figures(item[key])}
    assert found - set(PINNED) == set(), f"policy figures written literally (make them placeholders): {found - set(PINNED)}"


def test_every_pinned_literal_is_still_there():
    found = {(item["id"], fig) for name in CONVERTED for item in _raw(name) for key in TEXT_FIELDS
             if isinstance(item.get(key), str) for fig in literal_figures(item[key])}
    assert set(PINNED) <= found, f"pinned literals no longer in the texts (drop the pin): {set(PINNED) - found}"


def test_askers_figures_are_the_pinned_ones():
    found = {}
    for name in CONVERTED:
        for item in _raw(name):
            figs = sorted(f for key in LIST_FIELDS for v in item.get(key) or [] for f in literal_figures(v))
            if figs:
                found[item["id"]] = figs
    assert found == ASKERS_FIGURES, "a figure in variants/tags changed: make it a placeholder or pin it in ASKERS_FIGURES"


def test_scan_catches_a_literal_figure():
    assert literal_figures("按90%救助，一年最多3万元") == ["90%", "3万元"]
    assert literal_figures("一年最多三万元") == ["三万元"]
    assert literal_figures("提高5个百分点，算前24个月") == ["5个百分点", "24个月"]
    assert literal_figures("按{guangxi:tiers[2].claims[0].rate|percent}救助，医保报完自付1万元") == []


def test_rendered_like_the_engine():
    p = policy.default()
    assert render_text("按{guangxi:tiers[2].claims[0].rate|percent}救助，最多{guangxi:tiers[2].claims[0].cap|wan}", p) == "按90%救助，最多3万元"
    # worked example computed by the engine: (10,000 − 3,000) × 80%
    assert render_text("{estimate:guangxi:dibao_edge:inpatient:10000|wan}", p) == "5,600元"
    assert render_text("{estimate:guangxi:dibao+severe_disability:inpatient:20000|wan}", p) == "1.9万元"


def _copy_policies(tmp_path: Path) -> Path:
    folder = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", folder)
    return folder


def test_changing_a_rate_changes_the_answer(tmp_path, monkeypatch):
    folder = _copy_policies(tmp_path)
    path = folder / "guangxi.yaml"
    text = path.read_text(encoding="utf-8")
    old = "        rate: 0.90\n        cap: 30000\n"
    assert text.count(old) == 1
    path.write_text(text.replace(old, "        rate: 0.85\n        cap: 35000\n"), encoding="utf-8")
    monkeypatch.setenv("JIUZHU_POLICIES", str(folder))
    changed = {e.id: e for e in load_entries(policies=policy.load())}
    shipped = {e.id: e for e in load_entries()}
    entry = "gx-dibao-inpatient"
    assert "按90%救助，一年累计最多3万元" in shipped[entry].answer
    assert "按85%救助，一年累计最多3.5万元" in changed[entry].answer
    # the worked example follows: 10,000 × 85%
    assert "估计可救助8,500元" in changed[entry].detail


def test_a_placeholder_naming_no_figure_is_refused(tmp_path):
    bad = tmp_path / "x.yaml"
    bad.write_text(yaml.safe_dump([{
        "id": "gx-bad", "question": "广西低保住院报多少？", "regions": ["guangxi"],
        "answer": "按{guangxi:tiers[2].claims[0].nope|percent}救助",
        "cite": ["桂政办发〔2022〕5号 二（五）1（3）"], "variants": ["a", "b", "c"]}], allow_unicode=True),
        encoding="utf-8")
    with pytest.raises(KBError, match="gx-bad.*nope"):
        load_file(bad)


# A changed rule in a copied policies folder, and what the FAQ then says: (region file, the rule's
# line before, after, entry, text, what the shipped text says, what the changed one says).
CHANGES = [
    ("xizang.yaml", "      - {<<: *main_claim, rate: 0.95, major: true}\n", "      - {<<: *main_claim, rate: 0.93, major: true}\n",
     "xz-dibao-inpatient", "answer", "按95%救助", "按93%救助"),
    # the worked example follows: 100,000 × 93% = 93,000; the 7,000 left is over 2025's line
    # 1,567.90元, so 7,000 × 93% = 6,510 more; 93,000 + 6,510 = 99,510
    ("xizang.yaml", "      - {<<: *main_claim, rate: 0.95, major: true}\n", "      - {<<: *main_claim, rate: 0.93, major: true}\n",
     "xz-major-example", "answer", "大约能救助99,750元：普通救助95,000元，加重特大疾病救助4,750元",
     "大约能救助99,510元：普通救助93,000元，加重特大疾病救助6,510元"),
    # common.yaml's comparison reads 西藏's rule
    ("xizang.yaml", "  ordinary_cap: 150000\n", "  ordinary_cap: 160000\n",
     "cm-annual-limit", "detail", "西藏普通医疗救助15万元", "西藏普通医疗救助16万元"),
    # (10,000 − 2,500) × 60% = 4,500
    ("ankang.yaml", "        deductible: 2000\n", "        deductible: 2500\n",
     "ak-example-edge", "answer", "能救助4,800元：先扣起付线2,000元，剩下8,000元按60%",
     "能救助4,500元：先扣起付线2,500元，剩下7,500元按60%"),
    # 37,500 × 80% = 30,000
    ("urumqi.yaml", "    tilt_rate: 0.90\n", "    tilt_rate: 0.80\n",
     "wq-tilt", "detail", "37,500×90%＝33,750元", "37,500×80%＝30,000元"),
    ("urumqi.yaml", "    value: 180\n", "    value: 200\n", "wq-fund-fee", "answer", "每人每年180元", "每人每年200元"),
    ("qianjiang.yaml", "  cap: 30000\n", "  cap: 40000\n", "qj-tilt", "answer", "一年最多3万元。", "一年最多4万元。"),
    ("xizang.yaml", "    value: 25\n", "    value: 20\n", "xz-new-identity", "answer", "每月25日前", "每月20日前"),
    # the transition period of policies/common.yaml, one year longer
    ("common.yaml", "    - {from: 2021-01-01, until: 2025-12-31, value: true}\n    - {from: 2026-01-01, until: null, value: false}\n",
     "    - {from: 2021-01-01, until: 2026-12-31, value: true}\n    - {from: 2027-01-01, until: null, value: false}\n",
     "cm-transition-period", "answer", "2021年到2025年，到2025年12月31日结束", "2021年到2026年，到2026年12月31日结束"),
    ("common.yaml", "    - {from: 2021-01-01, until: 2025-12-31, value: true}\n    - {from: 2026-01-01, until: null, value: false}\n",
     "    - {from: 2021-01-01, until: 2026-12-31, value: true}\n    - {from: 2027-01-01, until: null, value: false}\n",
     "wq-transition-period", "answer", "2026年起这项不再按这份细则算", "2027年起这项不再按这份细则算"),
]


@functools.lru_cache(maxsize=1)
def _shipped() -> dict:
    return {e.id: e for e in load_entries()}


@pytest.mark.parametrize("region_file,old,new,entry,key,says,then", CHANGES,
                         ids=[f"{c[0]}:{c[3]}:{i}" for i, c in enumerate(CHANGES)])
def test_changing_a_rule_changes_the_answer_that_states_it(tmp_path, region_file, old, new, entry, key, says, then):
    folder = _copy_policies(tmp_path)
    path = folder / region_file
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1
    path.write_text(text.replace(old, new), encoding="utf-8")
    changed = {e.id: e for e in load_entries(policies=policy.load(folder))}
    assert says in getattr(_shipped()[entry], key)
    assert then in getattr(changed[entry], key)
    assert says not in getattr(changed[entry], key)


def test_every_converted_file_has_a_change_test():
    prefixes = {c[3].split("-")[0] for c in CHANGES} | {"gx"}  # gx: test_changing_a_rate_changes_the_answer
    assert prefixes == {"cm", "xz", "ak", "gx", "wq", "qj"}


def test_the_new_formats():
    assert FORMATS["times"](Decimal("1.5")) == "1.5倍"
    assert FORMATS["number"](Decimal("1.50")) == "1.5"
    assert FORMATS["points"](Decimal("0.05")) == "5个百分点"
    assert FORMATS["rest_percent"](Decimal("0.9")) == "10%"
    assert FORMATS["months"](Decimal("6")) == "6个月"
    assert FORMATS["digits"](Decimal("4481")) == "4481"
    assert render_text("{xizang:document.effective_from|date}到{urumqi:document.effective_until|date}", policy.default()) \
        == "2022年8月1日到2028年12月31日"
    assert render_text("{common:transition_period.periods[1].from_|year}起", policy.default()) == "2026年起"


@given(st.decimals(min_value=0, max_value=1, places=2))
def test_a_share_and_its_rest_make_a_whole(share):
    shown, rest = FORMATS["percent"](share), FORMATS["rest_percent"](share)
    assert Decimal(shown[:-1]) + Decimal(rest[:-1]) == 100
    assert FORMATS["points"](share) == shown[:-1] + "个百分点"


@given(st.decimals(min_value=0, max_value=10_000_000, places=2))
def test_digits_is_plain_without_the_commas(value):
    assert FORMATS["digits"](value) == FORMATS["plain"](value).replace(",", "")
    assert "," not in FORMATS["digits"](value)


def test_statistic_and_dated_estimate_placeholders():
    p = policy.default()
    # 2025's care reads 2024's 31,358元 × 5%; 2023's care has no 2022 figure and reads 2021's 24,950元
    assert render_text("{statistic:xizang:major.threshold:2025|yuan}", p) == "1,567.90元"
    assert render_text("{statistic:xizang:major.threshold:2023|yuan}", p) == "1,247.50元"
    # 黔江 special disease: 20,000 × 70%; tilt for 特困: (10,000 − 3,000) × 70%
    assert render_text("{estimate:qianjiang:dibao:inpatient:20000?special_disease=true/regular.amount|wan}", p) == "1.4万元"
    assert render_text("{estimate:qianjiang:tekun:inpatient:10000?hospital_level=1/tilt.amount|plain}", p) == "4,900"
    # 安康 低保: 10,000 × 70% = 7,000, the person keeps paying 3,000
    assert render_text("{estimate:ankang:dibao:inpatient:10000/answer.self_pay_after|yuan}", p) == "3,000元"


@pytest.mark.parametrize("text,why", [
    ("{estimate:ankang:dibao:inpatient:10000/regular.nope|plain}", "no 'nope'"),
    ("{estimate:ankang:dibao:inpatient:10000/major.amount|plain}", "no major part"),
    ("{statistic:xizang:tiers[0].claims[0].rate:2025|yuan}", "not a figure derived from a statistic"),
    ("{xizang:figures.no_such.value|percent}", "no 'no_such'"),
    ("{xizang:major.cap|date}", "not a date"),
    ("{xizang:document.effective_from|percent}", "not a figure"),
    ("{estimate:qianjiang:dibao:inpatient:10000?hospital_level=9|plain}", "not a case the engine takes"),
])
def test_a_placeholder_that_names_nothing_is_refused(text, why):
    with pytest.raises(FigureError, match=re.escape(why)):
        render_text(text, policy.default())


def test_a_statement_about_several_regions_holds_for_each_it_names():
    """common.yaml says some figures of several regions at once and reads them from one region's
    rule: the others must agree, or the sentence would be wrong for them."""
    regions = policy.default().regions
    # cm-tekun-what: 特困人员 in 西藏、安康、广西、乌鲁木齐 按100%, read from 西藏's first tier
    tekun = {code: regions[code].tiers[0] for code in ("xizang", "ankang", "guangxi", "urumqi")}
    assert all("特困" in tier.name for tier in tekun.values())
    assert {tier.claims[0].rate for tier in tekun.values()} == {regions["xizang"].tiers[0].claims[0].rate}
    # cm-critical-tilt-compare: 各地都降低起付线50% (read from 西藏); 安康和黔江 the same rise (read from 安康)
    cuts = {code: r.figures["critical_tilt_deductible_cut"].value for code, r in regions.items()}
    assert set(cuts.values()) == {cuts["xizang"]}
    rise = {code: regions[code].figures["critical_tilt_rate_rise"].value for code in ("ankang", "qianjiang")}
    assert rise["qianjiang"] == rise["ankang"]
