"""Run every hand-computed case in tests/engine/cases/*.yaml (tests as data, OpenFisca-style).

The case files were computed by hand from the documents, rules.md and docs/engine-semantics.md,
independently of the engine code. Each case names the clause it checks.
"""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
import yaml

import engine

CASES_DIR = Path(__file__).parent / "cases"


def _load():
    out = []
    for path in sorted(CASES_DIR.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for item in data["cases"]:
            out.append(pytest.param(data["region"], item, id=f"{path.stem}:{item['name']}"))
    return out


CASES = _load()


def _dec(value) -> Decimal:
    return Decimal(str(value))


def test_case_files_are_substantial():
    regions = {p.values[0] for p in CASES}
    assert regions == set(engine.REGIONS)
    assert len(CASES) >= 400


@pytest.mark.parametrize("region,item", CASES)
def test_hand_computed_case(region, item):
    case = {"region": region, **item["case"]}
    est = engine.estimate(case)
    exp = item["expect"]
    context = f"{item['name']} [{item['clause']}] {item.get('calc', '')}\ntrace: {est.trace}\nnotes: {est.notes}"
    assert est.status == exp["status"], context
    assert est.assistance == _dec(exp["assistance"]), context
    assert est.assistance == sum((p.amount for p in est.parts), Decimal(0))
    if "category" in exp:
        got = est.category.id if est.category else None
        assert got == exp["category"], context
    if exp.get("tier") is not None:
        assert est.category is not None and est.category.tier == str(exp["tier"]), context
    if "settlement" in exp:
        assert est.settlement == exp["settlement"], context
    if "parts" in exp:
        by_kind: dict[str, Decimal] = {}
        for part in est.parts:
            by_kind[part.kind] = by_kind.get(part.kind, Decimal(0)) + part.amount
        expected = {k: _dec(v) for k, v in (exp["parts"] or {}).items()}
        for kind in ("regular", "major", "tilt", "application"):
            assert by_kind.get(kind, Decimal(0)) == expected.get(kind, Decimal(0)), f"part {kind}: {context}"
    if "subsidy" in exp:
        sub = exp["subsidy"]
        assert est.subsidy.kind == sub["kind"], context
        if "share" in sub:
            want = None if sub["share"] is None else _dec(sub["share"])
            assert est.subsidy.share == want, context
    if "critical_illness_tilt" in exp:
        assert est.critical_illness_tilt.applies is exp["critical_illness_tilt"], context
    if "deposit_waiver" in exp:
        assert est.deposit_waiver.applies is exp["deposit_waiver"], context
    for name in exp.get("readings", []) or []:
        assert name in est.readings, f"reading {name}: {context}"
    for name in exp.get("assumed", []) or []:
        assert name in est.assumed, f"assumed {name}: {context}"
    if "missing_facts" in exp:
        assert set(est.missing_facts) == set(exp["missing_facts"] or []), context
    if "reason_has" in exp:  # the words a zero or not-eligible answer gives its reason in
        assert est.reason and exp["reason_has"] in est.reason, context
    if "alternatives" in exp:  # contract.md (added 2026-12): every other category, in rank order
        got = [{"category": a.category.id, "assistance": a.assistance, "settlement": a.settlement}
               for a in est.alternatives]
        want = [{"category": str(a["category"]), "assistance": _dec(a["assistance"]), "settlement": a["settlement"]}
                for a in exp["alternatives"] or []]
        assert got == want, context
    for kind, settlement in (exp.get("part_settlement") or {}).items():
        found = [p for p in est.parts if p.kind == kind]
        assert found and all(getattr(p, "settlement", None) == settlement for p in found), f"{kind}: {context}"
    if "subsidy" in exp and "amount" in exp["subsidy"]:
        want = exp["subsidy"]["amount"]
        assert est.subsidy.amount == (None if want is None else _dec(want)), context
    for text in exp.get("notes_contain", []) or []:
        assert any(text in note for note in est.notes), f"note {text!r}: {context}"
    for text in exp.get("monitoring_contains", []) or []:
        assert any(text in line for line in est.monitoring), f"monitoring {text!r}: {context}"
    if exp.get("no_monitoring"):
        assert est.monitoring == [] or all("超过" not in line for line in est.monitoring), context
    for text in exp.get("where_contains", []) or []:
        assert any(text in line for line in est.where_to_apply + est.documents), f"where {text!r}: {context}"
    if est.settlement == "manual":  # never tell a patient settled by hand that nothing is to be done
        assert not any("无需另行申请" in w or "不用另外申请" in w for w in est.where_to_apply), context
    # every step of the trace names its clause
    for step in est.trace[:-1]:
        assert "〔" in step or step.startswith(("同时符合", "就医地点", "倾斜救助不适用")) or "条件" in step, step
