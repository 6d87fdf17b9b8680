"""FSM states, declared once: one State per question the flow can be waiting for, plus the result.

The flow (bot/flow.py) keeps its own pure state; the chat service mirrors `State.pending` into the
aiogram FSM state so handlers and storage show where each conversation stands.
"""
from aiogram.fsm.state import State, StatesGroup


class Ask(StatesGroup):
    region = State()
    identities = State()
    identity_unsure = State()
    care = State()
    self_pay = State()
    self_pay_refine = State()
    disability_grade = State()
    disability_kind = State()
    special_disease = State()
    hospital_level = State()
    stay_policy_total = State()
    where = State()
    referred = State()
    family_income = State()
    age = State()
    insurance_tier = State()
    veteran_kind = State()
    year_to_date = State()
    ytd_self_pay = State()
    ytd_aid = State()
    ytd_tilt_aid = State()
    edit = State()
    result = State()


def fsm_state_for(pending: str | None, done: bool) -> State | None:
    if pending and hasattr(Ask, pending):
        return getattr(Ask, pending)
    return Ask.result if done else None
