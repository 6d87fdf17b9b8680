"""The chat's pinyin reads pypinyin's character table by itself (start-up): it must give what
pypinyin.lazy_pinyin gives, for every character."""
from pypinyin import lazy_pinyin

from bot.understand.pinyin import char_pinyin, pinyin_seq, toneless


def test_every_character_reads_as_lazy_pinyin_reads_it():
    differ = [ch for ch in map(chr, range(0x4E00, 0xA000)) if char_pinyin(ch) != lazy_pinyin(ch)[0]]
    assert differ == []


def test_hand_cases():
    assert toneless("lǚ") == "lv" and toneless("dǐ") == "di" and toneless("nǚ") == "nv"
    assert pinyin_seq("低保户") == ("di", "bao", "hu")
    assert pinyin_seq("底保a1") == ("di", "bao", "a", "1")
    assert char_pinyin("女") == "nv"
