"""An Estimate → what a page shows: plain words for the status, amounts as 1.8万元（18,000元）,
the calculation with each step's clause, the checklist of documents."""
from __future__ import annotations

import re
from decimal import Decimal

import engine
from bot.messages import read_date_said
from bot.understand import span_words
from engine.money import percent, yuan

STATUS_TEXT = {
    "paid": "可以救助",
    "zero": "本次为0",
    "not_eligible": "不符合条件",
    "undecided": "还需要补充信息",
}

_CLAUSE_RE = re.compile(r"\s*〔([^〔〕]*(?:〔[^〔〕]*〕[^〔〕]*)*)〕\s*$")


def split_clause(step: str) -> tuple[str, str | None]:
    """`…〔桂政办发〔2022〕5号 二（一）〕` → (text, clause)."""
    m = _CLAUSE_RE.search(step)
    if not m:
        return step, None
    return step[: m.start()].rstrip(), m.group(1)


def money(value) -> str:
    if value is None:
        return ""
    return yuan(Decimal(str(value)))


def rate(value) -> str:
    if value is None:
        return ""
    return percent(Decimal(str(value)))


def when_said(said: str) -> str:
    """DATE_SAID → "2025年12月（没说哪一天）"; "2025年（3月1日或以后）" when the side of a rule change was said."""
    read = read_date_said(said)
    if read is None:
        return said
    year, month, span = read
    words = span_words(year, month, *span) if span else ""
    return (f"{year}年{month}月" if month else f"{year}年") + f"（{words or '没说哪一天'}）"


def case_summary(case: engine.Case, date_said: str | None = None) -> str:
    """One line saying what the estimate was computed from (printed on the applicant's sheet). A care
    date said only as a month or a year is shown so, not as the stand-in day the estimate used."""
    common = engine.load_policies().common
    ids = "、".join(common.identities[i].split("（")[0] for i in case.identities) or "无救助身份"
    when = f"就医时间{when_said(date_said)}" if date_said else f"就医日期{case.date.isoformat()}"
    text = f"身份：{ids}；{common.care[case.care].split('（')[0]}；本次自付{yuan(case.self_pay)}；{when}"
    ytd = case.year_to_date
    if ytd.self_pay or ytd.aid or ytd.tilt_aid:
        text += f"；本年已自付{yuan(ytd.self_pay)}，已获救助{yuan(ytd.aid + ytd.tilt_aid)}"
    return text


def estimate_view(est: engine.Estimate, case: engine.Case | None = None, date_said: str | None = None) -> dict:
    pol = engine.load_policies()
    common = pol.common
    region = pol.regions.get(est.region)
    disclaimer = est.disclaimer or common.disclaimer
    # the amount box already says what is missing and what it would be if known
    notes = [n for n in est.notes if n != disclaimer and n != est.if_known and not n.startswith("还需要知道")]
    parts = []
    for part in est.parts:
        parts.append({
            "kind": common.part_kinds.get(part.kind, part.kind),
            "base": money(part.base), "deductible": money(part.deductible), "rate": rate(part.rate),
            "cap": money(part.cap) if part.cap is not None else "不设限额",
            "amount": money(part.amount), "cite": part.cite,
            # contract.md parts[].settlement: only where this part is settled unlike the answer
            "settlement": common.settlement.get(getattr(part, "settlement", None) or "", None),
        })
    alternatives = [{
        "category": alt.category.name, "amount": money(alt.assistance),
        "settlement": common.settlement.get(alt.settlement, alt.settlement), "why_not": alt.why_not,
    } for alt in est.alternatives]
    return {
        "est": est,
        "inputs": case_summary(case, date_said) if case is not None else "",
        "region_name": region.short_name if region else est.region,
        "region_full": region.name if region else est.region,
        "status": est.status,
        "status_text": STATUS_TEXT.get(est.status, est.status),
        "amount": money(est.assistance),
        "self_pay_after": money(est.self_pay_after),
        "category": est.category.name if est.category else "无救助类别",
        "settlement": common.settlement.get(est.settlement, est.settlement),
        "parts": parts,
        "settled_apart": [p for p in parts if p["settlement"]],
        "alternatives": alternatives,
        "trace": [split_clause(step) for step in est.trace],
        "documents": [d for d in est.documents if d != common.documents.note],
        "documents_note": common.documents.note if common.documents.note in est.documents else None,
        "where_to_apply": est.where_to_apply,
        "notes": notes,
        "missing": [engine.FACT_LABELS.get(f, f) for f in est.missing_facts],
        "if_known": est.if_known,
        "reason": est.reason,
        "subsidy": est.subsidy,
        "subsidy_amount": money(est.subsidy.amount) if est.subsidy.amount is not None else None,
        "tilt": est.critical_illness_tilt,
        "deposit": est.deposit_waiver,
        "monitoring": [split_clause(m) for m in est.monitoring],
        "further_help": [split_clause(m) for m in est.further_help],
        "disclaimer": disclaimer,
        "hotline": common.hotline,
        "policy": est.policy,
    }
