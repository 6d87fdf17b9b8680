"""Asking: a question's message and buttons, the next question that matters (or the result), a
skipped question asked after all from the result (补充…), and the 是/不 of a pending confirmation."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import engine
from engine.money import plain as plain_number, yuan

from ..messages import Button, Message
from ..understand import label as identity_label
from .state import (
    B_BACK, B_DONE_PICK, B_FILL, B_SAID_SELF_PAY, B_NONE, B_NO_CHANGE, B_SKIP, B_YES_CHANGE, ESSENTIALS,
    CARE_YEAR_WORDS, FlowConfig, State, _buttons, _case, _hint, _is_essential, _options, _policies, _prompt, _snapshot, _year_words, care_span,
    close_ytd, day_words, ytd_following,
)
from .results import _result


def _ask(q: str, state: State, cfg: FlowConfig, lead: str | None = None) -> Message:
    state.pending = q
    labels = list(_options(q, state, cfg))
    if q == "identities":
        if state.picking:
            chosen = "、".join(identity_label(c) for c in state.picking)
            lead = (lead + "\n" if lead else "") + _hint("picked", chosen=chosen, done=B_DONE_PICK)
            labels = [B_DONE_PICK] + labels
        else:
            labels = labels + [B_NONE]
    if q == "identity_unsure":
        labels += ["不清楚", B_NONE]
    if not _is_essential(q):
        labels.append(B_SKIP)
    if state.answered:
        labels.append(B_BACK)
    text = _prompt(q)
    if q == "care_side":
        text = text.format(day=day_words(date.fromisoformat(state.slots["care_change"])))
    if q in CARE_YEAR_WORDS:
        text = _year_words(text, state, cfg)  # care last year: "2025年（1月1日以来）这次之前…"
    if q == "self_pay" and state.slots.get("bill") and "总费用" not in (lead or ""):
        lead = (lead + "\n" if lead else "") + _bill_lead(Decimal(state.slots["bill"]))
    said = state.slots.get("said_amount") if q == "self_pay" and not state.slots.get("bill") else None
    if said is not None:  # "住院 2万": the self-pay or the whole bill? offered as the first button
        button = B_SAID_SELF_PAY.format(amount=plain_number(Decimal(said)))
        lead = (lead + "\n" if lead else "") + _hint("said_amount", amount=yuan(Decimal(said)), button=button)
        labels = [button] + labels
    if q == "self_pay":
        window = _application_window(state, cfg)
        if window:
            text = f"{text}\n{_hint('window', window=window)}"
    if lead and q != "identities":
        text = f"{lead}\n{text}"
    elif lead:
        text = f"{lead}" if state.picking else f"{lead}\n{text}"
    return Message(text=text, buttons=_buttons(labels), kind="question")


def _application_window(state: State, cfg: FlowConfig) -> str | None:
    """西藏/广西 因病致贫 count the self-pay of the months before recognition, not this claim alone."""
    if state.slots.get("identities") != ["illness_poverty"] or not state.slots.get("region"):
        return None
    for tier in _policies(cfg).regions[state.slots["region"]].tiers:
        if tier.when.raw == {"identity": "illness_poverty"} and tier.base_note:
            return tier.base_note.rstrip("。")
    return None


def _fill(state: State, text: str, cfg: FlowConfig) -> list[Message] | None:
    for key in list(state.skipped):
        if text == f"{B_FILL}{engine.FACT_LABELS.get(key, key)}":
            _snapshot(state)
            state.skipped.remove(key)
            state.done = False
            return [_ask(key, state, cfg)]
    return None


def _next(state: State, cfg: FlowConfig, lead: str | None = None) -> list[Message]:
    """Ask the next question that matters, or give the result."""
    for key in ESSENTIALS:
        if state.slots.get(key) is None:
            return [_ask(key, state, cfg, lead)]
    if state.slots.get("ytd_partial") and not ytd_following(state, cfg):
        close_ytd(state)  # the earlier bills all said in a sentence ("之前住过一次，自付5万，救助给了4万")
    try:  # only the first question that changes the answer: the engine stops probing there
        q = engine.next_question(_case(state, cfg), skip=state.skipped, policies=cfg.policies)
    except engine.CaseError:
        q = None
    if q == "year_to_date" and "ytd_partial" in state.slots:
        q = ytd_following(state, cfg)[0]  # some of the earlier bills were said: the rest is asked
    if q is None:
        change = day_that_matters(state, cfg)
        if change is not None:  # "2023年10月住的院" and the rules change on the 12th: which side?
            state.slots["care_change"] = change.isoformat()
            q = "care_side"
    if q is not None:
        return [_ask(q, state, cfg, lead)]
    out = [Message(text=lead, kind="info")] if lead else []
    return out + _result(state, cfg)


def day_that_matters(state: State, cfg: FlowConfig) -> date | None:
    """A day inside the month or year said on which the region's rules change and this case's
    answer with them: the care is then asked which side of it it was on (never guessed)."""
    if not state.slots.get("care_date"):
        return None
    try:
        return engine.changing_day(_case(state, cfg), *care_span(state, cfg), policies=cfg.policies)
    except engine.CaseError:
        return None


def unknown_side(state: State, cfg: FlowConfig) -> tuple[str, str]:
    """The side of the day asked about that is priced when the day is not known, and the hint that
    says so (the side that pays less; before the first document: the side with rules, said so)."""
    change = date.fromisoformat(state.slots["care_change"])
    side = engine.side_for_unknown_day(_case(state, cfg), change, policies=cfg.policies)
    before_rules = change == _policies(cfg).first_day(state.slots["region"])
    return side, "care_side_before_rules" if before_rules else "care_side_unknown"


def _bill_lead(bill: Decimal) -> str:
    return _hint("bill", bill=yuan(bill))


def _confirm_message(state: State) -> Message:
    yes, no = ("是", "不是") if state.confirm.get("unsure") else (B_YES_CHANGE, B_NO_CHANGE)
    return Message(text=state.confirm["text"], buttons=[Button(label=yes, code=yes), Button(label=no, code=no)],
                   kind="question")
