"""parse_amount: every way people type money, and the errors."""

from decimal import Decimal

import pytest

from bot.understand import LIMIT, extract, parse_amount

OK = [
    ("2万", 20000), ("两万", 20000), ("3.5万", 35000), ("三万五", 35000), ("三万五千", 35000), ("1万2", 12000),
    ("1万2千", 12000), ("35000元", 35000), ("３５０００", 35000), ("35,000", 35000), ("35，000", 35000),
    ("3万5千元", 35000), ("五千", 5000), ("八百五", 850), ("一千二", 1200), ("0.5万", 5000), ("十万", 100000),
    ("一百二十万", 1200000), ("2w", 20000), ("2W", 20000), ("20k", 20000), ("20K", 20000), ("自付了2万块钱", 20000),
    ("35000", 35000), ("35000块", 35000), ("三万", 30000), ("两千五", 2500), ("两千五百", 2500), ("一万零五百", 10500),
    ("一千零五", 1005), ("十二万", 120000), ("十五万", 150000), ("二十万", 200000), ("一百万", 1000000),
    ("100万", 1000000), ("1,200,000", 1200000), ("12000.50", Decimal("12000.50")), ("12.345", Decimal("12.35")),
    ("￥300", 300), ("300元", 300), ("三百块", 300), ("五百元", 500), ("2万元", 20000), ("2 万", 20000),
    ("大约3万", 30000), ("一共花了2万", 20000), ("花了两万多", 20000), ("住了10天花了2万", 20000),
    ("2万，三甲医院", 20000), ("65岁，自付3万", 30000), ("0", 0), ("0元", 0), ("没花钱", 0), ("全报了", 0),
    ("三", 3), ("壹万贰仟", 12000), ("两万五千五", 25500), ("1000万", 10000000), ("九千九百九十九万", None),
    ("3万5", 35000), ("四万八", 48000), ("6千", 6000), ("6000", 6000), ("1.2w", 12000), ("两万块钱左右", 20000),
    ("<b>2万</b>", 20000), ("　２万　", 20000), ("二〇〇〇〇", 20000), ("三点五万", 35000), ("两万一", 21000),
    ("两万一个人", 20000), ("自付2万一次", 20000),
]


@pytest.mark.parametrize("text,value", OK)
def test_ok(text, value):
    r = parse_amount(text)
    if value is None:
        assert r.value is None and r.error == "too_large"
        return
    assert r.error is None, (text, r)
    assert r.value == Decimal(value)
    assert isinstance(r.value, Decimal)


@pytest.mark.parametrize("text", ["大概两万多", "两万多", "两三万", "2到3万", "大约三万", "3万左右", "差不多5千"])
def test_approx(text):
    r = parse_amount(text)
    assert r.error is None and r.approx is True and r.note and "约" in r.note


def test_about_two_wan():
    r = parse_amount("大概两万多")
    assert r.value == 20000 and r.approx


def test_range_midpoint():
    assert parse_amount("两三万").value == 25000
    assert parse_amount("2到3万").value == 25000
    assert parse_amount("3-5千").value == 4000


@pytest.mark.parametrize("text,code", [
    ("-500", "negative"), ("负五百", "negative"), ("-2万", "negative"),
    ("20000000", "too_large"), ("两千万", "too_large"), ("1亿", "too_large"), ("13912345678", "too_large"),
    ("很多", "vague"), ("好几万", "vague"), ("不少", "vague"), ("万把块", "vague"), ("自付千把块钱", "vague"),
    ("不知道", "unknown"), ("不清楚", "unknown"), ("忘了", "unknown"), ("记不清了", "unknown"), ("不晓得", "unknown"),
    ("asdf", "unreadable"), ("一般吧", "unreadable"), ("万一", "unreadable"), ("千万别", "unreadable"),
    ("二级残疾", "unreadable"), ("65岁", "unreadable"), ("'; DROP TABLE x;--", "unreadable"), ("😀", "unreadable"),
    ("", "empty"), ("   ", "empty"), (None, "empty"),
    ("自付2万报销3万", "ambiguous"), ("2万或者3万5", "ambiguous"), ("5000元还是8000元", "ambiguous"),
])
def test_errors(text, code):
    r = parse_amount(text)
    assert r.value is None
    assert r.error == code, (text, r)
    assert r.message and isinstance(r.message, str)


def test_too_large_message():
    assert "金额太大" in parse_amount("20000000").message


def test_ambiguous_candidates():
    r = parse_amount("自付2万报销3万")
    assert r.candidates == [Decimal(20000), Decimal(30000)]


def test_same_number_twice_is_fine():
    assert parse_amount("2万，就是20000元").value == 20000


def test_one_money_number_among_others():
    # 3 is not money-like, 2万 is
    assert parse_amount("住院3次，2万").value == 20000


def test_limit_is_ten_million():
    assert LIMIT == Decimal(10_000_000)
    assert parse_amount("10000000").value == LIMIT
    assert parse_amount("10000001").error == "too_large"


@pytest.mark.parametrize("text,value", [("十来万", 100000), ("十多万", 100000), ("二十多万", 200000),
                                        ("一百来块", 100), ("两万以上", 20000), ("将近两万", 20000)])
def test_about_forms(text, value):
    r = parse_amount(text)
    assert r.value == value and r.approx


@pytest.mark.parametrize("text", ["两万以内", "不到两万", "不到2万块", "2万元以下", "没超过一万", "自付不到5000"])
def test_an_upper_bound_is_no_figure(text):
    """Priced as the bound, "不到两万" would over-promise: the user is asked for a figure."""
    r = parse_amount(text)
    assert r.value is None and r.error == "upper_bound" and "小一点" in r.message


@pytest.mark.parametrize("text,value", [("༢༠༠༠༠", 20000), ("٢٠٠٠٠", 20000), ("仨万", 30000), ("一两万", 15000)])
def test_other_digits(text, value):
    assert parse_amount(text).value == value


@pytest.mark.parametrize("text,value", [("2,0000", 20000), ("12,0000", 120000),
                                        ("2024年6月1日住院，自付2万", 20000), ("6.1住院，花了2万", 20000),
                                        ("我电话13912345678，自付2万", 20000), ("3万5千5百", 35500)])
def test_numbers_around_the_amount(text, value):
    assert parse_amount(text).value == value


def test_percent_is_not_money():
    assert parse_amount("报了70%").value is None


@pytest.mark.parametrize("text,money", [("2", False), ("2玩", False), ("2元", True), ("2万", True), ("两千", True),
                                        ("2块钱", True), ("35000", False)])
def test_whether_a_unit_was_said(text, money):
    """AmountResult.money: a unit or money word was said (the flow asks 2元 or 2万 of a bare "2")."""
    assert parse_amount(text).money is money


@pytest.mark.parametrize("text,value", [
    ("一万五六", Decimal("15500")), ("两万三四", Decimal("23500")), ("三千五六", Decimal("3550")),
    ("一万七八千", Decimal("17500")), ("三万五", Decimal("35000")), ("一万七", Decimal("17000")),
])
def test_two_digits_after_wan_are_a_range_of_the_next_unit(text, value):
    """"一万五六" is 1.5–1.6万: the middle, as an approximate figure (it was unreadable)."""
    result = parse_amount(text)
    assert result.value == value and result.approx == (text not in ("三万五", "一万七"))


@pytest.mark.parametrize("text,value", [("自负2万", 20000), ("个人自负3000", 3000), ("住院自负1.2万", 12000)])
def test_self_borne_is_not_minus(text, value):
    """自负 (borne by oneself, a settlement sheet's word) is a self-pay, not 负 (minus)."""
    assert parse_amount(text).value == value
    assert extract(text).slots["self_pay"] == value
