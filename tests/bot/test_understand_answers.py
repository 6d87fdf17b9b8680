"""Whole-sentence answers (tests/bot/data/answers.yaml) in every region where the question is asked,
and the property that a negated option word never selects that option."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.flow import FlowConfig, State, questions_data, step
from bot.understand import read_choice
from bot.understand.negation import NEGATIONS

TABLE = yaml.safe_load((Path(__file__).parent / "data" / "answers.yaml").read_text(encoding="utf-8"))
HOMES = {"xizang": "拉萨", "ankang": "安康", "guangxi": "南宁", "urumqi": "乌鲁木齐", "qianjiang": "黔江"}
CFG = FlowConfig(today=date(2024, 6, 1))
# how the other questions on the way are answered (where: out of province, so 转诊 is asked)
ON_THE_WAY = {"special_disease": "不是", "hospital_level": "二级", "stay_policy_total": "5万", "where": "外省",
              "year_to_date": "之前没有", "referred": "办了"}


def drive(region: str, target: str) -> State | None:
    """A conversation in `region` up to the question `target`, or None when it is never asked there."""
    opening = {"identities": f"{HOMES[region]}，住院，自付5万", "care": f"{HOMES[region]}的低保户"}.get(
        target, f"{HOMES[region]}的低保户，住院，自付5万")
    state = step(None, "/start", CFG).state
    state = step(state, opening, CFG).state
    for _ in range(8):
        if state.pending == target:
            return state
        if state.done or state.pending not in ON_THE_WAY:
            return None
        state = step(state, ON_THE_WAY[state.pending], CFG).state
    return None


CASES = [(q, region, text, expect) for q, rows in TABLE.items() for text, expect in rows for region in HOMES]


@pytest.mark.parametrize("q,region,text,expect", CASES, ids=[f"{c[0]}-{c[1]}-{c[2]}" for c in CASES])
def test_sentence_answer(q, region, text, expect):
    state = drive(region, q)
    if state is None:
        assert q in ASKED_SOMEWHERE and region not in ASKED_SOMEWHERE[q], f"{q} never asked in {region}"
        return  # not a question of this region's rules (test_where_each_question_is_asked)
    reply = step(state, text, CFG)
    assert all(m.kind != "error" for m in reply.messages)
    after = reply.state
    shown = "\n".join(m.text for m in reply.messages)
    if q == "year_to_date":
        if expect:
            assert after.pending == "ytd_self_pay", (text, shown)
        else:
            assert after.slots.get("year_to_date") == {"self_pay": "0", "aid": "0", "tilt_aid": "0"}, (text, shown)
    elif q in ("care", "identities"):
        if expect is None:
            assert after.pending == "identities" and not after.slots.get("identities"), (text, shown)
        else:
            assert after.slots.get(q) == expect, (text, shown)
    else:
        assert after.slots.get("facts", {}).get(q) is expect, (text, shown)
    assert after.confirm is None, f"{text!r} opened a change: {shown}"  # never "改成门诊慢特病吗？"


# questions only some regions' rules ask (with the answers of ON_THE_WAY): where they are asked
ASKED_SOMEWHERE = {"special_disease": ("qianjiang",), "referred": ("ankang", "guangxi", "urumqi", "qianjiang")}


def test_where_each_question_is_asked():
    for q in TABLE:
        regions = ASKED_SOMEWHERE.get(q, tuple(HOMES))
        for region in HOMES:
            assert (drive(region, q) is not None) == (region in regions), (q, region)


WORD_TABLES = {q: d["words"] for q, d in questions_data().items() if isinstance(d, dict) and d.get("words")}
WORDS = [(q, value, word) for q, words in WORD_TABLES.items() for value, phrases in words.items() for word in phrases]
FILLER = st.sampled_from(["", "这次", "我们", "应该", "好像", "嗯，", "家里老人"])
TAIL = st.sampled_from(["", "的", "啊", "，不清楚别的", "。"])


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(WORDS), st.sampled_from([n for n in NEGATIONS if len(n) > 1] + ["没", "未"]), FILLER, TAIL)
def test_a_negated_option_word_never_selects_it(entry, negation, before, after):
    q, value, word = entry
    text = f"{before}{negation}{word}{after}"
    assert read_choice(text, WORD_TABLES[q]) != value, text


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(WORD_TABLES["special_disease"][True]), st.sampled_from(["不是", "没有", "并不是", "不算"]),
       st.sampled_from(["", "，", "哦"]))
def test_negated_special_disease_in_qianjiang(word, negation, tail):
    """"不是特殊病" and the like: special_disease false, never a change of the care type."""
    state = drive("qianjiang", "special_disease")
    reply = step(state, f"{negation}{word}{tail}", CFG)
    assert reply.state.slots.get("facts", {}).get("special_disease") is False
    assert reply.state.slots["care"] == "inpatient" and reply.state.confirm is None


@pytest.mark.parametrize("q,value,word", WORDS)
def test_each_option_word_alone_selects_its_option(q, value, word):
    assert read_choice(word, WORD_TABLES[q]) == value, word


UNKNOWN = {"special_disease": ["是不是特殊病我不知道", "不清楚是不是特殊疾病"],
           "referred": ["不知道有没有转诊", "转没转诊我不清楚"],
           "year_to_date": ["记不清之前有没有看过"]}


@pytest.mark.parametrize("q,text", [(q, t) for q, texts in UNKNOWN.items() for t in texts])
def test_not_knowing_skips_and_never_answers_yes(q, text):
    """"是不是特殊病我不知道": skipped (the result says what it assumed), never taken as 是."""
    for region in ASKED_SOMEWHERE.get(q, tuple(HOMES)):
        state = drive(region, q)
        reply = step(state, text, CFG)
        after = reply.state
        assert q in after.skipped or (q == "year_to_date" and "year_to_date" in after.skipped), (region, text)
        assert after.slots.get("facts", {}).get(q) is None, (region, text)
