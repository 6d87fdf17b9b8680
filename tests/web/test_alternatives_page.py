"""The workbench shows every other category (contract.md `alternatives`) and a part settled apart."""
from __future__ import annotations


def test_cadre_shows_the_application_category_as_an_alternative(client):
    # 低保边缘 + 因病支出, 10万: 三类 20,000 one-stop is the answer; 四类's frame 54,000 is an option
    r = client.post("/cadre", data={"region": "guangxi", "identities": ["dibao_edge", "illness_poverty"],
                                    "care": "inpatient", "self_pay": "100000", "date": "2024-06-01"})
    assert r.status_code == 200
    html = r.text
    assert "2万元（20,000元）" in html
    assert "其他类别" in html and "四类人员" in html and "5.4万元（54,000元）" in html
    assert "不和三类人员（城乡低保边缘对象）叠加" in html


def test_cadre_says_the_urumqi_tilt_is_confirmed_by_the_office(client):
    r = client.post("/cadre", data={"region": "urumqi", "identities": ["tekun"], "care": "inpatient",
                                    "self_pay": "200000", "date": "2024-06-01"})
    assert r.status_code == 200
    assert "其中倾斜救助5万元（50,000元）：依申请" in r.text and "审核确认" in r.text


def test_cadre_without_other_category_has_no_alternatives_block(client):
    r = client.post("/cadre", data={"region": "guangxi", "identities": ["dibao_edge"], "care": "inpatient",
                                    "self_pay": "20000", "date": "2024-06-01"})
    assert r.status_code == 200 and "其他类别" not in r.text
