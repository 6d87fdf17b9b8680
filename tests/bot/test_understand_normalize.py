"""normalize, and words from a general dictionary that must not be read as slots."""

import pytest

from bot.understand import classify, compact, find_care, find_identities, find_region, normalize, parse_amount


@pytest.mark.parametrize("raw,clean", [
    ("３５０００", "35000"), ("ＡＢＣ", "abc"), ("低保户，住院！", "低保户,住院!"), ("  a \n\t b  ", "a b"),
    ("<b>拉萨</b>", "拉萨"), ("<script>alert(1)</script>低保", "alert(1) 低保"), ("a&amp;b", "a&b"),
    ("低\u200b保", "低保"), ("低\x00保", "低保"), ("\u3000南宁\u3000", "南宁"), ("", ""), (None, ""),
    (12345, "12345"), ("😀低保😀", "😀低保😀"), ("Ｈｅｌｌｏ　Ｗｏｒｌｄ", "hello world"),
])
def test_normalize(raw, clean):
    assert normalize(raw) == clean


def test_cap_and_compact():
    assert len(normalize("低" * 5000)) == 500
    assert compact(" 低 保 户 ") == "低保户"


@pytest.mark.parametrize("word", ["地堡", "残迹", "故而", "检测", "保险", "低头", "地方", "保底", "特别", "五百",
                                  "工资", "孤单", "优秀", "参保", "医保", "保安", "低调", "低价"])
def test_dictionary_words_are_not_identities(word):
    m = find_identities(word)
    assert m.codes == [] and m.unsure == []


def test_poor_student_words():
    assert find_identities("特困生").codes == ["poor_student"]


@pytest.mark.parametrize("word", ["正阳门", "奥巴马", "准噶尔", "聂荣臻", "二十八宿", "比如说", "阿里巴巴", "水田里",
                                  "太极拳", "新华社", "城东小区", "石家庄"])
def test_dictionary_words_are_not_our_regions(word):
    m = find_region(word)
    assert m is None or m.region is None


def test_other_county_with_same_ending():
    m = find_region("华容县")
    assert m is not None and m.outside and m.place == "华容县"


@pytest.mark.parametrize("word", ["一二", "乱七八糟", "七零八落", "三五成群", "五四运动", "二十多年", "一两", "万一",
                                  "千万别", "一般", "一下", "一直", "三甲"])
def test_dictionary_words_are_not_amounts(word):
    assert parse_amount(word).value is None


@pytest.mark.parametrize("word", ["数十万", "几十万", "自付几万块", "好几千"])
def test_vague_amounts(word):
    assert parse_amount(word).error == "vague"


@pytest.mark.parametrize("word", ["澳门特别行政区", "看病", "医保", "保险"])
def test_not_care(word):
    assert find_care(word) is None


@pytest.mark.parametrize("word", ["别的", "不下", "人工智能", "从头到尾", "你好", "对了我想问一下"])
def test_not_commands(word):
    assert classify(word) is None
