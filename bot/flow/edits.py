"""Going back and changing answers: the question asked again, 上一步, the 修改 summary and its
choice, and the 是/不 that takes (or drops) a pending change."""
from __future__ import annotations

from decimal import Decimal

import engine
from engine.money import yuan

from .. import render
from ..messages import Button, Message
from ..understand import extract, parse_yes_no
from .state import (
    B_NO_CHANGE, B_YES_CHANGE, ESSENTIALS, FlowConfig, State, YTD_STEPS, _get, _is_essential, _restore,
    _hint, _set, _show, _snap, _snapshot, _year_words, questions_data,
)
from .results import _result, _result_buttons
from .ask import _ask, _confirm_message, _next

B_EDIT_YTD = "改这次之前的费用"  # the year's earlier bills: no 今年, the care may be another year's


def _reask(state: State, cfg: FlowConfig, lead: str) -> Message:
    if state.confirm is not None:
        ask = _confirm_message(state)
        return Message(text=f"{lead}\n{ask.text}", buttons=ask.buttons, kind="question")
    if state.pending == "edit":  # show the summary again (its snapshot is re-taken by _edit_menu)
        _restore(state, state.history.pop() if state.history else {})
        menu = _edit_menu(state, cfg)[0]
        return Message(text=f"{lead}\n{menu.text}", buttons=menu.buttons, kind="question")
    if state.pending:
        return _ask(state.pending, state, cfg, lead)
    if state.done:
        return Message(text=lead, buttons=_result_buttons(state), kind="info")
    return _next(state, cfg, lead)[0]


def _on_confirm(state: State, text: str, cfg: FlowConfig) -> list[Message]:
    yes = text == B_YES_CHANGE or (text != B_NO_CHANGE and parse_yes_no(text) is True)
    no = text == B_NO_CHANGE or parse_yes_no(text) is False
    if not (yes or no):
        ask = _confirm_message(state)
        lead = _hint("confirm_pick", yes=ask.buttons[0].label, no=ask.buttons[1].label)
        return [Message(text=f"{lead}\n{ask.text}", buttons=ask.buttons, kind="question")]
    pending = state.confirm
    state.confirm = None
    if yes:
        _snapshot(state)
        _set(state, pending["slot"], pending["value"])
        if pending["slot"] == "identities":
            state.picking = []
            if state.pending in ("identities", "identity_unsure"):
                state.pending = None
        if pending["slot"] == "region":
            state.slots.get("facts", {}).pop("where", None)
        state.answered += 1
        lead = _hint("confirmed", unsure=bool(pending.get("unsure")))
        if state.pending and not _is_essential(state.pending) and state.pending not in YTD_STEPS:
            state.pending = None  # the change may make a different question matter (or none)
    elif pending.get("unsure"):
        lead = _hint("pick_identity_again")
    else:
        lead = _hint("kept")
    if state.done or not state.pending:
        state.done = False
        return _next(state, cfg, lead)
    return [_ask(state.pending, state, cfg, lead)]


def _back(state: State, cfg: FlowConfig) -> list[Message]:
    if not state.history:
        return [_reask(state, cfg, _hint("first_question"))]
    _restore(state, state.history.pop())
    state.confirm = None
    state.answered = max(0, state.answered - 1)
    if state.pending:
        return [_ask(state.pending, state, cfg, _hint("went_back"))]
    return _next(state, cfg, _hint("went_back"))


EDITABLE = ("region", "identities", "care", "self_pay")


def _edit_menu(state: State, cfg: FlowConfig) -> list[Message]:
    if state.pending == "edit" and state.history:  # 修改 again while the summary is shown: one snapshot
        _restore(state, state.history.pop())
    if not any(state.slots.get(k) is not None for k in EDITABLE) and state.pending != "edit":
        return [_reask(state, cfg, _hint("nothing_to_edit"))]
    rows = []
    buttons = []
    keys = list(EDITABLE) + [k for k in state.slots.get("facts", {})]
    for key in keys:
        value = _get(state, key)
        if value is None and key not in EDITABLE:
            continue
        name = engine.FACT_LABELS.get(key, key)
        rows.append((name, _show(key, value, state, cfg)))
        buttons.append(Button(label=f"改{name}", code=f"改{name}"[:20]))
    if state.slots.get("care_date"):  # changed by saying it again ("其实是今年住的院")
        label = questions_data()["said_labels"]["care_date"]
        rows.append((label, _show("care_date", state.slots["care_date"], state, cfg)))
    if "year_to_date" in state.slots:
        ytd = state.slots["year_to_date"]
        tilt = Decimal(ytd.get("tilt_aid") or 0)
        rows.append((_year_words("今年这次之前", state, cfg), _hint("ytd_summary", self_pay=yuan(Decimal(ytd["self_pay"])),
                                      aid=yuan(Decimal(ytd["aid"])), tilt=yuan(tilt) if tilt else None)))
        buttons.append(Button(label=B_EDIT_YTD, code=B_EDIT_YTD))
    state.history.append(_snap(state))
    state.pending = "edit"
    buttons.append(Button(label="不改了", code="不改了"))
    return [Message(text=render.render("summary.j2", rows=rows), buttons=buttons, kind="question")]


def _on_edit_choice(state: State, text: str, cfg: FlowConfig) -> list[Message] | None:
    snap = state.history.pop() if state.history else {}
    if text == "不改了":
        _restore(state, snap)
        if state.done:
            return _result(state, cfg)
        return [_reask(state, cfg, "好的。")]
    if text in (B_EDIT_YTD, "改今年此前的费用"):  # the label before it named no year (kept conversations)
        if snap:
            state.history.append(snap)
        state.slots.pop("year_to_date", None)
        state.slots.pop("ytd_aid_unknown", None)
        state.confirmed = [c for c in state.confirmed if c != "year_to_date"]
        state.done = False
        return [_ask("year_to_date", state, cfg)]
    for key in list(EDITABLE) + list(state.slots.get("facts", {})):
        label = f"改{engine.FACT_LABELS.get(key, key)}"[:20]
        if text in (label, label[1:]):  # the button, or its words without 改 ("自付金额")
            if snap:
                state.history.append(snap)  # 上一步 from the question = back to before 修改
            if key in ESSENTIALS:
                state.slots.pop(key, None)
                if key == "self_pay":
                    state.slots.pop("bill", None)  # a new answer, maybe a new bill
            else:
                state.slots.get("facts", {}).pop(key, None)
            if key == "identities":
                state.picking = []
            state.confirmed = [c for c in state.confirmed if c != key]
            state.done = False
            return [_ask(key, state, cfg)]
    _restore(state, snap)
    if extract(text).slots:  # "自付3万" at the menu: the new answer itself, taken the usual way
        return None
    menu = _edit_menu(state, cfg)[0]
    return [Message(text=_hint("edit_pick") + "\n" + menu.text, buttons=menu.buttons, kind="question")]
