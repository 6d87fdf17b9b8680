"""Codes ↔ the words people use: regions, identities, care types, places and yes/no.

Everything here is derived from the policy files (labels and fact values in `common.yaml`, region
names and aliases in the region files), plus a few everyday short forms (低保户, 特困, 慢特病 …) so
that a cadre's roster or a form is read the way a person wrote it. No policy numbers live here.
"""
from __future__ import annotations

import re
from functools import lru_cache

import engine
from engine.vocabulary import FACT_SPECS

_SPLIT_RE = re.compile(r"[、;；,，/／|\s]+")

# everyday forms → identity code (the full labels from common.yaml are added automatically)
_IDENTITY_EXTRA = {
    "特困": "tekun", "特困供养": "tekun", "特困供养人员": "tekun", "五保": "tekun", "五保户": "tekun",
    "孤儿": "orphan", "事实无人抚养儿童": "orphan",
    "低保": "dibao", "低保户": "dibao", "低保对象": "dibao", "城乡低保": "dibao", "低保家庭": "dibao",
    "低保边缘": "dibao_edge", "低保边缘户": "dibao_edge", "低边": "dibao_edge", "低保边缘对象": "dibao_edge",
    "脱贫不稳定": "unstable_lifted", "脱贫不稳定户": "unstable_lifted", "脱贫不稳定人口": "unstable_lifted",
    "边缘易致贫": "edge_poverty", "边缘易致贫户": "edge_poverty", "边缘易致贫人口": "edge_poverty",
    "突发严重困难": "sudden_hardship", "突发严重困难户": "sudden_hardship", "因病突发严重困难户": "sudden_hardship",
    "返贫致贫": "returned_poverty", "返贫致贫人口": "returned_poverty", "返贫": "returned_poverty",
    "重度残疾": "severe_disability", "重残": "severe_disability", "重度残疾人": "severe_disability",
    "困难职工": "hardship_worker",
    "因病致贫": "illness_poverty", "因病致贫重病患者": "illness_poverty", "因病支出型困难": "illness_poverty",
    "因病支出型困难家庭": "illness_poverty",
    "优抚对象": "key_veteran", "重点优抚对象": "key_veteran", "在乡重点优抚对象": "key_veteran",
    "困难大学生": "poor_student",
    "无": "", "普通": "", "普通参保人": "", "没有": "", "-": "",
}

_CARE_EXTRA = {
    "住院": "inpatient",
    "门诊慢特病": "outpatient_chronic", "慢特病": "outpatient_chronic", "门诊慢性病": "outpatient_chronic",
    "慢性病": "outpatient_chronic", "门诊特殊病": "outpatient_chronic", "门特": "outpatient_chronic",
    "长期门诊": "outpatient_chronic",
    "重特大门诊": "outpatient_major", "重特大疾病门诊": "outpatient_major", "重特大门诊特殊慢性病": "outpatient_major",
    "透析": "outpatient_major", "门诊透析": "outpatient_major",
    "普通门诊": "outpatient_general",
}

_WHERE_EXTRA = {
    "本地": "local", "本市": "local", "本县": "local", "统筹区内": "local", "当地": "local",
    "省内": "in_province", "区内": "in_province", "省内异地": "in_province", "区内异地": "in_province",
    "市内其他区县": "in_province",
    "省外": "out_of_province", "区外": "out_of_province", "市外": "out_of_province", "外省": "out_of_province",
}

# the words of the choice facts, as common.yaml declares them
_KIND_LABELS = dict(FACT_SPECS["disability_kind"]["values"])
_VETERAN_LABELS = dict(FACT_SPECS["veteran_kind"]["values"])
_YES = {"是", "有", "y", "yes", "true", "1", "对", "已办理", "办理", "已转诊", "已备案"}
_NO = {"否", "无", "n", "no", "false", "0", "不是", "没有", "未办理", "未转诊", "未备案"}


def _key(text: str) -> str:
    return re.sub(r"\s+", "", str(text)).strip().lower()


def _head(label: str) -> str:
    return re.split(r"[（(]", label, maxsplit=1)[0]


@lru_cache(maxsize=1)
def _maps() -> dict[str, dict[str, str]]:
    pol = engine.load_policies()
    common = pol.common
    regions: dict[str, str] = {}
    for code, region in pol.regions.items():
        for name in (code, region.name, region.short_name, _head(region.name)):
            regions[_key(name)] = code
        regions[_key(region.short_name + "区")] = code
    for code, region in pol.regions.items():  # names people use for the place as well (the region file's)
        for alias in region.aliases:
            regions[_key(alias)] = code
    identities: dict[str, str] = {}
    for code, label in common.identities.items():
        for name in (code, label, _head(label)):
            identities[_key(name)] = code
    for alias, code in _IDENTITY_EXTRA.items():
        identities.setdefault(_key(alias), code)
    care: dict[str, str] = {}
    for code, label in common.care.items():
        for name in (code, label, _head(label)):
            care[_key(name)] = code
    for alias, code in _CARE_EXTRA.items():
        care.setdefault(_key(alias), code)
    where: dict[str, str] = {}
    for code, label in common.where.items():
        for name in (code, label, _head(label)):
            where[_key(name)] = code
    for region in pol.regions.values():
        for code in ("local", "in_province", "out_of_province"):
            where.setdefault(_key(getattr(region.where_labels, code)), code)
    for alias, code in _WHERE_EXTRA.items():
        where.setdefault(_key(alias), code)
    out = {"region": regions, "identity": identities, "care": care, "where": where}
    for name, spec in FACT_SPECS.items():  # every other choice fact: its codes and labels
        if spec["kind"] == "choice" and name != "where":
            out[name] = {_key(word): code for code, label in spec["values"].items() for word in (code, label)}
    out["disability_kind"].update({_key(label + "残疾"): code for code, label in _KIND_LABELS.items()})
    return out


class LabelError(ValueError):
    """A value that is not one of the known words; `message_zh` says what was expected."""

    def __init__(self, message: str, message_zh: str):
        super().__init__(message)
        self.message_zh = message_zh


def lookup(kind: str, text: str) -> str:
    """The code for `text` (a code or a Chinese word) of `kind`; LabelError if unknown."""
    table = _maps()[kind]
    key = _key(text)
    if key in table:
        return table[key]
    raise LabelError(f"unknown value {text!r}", f"不认识“{str(text)[:20]}”")


def parse_identities(text: str) -> list[str]:
    """`低保、重度残疾人` / `dibao;severe_disability` → codes; empty → []. LabelError names the unknown word."""
    out: list[str] = []
    bad: list[str] = []
    for word in _SPLIT_RE.split(str(text or "").strip()):
        if not word:
            continue
        try:
            code = lookup("identity", word)
        except LabelError:
            bad.append(word)
            continue
        if code and code not in out:
            out.append(code)
    if bad:
        shown = "、".join(w[:20] for w in bad[:3])
        raise LabelError(f"unknown identity {bad[0]!r}", f"不认识的身份：{shown}（多个身份用“、”分开）")
    return out


def parse_bool(text: str) -> bool | None:
    key = _key(text)
    if not key:
        return None
    if key in _YES:
        return True
    if key in _NO:
        return False
    raise LabelError(f"not yes/no: {text!r}", "请填“是”或“否”")


def region_options() -> list[tuple[str, str]]:
    pol = engine.load_policies()
    return [(code, pol.regions[code].short_name) for code in engine.REGIONS]


def region_names() -> str:
    """The regions' short names for a message listing what may be filled in: 西藏、安康、…"""
    return "、".join(name for _, name in region_options())


def identity_options() -> list[tuple[str, str]]:
    return list(engine.load_policies().common.identities.items())


def care_options() -> list[tuple[str, str]]:
    return list(engine.load_policies().common.care.items())


def where_options() -> list[tuple[str, str]]:
    return list(engine.load_policies().common.where.items())


def kind_options() -> list[tuple[str, str]]:
    return list(_KIND_LABELS.items())


def veteran_options() -> list[tuple[str, str]]:
    return list(_VETERAN_LABELS.items())


def region_name(code: str) -> str:
    pol = engine.load_policies()
    return pol.regions[code].short_name if code in pol.regions else code
