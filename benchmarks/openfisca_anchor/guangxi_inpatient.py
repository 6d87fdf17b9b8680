"""广西 inpatient 医疗救助 (桂政办发〔2022〕5号 二（五）1、3) as an OpenFisca tax-benefit system.

An independent encoding of the ordinary claim: each category's deductible left after the year's
self-pay, the rate, the annual limit left after the year's aid, rounded half-up to the fen. Which
category a person is in comes from their one identity (the anchor's own table, by tier name, not
the engine's matching). The figures are OpenFisca parameters built from policies/guangxi.yaml, so the
anchor and the engine read the same data but share no code.

Amounts are whole fen in OpenFisca int variables (int32: up to 21 million yuan); the formula works
in int64, so the arithmetic is exact (OpenFisca's float variables are float32, which is not).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import yaml
from openfisca_core.entities import build_entity
from openfisca_core.parameters import ParameterNode
from openfisca_core.periods import DateUnit
from openfisca_core.simulations import SimulationBuilder
from openfisca_core.taxbenefitsystems import TaxBenefitSystem
from openfisca_core.variables import Variable

POLICY = Path(__file__).resolve().parents[2] / "policies" / "guangxi.yaml"
# one identity → the category (tier) it gives on its own; 低保对象中的重度残疾人 needs two identities
TIER_OF_IDENTITY = {"tekun": "1", "orphan": "1", "dibao": "2_other", "dibao_edge": "3_edge",
                    "returned_poverty": "3_lifted", "unstable_lifted": "3_lifted", "illness_poverty": "4"}
YEAR = "2024"

Person = build_entity(key="person", plural="persons", label="一个人", is_person=True)


def _tiers() -> list[dict]:
    """Each tier's inpatient claim from the policy file: deductible and limit in fen, the rate as a
    fraction."""
    data = yaml.safe_load(POLICY.read_text(encoding="utf-8"))
    out = []
    for tier in data["tiers"]:
        claim = next(c for c in tier["claims"] if "inpatient" in c["care"])
        num, den = _fraction(str(claim["rate"]))
        out.append({"id": str(tier["tier"]), "deductible": _fen(claim.get("deductible", 0)), "num": num, "den": den,
                    "cap": _fen(claim["cap"])})
    return out


def _fraction(text: str) -> tuple[int, int]:
    whole, _, frac = text.partition(".")
    den = 10 ** len(frac)
    return int(whole or 0) * den + int(frac or 0), den


def _fen(value) -> int:
    num, den = _fraction(str(value))
    return num * 100 // den


def _parameters(tiers: list[dict]) -> ParameterNode:
    """guangxi_inpatient.t0 … tN: deductible, rate (num / den) and cap of each tier, from the year on."""
    start = f"{YEAR}-01-01"
    data = {f"t{k}": {key: {"values": {start: float(t[key])}} for key in ("deductible", "num", "den", "cap")}
            for k, t in enumerate(tiers)}
    return ParameterNode("", data={"guangxi_inpatient": data})


class tier_index(Variable):
    value_type = int
    entity = Person
    definition_period = DateUnit.YEAR
    label = "救助类别（第几个）"


class self_pay_fen(Variable):
    value_type = int
    entity = Person
    definition_period = DateUnit.YEAR
    label = "本次政策范围内个人自付（分）"


class ytd_self_pay_fen(Variable):
    value_type = int
    entity = Person
    definition_period = DateUnit.YEAR
    label = "本年此前个人自付（分）"


class ytd_aid_fen(Variable):
    value_type = int
    entity = Person
    definition_period = DateUnit.YEAR
    label = "本年此前已获救助（分）"


class assistance_fen(Variable):
    value_type = int
    entity = Person
    definition_period = DateUnit.YEAR
    label = "本次医疗救助（分）"

    def formula(person, period, parameters):
        p = parameters(period).guangxi_inpatient
        tier = person("tier_index", period)
        sp, ysp, yaid = (person(name, period).astype(np.int64)
                         for name in ("self_pay_fen", "ytd_self_pay_fen", "ytd_aid_fen"))
        out = np.zeros(len(tier), dtype=np.int64)
        for k in range(_count(p)):
            t = p[f"t{k}"]
            deductible, num, den, cap = (int(t[key]) for key in ("deductible", "num", "den", "cap"))
            to_meet = np.maximum(deductible - ysp, 0)
            base = np.maximum(sp - to_meet, 0)
            raw = (2 * base * num + den) // (2 * den)  # half-up to the fen
            amount = np.minimum(raw, np.maximum(cap - yaid, 0))
            out = np.where(tier == k, amount, out)
        return out


def _count(node) -> int:
    k = 0
    while True:
        try:
            node[f"t{k}"]
        except Exception:  # noqa: BLE001 - OpenFisca raises its own error for a missing child
            return k
        k += 1


def system() -> tuple[TaxBenefitSystem, list[dict]]:
    tiers = _tiers()
    tbs = TaxBenefitSystem([Person])
    for variable in (tier_index, self_pay_fen, ytd_self_pay_fen, ytd_aid_fen, assistance_fen):
        tbs.add_variable(variable)
    tbs.parameters = _parameters(tiers)
    return tbs, tiers


def compute(tbs: TaxBenefitSystem, tiers: list[dict], identity: list[str], self_pay, ytd_self_pay, ytd_aid):
    """Assistance in fen for each person (arrays of fen)."""
    index = {t["id"]: k for k, t in enumerate(tiers)}
    tier = np.array([index[TIER_OF_IDENTITY[i]] for i in identity], dtype=np.int32)
    return compute_indexed(tbs, tier, self_pay, ytd_self_pay, ytd_aid)


def compute_indexed(tbs: TaxBenefitSystem, tier, self_pay, ytd_self_pay, ytd_aid):
    sim = SimulationBuilder().build_default_simulation(tbs, count=len(tier))
    sim.set_input("tier_index", YEAR, tier)
    sim.set_input("self_pay_fen", YEAR, np.asarray(self_pay, dtype=np.int32))
    sim.set_input("ytd_self_pay_fen", YEAR, np.asarray(ytd_self_pay, dtype=np.int32))
    sim.set_input("ytd_aid_fen", YEAR, np.asarray(ytd_aid, dtype=np.int32))
    return sim.calculate("assistance_fen", YEAR)
