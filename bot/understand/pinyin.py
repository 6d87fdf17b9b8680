"""Toneless pinyin per character, cached (pypinyin is loaded lazily)."""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=None)
def _lazy():
    from pypinyin import lazy_pinyin  # heavy import: only when first needed

    return lazy_pinyin


@lru_cache(maxsize=8192)
def char_pinyin(ch: str) -> str:
    """'底' -> 'di'; non-Chinese characters map to themselves."""
    if not ("\u4e00" <= ch <= "\u9fff"):
        return ch
    try:
        out = _lazy()(ch)
    except Exception:  # pragma: no cover
        return ch
    return out[0] if out else ch


def pinyin_seq(text: str) -> tuple[str, ...]:
    return tuple(char_pinyin(c) for c in text)
