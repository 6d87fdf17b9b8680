"""Which kind of care a message is about (find_care)."""

from __future__ import annotations

import re

from .negation import negated_at
from .normalize import compact

INPATIENT, CHRONIC, MAJOR, GENERAL = "inpatient", "outpatient_chronic", "outpatient_major", "outpatient_general"
CARE_CODES = (INPATIENT, CHRONIC, MAJOR, GENERAL)

_NEG = r"(?<!没有)(?<!没)(?<!不用)(?<!不需要)(?<!未)(?<!不)(?<!没有去)"
_INPATIENT_RE = re.compile(
    _NEG + r"(住院|住的院|住的医院|住了.{0,6}院|住过院|住过医院|出院|住进医院|入院|住医院|办了住院|开刀|做手术|动手术|手术|"
    r"(?:医院|卫生院|院里)(?:里)?住了|"
    r"生孩子|分娩|顺产|剖腹产|剖宫产|icu|重症监护|抢救)")
_INPATIENT_NEG_RE = re.compile(r"(没有|没|不用|不需要|未|不)(住院|住过院|住过医院|住院治疗)")
_MAJOR_RE = re.compile(
    r"重特大门诊|门诊重特大|透析|血透|腹透|尿毒症|肾衰竭|肾衰|癌症|癌|肿瘤|化疗|放疗|靶向药|靶向治疗|白血病|"
    r"器官移植|肾移植|肝移植|移植|抗排异|抗排斥|地中海贫血|地贫|血友病|恶性")
_CHRONIC_RE = re.compile(
    r"门诊慢特病|门诊特殊病|门诊特殊疾病|门诊慢性病|慢特病|门特(?!别)|门慢|慢性病|慢病|特殊病|特病|长期吃药|长期服药|"
    r"常年吃药|一直吃药|天天吃药|长期门诊|两病|高血压|糖尿病|冠心病|慢阻肺|精神病|精神分裂|帕金森|类风湿|肺结核|结核")
# a visit for a minor illness; a bare 门诊 / 拿药 may as well be 门诊慢特病 (plainly_general)
_MINOR = r"感冒|发烧|咳嗽|拉肚子|小病|打针|挂号|输液|打点滴"
_GENERAL_RE = re.compile(r"普通门诊|普通看病|看门诊|门诊看病|门诊|拿药|开药|买药|" + _MINOR)
_PLAINLY_GENERAL_RE = re.compile(r"普通|" + _MINOR)


def plainly_general(t: str) -> bool:
    """The words say 普通门诊 itself, or a minor illness: not only "门诊" (which kind is then asked)."""
    return bool(_PLAINLY_GENERAL_RE.search(t))

# Button labels and direct answers
_DIRECT = {
    "住院": INPATIENT, "住院治疗": INPATIENT,
    "门诊慢特病": CHRONIC, "慢特病": CHRONIC, "门诊慢性病": CHRONIC, "慢性病门诊": CHRONIC,
    "重特大门诊": MAJOR, "门诊重特大疾病": MAJOR, "重特大疾病门诊": MAJOR, "门诊大病": MAJOR, "大病门诊": MAJOR,
    "普通门诊": GENERAL, "门诊": GENERAL,
    "1": INPATIENT, "2": CHRONIC, "3": MAJOR, "4": GENERAL,
}


def find_care(text: object) -> str | None:
    """inpatient · outpatient_chronic · outpatient_major · outpatient_general, or None.

    住院 wins when said (透析住院 -> inpatient) unless negated (没住院，在门诊透析 -> major).
    Serious diseases (透析 癌症 移植 地贫 血友病) without 住院 -> outpatient_major; long-term
    medicines (慢性病 门特) -> outpatient_chronic; 普通门诊/拿药/感冒 -> outpatient_general."""
    t = compact(text)
    if not t:
        return None
    bare = t.strip("。.!！?？,，~")
    if bare in _DIRECT:
        return _DIRECT[bare]
    neg_in = bool(_INPATIENT_NEG_RE.search(t))
    if _INPATIENT_RE.search(t) and not (neg_in and not _INPATIENT_RE.search(_INPATIENT_NEG_RE.sub("", t))) \
            and _said(_INPATIENT_RE, t):  # "不是住院，是门诊慢特病"
        return INPATIENT
    if _said(_STRONG_CHRONIC_RE, t):
        return CHRONIC
    if _said(_MAJOR_RE, t):
        return MAJOR
    if _said(_CHRONIC_RE, t):
        return CHRONIC
    if _said(_GENERAL_RE, t):
        return GENERAL
    return None


_STRONG_CHRONIC_RE = re.compile(r"门诊慢特病|门特(?!别)|门慢")


def _said(rx: re.Pattern, t: str) -> bool:
    """A match that is not negated: "不是特殊病" does not say the care is 门诊慢特病."""
    return any(not negated_at(t, m.start()) for m in rx.finditer(t))
