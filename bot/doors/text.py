"""What a door without buttons needs (WeChat, SMS, a terminal): the offered choices as numbered
lines, a typed number ("1", "２", "一", "第一个") read back as that choice, and long text split
under a platform's size limit at line boundaries (characters, UTF-8 bytes or UTF-16 units).
Platform-neutral: no door imports here.
"""
from __future__ import annotations

import re
from typing import Callable, Iterable

from ..messages import Message
from ..understand.normalize import normalize

_CN_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
# "1", "1.", "1、", "第1个", "第一项", "选1" — a number and nothing else the flow could read
_CHOICE = re.compile(r"^(?:选|选择)?第?(\d{1,2}|[一二两三四五六七八九十])(?:个|项|条)?[.、。:：)）]?$")


def numbered(messages: Iterable[Message], sep: str = "\n\n") -> tuple[str, list[str]]:
    """The messages as one text, each message's buttons as lines "1 住院", numbered on across
    messages (as the terminal does); returns (text, the labels in number order)."""
    parts: list[str] = []
    labels: list[str] = []
    for message in messages:
        lines = [message.text] if message.text else []
        for button in message.buttons:
            labels.append(button.label)
            lines.append(f"{len(labels)} {button.label}")
        if lines:
            parts.append("\n".join(lines))
    return sep.join(parts), labels


def choice(text: str, labels: list[str]) -> str:
    """The label a typed number stands for ("1", "２", "一", "第1个" → labels[0]); any other text,
    or a number outside the offered range, unchanged (it may be an amount or a word)."""
    if not labels or not text:
        return text
    found = _CHOICE.match(normalize(text).replace(" ", ""))
    if not found:
        return text
    token = found.group(1)
    number = int(token) if token.isdigit() else _CN_DIGITS[token]
    return labels[number - 1] if 1 <= number <= len(labels) else text


def utf8_size(text: str) -> int:
    return len(text.encode("utf-8"))


def utf16_size(text: str) -> int:
    """Length in UTF-16 code units, as Telegram counts a message's 4096: a character outside the
    Basic Multilingual Plane (an emoji, a rare CJK character) counts twice."""
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


def split(text: str, limit: int, size: Callable[[str], int] = len) -> list[str]:
    """`text` in pieces of at most `limit` (measured by `size`: characters by default, `utf8_size`
    for a byte limit), cut at line ends where possible; a line longer than the limit is cut between
    characters. Nothing is lost: "\\n".join(pieces) == text, except the line breaks at the cuts."""
    if limit <= 0:
        raise ValueError("limit must be positive")
    if size(text) <= limit:
        return [text]
    pieces: list[str] = []
    current = ""
    for line in text.split("\n"):
        for part in _cut(line, limit, size):
            joined = f"{current}\n{part}" if current else part
            if current and size(joined) > limit:
                pieces.append(current)
                current = part
            else:
                current = joined
    if current:
        pieces.append(current)
    return pieces


def _cut(line: str, limit: int, size: Callable[[str], int]) -> list[str]:
    """One line in parts each within the limit (most lines are one part). `size` must add up over
    characters (characters and UTF-8 bytes both do)."""
    if size(line) <= limit:
        return [line]
    parts: list[str] = []
    start, used = 0, 0
    for i, char in enumerate(line):
        width = size(char)
        if used + width > limit and i > start:
            parts.append(line[start:i])
            start, used = i, 0
        used += width
    parts.append(line[start:])
    return parts
