"""Property tests: nothing raises, amounts stay in range, results are deterministic and fast."""

import time
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.understand import intents
from bot.understand import (
    LIMIT, MAX_LEN, classify, extract, find_care, find_identities, find_region, looks_like_question, normalize,
    parse_amount, parse_int, parse_yes_no,
)

# text biased towards the characters the parsers care about
_ALPHABET = st.sampled_from(list(
    "0123456789.,，-+万千百十亿两一二三四五六七八九零负元块wkK低保特困五户残疾级住院门诊自付花了南宁拉萨安康黔江乌市"
    "不是没有吗？?！ <>/&;\x00\u200b\u3000😀城东西藏广"
))
MIXED = st.one_of(st.text(), st.text(alphabet=_ALPHABET, max_size=60), st.text(max_size=6000))
FUNCS = [normalize, find_region, find_identities, find_care, classify, parse_yes_no, parse_int,
         looks_like_question, extract, parse_amount]

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(MIXED)
def test_nothing_raises(s):
    for f in FUNCS:
        f(s)
    extract(s, expecting="self_pay")
    parse_int(s, "age")


@SETTINGS
@given(st.one_of(st.none(), st.integers(), st.floats(allow_nan=True), st.binary(), st.lists(st.text())))
def test_non_strings(x):
    for f in FUNCS:
        f(x)


@SETTINGS
@given(MIXED)
def test_amount_in_range(s):
    r = parse_amount(s)
    if r.value is not None:
        assert isinstance(r.value, Decimal)
        assert Decimal(0) <= r.value <= LIMIT
        assert r.error is None
    else:
        assert r.error and r.message
    x = extract(s, expecting="self_pay")
    if x.self_pay is not None:
        assert Decimal(0) <= x.self_pay <= LIMIT


@SETTINGS
@given(MIXED)
def test_normalize_is_short_and_stable(s):
    n = normalize(s)
    assert len(n) <= MAX_LEN
    assert normalize(n) == n


@SETTINGS
@given(MIXED)
def test_deterministic(s):
    assert extract(s) == extract(s)
    assert extract(normalize(s)) == extract(s)


@SETTINGS
@given(st.integers(min_value=0, max_value=10_000_000))
def test_plain_integers_round_trip(n):
    assert parse_amount(str(n)).value == n
    assert parse_amount(f"{n}元").value == n
    assert parse_amount(f"{n:,}").value == n


@SETTINGS
@given(st.integers(min_value=1, max_value=999))
def test_wan_round_trip(n):
    assert parse_amount(f"{n}万").value == n * 10000


def test_codes_valid_on_samples():
    from bot.understand import CARE_CODES, IDENTITY_CODES
    for s in ["我是低保户", "五保户住院", "透析", "烈士家属", "监测户", "三类户", "建档立卡"]:
        m = find_identities(s)
        assert all(c in IDENTITY_CODES for c in m.codes)
        assert all(c in IDENTITY_CODES for _, c in m.unsure)
        c = find_care(s)
        assert c is None or c in CARE_CODES


def test_long_input_never_hangs():
    """Not a speed figure (benchmarks measure speed): a guard against catastrophic backtracking."""
    s = "低保户住院自付2万，" * 600
    extract(s)
    start = time.perf_counter()
    extract(s)
    assert time.perf_counter() - start < 2.0


def test_adversarial_repetitions_never_hang():
    """A guard against catastrophic backtracking on repetitive input, with a generous bound."""
    extract("warm up 低保 南宁 2万")
    for s in ["城东" * 300, "残疾二级" * 150, "安康" * 300, "南宁拉萨" * 150, "吧" * 600, "一万" * 300,
              "低保" * 300, "2万到" * 200, "<a" * 300, "十多" * 300]:
        start = time.perf_counter()
        extract(s + "x")
        assert time.perf_counter() - start < 2.0, s[:8]


_COMMAND_WORDS = [w for _, words in intents._COMMANDS for w in words]


@SETTINGS
@given(st.lists(st.one_of(st.sampled_from(_COMMAND_WORDS), st.text(alphabet=_ALPHABET, max_size=3)), max_size=4))
def test_command_word_inside_a_short_message_as_a_scan_of_every_word(parts):
    # classify looks the substrings of a short message up; it must find what trying every word of
    # every intent in order finds
    core = "".join(parts)[:8]
    expected = next((intent for intent, words in intents._COMMANDS for w in words
                     if len(w) >= 2 and w in core and 2 * len(w) > len(core)), None)
    assert intents._word_inside(core) == expected
