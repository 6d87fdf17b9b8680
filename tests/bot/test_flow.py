"""Flow behaviour not covered by the transcripts, and robustness: garbage at every step of a
conversation in every region, random conversations (hypothesis), purity (no aiogram/fastapi), and
button labels that fit Telegram's callback data."""
from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot import flow
from bot.flow import FlowConfig, State, step
from bot.flow.parsers import age_of_birth
from bot.flow.state import _care_day, care_date_of
from bot.messages import Message
from engine.policy import default as load_policies

TODAY = date(2024, 6, 1)


def fake_faq(question: str, region: str | None) -> list[Message]:
    return [Message(text=f"【问答】{question[:20]}\n依据：测试条款", kind="info")]


CFG = FlowConfig(faq=fake_faq, today=TODAY)

# One whole conversation per region, button by button, up to the result.
CONVERSATIONS = {
    "xizang": ["/start", "西藏", "低保户", "选好了", "住院", "2万", "之前没有"],
    "ankang": ["/start", "安康", "低保户", "选好了", "住院", "3万", "安康市内", "之前没有"],
    "guangxi": ["/start", "广西", "低保户", "重度残疾人", "选好了", "住院", "5万", "二级", "本市", "之前没有"],
    "urumqi": ["/start", "乌鲁木齐", "监测户", "边缘易致贫户", "住院", "2万", "新疆区内其他地方", "办了", "之前没有"],
    "qianjiang": ["/start", "黔江", "低保户", "选好了", "住院", "5万", "不是", "二级（县医院）", "8万", "黔江区内",
                  "之前没有"],
}
# Conversations that end waiting for a confirmation, or in the edit menu, or picking identities.
SPECIAL = {
    "confirm": ["/start", "我是南宁的低保户，住院自付2万", "其实自付是3万"],
    "edit": ["/start", "我是南宁的低保户，住院自付2万", "修改"],
    "ytd": ["/start", "日喀则的五保户，门诊慢特病自付8000", "之前有过"],
}

GARBAGE = {
    "emoji": "😀🎉👍🏽🇨🇳",
    "long": "啊" * 5000,
    "long_ascii": "x" * 5000,
    "html": "<script>alert('x')</script><b>低</b>",
    "sql": "'; DROP TABLE users; --",
    "empty": "",
    "whitespace": "  \t\n\u3000 ",
    "control": "\x00\x07\x1b[31m\x7f\u200b\ufeff",
    "punctuation": "？？？！！！。。。",
    "latin": "hello, how are you",
}
# Texts that are answers to an amount question but garbage anywhere else.
NUMERIC = {"fullwidth": "１２３４５", "huge": "9" * 400}
AMOUNT_QUESTIONS = {"self_pay", "stay_policy_total", "family_income", "ytd_self_pay", "ytd_aid", "ytd_tilt_aid"}


def run(texts, cfg=CFG):
    state = None
    reply = None
    for text in texts:
        reply = step(state, text, cfg)
        state = roundtrip(reply.state)
    return state, reply


def roundtrip(state: State) -> State:
    dumped = json.loads(json.dumps(state.model_dump(mode="json"), ensure_ascii=False))
    again = State.model_validate(dumped)
    assert again == state
    return again


def labels(reply) -> list[str]:
    return [b.label for m in reply.messages for b in m.buttons]


def check_reply(reply) -> None:
    assert reply.messages, "no message"
    for m in reply.messages:
        assert m.kind != "error", m.text
        assert isinstance(m.text, str) and m.text.strip()
        for b in m.buttons:
            assert len(b.label.encode("utf-8")) <= 60, b.label
            assert b.code is None or len(b.code.encode("utf-8")) <= 64, b.code
    roundtrip(reply.state)


# ------------------------------------------------------------------------------------------- robustness

PREFIXES = [(region, conv[:n]) for region, conv in CONVERSATIONS.items() for n in range(1, len(conv) + 1)]
PREFIXES += [(name, conv) for name, conv in SPECIAL.items()]


@pytest.mark.parametrize("region,prefix", PREFIXES, ids=[f"{r}-{len(p)}" for r, p in PREFIXES])
def test_garbage_at_every_step_keeps_the_conversation(region, prefix):
    state, _ = run(prefix)
    for name, junk in {**GARBAGE, **NUMERIC}.items():
        reply = step(state, junk, CFG)
        check_reply(reply)
        after = reply.state
        if name in NUMERIC and (state.pending in AMOUNT_QUESTIONS or state.done and not state.pending):
            continue  # a valid (or re-prompted) amount; after the result, a new amount to confirm
        assert after.pending == state.pending, (name, state.pending, after.pending)
        assert after.slots == state.slots, (name, state.slots, after.slots)
        assert after.confirm == state.confirm, name
        assert after.done == state.done, name
        if state.confirm:
            assert state.confirm["text"] in "\n".join(m.text for m in reply.messages), name
        elif state.pending:
            # the pending question is asked again
            prompt = "要改哪一项" if state.pending == "edit" else "已选" if state.picking else flow._prompt(state.pending)
            assert prompt in "\n".join(m.text for m in reply.messages), (name, state.pending)


@pytest.mark.parametrize("region", CONVERSATIONS)
def test_every_region_reaches_a_result(region):
    state, reply = run(CONVERSATIONS[region])
    assert state.done and state.pending is None
    assert reply.messages[-1].kind == "result"
    text = reply.messages[-1].text
    assert "万元（" in text or "元" in text
    assert "估算仅供参考" in text and "12393" in text


def test_step_accepts_anything_as_text():
    state, _ = run(["/start", "广西"])
    for odd in (None, 123, 4.5, b"bytes", ["list"], {"a": 1}):
        reply = step(state, odd, CFG)
        check_reply(reply)
        assert reply.state.pending == "identities"
    check_reply(step(None, None, CFG))


def test_first_message_without_start_is_understood():
    reply = step(None, "我是南宁的低保户，住院自付2万", CFG)
    check_reply(reply)
    assert reply.state.slots["region"] == "guangxi"
    assert reply.state.slots["identities"] == ["dibao"]
    assert reply.state.pending == "where"


def test_step_does_not_mutate_the_given_state():
    state, _ = run(["/start", "广西"])
    copy = state.model_copy(deep=True)
    step(state, "低保户", CFG)
    step(state, "修改", CFG)
    assert state == copy


# ------------------------------------------------------------------------------------------- behaviour


@pytest.mark.parametrize("essential,prefix", [
    ("region", ["/start"]),
    ("identities", ["/start", "广西"]),
    ("care", ["/start", "广西", "都不是"]),
    ("self_pay", ["/start", "广西", "都不是", "住院"]),
])
def test_essentials_cannot_be_skipped(essential, prefix):
    state, reply = run(prefix)
    assert state.pending == essential
    assert "跳过" not in labels(reply)
    for text in ("跳过", "不知道", "不清楚"):
        reply = step(state, text, CFG)
        check_reply(reply)
        assert reply.state.pending == essential, text
        assert essential not in reply.state.slots


@pytest.mark.parametrize("text", ["跳过", "不知道"])
def test_facts_accept_skip_and_the_result_says_so(text):
    state, reply = run(["/start", "黔江", "低保户", "选好了", "住院", "5万"])
    assert state.pending == "special_disease" and "跳过" in labels(reply)
    state, reply = run(["/start", "黔江", "低保户", "选好了", "住院", "5万", text, "二级（县医院）", "8万", "黔江区内",
                        "之前没有"])
    assert "special_disease" in state.skipped
    result = reply.messages[-1].text
    assert "不是特殊疾病" in result  # the default used, said
    assert "跳过" in result


def test_identity_picking_then_moving_on_keeps_the_picks():
    state, _ = run(["/start", "黔江", "低保户", "住院"])
    assert state.slots["identities"] == ["dibao"] and state.slots["care"] == "inpatient"
    assert state.pending == "self_pay"
    state, _ = run(["/start", "黔江", "低保户", "不是"])
    assert state.slots["identities"] == ["dibao"]
    state, _ = run(["/start", "黔江", "低保户", "没有了"])
    assert state.slots["identities"] == ["dibao"]


def test_none_before_picking_means_no_identity():
    state, _ = run(["/start", "广西", "都不是"])
    assert state.slots["identities"] == []
    assert state.pending == "care"


def test_identity_buttons_are_those_of_the_region():
    _, reply = run(["/start", "黔江"])
    assert "孤儿" not in labels(reply)
    _, reply = run(["/start", "西藏"])
    assert "孤儿" in labels(reply)
    assert "优抚对象" not in labels(reply)


def test_a_question_is_answered_and_fills_nothing():
    state, reply = run(["/start", "安康", "五保户住院能报多少？"])
    assert reply.messages[0].text.startswith("【问答】")
    assert state.pending == "identities" and "identities" not in state.slots
    assert "哪些身份" in reply.messages[-1].text


def test_without_faq_a_question_still_gets_a_reply():
    cfg = FlowConfig(today=TODAY)
    state, reply = run(["/start", "安康", "要带什么材料？"], cfg)
    check_reply(reply)
    assert state.pending == "identities"


def test_contradiction_is_not_applied_before_confirmation():
    state, reply = run(SPECIAL["confirm"])
    assert state.slots["self_pay"] == "20000" and state.confirm
    assert {"是，改过来", "不改"} <= set(labels(reply))
    back = step(state, "上一步", CFG)  # anything but yes/no: asked again, nothing changed
    assert back.state.slots["self_pay"] == "20000"


def test_identities_added_later_are_merged_without_asking():
    state, _ = run(["/start", "广西", "低保户", "选好了", "住院"])
    reply = step(state, "他还是重度残疾人", CFG)
    check_reply(reply)
    assert reply.state.slots["identities"] == ["dibao", "severe_disability"]
    assert reply.state.confirm is None
    assert "已加上身份：重度残疾人" in reply.messages[-1].text
    assert reply.state.pending == "self_pay"


def test_restart_and_next_clear_everything():
    state, _ = run(CONVERSATIONS["guangxi"] + ["重新开始"])
    assert state.slots == {} and state.pending == "region" and not state.done
    state, reply = run(["/start", "村干部帮办"] + CONVERSATIONS["guangxi"][1:] + ["下一位"])
    # a cadre's next applicant: everything cleared but the region, which is kept and said
    assert state.mode == "cadre" and state.slots == {"region": "guangxi"} and state.pending == "identities"
    assert "开始下一位" in reply.messages[0].text and "地区还按广西" in reply.messages[0].text


def test_back_from_the_first_question_stays():
    state, reply = run(["/start", "上一步"])
    assert state.pending == "region"
    assert "第一个问题" in reply.messages[-1].text


def test_result_detail_buttons_need_a_result():
    state, reply = run(["/start", "广西", "计算过程"])
    check_reply(reply)
    assert state.pending == "identities"


def test_no_question_is_asked_twice_in_a_conversation():
    for region, conv in CONVERSATIONS.items():
        asked = []
        state = None
        for text in conv:
            reply = step(state, text, CFG)
            state = reply.state
            if state.pending and state.pending not in ("identities",):
                asked.append(state.pending)
        assert len(asked) == len(dict.fromkeys(asked)), (region, asked)


def test_amounts_are_shown_in_wan_and_yuan():
    _, reply = run(CONVERSATIONS["guangxi"])
    assert "4.75万元（47,500元）" in reply.messages[-1].text


def test_transition_note_only_after_2025():
    _, reply = run(CONVERSATIONS["xizang"])
    assert "过渡期" not in reply.messages[-1].text
    _, reply = run(CONVERSATIONS["xizang"], FlowConfig(faq=fake_faq, today=date(2026, 3, 1)))
    assert "过渡期已于2025年底结束" in reply.messages[-1].text
    conv = CONVERSATIONS["xizang"] + ["其他待遇"]
    _, reply = run(conv)
    assert "过渡期已于2025年底结束" not in reply.messages[-1].text
    _, reply = run(conv, FlowConfig(faq=fake_faq, today=date(2026, 3, 1)))
    assert "2025年底结束" in reply.messages[-1].text


# ------------------------------------------------------------------------------------------- data and purity


def test_questions_data_cover_every_question_the_engine_asks():
    data = flow.questions_data()
    facts = {q.fact for pol in load_policies().regions.values() for q in pol.questions}
    for fact in facts | set(flow.ESSENTIALS) | set(flow.YTD_STEPS):
        assert fact in data, fact
        assert data[fact]["prompt"].strip(), fact
    for key, entry in data.items():
        if key == "identity_buttons":
            labels_ = list(entry)
        else:
            labels_ = list((entry.get("options") or {}))
        for label in labels_:
            assert len(str(label).encode("utf-8")) <= 60, (key, label)


def test_where_labels_fit_a_button():
    for pol in load_policies().regions.values():
        for label in (pol.where_labels.local, pol.where_labels.in_province, pol.where_labels.out_of_province):
            assert len(label.encode("utf-8")) <= 60, label


def test_flow_does_not_import_aiogram_or_fastapi():
    code = ("import sys, bot.flow; bad = [m for m in sys.modules if m.split('.')[0] in ('aiogram', 'fastapi')];"
            "print(','.join(bad)); sys.exit(1 if bad else 0)")
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_flow_source_imports_no_door():
    import ast

    names = set()
    modules = sorted(Path(flow.__file__).parent.glob("*.py"))  # every module of the bot/flow package
    assert len(modules) > 1, modules
    for node in (n for path in modules for n in ast.walk(ast.parse(path.read_text(encoding="utf-8")))):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    assert not names & {"aiogram", "fastapi", "starlette", "telegram"}


def test_every_transcript_button_fits_telegram():
    root = Path(__file__).parent / "transcripts"
    for path in sorted(root.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        today = data.get("today", TODAY)
        cfg = FlowConfig(faq=fake_faq, today=date.fromisoformat(today) if isinstance(today, str) else today)
        state = None
        for s in data["steps"]:
            reply = step(state, str(s["send"]), cfg)
            check_reply(reply)
            state = reply.state


# ------------------------------------------------------------------------------------------- hypothesis

COMMANDS = ["/start", "重新开始", "上一步", "返回", "修改", "帮助", "人工", "跳过", "不知道", "下一位", "村干部帮办",
            "不改了", "是，改过来", "不改", "选好了", "都不是", "/cadre", "/faq", "/help", "计算过程", "材料和去哪办",
            "其他待遇", "打印版", "改地区", "改自付金额", "改救助身份"]
PHRASES = ["我是南宁的低保户，住院自付2万", "拉萨", "汉滨区", "黔江", "天山区", "北京", "监测户", "底保", "五保户",
           "残疾证一级", "其实自付是3万", "我是拉萨的", "低保户住院能报多少？", "是", "不是", "办了", "二级",
           "门诊慢特病", "普通门诊", "住院"]
AMOUNTS = ["2万", "两万", "3.5万", "三万五", "1万2", "35000元", "３５０００", "35,000", "-5", "0", "9" * 40, "1e9", "NaN"]

texts = st.one_of(
    st.sampled_from(COMMANDS), st.sampled_from(PHRASES), st.sampled_from(AMOUNTS),
    st.text(max_size=40), st.text(alphabet=st.characters(codec="utf-8"), max_size=200),
    st.sampled_from(list(GARBAGE.values())),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_random_conversations_never_break(data):
    start = data.draw(st.sampled_from([[]] + [c[: n] for c in CONVERSATIONS.values() for n in (2, 4, len(c))]))
    state, reply = run(start) if start else (None, None)
    for _ in range(data.draw(st.integers(min_value=1, max_value=12))):
        buttons = labels(reply) if reply else []
        if buttons and data.draw(st.booleans()):
            text = data.draw(st.sampled_from(buttons))
        else:
            text = data.draw(texts)
        reply = step(state, text, CFG)
        check_reply(reply)
        state = roundtrip(reply.state)
        assert state.started
        assert state.pending is None or state.pending == "edit" or state.pending in flow.questions_data() \
            or state.pending == "identity_unsure"
        assert not (state.done and state.pending not in (None, "edit")), (state.done, state.pending)
        for key in flow.ESSENTIALS:
            if key == "self_pay" and key in state.slots:
                assert float(state.slots[key]) >= 0


@pytest.mark.parametrize("then", ["上一步", "不改了", "修改", "", "帮助", "人工", "改地区"])
def test_edit_menu_twice_then_anything(then):
    state, _ = run(["/start", "西藏", "修改", "修改"])
    assert state.pending == "edit"
    reply = step(state, then, CFG)
    check_reply(reply)
    state = reply.state
    reply = step(state, "上一步", CFG)
    check_reply(reply)


def test_buttons_fill_only_their_own_question():
    state, _ = run(["/start", "黔江", "低保户", "选好了", "门诊慢特病"])
    assert state.slots["care"] == "outpatient_chronic"
    assert "special_disease" not in state.slots.get("facts", {})


def test_year_to_date_yes_with_an_amount_answers_both():
    state, reply = run(["/start", "日喀则的五保户，住院自付8000", "有，自付了5000"])
    assert state.pending == "ytd_aid"
    assert state.slots["ytd_partial"] == {"self_pay": "5000"}
    state, reply = run(["/start", "日喀则的五保户，住院自付8000", "之前有过", "5000", "没有"])
    assert state.done and state.slots["year_to_date"]["self_pay"] == "5000"
    assert state.slots["year_to_date"]["aid"] == "0"


def test_policy_question_naming_a_place_and_identity_stays_a_question():
    # the FAQ's own suggestion buttons look like this; they are not this patient's case
    state, reply = run(["/start", "安康", "安康低保户住院医疗救助能报多少？"])
    assert reply.messages[0].text.startswith("【问答】")
    assert "identities" not in state.slots and state.pending == "identities"
    # with 我 or an amount it is this patient's case
    state, reply = run(["/start", "我是安康的低保户，住院能报多少？"])
    assert state.slots["identities"] == ["dibao"] and state.pending == "self_pay"


def test_bare_outpatient_is_asked_which_kind():
    state, reply = run(["/start", "广西", "低保户", "选好了", "门诊"])
    assert state.pending == "care" and "care" not in state.slots
    assert "门诊分几种" in reply.messages[-1].text
    state, _ = run(["/start", "广西", "低保户", "选好了", "看的普通门诊"])
    assert state.slots["care"] == "outpatient_general"


def test_extra_buttons_say_nothing_but_their_label():
    # _answer does not run extract() on 选好了 / 都不是 / 不清楚 pressed as buttons of the pending
    # question (they are answered by their label): sound only while extract finds nothing in them
    from bot.understand import extract

    for label in flow.EXTRA_BUTTONS:
        found = extract(label)
        assert not found.slots and found.place is None and not found.question and not found.notes, label
        assert not flow.looks_like_question(label), label


@pytest.mark.parametrize("texts", [
    ["/start", "广西", "低保户", "重度残疾人", "选好了", "住院", "5万", "上一步", "6万", "二级", "修改", "改自付金额",
     "3万", "本市", "上一步", "本市", "之前有过", "5000", "跳过", "上一步", "上一步", "重新开始", "安康"],
    ["/start", "我是南宁的低保户，住院自付2万", "其实自付是3万", "是，改过来", "本市", "之前没有", "计算过程", "修改",
     "不改了", "补充", "上一步", "上一步", "上一步"],
])
def test_no_state_handed_out_changes_later(texts):
    # steps share the unchanged parts of the state they were given with the snapshots they take;
    # so every state handed out (kept in memory by the chat service, not re-read from JSON) must
    # stay exactly as it was handed out, whatever later steps do
    import copy

    state, seen = None, []
    for text in texts:
        state = step(state, text, CFG).state
        seen.append((state, copy.deepcopy(state.model_dump())))
    for i, (handed_out, as_it_was) in enumerate(seen):
        assert handed_out.model_dump() == as_it_was, (i, texts[i])
    again = None  # and the same conversation through JSON gives the same states
    for text, (handed_out, _) in zip(texts, seen):
        again = roundtrip(step(again, text, CFG).state)
        assert again == handed_out, text


@pytest.mark.parametrize("question,offered", [
    ("安康低保户住院能报多少", "按“安康 低保户 住院”估算"),
    ("广西的五保户住院能报多少？", "按“广西 特困/五保 住院”估算"),
    ("医疗救助是什么？", None),
    ("去哪里申请医疗救助？", None),
])
def test_a_policy_question_offers_the_case_it_names(question, offered):
    """After the FAQ's answer, the region, identities and care the question named are one press
    away, in the words of their buttons; a question naming none of them offers nothing."""
    reply = step(step(None, "/start", CFG).state, question, CFG)
    labels = [b.label for m in reply.messages for b in m.buttons]
    assert "【问答】" in reply.messages[0].text
    assert [label for label in labels if label.startswith("按“")] == ([offered] if offered else [])
    assert reply.state.slots == {}
    if offered:
        pressed = step(reply.state, offered, CFG).state
        assert pressed.slots.get("region") and pressed.slots.get("care")


@pytest.mark.parametrize("when,today,slot,day", [
    ((1, 12, None), date(2026, 12, 4), "2025-12", date(2025, 12, 15)),
    ((1, None, None), date(2026, 12, 4), "2025", date(2025, 7, 1)),
    ((0, 3, None), date(2026, 12, 4), "2026-03", date(2026, 3, 15)),
    ((0, 12, None), date(2026, 3, 2), "2025-12", date(2025, 12, 15)),  # a later month without a year: last year's
    ((0, 12, None), date(2026, 12, 4), "2026-12", date(2026, 12, 4)),  # never after today
    ((0, None, None), date(2026, 12, 4), None, date(2026, 12, 4)),  # this year, no month: today
    # the year named: "2025年12月住院", "2024年住的院", "2026年住的院"; a year to come is not taken
    ((0, 12, 2025), date(2026, 12, 4), "2025-12", date(2025, 12, 15)),
    ((0, None, 2024), date(2026, 12, 4), "2024", date(2024, 7, 1)),
    ((0, None, 2026), date(2026, 12, 4), None, date(2026, 12, 4)),
    ((0, 3, 2027), date(2026, 12, 4), None, date(2026, 12, 4)),
    # months back: "上个月" in January is last December; "这个月" is this month, never after today
    ((0, -1, None), date(2027, 1, 10), "2026-12", date(2026, 12, 15)),
    ((0, -2, None), date(2026, 12, 4), "2026-10", date(2026, 10, 15)),
    ((0, 0, None), date(2026, 12, 4), "2026-12", date(2026, 12, 4)),
])
def test_the_care_date_said(when, today, slot, day):
    assert care_date_of(when, today) == slot
    state = State(slots={"care_date": slot} if slot else {})
    assert _care_day(state, FlowConfig(today=today)) == day


def test_a_case_too_long_for_a_button_code_is_not_offered():
    """Three identities and a long care type do not fit Telegram's callback data: a cut code could
    name another identity (低保边缘户 → 低保), so no button rather than a wrong one."""
    reply = step(step(None, "/start", CFG).state, "广西低保边缘户重度残疾人优抚对象做透析能报多少？", CFG)
    assert "【问答】" in reply.messages[0].text  # answered from the FAQ, as a policy question
    assert not [b for m in reply.messages for b in m.buttons if b.label.startswith("按“")]
    short = step(step(None, "/start", CFG).state, "安康低保户住院能报多少", CFG)
    codes = [b.code for m in short.messages for b in m.buttons if b.label.startswith("按“")]
    assert codes == ["按“安康 低保户 住院”估算"]  # what a press sends is what typing the label sends


@pytest.mark.parametrize("region,born,care_date,age,asked", [
    ("guangxi", 1950, None, 76, False), ("guangxi", 50, None, 76, False),   # 75 or 76: over 60 either way
    ("guangxi", 1966, None, None, True), ("guangxi", 1967, None, 59, False),  # 59/60 asked; 58/59 not
    ("guangxi", 2008, None, None, True), ("guangxi", 2009, None, 17, False),  # 17/18 asked; 16/17 under 18
    ("guangxi", 1966, "2025-12", 59, False),  # the care's year: 58 or 59 in 2025
    ("guangxi", 20, None, 6, False), ("guangxi", 2026, None, 0, False),  # "20年生的" is 2020; a baby is 0
    ("ankang", 1966, None, 60, False),  # a region whose rules read no age: nothing to ask
    ("guangxi", 2030, None, None, True), ("guangxi", 1890, None, None, True),  # no such age
])
def test_an_age_from_a_birth_year(region, born, care_date, age, asked):
    slots = {"region": region} | ({"care_date": care_date} if care_date else {})
    value, problem = age_of_birth(State(slots=slots), born, FlowConfig(today=date(2026, 12, 4)))
    assert value == age and (problem is not None) is asked

