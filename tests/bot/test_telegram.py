"""The Telegram door through `Dispatcher.feed_update`: real aiogram routing, FSM storage on a SQLite
file, a recording session instead of the network. Users press buttons (callback queries carrying
the button's callback data) and type, as on a phone."""
from __future__ import annotations

import asyncio
import re
import sqlite3
from pathlib import Path

import pytest
from aiogram import Bot
from aiogram.methods import (
    AnswerCallbackQuery, DeleteWebhook, SendChatAction, SendMessage, SetMyCommands,
)
from aiogram.types import Chat, Message

from bot.messages import Button, Message as FlowMessage
from bot.wiring import service_from_env
from bot.telegram import CALLBACK_LIMIT, COMMANDS, build_dispatcher, keyboard, send_all, startup
from fake_telegram import (
    NOW, REGION_BUTTON, Conversation, RecordingSession, Script, callback_data, callback_update, photo_update,
    sticker_update,
)

RESULT = "【估算结果】"
TG_TEXT_MAX = 4096
GARBAGE = [
    "😀🏥💊🙏🏻👨‍👩‍👧",
    "字" * 5000,
    "<b>x</b><script>",
    "'; DROP TABLE conversations;--",
    "３５０００",
    "",
    " \n\t\u3000 ",
]


class Stack:
    """One running bot: storage + chat service + dispatcher + recording session, on one SQLite file."""

    def __init__(self, db: Path):
        self.db = db
        self.service = service_from_env(db_path=str(db), redis_url="")
        self.dp = build_dispatcher(self.service)
        self.session = RecordingSession()
        self.bot = Bot("123:TEST", session=self.session)

    def chat(self, chat_id: int) -> Conversation:
        return Conversation(self.dp, self.bot, self.session, chat_id)

    async def close(self) -> None:
        await self.service.close()


@pytest.fixture
async def stack(tmp_path):
    s = Stack(tmp_path / "jiuzhu.db")
    yield s
    await s.close()


def assert_sendable(messages: list[SendMessage]) -> None:
    """What Telegram would accept: non-empty text within 4096 characters, callback data ≤ 64 bytes."""
    assert messages, "the bot did not answer"
    for m in messages:
        assert m.text.strip(), "Telegram refuses an empty message"
        assert len(m.text) <= TG_TEXT_MAX, len(m.text)
        for label, data in callback_data(m.reply_markup).items():
            assert 0 < len(data.encode("utf-8")) <= CALLBACK_LIMIT, (label, data)


# ------------------------------------------------------------------------------------ whole conversations


async def test_whole_conversation_by_buttons_guangxi_dibao(stack):
    c = stack.chat(4242)
    await c.say("/start")
    assert "您好" in c.text and "户口或参保地" in c.prompt()
    assert {"西藏", "安康", "广西", "乌鲁木齐", "重庆黔江"} <= set(c.buttons)
    for label in ("广西", "低保户", "选好了", "住院"):
        await c.press(label)
    assert "自己还要付多少钱" in c.prompt()
    await c.say("2万")
    assert "在哪里看的病" in c.prompt()
    await c.press("本市")
    await c.press("之前没有")
    assert RESULT in c.text
    assert "1.8万元（18,000元）" in c.text
    assert "广西" in c.text and "低保" in c.text
    assert {"计算过程", "材料和去哪办", "修改", "重新开始"} <= set(c.buttons)
    assert_sendable(c.all_sent)


async def test_free_text_fills_several_answers(stack):
    c = stack.chat(4243)
    await c.say("/start")
    await c.say("我是南宁的低保户，住院自付2万")
    assert "南宁" in c.text and "在哪里看的病" in c.prompt()
    await c.say("本市")
    await c.say("之前没有")
    assert "1.8万元（18,000元）" in c.text


async def test_typing_action_before_every_reply_and_buttons_answered(stack):
    c = stack.chat(4244)
    per_update: list[tuple[str, list]] = []
    await c.say("/start")
    per_update.append(("text", list(c.calls)))
    for label in ("广西", "低保户", "选好了", "住院"):
        before = len(c.calls)
        await c.press(label)
        per_update.append(("press", c.calls[before:]))
    for kind, calls in per_update:
        names = [type(x).__name__ for x in calls]
        if kind == "press":  # the spinner on the button stops first
            assert isinstance(calls[0], AnswerCallbackQuery), names
            calls = calls[1:]
        assert isinstance(calls[0], SendChatAction), names
        assert calls[0].action == "typing" and int(calls[0].chat_id) == 4244
        assert any(isinstance(x, SendMessage) for x in calls[1:]), names
        first_send = next(i for i, x in enumerate(calls) if isinstance(x, SendMessage))
        assert first_send > 0


@pytest.mark.parametrize("region", list(REGION_BUTTON))
async def test_every_callback_data_fits_64_bytes_in_every_region(stack, region):
    scripts = [
        Script(region=region),
        Script(region=region, identity="重度残疾人", self_pay="35000"),
        Script(region=region, identity="因病致贫", self_pay="8万"),
        Script(region=region, identity="特困/五保", care="门诊慢特病", self_pay="3000"),
        Script(region=region, identity="都不是", care="普通门诊", self_pay="500"),
        Script(region=region, identity="脱贫不稳定户", care="透析/放化疗等大病门诊", self_pay="1万",
               extra={"之前还看过病": "之前有过"}),
    ]
    seen: dict[str, str] = {}
    for i, script in enumerate(scripts):
        c = stack.chat(9000 + i)
        result = await c.run(script)
        assert REGION_BUTTON[region].removeprefix("重庆") in result
        for label in ("计算过程", "材料和去哪办", "其他待遇", "打印版", "修改"):
            await c.press(label)
            assert_sendable(c.last)
        edit_buttons = [b for b in c.buttons if b.startswith("改")]
        assert edit_buttons, c.buttons
        await c.press(edit_buttons[-1])
        assert_sendable(c.last)
        await c.say("能报多少？")  # a vague policy question: suggestions as buttons
        await c.say("/cadre")
        await c.press(REGION_BUTTON[region])
        for m in c.all_sent:
            assert_sendable([m])
            seen.update(callback_data(m.reply_markup))
    assert len(seen) >= 25, seen
    for label, data in seen.items():
        assert len(data.encode("utf-8")) <= CALLBACK_LIMIT, (label, data)
        assert data == label, "a press must send exactly what typing the label sends"


async def test_faq_suggestion_buttons_can_be_pressed(stack):
    c = stack.chat(4245)
    await c.say("/start")
    await c.say("报销比例是多少？")  # a policy question with no sure answer: suggestions
    faq = [m for m in c.last if "您是不是想问" in m.text or "没有找到" in m.text]
    assert faq and faq[0].reply_markup is not None
    suggestion = next(iter(callback_data(faq[0].reply_markup)))
    await c.press(suggestion)
    assert_sendable(c.last)
    # still in the conversation: the region question is (re)asked or answered
    assert any(m.reply_markup is not None for m in c.last)


# ------------------------------------------------------------------------------------ commands, other content


def test_command_menu_lists_the_five_commands():
    assert [c.command for c in COMMANDS] == ["start", "help", "restart", "faq", "cadre"]
    assert all(c.description for c in COMMANDS)


async def test_startup_publishes_commands_and_clears_webhook():
    session = RecordingSession()
    await startup(Bot("123:TEST", session=session))
    set_cmds = [c for c in session.calls if isinstance(c, SetMyCommands)]
    assert len(set_cmds) == 1
    assert [c.command for c in set_cmds[0].commands] == ["start", "help", "restart", "faq", "cadre"]
    webhook = [c for c in session.calls if isinstance(c, DeleteWebhook)]
    assert webhook and not webhook[0].drop_pending_updates


async def _to_care_question(c: Conversation) -> None:
    await c.say("/start")
    for label in ("广西", "低保户", "选好了"):
        await c.press(label)
    assert "哪种看病" in c.prompt()


async def test_help_answers_then_asks_the_pending_question_again(stack):
    c = stack.chat(5001)
    await _to_care_question(c)
    await c.say("/help")
    assert "【怎么用】" in c.last[0].text
    assert "哪种看病" in c.prompt() and "住院" in c.buttons


async def test_help_with_bot_username_in_a_group(stack):
    c = stack.chat(5002)
    await _to_care_question(c)
    await c.say("/help@jiuzhu_test_bot")
    assert "【怎么用】" in c.text


async def test_restart_forgets_the_answers(stack):
    c = stack.chat(5003)
    await _to_care_question(c)
    await c.say("/restart")
    assert "户口或参保地" in c.prompt()
    await c.press("安康")
    assert "哪些身份" in c.prompt(), "the old identities must be gone after /restart"


async def test_faq_command_invites_a_question_and_answers_it(stack):
    c = stack.chat(5004)
    await _to_care_question(c)
    await c.say("/faq")
    assert "请直接打出您的问题" in c.text
    await c.say("什么是医疗救助？")
    assert "【问答】" in c.text
    assert "哪种看病" in c.prompt(), "after the answer the pending question comes back"


async def test_cadre_command_starts_cadre_mode(stack):
    c = stack.chat(5005)
    await c.say("/start")
    assert "村干部帮办" in c.buttons
    await c.say("/cadre")
    assert "户口或参保地" in c.prompt()
    assert "村干部帮办" not in c.buttons
    for label in ("广西", "低保户", "选好了", "住院"):
        await c.press(label)
    await c.say("2万")
    await c.press("本市")
    await c.press("之前没有")
    assert "1.8万元（18,000元）" in c.text
    assert "下一位" in c.buttons and "重新开始" not in c.buttons


@pytest.mark.parametrize("command", [f"/{c.command}" for c in COMMANDS])
async def test_every_menu_command_gets_an_answer(stack, command):
    c = stack.chat(5100)
    await _to_care_question(c)
    await c.say(command)
    assert_sendable(c.last)
    assert "没太明白" not in c.text and "没认出" not in c.text


@pytest.mark.parametrize("make", [sticker_update, photo_update], ids=["sticker", "photo"])
async def test_stickers_and_photos_get_a_polite_text(stack, make):
    c = stack.chat(5200)
    await _to_care_question(c)
    await c.feed(make(5200))
    assert len(c.last) == 1 and "文字" in c.last[0].text
    await c.press("住院")  # the conversation is where it was
    assert "自己还要付多少钱" in c.prompt()


# ------------------------------------------------------------------------------------ duplicates


async def test_duplicate_update_id_is_handled_once(stack):
    c = stack.chat(6001)
    await c.say("/start", update_id=777_001)
    first = len(stack.session.calls)
    assert first
    await c.say("/start", update_id=777_001)
    assert len(stack.session.calls) == first, "a repeated update_id must not be answered again"
    await c.press("广西", update_id=777_002)
    assert "哪些身份" in c.prompt()
    replayed = callback_update(6001, "广西", update_id=777_002)  # the same press, delivered twice
    await c.feed(replayed)
    assert c.last == [] and not any(isinstance(x, AnswerCallbackQuery) for x in c.calls[-1:])
    await c.press("低保户", update_id=777_003)
    # had the repeated 广西 been handled, it would have been an answer to the identities question
    assert "已选：低保对象" in c.text


async def test_duplicate_update_id_is_dropped_after_a_restart_too(tmp_path):
    db = tmp_path / "jiuzhu.db"
    s1 = Stack(db)
    c1 = s1.chat(6002)
    await c1.say("/start", update_id=888_001)
    await c1.press("广西", update_id=888_002)
    await s1.close()
    s2 = Stack(db)
    c2 = s2.chat(6002)
    await c2.feed(callback_update(6002, "广西", update_id=888_002))  # a retry arriving after the restart
    assert s2.session.calls == []
    await c2.feed(callback_update(6002, "低保户", update_id=888_003))
    assert "已选：低保对象" in c2.text
    await s2.close()


# ------------------------------------------------------------------------------------ garbage


def _still_on(c: Conversation, prompt: str) -> bool:
    return c.prompt() == prompt


@pytest.mark.parametrize("garbage", GARBAGE, ids=["emoji", "5000chars", "html", "sql", "fullwidth", "empty", "blank"])
async def test_garbage_at_every_step_never_breaks_the_conversation(stack, garbage):
    c = stack.chat(7001)
    script = Script(region="guangxi")
    await c.say("/start")
    turns = 0
    accepted_fullwidth = False
    while RESULT not in c.text and turns < 20:
        turns += 1
        prompt, keyboard_before = c.prompt(), c.buttons
        await c.say(garbage)           # typed
        assert_sendable(c.last)
        if garbage == "３５０００" and "自己还要付多少钱" in prompt:
            # full-width digits are a perfectly good amount: taken as 35,000
            assert "在哪里看的病" in c.prompt()
            accepted_fullwidth = True
            continue
        assert _still_on(c, prompt), f"garbage {garbage[:20]!r} moved {prompt!r} → {c.prompt()!r}"
        # the question's own buttons are offered again (the greeting's extra 村干部帮办 may go)
        assert set(keyboard_before) - {"村干部帮办"} <= set(c.buttons), (keyboard_before, c.buttons)
        await c.feed(callback_update(7001, garbage[:64] or "x"))  # forged callback data
        assert_sendable(c.last)
        assert _still_on(c, prompt)
        await c.answer(script)
    assert RESULT in c.text
    if garbage == "３５０００":
        assert accepted_fullwidth
        # 35,000 read: 90 % of it hits 广西's 30,000 yearly cap, 5,000 left to pay
        assert "3万元（30,000元）" in c.text and "自己还要付：5,000元" in c.text
    else:
        assert "1.8万元（18,000元）" in c.text
    with sqlite3.connect(stack.db) as db:  # the table is still there and holds the conversation
        assert db.execute("SELECT count(*) FROM conversations").fetchone()[0] >= 1


async def test_garbage_on_the_result_keeps_the_result_buttons(stack):
    c = stack.chat(7002)
    await c.run(Script(region="xizang"))
    for g in GARBAGE:
        await c.say(g)
        assert_sendable(c.last)
        if "不改" in c.buttons:  # a bare amount after the result: "change the self-pay to 35,000?"
            assert "35,000" in c.text or "3.5万" in c.text
            await c.press("不改")
            assert_sendable(c.last)
        assert "计算过程" in c.buttons, (g[:20], c.buttons)
    await c.press("计算过程")
    assert_sendable(c.last)
    assert "1.9万" in c.text or "19,000" in c.text  # still the original 2万 case


# ------------------------------------------------------------------------------------ persistence, privacy


async def test_restart_of_the_service_continues_at_the_same_question(tmp_path):
    db = tmp_path / "jiuzhu.db"
    s1 = Stack(db)
    c1 = s1.chat(8001)
    await _to_care_question(c1)
    await c1.press("住院")
    assert "自己还要付多少钱" in c1.prompt()
    await s1.close()

    s2 = Stack(db)  # a new process: new storage on the same file, new dispatcher, new session
    c2 = s2.chat(8001)
    await c2.say("2万")
    assert "户口或参保地" not in c2.text
    assert "在哪里看的病" in c2.prompt()
    await c2.press("本市")
    await c2.press("之前没有")
    assert "1.8万元（18,000元）" in c2.text
    await s2.close()


async def test_old_keyboard_pressed_after_a_restart_is_understood(tmp_path):
    db = tmp_path / "jiuzhu.db"
    s1 = Stack(db)
    c1 = s1.chat(8002)
    await _to_care_question(c1)
    await s1.close()
    s2 = Stack(db)
    c2 = s2.chat(8002)
    c2.keyboard = c1.keyboard  # the phone still shows the care keyboard
    await c2.press("住院")
    assert "自己还要付多少钱" in c2.prompt()
    await s2.close()


async def test_database_holds_no_raw_chat_id(tmp_path):
    chat_id = 7391046528
    db = tmp_path / "jiuzhu.db"
    s = Stack(db)
    c = s.chat(chat_id)
    await c.run(Script(region="urumqi"))
    await c.press("计算过程")
    with sqlite3.connect(db) as conn:
        keys = [row[0] for row in conn.execute("SELECT key FROM conversations")]
        dump = "\n".join(conn.iterdump())
    assert keys and all(re.fullmatch(r"[0-9a-f]{64}", k) for k in keys), keys
    await s.close()
    digits = str(chat_id).encode()
    packed = chat_id.to_bytes(8, "big")
    files = [p for p in tmp_path.iterdir() if p.name.startswith("jiuzhu.db")]
    assert files
    for path in files:
        raw = path.read_bytes()
        assert digits not in raw and packed not in raw, path.name
    assert str(chat_id) not in dump


# ------------------------------------------------------------------------------------ many chats at once


async def test_concurrent_chats_do_not_mix(stack):
    regions = list(REGION_BUTTON)
    serial = {}
    for i, region in enumerate(regions):
        result = await stack.chat(10 + i).run(Script(region=region))
        serial[region] = result.splitlines()[1]
    chats = [(100 + i, regions[i % len(regions)]) for i in range(25)]
    results = await asyncio.gather(*(stack.chat(cid).run(Script(region=r)) for cid, r in chats))
    for (cid, region), result in zip(chats, results):
        assert result.splitlines()[1] == serial[region], (cid, region)
    assert len({serial[r] for r in regions}) > 1, "the regions should not all give the same figure"


async def test_a_double_tap_in_one_chat_keeps_both_answers_in_order(stack):
    """Polling hands updates to tasks; two presses of one chat handled at the same time must both
    count, in the order they were sent."""
    c = stack.chat(4300)
    await c.say("/start")
    region_msg = c.keyboard
    before = len(stack.session.calls)
    shown = Message(message_id=1, date=NOW, chat=Chat(id=4300, type="private"), text=region_msg.text)
    await asyncio.gather(
        stack.dp.feed_update(stack.bot, callback_update(4300, "广西", shown)),
        stack.dp.feed_update(stack.bot, callback_update(4300, "低保户", shown)),
    )
    texts = [m.text for m in stack.session.calls[before:] if isinstance(m, SendMessage)]
    assert len(texts) == 2, texts
    assert "哪些身份" in texts[0] and "已选：低保对象" in texts[1], texts


# ------------------------------------------------------------------------------------ rendering helpers


async def test_long_messages_are_split_and_keep_everything():
    session = RecordingSession()
    bot = Bot("123:TEST", session=session)
    long_lines = "\n".join(f"第{i}行 " + "说明" * 40 for i in range(150))
    one_line = "长" * 9000
    message = FlowMessage(text=long_lines, buttons=[Button(label="重新开始", code="重新开始")])
    await send_all(bot, 1, [message, FlowMessage(text=one_line)])
    sent = session.sent()
    assert len(sent) >= 5
    for m in sent:
        assert 0 < len(m.text) <= TG_TEXT_MAX
    first = [m for m in sent if m.text.startswith("第") or m.text.startswith("说明")]
    assert "\n".join(m.text for m in first) == long_lines
    assert [m.reply_markup is not None for m in first] == [False] * (len(first) - 1) + [True]
    assert "".join(m.text for m in sent if m.text.startswith("长")) == one_line


async def test_the_limit_is_counted_in_utf16_units_as_telegram_counts_it():
    # 3000 emoji are 3000 characters but 6000 UTF-16 units: two messages of 2048 and 952
    session = RecordingSession()
    bot = Bot("123:TEST", session=session)
    await send_all(bot, 1, [FlowMessage(text="😀" * 3000)])
    assert [m.text for m in session.sent()] == ["😀" * 2048, "😀" * 952]
    session.clear()
    # together 1500 emoji + a blank line + 1000 characters = 3000 + 2 + 1000 = 4002 units: one message
    question = FlowMessage(text="乙" * 1000, buttons=[Button(label="是")])
    await send_all(bot, 1, [FlowMessage(text="😀" * 1500), question])
    assert [m.text for m in session.sent()] == ["😀" * 1500 + "\n\n" + question.text]
    session.clear()
    # 1600 emoji: 3200 + 2 + 1000 = 4202 units, over the limit (though only 2602 characters): apart
    await send_all(bot, 1, [FlowMessage(text="😀" * 1600), question])
    assert [m.text for m in session.sent()] == ["😀" * 1600, question.text]


def test_keyboard_cuts_overlong_callback_data_to_64_bytes():
    markup = keyboard(FlowMessage(text="?", buttons=[Button(label="很长的按钮" * 10), Button(label="是")]))
    data = callback_data(markup)
    assert all(len(d.encode()) <= CALLBACK_LIMIT for d in data.values())
    assert data["是"] == "是"
    assert keyboard(FlowMessage(text="no buttons")) is None


async def test_a_message_without_buttons_goes_out_with_the_next_one(stack):
    # the greeting and the first question: one message, greeting first, the keyboard under it
    c = stack.chat(5101)
    await c.say("/start")
    assert len(c.last) == 1
    greeting, question = c.last[0].text.split("\n\n", 1)
    assert greeting.startswith("您好") and "户口或参保地" in question
    assert c.last[0].reply_markup is not None


async def test_messages_too_long_together_go_out_apart():
    session = RecordingSession()
    bot = Bot("123:TEST", session=session)
    first, second = FlowMessage(text="甲" * 3000), FlowMessage(text="乙" * 1500, buttons=[Button(label="是")])
    await send_all(bot, 1, [first, second])
    assert [m.text for m in session.sent()] == [first.text, second.text]
    session.clear()
    await send_all(bot, 1, [FlowMessage(text="甲"), FlowMessage(text="乙"), second])
    assert [m.text for m in session.sent()] == ["甲\n\n乙\n\n" + second.text]
    assert session.sent()[0].reply_markup is not None


async def test_the_case_a_policy_question_names_is_one_press_away(stack):
    """安康低保户住院能报多少 is answered, then 按“安康 低保户 住院”估算 fills them: its callback data
    is its label, as every button's is."""
    c = stack.chat(4246)
    await c.say("/start")
    await c.say("安康低保户住院能报多少")
    offered = [label for m in c.last for label, data in callback_data(m.reply_markup).items()
               if label.startswith("按“") and data == label]
    assert offered == ["按“安康 低保户 住院”估算"]
    await c.press(offered[0])
    assert_sendable(c.last)
    assert any("自己还要付多少" in m.text for m in c.last)
