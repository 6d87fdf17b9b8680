"""Toneless pinyin per character, cached.

The characters' readings are pypinyin's own table (`pypinyin/pinyin_dict.py`), read by itself:
importing the pypinyin package loads its phrase dictionary too (a quarter to half a second of
start-up that a chat's first step would wait for), and one character needs none of it. The
first reading without its tone, ü written v, is what `pypinyin.lazy_pinyin` gives for one
character (tests/bot/test_pinyin.py checks every character of U+4E00–U+9FFF).
"""

from __future__ import annotations

import importlib.util
import unicodedata
from functools import lru_cache
from pathlib import Path

DIAERESIS = "\u0308"  # the two dots of ü, once the tone marks are split off


@lru_cache(maxsize=1)
def _table() -> dict[int, str]:
    spec = importlib.util.find_spec("pypinyin")
    path = Path(next(iter(spec.submodule_search_locations))) / "pinyin_dict.py"
    module_spec = importlib.util.spec_from_file_location("_jiuzhu_pinyin_table", path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module.pinyin_dict


def toneless(reading: str) -> str:
    """'lǚ' -> 'lv', 'dǐ' -> 'di'."""
    out: list[str] = []
    for ch in unicodedata.normalize("NFD", reading):
        if ch == DIAERESIS and out:
            out[-1] = "v"
        elif not unicodedata.combining(ch):
            out.append(ch)
    return "".join(out)


@lru_cache(maxsize=8192)
def char_pinyin(ch: str) -> str:
    """'底' -> 'di'; non-Chinese characters map to themselves."""
    if not ("\u4e00" <= ch <= "\u9fff"):
        return ch
    reading = _table().get(ord(ch))
    return toneless(reading.split(",")[0]) if reading else ch


def pinyin_seq(text: str) -> tuple[str, ...]:
    return tuple(char_pinyin(c) for c in text)
