"""Where a conversation stands, as the stores record it beside the flow's data: "Ask:<question>"
while the flow waits for an answer to that question, "Ask:result" once it has given the result.

The text is the one earlier versions wrote (aiogram's "<group>:<state>" naming of a StatesGroup
`Ask`), so conversations already stored read the same. The flow (bot/flow/) keeps its own pure
state; this is only a label for someone looking at the storage.
"""
from __future__ import annotations

GROUP = "Ask"
QUESTIONS = frozenset({
    "region", "identities", "identity_unsure", "care", "self_pay", "self_pay_refine", "disability_grade",
    "disability_kind", "special_disease", "hospital_level", "stay_policy_total", "where", "referred",
    "family_income", "age", "insurance_tier", "veteran_kind", "year_to_date", "ytd_self_pay", "ytd_aid",
    "ytd_tilt_aid", "edit",
})
RESULT = f"{GROUP}:result"


def state_label(pending: str | None, done: bool) -> str | None:
    """"Ask:<pending>" for a known question, "Ask:result" when done, else None (nothing stored)."""
    if pending in QUESTIONS:
        return f"{GROUP}:{pending}"
    return RESULT if done else None
