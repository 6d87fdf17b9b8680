"""The step: start a conversation, and one user message in — the state copied, the commands anywhere
(重新开始, 上一步, 修改, 帮助, 人工, 下一位 …) dispatched, the rest answered."""
from __future__ import annotations

import logging
from typing import Any

import engine
from engine.case import construct
from engine.money import yuan

from .. import render
from ..messages import Button, Message
from ..understand import another_patient, classify, meaning_of, normalize, result_part_asked, what_if
from .state import (
    B_BACK, B_BENEFITS, B_CADRE, B_DETAIL, B_DOCS, B_DONE_PICK, B_EDIT, B_FILL, B_NEXT, B_NONE, B_PRINT,
    B_RESTART, B_SKIP, B_YES_CHANGE, RESULT_PART_BUTTONS, FlowConfig, Reply, State, _ORIGIN, _about_question,
    _button, _clone, _explanation, _hint, _options, _policies, questions_data,
)
from .results import _estimate, _result_buttons, _result_part
from .ask import _ask, _confirm_message, _fill, _next
from .edits import _back, _edit_menu, _on_confirm, _on_edit_choice, _reask
from .answers import _answer, _given, _opener, _skip, said_pairs


log = logging.getLogger("jiuzhu.flow")


def start(cfg: FlowConfig | None = None, mode: str = "citizen") -> Reply:
    """A fresh conversation: greeting and the first question."""
    cfg = cfg or FlowConfig()
    state = State(mode=mode, started=True)
    greeting = render.render_constant("greeting.j2", cadre=mode == "cadre")
    messages = [Message(text=greeting, kind="info")]
    messages += [_ask("region", state, cfg)]
    if mode != "cadre":
        messages[-1].buttons.append(_button(B_CADRE))
    return Reply(state, messages)


def step(state: State | None, text: Any, cfg: FlowConfig | None = None) -> Reply:
    """Advance the conversation by one user message. Never raises on any input."""
    cfg = cfg or FlowConfig()
    raw = text if isinstance(text, str) else ""
    text = normalize(raw)
    if state is None or not state.started:
        if text in ("", "/start") or not text or _opener(text):
            return start(cfg)  # "你好", "我想问问医疗救助": the greeting and the first question
        reply = start(cfg)
        follow = step(reply.state, text, cfg)
        return Reply(follow.state, follow.messages)
    before = state
    state = _copy(state)
    if text == "/start":
        return start(cfg, mode=state.mode)
    origin = _ORIGIN.set(before)
    try:
        if not text:
            return Reply(state, [_reask(state, cfg, _hint("text_or_button"))])
        return Reply(state, _dispatch(state, text, cfg))
    except Exception:  # noqa: BLE001 - a bug must not end the conversation; tests look for kind "error"
        log.exception("flow step failed")
        return Reply(before, [Message(text=_hint("step_failed"),
                                      buttons=[Button(label=B_RESTART, code=B_RESTART)], kind="error")])
    finally:
        _ORIGIN.reset(origin)


def _copy(state: State) -> State:
    """A copy the step may change freely; the state it was made from is never changed (the chat
    service may keep it). History snapshots are never changed once taken, so the history list is
    copied but its snapshots are shared. (pydantic's model_copy(deep=True) deep-copies before it
    applies `update`, history included: a fifth of a step.)"""
    fields = {name: list(value) if name == "history" else _clone(value) for name, value in state.__dict__.items()}
    return construct(State, fields, set(state.__pydantic_fields_set__), state.__pydantic_extra__,
                     state.__pydantic_private__)


def _dispatch(state: State, text: str, cfg: FlowConfig) -> list[Message]:
    if text in ("/cadre", B_CADRE, "村干部模式"):
        reply = start(cfg, mode="cadre")
        state.__dict__.update(reply.state.__dict__)
        return reply.messages
    if text == "/faq":
        return [Message(text=_hint("ask_faq"), kind="info")]
    if state.confirm is not None:
        said = classify(text)
        if text in (B_RESTART, B_NEXT, B_BACK, B_EDIT, "/restart") or said in ("restart", "next", "back", "edit"):
            state.confirm = None  # a command drops the pending confirmation (nothing was changed)
            if text == B_BACK or said == "back":
                return [_reask(state, cfg, _hint("not_changed"))]
        elif not (text == "/help" or said in ("help", "human", "explain")):  # answered, then asked again
            return _on_confirm(state, text, cfg)
    if state.pending and state.pending != "edit" and (
            text in _options(state.pending, state, cfg) or text in (B_DONE_PICK, B_NONE, "不清楚")):
        return _answer(state, text, cfg)  # a button of the pending question wins over global words
    intent = classify(text)
    if text in (B_RESTART, "/restart") or intent == "restart":
        reply = start(cfg, mode=state.mode)
        state.__dict__.update(reply.state.__dict__)
        return reply.messages
    if text == B_NEXT or intent == "next":
        return _next_person(state, cfg)
    if text in (B_BACK,) or intent == "back":
        return _back(state, cfg)
    if text == B_EDIT or intent == "edit":
        return _edit_menu(state, cfg)
    term = meaning_of(text) if intent is None else None
    if intent == "explain":
        return _explain(state, cfg)
    if term and state.pending and _about_question(state.pending, term, state, cfg):
        return _explain_term(state, text, cfg)
    finished = state.done and not state.pending and state.confirm is None
    if text == "/help" or intent == "help":
        return [Message(text=render.render_constant("help.j2"), kind="info"),
                _reask(state, cfg, _hint("after_help", finished=finished))]
    if intent == "human":
        region = state.slots.get("region")
        name = _policies(cfg).regions[region].short_name if region else None
        return [Message(text=render.render_constant("human.j2", region=name), kind="info"),
                _reask(state, cfg, _hint("after_human", finished=finished))]
    if state.pending == "edit":
        chosen = _on_edit_choice(state, text, cfg)
        if chosen is not None:
            return chosen
    if state.done and text in (B_DETAIL, B_DOCS, B_BENEFITS, B_PRINT):
        return _result_part(state, text, cfg)
    asked = result_part_asked(text) if finished else None
    if asked:  # "要带什么材料" after the result: this person's list, not the FAQ's general one
        return _result_part(state, RESULT_PART_BUTTONS[asked], cfg)
    if state.done and text.startswith(B_FILL):
        filled = _fill(state, text, cfg)
        if filled:
            return filled
    other = _another_case(state, text, finished, cfg)
    if other:
        return other
    if state.pending and (text == B_SKIP or intent == "skip"):
        return _skip(state, cfg)
    return _answer(state, text, cfg)


def _another_case(state: State, text: str, finished: bool, cfg: FlowConfig) -> list[Message] | None:
    """A message about another case than this one: a what-if after the result ("要是自付5万呢": that
    case's answer beside this one's), or a second patient ("我还有个儿子也住院了，自付5000")."""
    if finished and what_if(text):
        supposed = _what_if(state, what_if(text), cfg)
        if supposed:
            return supposed
    if (state.done or state.slots) and another_patient(text):
        start_again = B_NEXT if state.mode == "cadre" else B_RESTART
        return [_reask(state, cfg, _hint("another_patient", done=finished, start=start_again))]
    return None


def _next_person(state: State, cfg: FlowConfig) -> list[Message]:
    """下一位: a new applicant, in cadre mode; a cadre's next one is most often of the same place, so
    the region (and home city) is kept and said, and typing another place changes it."""
    kept = {key: state.slots[key] for key in ("region", "home_city") if state.slots.get(key)} \
        if state.mode == "cadre" else {}
    reply = start(cfg, mode="cadre")
    state.__dict__.update(reply.state.__dict__)
    if not kept:
        return [Message(text=_hint("next_person", region=None), kind="info")] + reply.messages[1:]
    state.slots.update(kept)
    where = kept.get("home_city") or _policies(cfg).regions[kept["region"]].short_name
    return [Message(text=_hint("next_person", region=where), kind="info")] + _next(state, cfg)


def _what_if(state: State, supposed: str, cfg: FlowConfig) -> list[Message] | None:
    """The answer for the case with what is supposed taken as said (and its change confirmed),
    beside this one, which stays as it is; or what that case still needs to be priced. None when
    nothing supposed differs from this case (the message then goes the usual way)."""
    reply = step(state, supposed, cfg)
    if reply.state.confirm is not None:
        reply = step(reply.state, B_YES_CHANGE, cfg)
    other = reply.state
    given = _given(state)
    changed = [(key, value) for key, value in _given(other).items() if given.get(key) != value]
    pairs = said_pairs(other, changed, cfg)
    if not pairs or other.confirm is not None or not (other.done or other.pending):
        return None
    now = yuan(_estimate(state, cfg).assistance)
    if other.pending:  # "要是在区外住的呢": 办没办转诊 is asked first
        label = engine.FACT_LABELS.get(other.pending) or questions_data().get(other.pending, {}).get("label")
        if not label:
            return None
        lead = _hint("what_if", pairs=pairs, needs=label, amount=None, reason=None, now=now, edit=B_EDIT)
    else:
        then = _estimate(other, cfg)
        lead = _hint("what_if", pairs=pairs, needs=None, amount=yuan(then.assistance), now=now, edit=B_EDIT,
                     reason=then.reason if then.status in ("zero", "not_eligible") else None)
    return [Message(text=lead, buttons=_result_buttons(state), kind="info")]


def _explain(state: State, cfg: FlowConfig) -> list[Message]:
    """"什么意思": what is being asked, in plainer words, and the same question again (nothing changes)."""
    if state.confirm is not None:
        yes, no = (button.label for button in _confirm_message(state).buttons)
        lead = _hint("explain_confirm", unsure=bool(state.confirm.get("unsure")), yes=yes, no=no)
    elif state.pending:
        lead = _explanation(state.pending, state, cfg)
    else:
        lead = _hint("explain_done", detail=B_DETAIL) if state.done else _hint("back_to_question")
    return [_reask(state, cfg, lead)]


def _explain_term(state: State, text: str, cfg: FlowConfig) -> list[Message]:
    """"什么叫备案" at the question that asks about it: the FAQ's cited answer when there is one,
    then the question in plainer words and asked again."""
    answer = cfg.faq(text, state.slots.get("region")) if cfg.faq is not None else []
    lead = _explanation(state.pending, state, cfg)
    if answer:
        lead = f"{_hint('back_to_question')}\n{lead}"
    return answer + [_reask(state, cfg, lead)]
