"""The benefit engine: deterministic 医疗救助 estimates for the regions in policies/, every step cited.

    >>> from engine import estimate
    >>> est = estimate({"region": "guangxi", "identities": ["dibao"], "care": "inpatient",
    ...                 "self_pay": 20000, "date": "2024-06-01"})
    >>> est.assistance
    Decimal('18000.00')

Pure: after the policies are loaded once (engine.policy.default), no I/O.
The engine never imports the bot, the web app or the FAQ.
"""
from __future__ import annotations

from typing import Any, Iterable, Iterator

from .calc import estimate_case
from .case import Case, CaseError, Estimate, parse_case
from . import policy
from .money import yuan
from .policy import Policies, PolicyError, default as load_policies
from .questions import ESSENTIALS, FACT_LABELS, changing_day, next_question, questions, side_for_unknown_day


def estimate(case: Any, *, strict: bool = False, policies: Policies | None = None, explain: bool = True) -> Estimate:
    """Case (dict or Case) → Estimate. Raises CaseError for bad input, naming each field.

    explain=False skips the trace, notes, documents and places (same amounts and status).
    """
    checked = parse_case(case, strict=strict)
    policies = policies or load_policies()
    if checked.region not in policies.regions:  # checked here, not by a call: once per estimate
        _known_region(checked, policies)
    return estimate_case(checked, policies, explain=explain)


def _known_region(case: Case, policies: Policies) -> None:
    """A case checked against the installed folder's regions, estimated with other policies."""
    if case.region not in policies.regions:
        raise CaseError([{"field": "region", "field_zh": "地区",
                          "message": f"unknown value {case.region!r}; expected one of {', '.join(policies.regions)}",
                          "message_zh": "不是可用的值"}])


def estimate_many(cases: Iterable[Any], *, strict: bool = False,
                  policies: Policies | None = None) -> Iterator[Estimate | CaseError]:
    """Estimates in input order; a bad case yields its CaseError instead and the rest go on."""
    policies = policies or load_policies()
    for case in cases:
        try:
            checked = parse_case(case, strict=strict)
            _known_region(checked, policies)
            yield estimate_case(checked, policies)
        except CaseError as exc:
            yield exc


def __getattr__(name: str):
    """REGIONS: the codes of the policy files found (engine.policy.REGIONS), in their `order:`."""
    if name == "REGIONS":
        return policy.REGIONS
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "estimate", "estimate_many", "questions", "next_question", "changing_day", "side_for_unknown_day", "parse_case",
    "load_policies", "Case", "CaseError", "Estimate", "Policies", "PolicyError", "REGIONS", "ESSENTIALS", "FACT_LABELS", "yuan",
]
