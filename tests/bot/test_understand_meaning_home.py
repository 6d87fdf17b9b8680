""""什么意思" about the question asked (classify → explain, meaning_of); a hesitation is no yes; says_home
(a place said as the patient's home, not as where the care was); a place named only to deny it."""

import pytest

from bot.flow.state import questions_data
from bot.understand import classify, extract, is_hedged, meaning_of, parse_hospital_level, parse_yes_no, says_home
from bot.understand.negation import denied_place_at

EXPLAIN = ["什么意思", "什么意思？", "啥意思", "这是什么意思", "这个问题是什么意思", "这个是什么意思", "你说的是什么意思",
           "看不懂", "我看不懂", "没听懂啊", "不明白", "不太明白", "不懂", "解释一下", "是什么意思啊",
           "这个不懂", "不知道怎么填", "怎么填？", "问的是什么", "这是什么"]
NOT_EXPLAIN = [("说明", "help"), ("怎么用", "help"), ("帮助", "help"), ("特殊疾病是什么意思", None),
               ("医疗救助是什么", None), ("不知道", "skip"), ("不是", "no"), ("低保户能报多少", None)]


@pytest.mark.parametrize("text", EXPLAIN)
def test_asking_what_the_question_means_is_explain(text):
    assert classify(text) == "explain"


@pytest.mark.parametrize("text,intent", NOT_EXPLAIN)
def test_other_messages_are_not_explain(text, intent):
    assert classify(text) == intent


@pytest.mark.parametrize("text,term", [
    ("什么意思", ""), ("这个问题什么意思", ""), ("特殊疾病是什么意思", "特殊疾病"), ("自付是啥意思啊", "自付"),
    ("什么叫备案", "备案"), ("什么是特殊疾病？", "特殊疾病"), ("备案是指什么", "备案"),
    ("医疗救助是什么", None), ("低保户能报多少", None), ("南宁", None), ("", None), (None, None),
])
def test_meaning_of_names_the_term_asked_about(text, term):
    assert meaning_of(text) == term


@pytest.mark.parametrize("text", ["嗯，我想想", "好，等一下", "是，我问问家里", "嗯我考虑考虑", "对，我看看单子"])
def test_a_hesitation_is_neither_yes_nor_no(text):
    assert parse_yes_no(text) is None


@pytest.mark.parametrize("text", ["嗯", "是的", "好的", "对，改过来"])
def test_a_plain_yes_stays_yes(text):
    assert parse_yes_no(text) is True


@pytest.mark.parametrize("text", ["我其实是安康的", "我是拉萨的", "不对，我是安康人", "我们家是广西的", "病人是广西的",
                                  "户口在柳州", "参保在黔江", "老家是汉滨区的", "他本来就是乌鲁木齐的", "我妈是黔江的"])
def test_home_is_said(text):
    assert says_home(text)


@pytest.mark.parametrize("text", ["我是在柳州看的", "去拉萨看的", "我就是在南宁看的", "他是去南宁住的院", "南宁", "在西安住的院",
                                  "是在南宁", "", None, "我是低保户", "我是低保户，在柳州看的"])
def test_a_care_place_is_no_home(text):
    assert not says_home(text)


def test_every_question_has_plain_words_without_figures():
    """The explanation is the question in plainer words; amounts and rates come from policies/."""
    questions = {q: spec for q, spec in questions_data().items() if isinstance(spec, dict) and "prompt" in spec}
    assert len(questions) >= 20
    for q, spec in questions.items():
        explain = spec.get("explain")
        assert explain and explain != spec["prompt"], q
        assert not any(mark in explain for mark in ("元", "%", "％", "万")), (q, explain)
        assert len(explain) <= 120, (q, len(explain))


def test_the_where_explanation_names_only_known_labels():
    explain = questions_data()["where"]["explain"]
    fields = {part.split("}")[0] for part in explain.split("{")[1:]}
    assert fields == {"local", "in_province", "out_of_province"}


@pytest.mark.parametrize("text,phrase,denied", [
    ("不在本市看的", "本市", True), ("没有在黔江区内住院", "黔江区内", True), ("本市以外", "本市", True),
    ("不是安康市内", "安康市内", True), ("就在本市", "本市", False), ("黔江区内", "黔江区内", False),
    ("在安康市内住的院", "安康市内", False),
])
def test_a_place_named_to_deny_it(text, phrase, denied):
    at = text.index(phrase)
    assert denied_place_at(text, at, at + len(phrase)) is denied


@pytest.mark.parametrize("text", ["不在黔江区内", "没在本地看", "不去外地"])
def test_saying_where_it_was_not_is_no_yes_no(text):
    assert parse_yes_no(text) is None


@pytest.mark.parametrize("text,where", [("不在本市看的", None), ("本市以外的医院", None), ("在本市住院", "local"),
                                        ("区外住院", "out_of_province")])
def test_extract_takes_no_denied_where(text, where):
    assert extract(text).facts.get("where") == where


@pytest.mark.parametrize("text,value", [
    ("有点贵", None), ("有些", None), ("有可能", None), ("好像是", None), ("对了我想问", None), ("是不是", None),
    ("嗯，不是", False), ("呃，没有", False), ("嗯不是", False), ("有的", True), ("有", True), ("嗯是的", True),
])
def test_words_that_start_like_yes(text, value):
    """"有点贵" starts with 有 and "嗯，不是" with 嗯: neither is a yes."""
    assert parse_yes_no(text) is value


@pytest.mark.parametrize("text,hedged", [
    ("好像办了", True), ("应该不是吧", True), ("可能是癌症", True), ("大概是第一次", True), ("估计没有", True),
    ("不可能", False), ("办了", False), ("不是", False), ("第一次", False), ("", False), (None, False),
])
def test_hedged_answers(text, hedged):
    assert is_hedged(text) is hedged


@pytest.mark.parametrize("text", ["黔江中心医院", "市中心医院", "市医院"])
def test_a_hospital_of_either_level_is_asked(text):
    """A 中心医院 or 市医院 is 二级 in one city and 三级 in another: asked, not guessed."""
    assert parse_hospital_level(text) is None


@pytest.mark.parametrize("text,region,place", [
    ("我在广西南宁打工，户口在安康，低保，住院自付1万", "ankang", "安康市"),
    ("我在南宁打工户口在安康", "ankang", "安康市"),
    ("我是安康的，在南宁打工", "ankang", "安康市"),
    ("我是在西安打工，户口在汉滨区", "ankang", "汉滨区"),
    ("我们家是广西柳州的，在南宁住院", "guangxi", "柳州市"),
    ("我是南宁的低保户，在柳州住院", "guangxi", "南宁市"),
    ("在拉萨住院，我是黔江的", "qianjiang", "黔江区"),
])
def test_the_place_said_as_home_is_the_region(text, region, place):
    ext = extract(text)
    assert (ext.region, ext.place.place) == (region, place)


@pytest.mark.parametrize("text", ["我不是南宁的，是安康的", "户口不在南宁，在安康"])
def test_a_denied_home_gives_way_to_the_one_said(text):
    assert extract(text).region == "ankang"


@pytest.mark.parametrize("text", ["金额写错了", "地区填错了", "身份不对", "我的身份选错了", "我搞错了", "改地区", "改金额"])
def test_an_answer_named_as_wrong_opens_the_edit_menu(text):
    assert classify(text) == "edit"


@pytest.mark.parametrize("text,intent", [("不对", "no"), ("钱数不对，是1万8", None), ("我搞错了，应该是安康", None)])
def test_a_correction_that_says_the_right_answer_is_no_edit(text, intent):
    assert classify(text) == intent
