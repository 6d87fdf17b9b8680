"""find_care, classify, parse_yes_no, parse_int, parse_hospital_level, looks_like_question."""

import pytest

from bot.understand import (
    another_patient, classify, find_care, looks_like_question, parse_hospital_level, parse_int, parse_yes_no,
    result_part_asked, what_if,
)

CARE = [
    ("住院", "inpatient"), ("住了院", "inpatient"), ("出院", "inpatient"), ("住了一个月的院", "inpatient"),
    ("刚出院", "inpatient"), ("住院透析", "inpatient"), ("癌症住院化疗", "inpatient"), ("做手术", "inpatient"),
    ("门诊慢特病", "outpatient_chronic"), ("慢性病", "outpatient_chronic"), ("慢病", "outpatient_chronic"),
    ("长期吃药", "outpatient_chronic"), ("门特", "outpatient_chronic"), ("高血压糖尿病", "outpatient_chronic"),
    ("透析", "outpatient_major"), ("尿毒症", "outpatient_major"), ("癌症", "outpatient_major"),
    ("肿瘤", "outpatient_major"), ("化疗", "outpatient_major"), ("放疗", "outpatient_major"),
    ("器官移植", "outpatient_major"), ("抗排异", "outpatient_major"), ("地贫", "outpatient_major"),
    ("地中海贫血", "outpatient_major"), ("血友病", "outpatient_major"), ("门诊透析", "outpatient_major"),
    ("没住院，在门诊透析", "outpatient_major"), ("重特大门诊", "outpatient_major"), ("肾移植后吃抗排异药", "outpatient_major"),
    ("普通门诊", "outpatient_general"), ("看门诊", "outpatient_general"), ("拿药", "outpatient_general"),
    ("感冒", "outpatient_general"), ("门诊", "outpatient_general"), ("感冒发烧去诊所", "outpatient_general"),
    ("不知道", None), ("保险", None), ("", None), ("南宁", None), ("没有住院", None), ("低保户", None),
    # a stay in a hospital said without 住院; a stay anywhere else is not care
    ("在县医院住了半个月", "inpatient"), ("在医院里住了两个月", "inpatient"), ("卫生院住了三天", "inpatient"),
    ("在亲戚家住了半个月", None), ("住了3天", None),
]


@pytest.mark.parametrize("text,care", CARE)
def test_care(text, care):
    assert find_care(text) == care


INTENT = [
    ("重新开始", "restart"), ("重来", "restart"), ("/restart", "restart"), ("从头", "restart"), ("从头开始", "restart"),
    ("我想重新开始吧", "restart"), ("/start", "restart"),
    ("返回", "back"), ("上一步", "back"), ("退回", "back"), ("返回上一步", "back"),
    ("修改", "edit"), ("改一下", "edit"), ("改答案", "edit"), ("我填错了", "edit"),
    ("帮助", "help"), ("/help", "help"), ("怎么用", "help"), ("?", "help"),
    ("人工", "human"), ("转人工", "human"), ("找人", "human"), ("客服", "human"), ("电话", "human"),
    ("帮我转人工客服", "human"),
    ("跳过", "skip"), ("不知道", "skip"), ("不清楚", "skip"), ("不确定", "skip"), ("说不清", "skip"), ("我不知道", "skip"),
    ("下一位", "next"), ("下一个", "next"),
    ("是", "yes"), ("对", "yes"), ("好的", "yes"), ("嗯", "yes"), ("是的", "yes"), ("有", "yes"), ("好的。", "yes"),
    ("不是", "no"), ("否", "no"), ("没有", "no"), ("不对", "no"), ("不用", "no"),
    ("我想返回老家看病", None), ("低保户", None), ("南宁", None), ("2万", None), ("", None), ("住院", None),
    ("/unknowncmd", None), ("客服电话是多少？", None),
]


@pytest.mark.parametrize("text,intent", INTENT)
def test_classify(text, intent):
    assert classify(text) == intent


YESNO = [("是", True), ("对", True), ("好的", True), ("嗯", True), ("是的", True), ("有", True), ("对的，转诊了", True),
         ("不是", False), ("否", False), ("没有", False), ("不对", False), ("不用", False), ("没有转诊", False),
         ("不是的，我是低保", False), ("不知道", None), ("南宁", None), ("", None), ("是不是要转诊", None), ("😀", None)]


@pytest.mark.parametrize("text,value", YESNO)
def test_yes_no(text, value):
    assert parse_yes_no(text) is value


@pytest.mark.parametrize("text,kind,value", [
    ("二级", None, 2), ("二级", "grade", 2), ("一级", "grade", 1), ("4级", "grade", 4), ("五级", "grade", None),
    ("三甲医院", None, 3), ("三甲医院", "hospital_level", 3), ("县医院", "hospital_level", 2), ("县医院", None, 2),
    ("乡镇卫生院", "hospital_level", 1), ("社区医院", "hospital_level", 1), ("市医院", "hospital_level", None),
    ("省人民医院", "hospital_level", 3), ("二甲", "hospital_level", 2), ("2", "hospital_level", 2),
    ("65岁", "age", 65), ("六十五", "age", 65), ("今年72了", "age", 72), ("200岁", "age", None),
    ("3口人", "family_size", 3), ("家里五口人", "family_size", 5), ("4", "family_size", 4),
    ("一档", "tier", 1), ("第二档", "tier", 2),
    ("不知道", None, None), ("", None, None), ("十二", None, 12),
])
def test_parse_int(text, kind, value):
    assert parse_int(text, kind) == value


def test_hospital_level_unknown():
    assert parse_hospital_level("市医院") is None
    assert parse_hospital_level("不知道") is None


@pytest.mark.parametrize("text,value", [
    ("低保户能报多少？", True), ("去哪里申请", True), ("住院能报吗", True), ("怎么申请医疗救助", True),
    ("需要带什么材料？", True), ("异地就医怎么报销", True), ("救助比例是多少", True),
    ("是吗", False), ("2万", False), ("我是低保户", False), ("南宁", False), ("好的", False), ("", False),
    ("嗯", False), ("2万吗", False), ("住院", False),
])
def test_question(text, value):
    assert looks_like_question(text) is value


@pytest.mark.parametrize("text,intent", [("跳过这个", "skip"), ("跳过这题", "skip"), ("跳过这个问题", "skip"),
                                         ("人工智能", None), ("从头到尾", None)])
def test_classify_with_fillers(text, intent):
    assert classify(text) == intent


@pytest.mark.parametrize("text,value", [("转诊了", True), ("办过", True), ("备案了", True), ("没转诊", False),
                                        ("算了", False), ("忘了", None), ("不知道了", None)])
def test_yes_no_actions(text, value):
    assert parse_yes_no(text) is value


@pytest.mark.parametrize("text", ["住院，什么都不是", "不知道是什么医院", "不知道花了多少", "啥也不是"])
def test_not_questions(text):
    assert looks_like_question(text) is False


@pytest.mark.parametrize("text,care", [("住过院", "inpatient"), ("没有住过院", None), ("生孩子", "inpatient"),
                                       ("剖腹产", "inpatient"), ("在ICU", "inpatient"), ("两病门诊", "outpatient_chronic"),
                                       ("没住过医院，门诊透析", "outpatient_major")])
def test_more_care_words(text, care):
    assert find_care(text) == care


@pytest.mark.parametrize("text,part", [
    ("要带什么材料？", "documents"), ("那去哪里办呢", "documents"), ("请问怎么申请", "documents"), ("怎么算的", "detail"),
    ("为什么这么少", "detail"), ("还有什么补助", "benefits"), ("打印", "print"), ("我想打印出来", "print"),
    ("低保户去哪里申请认定", None), ("五保户住院能报多少", None), ("住院", None), ("", None),
])
def test_result_part_asked(text, part):
    assert result_part_asked(text) == part


@pytest.mark.parametrize("text,another", [
    ("我还有个儿子也住院了，自付5000", True), ("我老伴也住院了", True), ("另外一个病人", True),
    ("再帮我女儿算一下", True), ("我孩子也病了", True),
    ("我妈住院了自付2万", False), ("我是替我妈问的", False), ("她也住院了", False), ("还有个问题", False),
    ("另外，自付是2万", False), ("我儿子住院自付2万", False),
])
def test_another_patient(text, another):
    assert another_patient(text) is another


@pytest.mark.parametrize("text,supposed", [
    ("要是自付5万呢", "自付5万"), ("如果是特困呢", "特困"), ("那如果是在外省住的呢", "在外省住的"),
    ("假如是门诊慢特病的话能报多少？", "门诊慢特病"), ("我如果是低保呢", "低保"), ("那要是3万呢", "3万"),
    ("如果", None), ("自付5万", None), ("低保户如果住院能报多少", None),
])
def test_what_if(text, supposed):
    assert what_if(text) == supposed
