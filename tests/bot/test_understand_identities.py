"""find_identities: official, colloquial, old words, typos, negation, facts."""

import pytest

from bot.understand import IDENTITY_CODES, find_identities

CONFIDENT = [
    ("低保户", ["dibao"]), ("吃低保的", ["dibao"]), ("城乡低保", ["dibao"]), ("低保家庭", ["dibao"]), ("低保", ["dibao"]),
    ("我家是农村低保", ["dibao"]), ("享受最低生活保障", ["dibao"]), ("领低保", ["dibao"]),
    ("五保户", ["tekun"]), ("五保", ["tekun"]), ("特困户", ["tekun"]), ("特困供养", ["tekun"]), ("分散供养", ["tekun"]),
    ("集中供养", ["tekun"]), ("特困人员", ["tekun"]), ("我是五保老人", ["tekun"]), ("三无人员", ["tekun"]),
    ("孤儿", ["orphan"]), ("没人管的孩子", ["orphan"]), ("事实无人抚养儿童", ["orphan"]), ("父母双亡", ["orphan"]),
    ("低保边缘", ["dibao_edge"]), ("低边户", ["dibao_edge"]), ("边缘户", ["dibao_edge"]), ("低保边缘家庭", ["dibao_edge"]),
    ("脱贫不稳定户", ["unstable_lifted"]), ("脱贫不稳定人口", ["unstable_lifted"]),
    ("边缘易致贫户", ["edge_poverty"]), ("易致贫户", ["edge_poverty"]),
    ("突发严重困难户", ["sudden_hardship"]), ("因病突发困难", ["sudden_hardship"]),
    ("因病突发严重困难户", ["sudden_hardship"]),
    ("返贫户", ["returned_poverty"]), ("返贫致贫", ["returned_poverty"]), ("返贫致贫人口", ["returned_poverty"]),
    ("重度残疾", ["severe_disability"]), ("一级残疾", ["severe_disability"]), ("二级残疾", ["severe_disability"]),
    ("残疾证", ["severe_disability"]), ("重度残疾人", ["severe_disability"]),
    ("困难职工", ["hardship_worker"]), ("工会困难职工", ["hardship_worker"]),
    ("因病致贫", ["illness_poverty"]), ("大病致贫", ["illness_poverty"]), ("因病支出型困难家庭", ["illness_poverty"]),
    ("优抚对象", ["key_veteran"]), ("复员军人", ["key_veteran"]), ("烈属", ["key_veteran"]),
    ("在乡重点优抚对象", ["key_veteran"]),
    ("困难大学生", ["poor_student"]), ("贫困大学生", ["poor_student"]), ("贫困生", ["poor_student"]),
    ("我是低保户，还是二级残疾", ["dibao", "severe_disability"]),
    ("特困户和孤儿", ["tekun", "orphan"]),
    ("低保户 困难职工 贫困生", ["dibao", "hardship_worker", "poor_student"]),
    ("不是低保，是低保边缘", ["dibao_edge"]),
    ("我是监测户，边缘易致贫户", ["edge_poverty"]),
    ("低保低保低保", ["dibao"]),
    ("低保对像", ["dibao"]),
    ("ＤＩＢＡＯ", ["dibao"]),
    ("wo shi dibao", ["dibao"]),
]


@pytest.mark.parametrize("text,codes", CONFIDENT)
def test_confident(text, codes):
    m = find_identities(text)
    assert m.codes == codes, (text, m)
    assert m.none is False
    assert all(c in IDENTITY_CODES for c in m.codes)


HOMOPHONES = [("底保", "dibao"), ("地保", "dibao"), ("低包", "dibao"), ("低宝户", "dibao"), ("五包户", "tekun"),
              ("五宝户", "tekun"), ("特昆", "tekun"), ("我是迪保户", "dibao")]


@pytest.mark.parametrize("text,code", HOMOPHONES)
def test_homophones(text, code):
    m = find_identities(text)
    assert m.codes == [code] or (code, text) and (text, code) in m.unsure or any(c == code for _, c in m.unsure)


def test_homophone_is_confident_and_reported():
    m = find_identities("我是底保户")
    assert m.codes == ["dibao"]
    assert m.corrections == [("底保", "低保")]


UNSURE = [
    ("特因", "tekun"), ("特因户", "tekun"), ("军属", "key_veteran"), ("退伍军人", "key_veteran"),
    ("建档立卡贫困户", "unstable_lifted"), ("建档立卡", "unstable_lifted"), ("贫困户", "unstable_lifted"),
    ("脱贫户", "unstable_lifted"), ("盲人", "severe_disability"), ("困难户", "dibao_edge"),
    ("困难职二", "hardship_worker"), ("因病致穷", "illness_poverty"), ("孤寡老人", "tekun"), ("老人无儿无女", "tekun"),
]


@pytest.mark.parametrize("text,code", UNSURE)
def test_unsure(text, code):
    m = find_identities(text)
    assert code not in m.codes
    assert any(c == code for _, c in m.unsure), (text, m)
    assert m.none is False


@pytest.mark.parametrize("text", ["监测户", "监测对象", "防返贫对象", "防止返贫监测对象", "防止返贫致贫对象", "三类户",
                                  "我家是防止返贫监测户"])
def test_monitored_generic(text):
    m = find_identities(text)
    assert m.monitored is True
    assert m.codes == []
    assert [c for _, c in m.unsure] == ["unstable_lifted"]
    assert any("三类" in n for n in m.notes)


def test_old_term_note():
    m = find_identities("我们是建档立卡贫困户")
    assert m.notes and "脱贫" in m.notes[0]


@pytest.mark.parametrize("text", ["都不是", "没有", "普通人", "一般人", "都没有", "不是", "以上都不是", "我就是普通老百姓",
                                  "没有。", "无", "啥也不是"])
def test_none(text):
    m = find_identities(text)
    assert m.none is True and m.codes == [] and m.unsure == []


@pytest.mark.parametrize("text", ["保险", "低头", "我不知道", "你好", "住院花了2万", "南宁", "", "参加了医保",
                                  "我想问问", "故而", "检测报告出来了", "今天天气不错", "hello", "12345", "保底",
                                  "吃饭了吗", "有没有", "<br>", "低调", "特别困", "地方"])
def test_not_identities(text):
    m = find_identities(text)
    assert m.codes == [] and m.unsure == [], (text, m)


@pytest.mark.parametrize("text,denied", [("我不是低保户", "dibao"), ("没有低保", "dibao"), ("不是五保户", "tekun"),
                                         ("没有残疾证", "severe_disability"), ("不算困难职工", "hardship_worker")])
def test_negation(text, denied):
    m = find_identities(text)
    assert denied not in m.codes
    assert denied in m.negated


def test_question_is_not_negation():
    assert find_identities("我是不是低保户").codes == ["dibao"]


@pytest.mark.parametrize("text,facts", [
    ("残疾证一级", {"disability_grade": 1}),
    ("二级肢体残疾", {"disability_grade": 2, "disability_kind": "physical"}),
    ("精神残疾三级", {"disability_grade": 3, "disability_kind": "mental"}),
    ("视力残疾二级", {"disability_grade": 2, "disability_kind": "visual"}),
    ("听力残疾4级", {"disability_grade": 4, "disability_kind": "hearing"}),
    ("智力残疾一级", {"disability_grade": 1, "disability_kind": "intellectual"}),
    ("多重残疾二级", {"disability_grade": 2, "disability_kind": "multiple"}),
    ("言语残疾三级", {"disability_grade": 3, "disability_kind": "speech"}),
    ("肢残二级", {"disability_grade": 2, "disability_kind": "physical"}),
    ("残疾等级是二级", {"disability_grade": 2}),
    ("烈士家属", {"veteran_kind": "martyr_family"}),
    ("烈士遗属", {"veteran_kind": "martyr_family"}),
    ("因公牺牲军人遗属", {"veteran_kind": "duty_death_family"}),
    ("病故军人遗属", {"veteran_kind": "illness_death_family"}),
    ("在乡复员军人", {"veteran_kind": "demobilized"}),
])
def test_facts(text, facts):
    m = find_identities(text)
    assert m.facts == facts, (text, m)
    expected = "key_veteran" if "veteran_kind" in facts else "severe_disability"
    assert expected in m.codes


def test_hospital_grade_is_not_disability_grade():
    m = find_identities("低保户，二级残疾，在三级医院住院")
    assert m.facts.get("disability_grade") == 2
    m = find_identities("一级残疾，住三甲医院")
    assert m.facts.get("disability_grade") == 1
    m = find_identities("在三级医院住院")
    assert m.codes == [] and "disability_grade" not in m.facts


def test_order_follows_text():
    assert find_identities("二级残疾，也是低保户").codes == ["severe_disability", "dibao"]


@pytest.mark.parametrize("text,denied", [("低保五保都不是", ["dibao", "tekun"]), ("低保户不是", ["dibao"]),
                                         ("低保户没有", ["dibao"]), ("我是低保，但是不是残疾人", ["severe_disability"])])
def test_denial_after_the_word(text, denied):
    m = find_identities(text)
    assert all(d in m.negated and d not in m.codes for d in denied)


def test_denial_then_positive():
    assert find_identities("我是低保户不是五保户").codes == ["dibao"]
    assert find_identities("我是低保，但是不是残疾人").codes == ["dibao"]


@pytest.mark.parametrize("text", ["低保五保都不是", "我没有低保，也不是五保"])
def test_collective_denial_is_none(text):
    assert find_identities(text).none is True


@pytest.mark.parametrize("text,code,word", [("以前是低保，现在不是了", "dibao", "以前"),
                                            ("正在申请低保", "dibao", "申请"),
                                            ("原来是五保户", "tekun", "以前")])
def test_past_or_applying_is_unsure(text, code, word):
    m = find_identities(text)
    assert code not in m.codes
    assert (code in [c for _, c in m.unsure])
    assert m.notes


def test_applying_for_illness_poverty_counts():
    # the contract: recognised, or applying for recognition
    assert find_identities("申请了因病致贫").codes == ["illness_poverty"]


@pytest.mark.parametrize("text,grade,kind", [("肢体二级", 2, "physical"), ("精神二级", 2, "mental"),
                                             ("智力三级", 3, "intellectual")])
def test_kind_with_grade_without_the_word_disability(text, grade, kind):
    m = find_identities(text)
    assert m.codes == ["severe_disability"]
    assert m.facts == {"disability_grade": grade, "disability_kind": kind}


def test_kind_word_alone_is_not_disability():
    m = find_identities("精神很好，住二级医院")
    assert m.codes == [] and m.facts == {}


@pytest.mark.parametrize("text", ["不是底保", "底保都不是", "不是特因户"])
def test_negated_typos(text):
    m = find_identities(text)
    assert m.codes == [] and m.unsure == []


def test_a_vague_word_beside_a_student_reads_as_the_poor_student_first():
    """"家里困难" beside 上大学: 困难大学生 first, 低保边缘 next (the flow asks the first its region has)."""
    assert find_identities("孩子在上大学，家里困难").unsure == [("家里困难", "poor_student"), ("家里困难", "dibao_edge")]
    assert find_identities("家里困难").unsure == [("家里困难", "dibao_edge")]
