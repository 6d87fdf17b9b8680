"""What the chat says about other categories, parts settled apart and care settled by hand
(rules.md, revised 2026-12)."""
from __future__ import annotations

import engine
from bot import render

CASE = {"region": "guangxi", "identities": ["dibao_edge", "illness_poverty"], "care": "inpatient",
        "self_pay": 100000, "date": "2024-06-01"}


def test_detail_and_printable_list_the_other_category():
    est = engine.estimate(CASE)
    detail = render.detail(est)
    assert "【其他类别】" in detail
    assert "四类人员（因病支出型困难家庭成员，依申请）（依申请（书面申请、审核））：如果申请这一类，最多可能救助5.4万元（54,000元）" in detail
    assert "【其他类别】" in render.printable(est, CASE)
    short = render.short(est)
    assert "这次预计能拿到医疗救助：2万元（20,000元）" in short and "另外：四类人员" in short


def test_no_alternatives_section_for_one_category():
    est = engine.estimate({**CASE, "identities": ["dibao_edge"]})
    assert "其他类别" not in render.detail(est) and "另外：" not in render.short(est)


def test_document_named_once():
    est = engine.estimate({"region": "urumqi", "identities": ["dibao"], "care": "inpatient", "self_pay": 1000,
                           "date": "2024-06-01"})
    line = [x for x in render.detail(est).splitlines() if x.startswith("依据：")]
    assert line == ["依据：《乌鲁木齐市健全重特大疾病医疗保险和救助制度实施细则》"]


def test_tilt_part_settled_apart_is_said():
    est = engine.estimate({"region": "urumqi", "identities": ["tekun"], "care": "inpatient", "self_pay": 200000,
                           "date": "2024-06-01"})
    assert "其中倾斜救助要另外向医保部门提出" in render.short(est)


def test_referred_outside_the_area_never_told_nothing_to_apply_for():
    cases = [
        {"region": "ankang", "identities": ["dibao"], "facts": {"where": "in_province", "referred": True}},
        {"region": "guangxi", "identities": ["dibao"], "facts": {"where": "out_of_province", "referred": True}},
        {"region": "qianjiang", "identities": ["dibao"],
         "facts": {"where": "out_of_province", "referred": True, "special_disease": True}},
    ]
    for case in cases:
        est = engine.estimate({**case, "care": "inpatient", "self_pay": 10000, "date": "2024-06-01"})
        assert est.settlement == "manual", case
        text = "\n".join((render.short(est), render.documents(est)))
        assert "不用另外申请" not in text and "无需另行申请" not in text, text
        assert "转诊" in text and ("乡镇" in text or "医保" in text), text
