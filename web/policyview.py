"""Policies as readable tables: each region's rules with citations, and the five side by side.

The tables read the policy models; the side-by-side comparison asks the engine (one estimate per
identity and region) so it shows what a person would actually get.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import lru_cache

import engine
from engine.conditions import IDENTITIES
from engine.money import percent, yuan
from engine.policy import CapRule, StatRef
from engine.vocabulary import FACT_SPECS


def _stat_text(region, ref: StatRef) -> str:
    pol = engine.load_policies()
    stat = region.statistics.get(ref.statistic) or pol.common.statistics.get(ref.statistic)
    name = stat.name if stat else ref.statistic
    when = "上年" if ref.year_offset == -1 else ("当年" if ref.year_offset == 0 else f"{-ref.year_offset}年前")
    text = f"{when}{name}的{percent(ref.share)}"
    if stat and stat.values:
        year = max(stat.values)
        value = stat.values[year].value * ref.share
        text += f"（按{year}年数据约{yuan(value.quantize(Decimal('1')))}）"
    return text


_VALUE_ZH = {True: "是", False: "否"}


def condition_words(raw, region=None) -> str:
    """A policy condition (its raw form) in plain words, for claims that carry no condition_text."""
    common = engine.load_policies().common
    if not isinstance(raw, dict) or not raw:
        return ""
    if "all" in raw or "any" in raw:
        key = "all" if "all" in raw else "any"
        parts = [condition_words(item, region) for item in raw[key]]
        parts = [p for p in parts if p]
        return ("，且" if key == "all" else "，或").join(parts)
    if "not" in raw:
        inner = condition_words(raw["not"], region)
        return f"不是（{inner}）" if inner else ""
    if "identity" in raw:
        return common.identities.get(raw["identity"], raw["identity"])
    if "care" in raw:
        return "、".join(common.care.get(c, c).split("（")[0] for c in raw["care"])
    if "fact" in raw:
        fact = raw["fact"]
        label = engine.FACT_LABELS.get(fact, fact)

        def show(v):
            if isinstance(v, bool):
                return _VALUE_ZH[v]
            if fact == "where" and region is not None:
                return getattr(region.where_labels, str(v), v)
            words = FACT_SPECS.get(fact, {}).get("values") or {}  # a choice fact's words (common.yaml)
            return words.get(v, v) if isinstance(v, str) else v

        if "equals" in raw:
            return f"{label}：{show(raw['equals'])}"
        if "in" in raw:
            return f"{label}：" + "或".join(str(show(v)) for v in raw["in"])
        if "min" in raw:
            return f"{label}不低于{raw['min']}"
        if "below" in raw:
            return f"{label}低于{raw['below']}"
        if "above" in raw:
            return f"{label}超过{raw['above']}"
        if "unstated" in raw:
            return f"没有说明{label}" if raw["unstated"] else f"说明了{label}"
    return ""


def deductible_text(region, claim) -> str:
    d = claim.deductible
    if isinstance(d, StatRef):
        return _stat_text(region, d)
    return "不设起付线" if d == 0 else yuan(d)


def cap_text(claim) -> str:
    c = claim.cap
    if c is None:
        return "不设限额"
    if isinstance(c, CapRule):
        parts = []
        for b in c.by_year_self_pay:
            if b.below is not None:
                parts.append(f"全年自付不到{yuan(b.below)}时{yuan(b.cap)}")
            else:
                parts.append(f"其余{yuan(b.cap)}")
        return "；".join(parts)
    return f"每年{yuan(c)}"


def region_view(code: str) -> dict:
    pol = engine.load_policies()
    common = pol.common
    r = pol.regions[code]
    rows = []
    for tier in r.tiers:
        claims = []
        for claim in tier.claims:
            claims.append({
                "care": "、".join(common.care[c].split("（")[0] for c in claim.care),
                "pays": claim.pays,
                "reason": claim.reason,
                "kind": common.part_kinds.get(claim.kind, claim.kind),
                "deductible": deductible_text(r, claim) if claim.pays else "",
                "rate": percent(claim.rate) if claim.pays and claim.rate is not None else "",
                "cap": cap_text(claim) if claim.pays else "",
                "condition": claim.condition_text or condition_words(claim.when.raw, r),
                "cite": claim.cite, "quote": claim.quote,
            })
        rows.append({"name": tier.name, "who": tier.quote, "cite": tier.cite,
                     "settlement": common.settlement.get(tier.settlement, tier.settlement),
                     "claims": claims, "base_note": tier.base_note,
                     "exclusive": tier.exclusive_quote if tier.only_without_other_category else None})
    extras = []
    if r.major:
        m = r.major
        extras.append({"title": "重特大疾病医疗救助", "text": f"普通医疗救助年度限额{yuan(m.ordinary_cap)}；自付达到{_stat_text(r, m.threshold)}的，"
                       f"再给予重特大疾病医疗救助，年度限额{yuan(m.cap)}。", "cite": m.cite, "quote": m.quote})
    if r.tilt:
        t = r.tilt
        extras.append({"title": "倾斜救助", "text": f"年度限额{yuan(t.cap)}。" + common.readings.get(t.reading, ""),
                       "cite": t.cite, "quote": t.quote})
    if r.referral:
        extras.append({"title": "转诊和异地就医", "text": r.referral.text, "cite": r.referral.cite, "quote": r.referral.quote})
    for nc in r.not_covered_care:
        extras.append({"title": "不在救助范围", "text": nc.text, "cite": nc.cite, "quote": nc.quote})
    for t in r.texts:
        extras.append({"title": "说明", "text": t.text, "cite": t.cite, "quote": t.quote})
    side = []
    for s in r.subsidy:
        side.append({"title": "资助参保", "text": s.text + ("（限5年过渡期内）" if s.transition_only else ""),
                     "cite": s.cite, "quote": s.quote})
    for t in r.critical_illness_tilt:
        side.append({"title": "大病保险倾斜", "text": t.text + ("（限5年过渡期内）" if t.transition_only else ""),
                     "cite": t.cite, "quote": t.quote})
    side.append({"title": "先诊疗后付费", "text": r.deposit_waiver.text, "cite": r.deposit_waiver.cite,
                 "quote": r.deposit_waiver.quote})
    wta = r.where_to_apply
    return {
        "code": code, "name": r.name, "short_name": r.short_name, "document": r.document, "tiers": rows,
        "extras": extras, "side": side,
        "where_to_apply": {"一站式结算": wta.one_stop, "依申请": wta.application, "手工报销": wta.manual},
        "where_cite": wta.cite,
        "statistics": [{"name": s.name, "unit": s.unit,
                        "data": [(y, yuan(v.value), v.source) for y, v in sorted(s.values.items())]}
                       for s in r.statistics.values()],
    }


_FAVOURABLE = {"hospital_level": 3, "stay_policy_total": Decimal(10_000_000)}


def _cell(region: str, identity: str, day: dt.date) -> dict:
    case = {"region": region, "identities": [identity], "care": "inpatient", "self_pay": Decimal(10_000_000),
            "date": day}
    est = engine.estimate(case)
    if est.status == "undecided" and all(f in _FAVOURABLE for f in est.missing_facts):
        case["facts"] = {f: _FAVOURABLE[f] for f in est.missing_facts}
        est = engine.estimate(case)
    if not est.category:
        return {"category": "", "lines": [], "none": True}
    common = engine.load_policies().common
    lines = []
    for p in est.parts:
        kind = common.part_kinds.get(p.kind, p.kind)
        ded = "无起付线" if p.deductible == 0 else f"起付{yuan(p.deductible)}"
        cap = f"限额{yuan(p.cap)}" if p.cap is not None else "不设限额"
        rate = percent(p.rate) if p.rate is not None else ""
        lines.append(f"{kind}：{ded}，{rate}，{cap}")
    if not est.parts:
        lines.append(est.reason or common.settlement.get(est.settlement, ""))
    return {"category": est.category.name, "lines": lines, "none": False,
            "application": est.settlement == "application"}


@lru_cache(maxsize=4)
def _comparison(day: dt.date) -> dict:
    pol = engine.load_policies()
    rows = []
    for identity in IDENTITIES:
        cells = [_cell(code, identity, day) for code in engine.REGIONS]
        rows.append({"identity": pol.common.identities[identity], "cells": cells})
    return {"regions": [pol.regions[c].short_name for c in engine.REGIONS], "codes": list(engine.REGIONS),
            "rows": rows, "documents": [pol.regions[c].document for c in engine.REGIONS]}


def comparison() -> dict:
    return _comparison(dt.date.today())
