"""Whole-sentence answers to a yes/no or choice question, read with a table of words per option
(bot/data/questions.yaml `words:`): "今年第一次住院" → 之前没有, "转了的 有转诊单" → 办了.

A negated word never selects its option ("不是特殊病", "没有转诊"); for a yes/no question it
selects the other one."""

from __future__ import annotations

from typing import Any

from .negation import asked_at, negated_at
from .normalize import compact


_ASKING = ("是不是", "是否", "有没有", "算不算", "要不要", "办没办", "转没转", "是不是要", "需不需要")


def _matches(t: str, words: dict[Any, list[str]]) -> list[tuple[int, int, Any]]:
    """(start, end, value) of every option word, longest first where they overlap."""
    found = []
    for value, phrases in words.items():
        for phrase in phrases:
            p = compact(phrase)
            start = t.find(p)
            while p and start >= 0:
                found.append((start, start + len(p), value))
                start = t.find(p, start + 1)
    found.sort(key=lambda m: (m[0] - m[1], m[0]))  # longest first
    kept: list[tuple[int, int, Any]] = []
    for m in found:
        if all(m[1] <= k[0] or m[0] >= k[1] for k in kept):
            kept.append(m)
    return kept


def read_choice(text: object, words: dict[Any, list[str]]) -> Any | None:
    """The option `text` chooses, or None when it names none or more than one.

    ``words`` maps each option's value to its words. With exactly two options (yes/no), a negated
    word of one chooses the other."""
    t = compact(text)  # punctuation kept: "不是的，普通病" does not negate 普通病
    if not t or not words:
        return None
    values = list(words)
    chosen = set()
    for start, end, value in _matches(t, words):
        if t[max(0, start - 4):start].endswith(_ASKING) or asked_at(t, start) or \
                (t[end:end + 1] in ("没", "不") and t[end + 1:end + 2] == t[end - 1]):
            continue  # "是不是特殊病我不知道", "转没转诊我不清楚", "之前有没有看过" choose nothing
        if negated_at(t, start):
            if len(values) == 2:
                chosen.add(values[1] if value == values[0] else values[0])
        else:
            chosen.add(value)
    return chosen.pop() if len(chosen) == 1 else None
