"""A household's year (台账): one applicant's bills of one calendar year, in order, each estimated
with what the earlier ones used filled in as `year_to_date` (contract.md):

- `self_pay`  the earlier bills' 政策范围内个人自付 of the same kind of care (deductibles met
  earlier count; 西藏's year residual and 黔江's year left-over see the year's bills of this kind);
- `aid`       the earlier regular assistance (parts other than 倾斜救助) from the same annual limit;
- `tilt_aid`  the earlier 倾斜救助.

Which bills share an annual limit: a 普通门诊 bill has its own small limit, every other kind of
care shares one (西藏 五（五）1–2); in 黔江 everything is one pool (二（三）3, rules.md).
Self-pay is counted per kind of care because that reading never over-promises: a deductible or a
year line met by other kinds of care would give more, and 黔江's inpatient-only tilt would see
outpatient left-overs. Bills are taken in the order given. Nothing is stored: the browser keeps the
台账 and sends it each time; `id` is an anonymous label the cadre chooses (never a name).
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import engine
from engine.money import yuan

from . import share
from .cases import read_case

MAX_BILLS = 60
ONE_POOL = {"qianjiang"}            # rules.md: 黔江 门诊和住院共用年度救助限额
OWN_LIMIT_CARE = {"outpatient_general"}


class HouseholdError(ValueError):
    def __init__(self, message: str, errors: list[dict] | None = None):
        super().__init__(message)
        self.errors = errors or []


def _pool(region: str, care: str) -> str:
    if region in ONE_POOL:
        return "all"
    return "general" if care in OWN_LIMIT_CARE else "main"


def _aid_parts(est: engine.Estimate) -> tuple[Decimal, Decimal]:
    tilt = sum((Decimal(p.amount) for p in est.parts if p.kind == "tilt"), Decimal(0))
    return Decimal(est.assistance) - tilt, tilt


def _fields(body: dict, bill: dict) -> dict:
    """A bill's form fields: the applicant's own (region, identities, facts) and the bill's."""
    shared = {k: v for k, v in body.items() if k not in ("bills", "id")}
    return {**shared, **{k: v for k, v in bill.items() if v not in (None, "")}}


def year(body: Any) -> dict:
    """{"id", "region", "identities", …, "bills": [{"care", "self_pay", "date", …}]} → each bill's
    estimate with the year-to-date used, and the year's totals."""
    if not isinstance(body, dict) or not isinstance(body.get("bills"), list) or not body["bills"]:
        raise HouseholdError("请至少填一笔费用。")
    if len(body["bills"]) > MAX_BILLS:
        raise HouseholdError(f"一年最多{MAX_BILLS}笔，请分开记。")
    used: dict[str, dict[str, Decimal]] = {}     # "year:pool" → aid the earlier bills used
    self_paid: dict[str, Decimal] = {}            # "year:care" → the earlier bills' self-pay
    out, total, years = [], Decimal(0), set()
    for number, bill in enumerate(body["bills"], start=1):
        if not isinstance(bill, dict):
            raise HouseholdError(f"第{number}笔格式不对。")
        fields = _fields(body, bill)
        for key in ("ytd_self_pay", "ytd_aid", "ytd_tilt_aid"):
            fields.pop(key, None)   # filled in from the earlier bills, never typed
        case, errors, readings = read_case(fields)
        if errors:
            raise HouseholdError(f"第{number}笔：" + "；".join(e["field_zh"] + e["message_zh"] for e in errors), errors)
        year_of = str(case.get("date") or dt.date.today().isoformat())[:4]   # limits are per calendar year
        pool = used.setdefault(year_of + ":" + _pool(case["region"], case["care"]),
                               {"aid": Decimal(0), "tilt_aid": Decimal(0)})
        key = year_of + ":" + case["care"]
        ytd = {"self_pay": self_paid.get(key, Decimal(0)), **pool}
        case["year_to_date"] = {k: format(v, "f") for k, v in ytd.items()}
        try:
            checked = engine.parse_case(case)
        except engine.CaseError as exc:
            raise HouseholdError(f"第{number}笔：" + "；".join(e["field_zh"] + e["message_zh"] for e in exc.errors),
                                 exc.errors) from None
        est = engine.estimate(checked)
        years.add(checked.date.year)
        aid, tilt = _aid_parts(est)
        out.append({"number": number, "year_to_date": dict(case["year_to_date"]),
                    "year_to_date_text": {k: yuan(v) for k, v in ytd.items()}, "readings": readings,
                    "case": case, "estimate": est.model_dump(mode="json"), "link": share.case_path(case),
                    "assistance": format(est.assistance, "f"), "assistance_text": yuan(est.assistance)})
        self_paid[key] = ytd["self_pay"] + checked.self_pay
        pool["aid"] += aid
        pool["tilt_aid"] += tilt
        total += Decimal(est.assistance)
    notes = ["一年的费用请按就医先后顺序填写：前面几笔用掉的限额会从后面扣除。",
             "“之前已自付”只算同一种就医类型的费用，这样不会多估；实际以医保经办机构按全年核算为准。"]
    if len(years) > 1:
        notes.append("这些费用不在同一年：限额和起付线按自然年分开计算。")
    return {"id": str(body.get("id") or "")[:40], "bills": out, "total": format(total, "f"),
            "total_text": yuan(total), "notes": notes}
