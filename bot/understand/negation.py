"""Is a word negated where it stands ("不是特殊病", "没有转诊", "自付是两万八不是两万五")?

One rule shared by the recognisers (care, special disease, amounts, the answer tables), so that a
negated word never selects the thing it names."""

from __future__ import annotations

# longest first: "并不是" before "不是", "没有" before "没"
NEGATIONS = ("并不是", "也不是", "而不是", "不是", "并非", "不算", "不属于", "没有", "没得", "木有", "没", "未", "非", "无", "别")
# a question ("是不是特殊病", "有没有转诊") negates nothing
_QUESTION_BEFORE = ("是不是", "是否", "算不算", "有没有", "属不属于", "办没办", "转没转")
_GAP = "的在去做办开过了是啥个一什么"  # filler allowed between the negation and the word: 没有去办转诊


def asked_at(text: str, start: int) -> bool:
    """The word at ``start`` is asked about, not stated: 是不是特殊病, 有没有转诊, 转没转诊 (A-not-A)."""
    before = text[max(0, start - 4):start]
    if before.endswith(_QUESTION_BEFORE):
        return True
    return start >= 2 and text[start - 1] in "没不" and text[start - 2] == text[start]


def negated_at(text: str, start: int) -> bool:
    """True when a negation word ends right before ``text[start]`` (at most two filler characters
    between them: 没有办转诊, 不是在柳州)."""
    if asked_at(text, start):
        return False
    before = text[max(0, start - 6):start]
    for gap in range(0, 3):
        if gap and (len(before) < gap or any(c not in _GAP for c in before[len(before) - gap:])):
            break
        head = before[:len(before) - gap] if gap else before
        if head.endswith(_QUESTION_BEFORE):
            return False
        for word in NEGATIONS:
            if head.endswith(word):
                return True
    return False


_NOT_THERE_BEFORE = ("不在", "不去", "不到", "不是在", "没在", "没去", "没到", "没有在", "没有去")
_NOT_THERE_AFTER = ("以外", "之外", "外")


def denied_place_at(text: str, start: int, end: int) -> bool:
    """A place phrase at ``text[start:end]`` said not to be where it happened: 不在本市, 没有在黔江区内,
    本市以外."""
    return negated_at(text, start) or text[:start].endswith(_NOT_THERE_BEFORE) or \
        text[end:].startswith(_NOT_THERE_AFTER)
