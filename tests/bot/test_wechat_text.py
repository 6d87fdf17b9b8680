"""bot/doors/text.py: numbered options, numbers read back as choices, splitting under a limit."""
from __future__ import annotations

from hypothesis import given, settings, strategies as st

from bot.doors.text import choice, numbered, split, utf16_size, utf8_size
from bot.messages import Button, Message

LABELS = ["住院", "门诊慢特病", "普通门诊"]


def test_numbered_lines_run_on_across_messages():
    text, labels = numbered([
        Message(text="您好。"),
        Message(text="哪种看病？", buttons=[Button(label="住院"), Button(label="门诊慢特病")]),
        Message(text="或者：", buttons=[Button(label="重新开始")]),
    ])
    assert text == "您好。\n\n哪种看病？\n1 住院\n2 门诊慢特病\n\n或者：\n3 重新开始"
    assert labels == ["住院", "门诊慢特病", "重新开始"]


def test_no_buttons_no_numbers():
    assert numbered([Message(text="好的。")]) == ("好的。", [])


def test_choice_reads_numbers_in_every_way_people_type_them():
    for typed in ("1", "１", "一", "第一个", "1.", "1、", " 1 ", "选1", "第1项", "一。"):
        assert choice(typed, LABELS) == "住院", typed
    assert choice("３", LABELS) == "普通门诊"
    assert choice("二", LABELS) == "门诊慢特病"


def test_choice_leaves_everything_else_alone():
    for typed in ("4", "0", "10", "3000", "1万", "一万", "住院", "第一次住院", "", "12393"):
        assert choice(typed, LABELS) == typed, typed
    assert choice("1", []) == "1"  # nothing offered: a number is what it is


def test_split_by_bytes_at_line_ends():
    lines = ["第%d行：" % i + "救助" * 30 for i in range(40)]
    text = "\n".join(lines)
    pieces = split(text, 2048, utf8_size)
    assert len(pieces) > 1
    assert all(utf8_size(p) <= 2048 for p in pieces)
    assert [line for p in pieces for line in p.split("\n")] == lines  # cut only between lines


def test_split_one_long_line_between_characters():
    line = "医" * 1000 + "a"  # 3,001 bytes, no line break
    pieces = split(line, 2048, utf8_size)
    assert "".join(pieces) == line
    assert [utf8_size(p) for p in pieces] == [2046, 955]


def test_split_short_text_is_one_piece():
    assert split("", 10) == [""]
    assert split("短", 10) == ["短"]


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("医疗救助ab1 \n😀")), max_size=400), st.integers(4, 60))
def test_split_never_loses_or_exceeds(text, limit):
    pieces = split(text, limit, utf8_size)
    assert all(utf8_size(p) <= limit for p in pieces)
    # the only characters dropped are line breaks at the cuts (and blank lines there)
    assert "".join(pieces).replace("\n", "") == text.replace("\n", "")


def test_utf16_size_counts_what_telegram_counts():
    # Telegram's 4096 is in UTF-16 code units: a character beyond U+FFFF (an emoji) is two
    assert utf16_size("") == 0
    assert utf16_size("a救") == 2
    assert utf16_size("😀") == 2
    assert utf16_size("a😀救𠀀") == 6
    assert split("😀😀😀", 4, utf16_size) == ["😀😀", "😀"]


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("医疗救助ab1 \n😀𠀀")), max_size=400), st.integers(2, 60))
def test_split_by_utf16_never_loses_or_exceeds(text, limit):
    pieces = split(text, limit, utf16_size)
    assert all(utf16_size(p) <= limit for p in pieces)
    assert utf16_size(text) == len(text.encode("utf-16-le")) // 2
    assert "".join(pieces).replace("\n", "") == text.replace("\n", "")
