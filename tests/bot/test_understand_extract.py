"""extract: all slots from one free-text message."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.understand import EXPECTABLE, extract, full_year
from engine import ESSENTIALS
from engine.vocabulary import FACTS


def test_nanning_dibao():
    x = extract("我是南宁的低保户，住院自付2万")
    assert x.region == "guangxi" and x.place.place == "南宁市"
    assert x.identities == ["dibao"]
    assert x.care == "inpatient"
    assert x.self_pay == Decimal(20000)


def test_lhasa_wubao():
    x = extract("拉萨五保户住院花了三万五")  # 花了: the whole bill, not the self-pay (issue 13)
    assert (x.region, x.identities, x.care, x.self_pay) == ("xizang", ["tekun"], "inpatient", None)
    assert x.total_cost == Decimal(35000)


@pytest.mark.parametrize("text,total,reimbursed,self_pay", [
    ("住院花了两万多", 20000, None, None),
    ("一共花了5万", 50000, None, None),
    ("住院费3万", 30000, None, None),
    ("花了5万，报了3万", 50000, 30000, 20000),
    ("总共花了5万，医保报了3万2", 50000, 32000, 18000),
    ("一共花了4万，自己付了1万", 40000, None, 10000),
    ("自己花了8000", None, None, 8000),
    ("自付是两万八不是两万五", None, None, 28000),
    ("掏了三千来块", None, None, 3000),
    ("还要出1万", None, None, 10000),
])
def test_bill_reimbursed_left(text, total, reimbursed, self_pay):
    x = extract(text)
    dec = (lambda v: Decimal(v) if v is not None else None)
    assert (x.total_cost, x.reimbursed, x.self_pay) == (dec(total), dec(reimbursed), dec(self_pay)), text


@pytest.mark.parametrize("text,region,ids,care,self_pay", [
    ("百色市低保边缘户，门诊透析，自己出了8000", "guangxi", ["dibao_edge"], "outpatient_major", 8000),
    ("乌市特困人员住院报销后还剩1万2", "urumqi", ["tekun"], "inpatient", 12000),
    ("黔江区濯水镇低保，慢性病，个人负担三千", "qianjiang", ["dibao"], "outpatient_chronic", 3000),
    ("安康汉阴县返贫户，住了院，自付3.5万", "ankang", ["returned_poverty"], "inpatient", 35000),
    ("日喀则孤儿，化疗，自费2w", "xizang", ["orphan"], "outpatient_major", 20000),
    ("桂林的困难职工住院个人承担20k", "guangxi", ["hardship_worker"], "inpatient", 20000),
    ("我是低保户，还是二级残疾", None, ["dibao", "severe_disability"], None, None),
    ("住院花了2万", None, [], "inpatient", None),
    ("大概花了两万多", None, [], None, None),
])
def test_table(text, region, ids, care, self_pay):
    x = extract(text)
    assert x.region == region
    assert x.identities == ids
    assert x.care == care
    assert x.self_pay == (Decimal(self_pay) if self_pay is not None else None)


def test_bare_number_needs_expecting():
    assert extract("2万").self_pay is None
    x = extract("2万", expecting="self_pay")
    assert x.self_pay == Decimal(20000)


def test_expecting_self_pay_errors_are_kept():
    x = extract("不知道", expecting="self_pay")
    assert x.self_pay is None and x.self_pay_result.error == "unknown"
    assert x.intent == "skip"
    x = extract("-500", expecting="self_pay")
    assert x.self_pay is None and x.self_pay_result.error == "negative"


def test_approx_note():
    x = extract("自付大概两万多")
    assert x.self_pay == 20000 and x.self_pay_result.approx and x.self_pay_result.note


def test_total_and_self_pay():
    x = extract("总共花了5万，自付2万")
    assert x.self_pay == 20000 and x.total_cost == 50000


def test_spent_and_after_reimbursement():
    x = extract("花了8万，报销后还剩3万")
    assert x.self_pay == 30000 and x.total_cost == 80000


def test_reimbursed_is_not_self_pay():
    x = extract("医保报了3万")
    assert x.self_pay is None


def test_full_message_facts():
    x = extract("汉滨区低保，二级肢体残疾，在西安住院没转诊，三甲医院，花了8万，报销后还剩3万")
    assert x.region == "ankang"
    assert x.identities == ["dibao", "severe_disability"]
    assert x.care == "inpatient"
    assert x.self_pay == 30000
    assert x.facts["disability_grade"] == 2
    assert x.facts["disability_kind"] == "physical"
    assert x.facts["where"] == "in_province"
    assert x.facts["referred"] is False
    assert x.facts["hospital_level"] == 3


@pytest.mark.parametrize("text,facts", [
    ("在外省住院", {"where": "out_of_province"}),
    ("去省外看的病", {"where": "out_of_province"}),
    ("区外就医", {"where": "out_of_province"}),
    ("省内异地住院", {"where": "in_province"}),
    ("在区内其他市看病", {"where": "in_province"}),
    ("市外住院", {"where": "in_province"}),
    ("就在本地住院", {"where": "local"}),
    ("县里的医院", {"where": "local", "hospital_level": 2}),
    ("办了转诊", {"referred": True}),
    ("做了异地备案", {"referred": True, "where": None}),
    ("没转诊", {"referred": False}),
    ("没有备案，自己去的", {"referred": False}),
    ("三甲医院", {"hospital_level": 3}),
    ("乡镇卫生院", {"hospital_level": 1}),
    ("特殊疾病", {"special_disease": True}),
    ("我65岁", {"age": 65}),
    ("家里四口人", {"family_size": 4}),
    ("交的是医保二档", {"insurance_tier": 2}),
    ("家庭年收入3万", {"family_income": Decimal(30000)}),
    ("二级残疾", {"disability_grade": 2}),
    ("南宁人在北京住院", {"where": "out_of_province"}),
    ("乌鲁木齐人在喀什住院", {"where": "in_province"}),
])
def test_facts(text, facts):
    x = extract(text)
    for k, v in facts.items():
        assert x.facts.get(k) == v, (text, x.facts)


def test_disability_grade_is_not_hospital_level():
    x = extract("二级残疾")
    assert "hospital_level" not in x.facts
    x = extract("残疾证一级，住在县医院")
    assert x.facts["hospital_level"] == 2 and x.facts["disability_grade"] == 1


@pytest.mark.parametrize("slot,text,key,value", [
    ("family_income", "3万", "family_income", Decimal(30000)),
    ("stay_policy_total", "4万5", "stay_policy_total", Decimal(45000)),
    ("age", "七十", "age", 70),
    ("family_size", "3", "family_size", 3),
    ("disability_grade", "二级", "disability_grade", 2),
    ("hospital_level", "县医院", "hospital_level", 2),
    ("insurance_tier", "一档", "insurance_tier", 1),
    ("disability_kind", "肢体", "disability_kind", "physical"),
    ("disability_kind", "精神方面的", "disability_kind", "mental"),
    ("veteran_kind", "烈士的家属", "veteran_kind", "martyr_family"),
    ("veteran_kind", "在乡复员军人", "veteran_kind", "demobilized"),
    ("special_disease", "是", "special_disease", True),
    ("referred", "办了", "referred", True),
    ("referred", "没办", "referred", False),
])
def test_expecting(slot, text, key, value):
    assert extract(text, expecting=slot).facts.get(key) == value


def test_intent_and_question():
    assert extract("重新开始").intent == "restart"
    x = extract("低保户能报多少？")
    assert x.question is True and x.identities == ["dibao"]


def test_slots_view():
    x = extract("我是南宁的低保户，住院自付2万")
    assert x.slots == {"region": "guangxi", "identities": ["dibao"], "care": "inpatient", "self_pay": Decimal(20000)}


def test_empty():
    x = extract("")
    assert x.region is None and x.identities == [] and x.care is None and x.self_pay is None and x.facts == {}
    assert x.slots == {}


def test_garbage():
    x = extract("'; DROP TABLE users; -- <script>alert('x')</script>")
    assert x.slots == {}


def test_total_only_is_not_self_pay():
    x = extract("我是重庆黔江的，特殊疾病，县医院住院，总共花了6万")
    assert x.self_pay is None and x.total_cost == 60000


def test_spent_minus_reimbursed():
    x = extract("花了一万，报销了五千")
    assert x.self_pay == 5000 and x.total_cost == 10000
    assert x.self_pay_result.note and "报销" in x.self_pay_result.note
    x = extract("总费用10万元，医保报了6万，大病保险报了2万")
    assert x.self_pay == 20000 and x.total_cost == 100000
    x = extract("总费用10万元，医保报了6万，大病保险报了2万，剩下2万")
    assert x.self_pay == 20000


def test_place_of_work_is_not_place_of_care():
    x = extract("我在成都打工，户口在日喀则")
    assert x.region == "xizang" and "where" not in x.facts
    x = extract("户口在日喀则，在成都住院")
    assert x.facts["where"] == "out_of_province"


@pytest.mark.parametrize("text", ["你好", "您好", "hello", "在吗", "谢谢"])
def test_greetings_are_not_answers(text):
    x = extract(text)
    assert x.intent is None and x.slots == {}


def test_generic_seeing_a_doctor_is_not_a_care_type():
    assert extract("看病花光了积蓄").care is None


def test_expecting_self_pay_ignores_reimbursed_amount():
    assert extract("2万，报销了3万", expecting="self_pay").self_pay == 20000


def test_monthly_income_is_annualised():
    x = extract("家里月收入2000")
    assert x.facts["family_income"] == 24000 and x.notes


def test_yearly_income():
    assert extract("一年挣3万").facts["family_income"] == 30000


def test_expectable_is_exported():
    from bot.understand import EXPECTABLE
    assert "self_pay" in EXPECTABLE and "disability_kind" in EXPECTABLE


def test_nothing_paid():
    assert extract("没有", expecting="self_pay").self_pay == 0


@pytest.mark.parametrize("text", ["我是本地人", "我在外省打工", "要不要转诊？", "什么是特殊疾病", "是特殊疾病吗",
                                  "需不需要备案"])
def test_no_facts_from_questions_or_other_topics(text):
    x = extract(text)
    assert not ({"where", "referred", "special_disease"} & set(x.facts)), x.facts


@pytest.mark.parametrize("text,where", [("外省", "out_of_province"), ("在本地", "local"), ("省外的", "out_of_province"),
                                        ("区内", "in_province")])
def test_short_where_answers(text, where):
    assert extract(text).facts["where"] == where


@pytest.mark.parametrize("text,where", [("广西区内其他市", "in_province"), ("广西区外", "out_of_province"),
                                        ("本市", "local")])
def test_where_button_labels(text, where):
    assert extract(text).facts["where"] == where



_UNITS = ["", "万元", "千元", "万块", "千块", "万", "千", "元", "块", "w", "k"]


def _without_shortcut(text: str):
    """extract() with the bare-amount shortcut switched off: every recogniser runs."""
    import importlib
    import re

    module = importlib.import_module("bot.understand.extract")  # (the package's `extract` is the function)
    saved = module._BARE_AMOUNT_RE
    module._BARE_AMOUNT_RE = re.compile(r"(?!)")  # matches nothing
    try:
        return extract(text)
    finally:
        module._BARE_AMOUNT_RE = saved


@settings(max_examples=400, deadline=None)
@given(st.integers(min_value=0, max_value=10**12 - 1), st.one_of(st.none(), st.integers(0, 99)),
       st.sampled_from(_UNITS), st.sampled_from(["", " ", "，", "。", "！", "?", "\u3000"]))
def test_bare_amount_shortcut_is_what_every_recogniser_finds(whole, cents, unit, punct):
    # extract() answers a bare number ("2万", "35000") without running the recognisers; they must
    # find nothing else in it either (with `expecting`, the shortcut is not taken)
    text = f"{whole}{'' if cents is None else f'.{cents}'}{unit}{punct}"
    assert extract(text) == _without_shortcut(text), text


@pytest.mark.parametrize("text", ["2万", "35000", "1.2万", "500", "45", "0", "1", "2", "20k", "3.5万元", "8000块",
                                  "２万", "1,200"])
def test_bare_amount_shortcut_examples(text):
    assert extract(text) == _without_shortcut(text)


def test_bare_amount_shortcut_every_small_number():
    for number in range(1000):
        for unit in _UNITS:
            text = f"{number}{unit}"
            assert extract(text) == _without_shortcut(text), text


def test_expectable_slots_are_the_engines_words():
    """A slot the flow may expect is the case's self-pay or a fact common.yaml declares (a renamed
    or dropped fact there must not leave the extractor filling a slot the engine refuses)."""
    assert "self_pay" in ESSENTIALS
    assert set(EXPECTABLE) - {"self_pay"} <= set(FACTS), set(EXPECTABLE) - {"self_pay"} - set(FACTS)
    assert len(set(EXPECTABLE)) == len(EXPECTABLE)


@pytest.mark.parametrize("text,self_pay,aid,tilt_aid", [
    ("自己掏了八千，救助给了四千", Decimal("8000"), Decimal("4000"), None),
    ("自付5000，倾斜救助给了2000，救助了1000", Decimal("5000"), Decimal("1000"), Decimal("2000")),
    ("民政给了3000", None, Decimal("3000"), None),
    ("自付2万 能救助多少", Decimal("20000"), None, None),
])
def test_aid_already_received(text, self_pay, aid, tilt_aid):
    ext = extract(text)
    assert (ext.self_pay, ext.aid, ext.tilt_aid) == (self_pay, aid, tilt_aid)
    assert ext.earlier_self_pay is None


@pytest.mark.parametrize("text,self_pay,earlier", [
    ("乌鲁木齐特困，住院自付15万，今年之前还住过一次自付了5万，救助给了4万", Decimal("150000"), Decimal("50000")),
    ("住院自付2万，之前还住过一次，自付了5千", Decimal("20000"), Decimal("5000")),
    ("今年三月住过一次，自己掏了八千，救助给了四千", None, Decimal("8000")),
    ("这次之前自付了8千", None, Decimal("8000")),
    ("上次看病自付3000，这次自付1万", Decimal("10000"), Decimal("3000")),
    ("以前是低保，住院自付2万", Decimal("20000"), None),
    ("现在住院，自付2万", Decimal("20000"), None),
])
def test_earlier_bills_self_pay_is_not_this_ones(text, self_pay, earlier):
    """A self-pay said of the year's earlier bills ("之前还住过一次，自付了5万") is theirs, not this
    bill's: one sentence may say both, and neither is mistaken for "several self-pays"."""
    ext = extract(text)
    assert (ext.self_pay, ext.earlier_self_pay) == (self_pay, earlier)


@pytest.mark.parametrize("text,said", [
    ("南宁低保住院自付2万，今年之前还住过一次", True),
    ("今年三月看过一次门诊", True),
    ("上次住院自付3000", True),
    ("去年住过一次院，今年又住了，自付2万", False),  # last year's stay: not this year's earlier bills
    ("乌鲁木齐 低保 住院 自付8万 今年第二次住院了", True),
    ("今年又住院了，自付2万", True),
    ("第二次化疗，自付5千", True),
    ("我看过很多医生", False),
    ("二次手术", False),
    ("去年住过一次院，今年又住院了", False),  # again after last year's: this year's earlier bills not said
    ("以前是低保，住院自付2万", False),
])
def test_earlier_bills_said_to_exist(text, said):
    """"之前还住过一次" says this year had earlier bills: the chat does not ask whether it had."""
    assert extract(text).earlier_bills is said


def test_aid_received_is_not_a_reimbursement():
    """"花了1万，救助了3千": the aid is not what insurance paid, so no self-pay is worked out from it."""
    ext = extract("花了1万，救助了3千")
    assert ext.self_pay is None and ext.reimbursed is None and ext.aid == Decimal("3000")
    assert ext.total_cost == Decimal("10000")


@pytest.mark.parametrize("text,self_pay,error", [
    # an amount taken back: the next one is meant
    ("自付2万，不对，是1万", Decimal("10000"), None),
    ("自付2万，应该是1万", Decimal("10000"), None),
    ("广西 低保 住院 自付2万，说错了，1万5", Decimal("15000"), None),
    # "X不是Y" keeps X
    ("自付两万八不是两万五", Decimal("28000"), None),
    ("自付2万不是3万", Decimal("20000"), None),
    # two self-pays and no word of which: none is taken
    ("一个自付2万一个自付1万", None, "ambiguous"),
    ("第一次自付2万，第二次自付1万", None, "ambiguous"),
])
def test_self_pay_taken_back_or_several(text, self_pay, error):
    ext = extract(text, expecting="self_pay")
    assert ext.self_pay == self_pay
    assert (ext.self_pay_result.error if ext.self_pay_result else None) == error


@pytest.mark.parametrize("text,when", [
    ("去年12月住的院", (1, 12, None)), ("去年住院花了2万", (1, None, None)), ("前年做的手术", (2, None, None)),
    ("三月份住的院", (0, 3, None)), ("去年十一月住院", (1, 11, None)), ("12月份看的病", (0, 12, None)),
    # the year itself
    ("2025年12月住院", (0, 12, 2025)), ("2025年住的院", (0, None, 2025)), ("2024年十一月做的手术", (0, 11, 2024)),
    ("25年12月住院", (0, 12, 25)), ("2025.12住院", (0, 12, 2025)), ("2025-12住的院", (0, 12, 2025)),
    ("上个月住的院", (0, -1, None)), ("这个月刚出院", (0, 0, None)), ("上上个月做的手术", (0, -2, None)),
    ("2025/3看的病", (0, 3, 2025)), ("住院2025.12元", None), ("25年住院", None), ("住院，自付2.5万", None),
    # a year said of something else, or of earlier bills, is not when this care was
    ("家里去年收入3万，今年住院", (0, None, None)), ("我去年评上的低保，今年住院", (0, None, None)),
    ("去年还住过一次", None), ("住了3个月院", None), ("在县医院住了半个月", None),
    ("我妈1950年出生的，3月份住院", (0, 3, None)),  # a birth year is not the care's
    # the year's end is its December
    ("去年底住的院", (1, 12, None)), ("25年底住院", (0, 12, 25)), ("今年年底住院", (0, 12, None)),
    ("2025年末做的手术", (0, 12, 2025)),
])
def test_when_the_care_was(text, when):
    assert extract(text).care_when == when


def test_a_bare_digit_is_no_care_type():
    """"2" typed at the amount question is not 门诊慢特病 (the care question's button 2)."""
    assert extract("2").care is None and extract("住院").care == "inpatient"


@pytest.mark.parametrize("text,born", [
    ("1950年出生", 1950), ("我妈是50年生的", 50), ("我是1966年生人", 1966), ("2008年出生的孩子住院", 2008),
    ("76岁", None), ("2025年12月住院", None), ("去年出生的", None), ("1950年的", None), ("1950年生", 1950),
    ("我10年生病了", None), ("低保吃了3年生活困难", None), ("16年生的病", None),
])
def test_a_birth_year(text, born):
    assert extract(text).born == born


@pytest.mark.parametrize("year,latest,full", [(1950, 2026, 1950), (50, 2026, 1950), (25, 2026, 2025), (26, 2026, 2026),
                                              (27, 2026, 1927), (8, 2026, 2008), (0, 2026, 2000), (99, 2026, 1999)])
def test_a_two_digit_year_is_the_latest_so_ending(year, latest, full):
    assert full_year(year, latest) == full


@pytest.mark.parametrize("text,unnamed", [
    ("旬阳的 重度残疾 住院 2万", Decimal("20000")),
    ("南宁低保住院 2万", Decimal("20000")),
    ("南宁低保住院自付2万", None),   # said what it is: the self-pay
    ("南宁低保住院花了2万", None),   # the whole bill
    ("2万", None),                  # alone: the answer to the question asked
    ("南宁低保 住院 2万 或者3万", None),  # two figures: neither offered
])
def test_an_amount_said_without_what_it_is(text, unnamed):
    """"住院 2万" may be the self-pay or the whole bill: kept apart (offered, never taken)."""
    ext = extract(text)
    assert ext.unnamed == unnamed and (unnamed is None or ext.self_pay is None)


@pytest.mark.parametrize("text,self_pay,total,paid", [
    ("花了4千 报了一半", Decimal("2000"), Decimal("4000"), Decimal("2000")),
    ("花了1万，报了百分之七十", Decimal("3000"), Decimal("10000"), Decimal("7000")),
    ("花了1万报了70%", Decimal("3000"), Decimal("10000"), Decimal("7000")),
    ("一共花了2万，医保报销了六成", Decimal("8000"), Decimal("20000"), Decimal("12000")),
    ("花了3333元 报了一半", Decimal("1666.50"), Decimal("3333"), Decimal("1666.50")),
])
def test_a_reimbursed_share_of_the_bill(text, self_pay, total, paid):
    """"报了一半" / "报了70%": what is left of the bill, said back as bill − reimbursement; a
    percentage is never an amount (百分之七十 is not 70元)."""
    ext = extract(text)
    assert (ext.self_pay, ext.total_cost, ext.reimbursed) == (self_pay, total, paid)


def test_a_percentage_is_not_an_amount():
    assert extract("百分之七十是自己出的").self_pay is None


@pytest.mark.parametrize("text,self_pay,outside", [
    ("南宁 低保 住院 个人负担15000元 其中自费药3000", Decimal("12000"), Decimal("3000")),
    ("住院自付2万 含自费5千", Decimal("15000"), Decimal("5000")),
    ("自己出了1万，自费药3000", Decimal("7000"), Decimal("3000")),  # not said besides: the lower reading
    ("住院自付1万，自费药3000", Decimal("10000"), None),  # 自付 and 自费: two lines of a settlement sheet
    ("个人自付8000元 个人自费2000元", Decimal("8000"), None),
    ("自付部分8000 自费部分2000", Decimal("8000"), None),
    ("医疗总费用50000 个人自付10000 其中政策范围内自付8000", Decimal("8000"), None),  # the policy-range one
    ("住院自付1万，另外自费药3000", Decimal("10000"), None),
    ("住院自付1万", Decimal("10000"), None),
])
def test_what_insurance_never_covers_is_taken_out_of_the_self_pay(text, self_pay, outside):
    """"其中自费药3000": the rules price the self-pay within the policy; the 自费 part is not one of
    several self-pays, it comes off (unless said to be besides it)."""
    ext = extract(text)
    assert (ext.self_pay, ext.out_of_policy) == (self_pay, outside)


@pytest.mark.parametrize("text,aid", [
    ("没有救助，自付了5千", Decimal(0)), ("救助没给", Decimal(0)), ("没拿到倾斜救助", None),
    ("能救助多少", None), ("没有倾斜救助，救助给了3千", Decimal("3000")),
])
def test_no_aid_received_is_none_received(text, aid):
    assert extract(text).aid == aid


def test_the_earlier_bills_said_as_the_times_before():
    assert extract("前面两次一共自付了1万2").earlier_self_pay == Decimal("12000")


@pytest.mark.parametrize("text,self_pay,age", [
    ("南宁低保边缘 住院自付3万 老人75了", Decimal("30000"), 75),
    ("住院自付3万 我妈今年80", Decimal("30000"), 80),
    ("住院自付3万，老人七十五了", Decimal("30000"), 75),
    ("老人自付3000", Decimal("3000"), None),
    ("我爸 住院自付20000", Decimal("20000"), None),
])
def test_an_age_said_without_sui_is_the_age_not_an_amount(text, self_pay, age):
    """"老人75了" beside the self-pay made it "several amounts" and the self-pay was lost."""
    ext = extract(text)
    assert (ext.self_pay, ext.facts.get("age")) == (self_pay, age)


@pytest.mark.parametrize("text,where", [
    ("黔江 低保 在重庆市里大医院住院 自付5万", None),  # 重庆's 市里: not 黔江区内 (asked)
    ("拉萨低保 在成都市里住院 自付5万", "out_of_province"),
    ("南宁低保 在南宁市里住院 自付5万", "local"),
    ("南宁低保 在市里住院 自付5万", "local"),
])
def test_in_town_is_the_town_named_before_it(text, where):
    assert extract(text).facts.get("where") == where


@pytest.mark.parametrize("text,day", [
    ("黔江低保，2023年10月5号住的院，自付2万", 5), ("2023-10-05住院", 5), ("2023年10月5日出院", 5),
    ("2023.10.5住院", 5), ("10月二十号住院", 20), ("去年12月住的院", None), ("2025年12月住院，自付2万", None),
])
def test_the_day_of_the_care_said_with_its_month(text, day):
    assert extract(text).care_day == day


@pytest.mark.parametrize("text,self_pay,paid", [
    ("总费用12万 统筹支付7万 大病保险支付2万", Decimal("30000"), Decimal("90000")),
    ("医疗总费用5万，基金支付3万2，个人支付1万8", Decimal("18000"), Decimal("32000")),
    ("住院费8万，医保支付5万", Decimal("30000"), Decimal("50000")),
])
def test_the_settlement_sheets_words_for_what_insurance_paid(text, self_pay, paid):
    """A cadre types the sheet's lines: 统筹支付 / 基金支付 / 大病保险支付 are what the insurances paid."""
    ext = extract(text)
    assert (ext.self_pay, ext.reimbursed) == (self_pay, paid)


@pytest.mark.parametrize("text,care", [
    ("南宁 低保 门诊 自付500", None),  # 普通门诊 or 门诊慢特病: it decides whether anything is paid
    ("在门诊开药，自付300", None),
    ("感冒看门诊 自付200", "outpatient_general"), ("普通门诊自付100", "outpatient_general"),
    ("门诊慢特病 自付3000", "outpatient_chronic"), ("门诊透析 自付2000", "outpatient_major"),
])
def test_a_bare_outpatient_visit_is_not_taken_as_general(text, care):
    """"门诊" alone was 普通门诊, and the answer "不在救助范围内" for what may be a 慢特病 patient."""
    assert extract(text).care == care


@pytest.mark.parametrize("text", ["住院自付不到两万", "住院自付两万以内", "自付不足5000元"])
def test_a_self_pay_said_as_a_bound_in_a_sentence_is_not_taken(text):
    """As at the self-pay question (amounts.upper_bound_at): 不到两万 priced as 2万 would over-promise."""
    ext = extract(text)
    assert ext.self_pay is None and ext.self_pay_result.error == "upper_bound"
