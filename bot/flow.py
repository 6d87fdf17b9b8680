"""The guided conversation, as a pure state machine: (state, what the user sent) → (new state, messages).

One flow serves every door (Telegram, the web chat, the terminal); none of them adds logic. The
flow never imports aiogram or FastAPI. Questions are data (bot/data/questions.yaml); which one comes
next is decided by the engine (`engine.questions`), so only facts that change the answer are asked.

What it understands anywhere: free text that fills several slots at once ("我是南宁的低保户，住院
自付2万"), 重新开始, 返回/上一步, 修改, 帮助, 人工, 跳过/不知道 (after the four essentials), 下一位 (cadre
mode) and policy questions (answered from the FAQ, then back to the pending question). A later
message that contradicts a confirmed answer is confirmed before it replaces it, also after the
result ("不对，自付是两万八不是两万五", "是特困不是低保", "其实在柳州看的").

Bills: a whole bill (花了/一共/住院费) is never priced as self-pay: the flow asks for what is left, or
computes bill − reimbursement ("花了5万，报了3万") and says it back, as it says back the figure used for
"两万多". The self-pay question also offers range buttons, then the figures of the range chosen.
Typed answers are read by PARSERS (keyed by questions.yaml's `parser:`); yes/no questions by
their `words:` table, where a negated word never selects its option.
"""
from __future__ import annotations

import copy
import functools
import logging
import re
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from importlib import resources
from typing import Any, Callable, Literal

import yaml
from pydantic import BaseModel, Field

import engine
from engine.case import construct
from engine.money import yuan
from engine.policy import default as load_policies

from . import render
from .messages import Button, Message
from .understand import (
    classify, extract, find_identities, is_opener, label as identity_label, looks_like_question, normalize,
    parse_amount, parse_hospital_level, parse_int, parse_yes_no, read_choice, says_unknown,
)

log = logging.getLogger("jiuzhu.flow")
ESSENTIALS = ("region", "identities", "care", "self_pay")
YTD_STEPS = ("ytd_self_pay", "ytd_aid", "ytd_tilt_aid")
MAX_HISTORY = 30

# Result buttons (labels are what the user sends back).
B_DETAIL, B_DOCS, B_BENEFITS, B_PRINT = "计算过程", "材料和去哪办", "其他待遇", "打印版"
B_EDIT, B_RESTART, B_NEXT, B_DONE_PICK, B_NONE = "修改", "重新开始", "下一位", "选好了", "都不是"
B_SKIP, B_BACK, B_YES_CHANGE, B_NO_CHANGE = "跳过", "上一步", "是，改过来", "不改"
B_CADRE = "村干部帮办"
B_FILL = "补充"
MONITORED_BUTTONS = {"脱贫不稳定户": "unstable_lifted", "边缘易致贫户": "edge_poverty", "突发严重困难户": "sudden_hardship"}


class State(BaseModel):
    """Everything the conversation remembers: only slots for the estimate, no names or ID numbers."""

    mode: Literal["citizen", "cadre"] = "citizen"
    started: bool = False
    slots: dict[str, Any] = Field(default_factory=dict)
    confirmed: list[str] = Field(default_factory=list)
    skipped: list[str] = Field(default_factory=list)
    pending: str | None = None
    picking: list[str] = Field(default_factory=list)
    unsure: list[str] = Field(default_factory=list)
    confirm: dict[str, Any] | None = None
    history: list[dict[str, Any]] = Field(default_factory=list)
    done: bool = False
    answered: int = 0


@dataclass
class FlowConfig:
    """What the flow may call out to. `faq` answers policy questions; `today` fixes the care date in tests."""

    faq: Callable[[str, str | None], list[Message]] | None = None
    today: date | None = None
    policies: Any = None


@dataclass
class Reply:
    state: State
    messages: list[Message] = field(default_factory=list)


# ------------------------------------------------------------------------------------------- data


@functools.lru_cache(maxsize=1)
def questions_data() -> dict:
    with resources.files("bot").joinpath("data/questions.yaml").open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def _policies(cfg: FlowConfig):
    return cfg.policies or load_policies()


@functools.lru_cache(maxsize=8)
def _region_identities(region: str) -> tuple[str, ...]:
    """Identity codes that appear in the region's category rules (others give nothing there)."""
    found: list[str] = []

    def walk(node):
        if isinstance(node, dict):
            if "identity" in node:
                found.append(node["identity"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for tier in load_policies().regions[region].tiers:
        walk(tier.when.raw)
    return tuple(dict.fromkeys(found))


def _options(q: str, state: State, cfg: FlowConfig) -> dict[str, Any]:
    """label → value of the buttons that answer question `q` (read-only: shared between calls)."""
    region = state.slots.get("region") if q in ("where", "identities") else None
    picking = tuple(state.picking) if q == "identities" else ()
    if q == "self_pay_refine":  # the figures of the range chosen at the self-pay question
        ranges = questions_data()["self_pay"]["ranges"]
        return dict(ranges.get(state.slots.get("amount_range"), {}))
    if cfg.policies is not None:  # a policy set of the caller's own: not cached
        return _make_options(q, region, picking, cfg)
    return _cached_options(q, region, picking)


@functools.lru_cache(maxsize=1024)
def _cached_options(q: str, region: str | None, picking: tuple[str, ...]) -> dict[str, Any]:
    return _make_options(q, region, picking, FlowConfig())


def _make_options(q: str, region: str | None, picking: tuple[str, ...], cfg: FlowConfig) -> dict[str, Any]:
    data = questions_data()
    if q == "where" and region:
        labels = _policies(cfg).regions[region].where_labels
        return {labels.local: "local", labels.in_province: "in_province", labels.out_of_province: "out_of_province"}
    if q == "identities":
        wanted = set(_region_identities(region)) if region else None
        return {lab: code for lab, code in data["identity_buttons"].items()
                if (wanted is None or code in wanted) and code not in picking}
    if q == "identity_unsure":
        return dict(MONITORED_BUTTONS)
    if q == "self_pay":
        return {label: label for label in data["self_pay"]["ranges"]}
    if q == "region":
        return _region_buttons(cfg)
    return dict(data.get(q, {}).get("options") or {})


def _region_buttons(cfg: FlowConfig) -> dict[str, str]:
    """label → code of every region of the policies, in their order (adding a region's file adds
    its button); the label is the region's short name unless questions.yaml words it otherwise."""
    worded = questions_data()["region"].get("button_labels") or {}
    return {worded.get(code, region.short_name): code for code, region in _policies(cfg).regions.items()}


def _amount_range(text: str) -> str | None:
    """The range button pressed (its label comes back normalised: "5千–1万" as "5千-1万")."""
    for label in questions_data()["self_pay"]["ranges"]:
        if normalize(label) == text or label == text:
            return label
    return None


def _prompt(q: str) -> str:
    if q == "identity_unsure":
        return _hint("monitored_prompt")
    return questions_data()[q]["prompt"]


@functools.lru_cache(maxsize=1024)
def _button(label: str) -> Button:
    """A button whose label is also its code. Made once per label and shared (never changed)."""
    return Button(label=label, code=label)


def _buttons(labels) -> list[Button]:
    return [_button(label) for label in labels]


def _is_essential(q: str) -> bool:
    return q in ESSENTIALS or q in ("identity_unsure", "self_pay_refine")


# ------------------------------------------------------------------------------------------- helpers


def _case(state: State, cfg: FlowConfig) -> dict:
    slots = state.slots
    case: dict[str, Any] = {k: slots[k] for k in ESSENTIALS if k in slots}
    if slots.get("facts"):
        case["facts"] = dict(slots["facts"])
    if "year_to_date" in slots:
        case["year_to_date"] = dict(slots["year_to_date"])
    if cfg.today:
        case["date"] = cfg.today.isoformat()
    return case


SNAPSHOT_FIELDS = ("slots", "confirmed", "skipped", "pending", "picking", "done")


def _clone(value: Any) -> Any:
    """A copy of the JSON-like data a State holds (dicts, lists, str, numbers, bools, None): what
    copy.deepcopy does for it, several times faster. Anything else is handed to copy.deepcopy."""
    kind = type(value)
    if kind is dict:  # (atoms, most of the leaves, are kept without a call)
        return {k: v if type(v) in _ATOMS else _clone(v) for k, v in value.items()}
    if kind is list:
        return [v if type(v) in _ATOMS else _clone(v) for v in value]
    if kind in _ATOMS:
        return value
    return copy.deepcopy(value)


_ATOMS = frozenset((str, int, float, bool, type(None), Decimal))


def _snap(state: State) -> dict[str, Any]:
    """What 上一步 restores: a copy of the answer slots and where the conversation stood. A field
    still equal to that of the state the step was given is shared with it instead (step never
    changes the state it is given, and snapshots are never changed): most snapshots are taken
    before the step changes anything."""
    origin = _ORIGIN.get()
    snap = {}
    for name in SNAPSHOT_FIELDS:
        value = getattr(state, name)
        if origin is not None:
            old = getattr(origin, name)
            if old == value:
                snap[name] = old
                continue
        snap[name] = _clone(value)
    return snap


_ORIGIN: ContextVar[State | None] = ContextVar("flow_step_origin", default=None)  # the state step() was given


def _restore(state: State, snap: dict[str, Any]) -> None:
    for key, value in snap.items():
        setattr(state, key, _clone(value))  # snapshots stay untouched


def _snapshot(state: State) -> None:
    state.history.append(_snap(state))
    del state.history[:-MAX_HISTORY]


def _ask(q: str, state: State, cfg: FlowConfig, lead: str | None = None) -> Message:
    state.pending = q
    labels = list(_options(q, state, cfg))
    if q == "identities":
        if state.picking:
            chosen = "、".join(identity_label(c) for c in state.picking)
            lead = (lead + "\n" if lead else "") + f"已选：{chosen}。还有其他身份吗？没有了就点“{B_DONE_PICK}”。"
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
    if q == "self_pay" and state.slots.get("bill") and "总费用" not in (lead or ""):
        lead = (lead + "\n" if lead else "") + _bill_lead(Decimal(state.slots["bill"]))
    if q == "self_pay":
        window = _application_window(state, cfg)
        if window:
            text = f"{text}\n注意：因病致贫依申请救助时，{window}，请填这段时间的合计。"
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


def _result_buttons(state: State) -> list[Button]:
    labels = [B_DETAIL, B_DOCS, B_BENEFITS, B_PRINT, B_EDIT]
    labels.append(B_NEXT if state.mode == "cadre" else B_RESTART)
    return _buttons(labels)


def _estimate(state: State, cfg: FlowConfig):
    return engine.estimate(_case(state, cfg), policies=cfg.policies)


def _skipped_note(state: State, est) -> str:
    """What the result assumed for the skipped questions (those still missing are named by the result)."""
    labels = [engine.FACT_LABELS.get(s, s) for s in state.skipped
              if s != "year_to_date" and s not in est.missing_facts]
    parts = []
    if labels:
        parts.append(f"您跳过了：{'、'.join(labels)}，按上面“说明”里的常见情况估算。")
    if "year_to_date" in state.skipped:
        parts.append("今年此前的费用和救助按没有计算。")
    return "".join(parts)


def _result(state: State, cfg: FlowConfig) -> list[Message]:
    state.pending = None
    state.done = True
    est = _estimate(state, cfg)
    text = render.short(est, skipped=_skipped_note(state, est))
    buttons = _result_buttons(state)
    # still undecided because a skipped fact is missing: one tap to answer it after all
    fill = [f"{B_FILL}{engine.FACT_LABELS.get(m, m)}" for m in est.missing_facts if m in state.skipped]
    return [Message(text=text, buttons=_buttons(fill) + buttons, kind="result", case=_case(state, cfg))]


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
    try:  # only the first question that changes the answer: the engine stops probing there
        q = engine.next_question(_case(state, cfg), skip=state.skipped, policies=cfg.policies)
    except engine.CaseError:
        q = None
    if q is not None:
        return [_ask(q, state, cfg, lead)]
    out = [Message(text=lead, kind="info")] if lead else []
    return out + _result(state, cfg)


def _set(state: State, key: str, value: Any) -> None:
    """Store an answer. Facts go under slots.facts; money as strings (exact Decimal in JSON)."""
    if isinstance(value, Decimal):
        value = str(value)
    if key == "region" and state.slots.get("region") != value:
        state.slots.pop("home_city", None)  # the home city named belongs to the old region
    if key in ESSENTIALS:
        state.slots[key] = value
    else:
        state.slots.setdefault("facts", {})[key] = value
    if key not in state.confirmed:
        state.confirmed.append(key)
    if key in state.skipped:
        state.skipped.remove(key)


def _get(state: State, key: str) -> Any:
    if key in ESSENTIALS:
        return state.slots.get(key)
    return state.slots.get("facts", {}).get(key)


def _show(key: str, value: Any, state: State, cfg: FlowConfig) -> str:
    common = _policies(cfg).common
    if value is None:
        return "（未填）"
    if key == "region":
        return _policies(cfg).regions[value].name
    if key == "identities":
        return "、".join(common.identities[c] for c in value) or "都不是"
    if key == "care":
        return common.care[value]
    if key in ("self_pay", "stay_policy_total", "family_income"):
        return yuan(Decimal(str(value)))
    if key == "where" and state.slots.get("region"):
        return getattr(_policies(cfg).regions[state.slots["region"]].where_labels, value)
    if isinstance(value, bool):
        return "是" if value else "否"
    for lab, v in _options(key, state, cfg).items():
        if v == value:
            return lab
    return str(value)


# ------------------------------------------------------------------------------------------- the step


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
            return Reply(state, [_reask(state, cfg, "请回复文字或点按钮。")])
        return Reply(state, _dispatch(state, text, cfg))
    except Exception:  # noqa: BLE001 - a bug must not end the conversation; tests look for kind "error"
        log.exception("flow step failed")
        return Reply(before, [Message(text="抱歉，出了点问题。请再说一遍，或点“重新开始”。",
                                      buttons=[Button(label=B_RESTART, code=B_RESTART)], kind="error")])
    finally:
        _ORIGIN.reset(origin)


def _opener(text: str) -> bool:
    return is_opener(text) and not extract(text).slots


def _copy(state: State) -> State:
    """A copy the step may change freely; the state it was made from is never changed (the chat
    service may keep it). History snapshots are never changed once taken, so the history list is
    copied but its snapshots are shared. (pydantic's model_copy(deep=True) deep-copies before it
    applies `update`, history included: a fifth of a step.)"""
    fields = {name: list(value) if name == "history" else _clone(value) for name, value in state.__dict__.items()}
    return construct(State, fields, set(state.__pydantic_fields_set__), state.__pydantic_extra__,
                     state.__pydantic_private__)


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


def _dispatch(state: State, text: str, cfg: FlowConfig) -> list[Message]:
    if text in ("/cadre", B_CADRE, "村干部模式"):
        reply = start(cfg, mode="cadre")
        state.__dict__.update(reply.state.__dict__)
        return reply.messages
    if text == "/faq":
        return [Message(text="请直接打出您的问题，比如“低保户住院能报多少？”", kind="info")]
    if state.confirm is not None:
        said = classify(text)
        if text in (B_RESTART, B_NEXT, B_BACK, B_EDIT, "/restart") or said in ("restart", "next", "back", "edit"):
            state.confirm = None  # a command drops the pending confirmation (nothing was changed)
            if text == B_BACK or said == "back":
                return [_reask(state, cfg, "好的，没有改。")]
        elif not (text == "/help" or said in ("help", "human")):  # help: answered, then asked again
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
        reply = start(cfg, mode="cadre")
        state.__dict__.update(reply.state.__dict__)
        return [Message(text="好的，开始下一位。", kind="info")] + reply.messages[1:]
    if text in (B_BACK,) or intent == "back":
        return _back(state, cfg)
    if text == B_EDIT or intent == "edit":
        return _edit_menu(state, cfg)
    finished = state.done and not state.pending and state.confirm is None
    if text == "/help" or intent == "help":
        return [Message(text=render.render_constant("help.j2"), kind="info"),
                _reask(state, cfg, "结果的详细内容点下面的按钮看：" if finished else "我们接着来：")]
    if intent == "human":
        region = state.slots.get("region")
        name = _policies(cfg).regions[region].short_name if region else None
        return [Message(text=render.render_constant("human.j2", region=name), kind="info"),
                _reask(state, cfg, "结果的详细内容点下面的按钮看：" if finished else "也可以接着回答：")]
    if state.pending == "edit":
        return _on_edit_choice(state, text, cfg)
    if state.done and text in (B_DETAIL, B_DOCS, B_BENEFITS, B_PRINT):
        return _result_part(state, text, cfg)
    if state.done and text.startswith(B_FILL):
        filled = _fill(state, text, cfg)
        if filled:
            return filled
    if state.pending and (text == B_SKIP or intent == "skip"):
        return _skip(state, cfg)
    return _answer(state, text, cfg)


# ------------------------------------------------------------------------------------------- answers


_NOTHING = extract("")
# Buttons _ask adds to a question besides its options; each is answered by its label alone and
# says nothing else (tests/bot/test_flow.py checks that extract() finds nothing in them).
EXTRA_BUTTONS = (B_DONE_PICK, B_NONE, "不清楚")


def _extra_buttons(q: str | None, state: State) -> tuple[str, ...]:
    if q == "identities":
        return (B_DONE_PICK,) if state.picking else (B_NONE,)
    if q == "identity_unsure":
        return ("不清楚", B_NONE)
    return ()


def _answer(state: State, text: str, cfg: FlowConfig) -> list[Message]:
    q = state.pending
    button = bool(q) and (text in _options(q, state, cfg) or text in _extra_buttons(q, state))
    # a button press carries only its own answer: nothing else to extract from it
    ext = _NOTHING if button else extract(text)
    _snapshot(state)
    lead_notes: list[str] = []
    handled = False
    problem: str | None = None
    if cfg.faq is not None and not button and (ext.question or looks_like_question(text)) \
            and not _about_this_patient(text, ext):
        return _faq_detour(state, text, cfg)
    if q:
        handled, problem, more = _answer_pending(state, q, text, ext, cfg)
        lead_notes += more
        if handled and state.confirm is not None:  # an unsure answer ("困难户"): ask before taking it
            state.answered += 1
            ask = _confirm_message(state)
            return [Message(text="\n".join(lead_notes + [ask.text]), buttons=ask.buttons, kind="question")]
        if state.pending != q and state.pending is not None and handled:
            # the answer opened a sub-question (identity multi-select, year-to-date steps …)
            state.answered += 1
            return _with_merge(state, ext, q, cfg, lead_notes, direct=True)
    if not handled and _faq_like(text, ext) and cfg.faq is not None and not _about_this_patient(text, ext):
        return _faq_detour(state, text, cfg)
    if not q and state.slots.get("region") and ext.place is not None and _about_care_place(text):
        return _where_change(state, ext.place, cfg)  # "其实在柳州看的"
    if not q and state.done and not ext.slots:
        changed = _bare_amount_change(state, text, cfg)  # a bare "改成3万" after the result
        if changed:
            return changed
    return _after_answer(state, text, ext, q, (handled, problem, button), cfg, lead_notes)


def _faq_detour(state: State, text: str, cfg: FlowConfig) -> list[Message]:
    """A policy question: answered from the FAQ, then back to the pending question (nothing filled
    from it: "五保户住院能报多少？" does not say the patient is 五保户)."""
    state.history.pop()
    answer = cfg.faq(text, state.slots.get("region"))
    return answer + [_reask(state, cfg, "我们接着刚才的问题：")]


def _bare_amount_change(state: State, text: str, cfg: FlowConfig) -> list[Message] | None:
    amount = parse_amount(text)
    current = state.slots.get("self_pay")
    if not (amount.ok and amount.value is not None and current is not None and Decimal(str(current)) != amount.value):
        return None
    state.history.pop()
    new = str(amount.value)
    state.confirm = {"slot": "self_pay", "value": new,
                     "text": _hint("change", label=engine.FACT_LABELS.get("self_pay"),
                                   old=_show("self_pay", current, state, cfg), new=_show("self_pay", new, state, cfg))}
    return [_confirm_message(state)]


def _after_answer(state: State, text: str, ext, q: str | None, outcome: tuple, cfg: FlowConfig,
                  lead_notes: list[str]) -> list[Message]:
    """The rest of a message merged, then the next question (or a confirmation, or a hint)."""
    handled, problem, button = outcome
    if handled and button:
        merged, conflict = False, None  # a button says one thing only: "门诊慢特病" is not "是特殊疾病"
    elif handled and q and not _is_essential(q) and not _corrects(text):
        # a typed answer ("是的，尿毒症") fills what is still empty but changes nothing already given:
        # its words answer the question, they do not ask to change the care type
        merged, conflict = _merge(state, ext, q, cfg, lead_notes, changes=False)
    else:
        # a problem with the answer (e.g. a bare "门诊") keeps the pending slot out of the merge
        merged, conflict = _merge(state, ext, q if handled or problem else None, cfg, lead_notes)
    if conflict is not None:
        if handled:  # "本市，其实自付是3万": the question is answered; the change waits for 是/不
            state.answered += 1
            if state.pending == q:
                state.pending = None
        elif not merged:
            state.history.pop()  # nothing changed yet
        return [conflict]
    outside = (not handled and ext.place is not None and ext.place.outside
               and (q == "region" or not state.slots.get("region")))
    if outside:
        # "我是西安的低保户": keep what else was said, but say the place is not covered yet
        if not merged:
            state.history.pop()
        return [_outside(ext.place, cfg), _ask("region", state, cfg)]
    if (handled or merged) and _ask_unsure_identity(state, ext, q):
        state.answered += 1  # "特因户", "因为看病家里穷了": asked back before it is used
        ask = _confirm_message(state)
        return [Message(text="\n".join(lead_notes + [ask.text]), buttons=ask.buttons, kind="question")]
    if handled or merged:
        state.answered += 1
        if handled:
            state.pending = None if state.pending == q else state.pending
        if state.pending and state.pending not in ESSENTIALS and _get(state, state.pending) is not None:
            state.pending = None
        if state.pending and state.pending in ESSENTIALS and state.slots.get(state.pending) is not None:
            state.pending = None
        if state.pending:
            return [_ask(state.pending, state, cfg, "\n".join(lead_notes) or None)]
        state.done = False
        return _next(state, cfg, "\n".join(lead_notes) or None)
    state.history.pop()
    if _opener(text):  # "你好" / "谢谢" mid-way: a polite word back, then where we were
        thanks = any(word in text for word in ("谢", "感谢", "辛苦"))
        key = ("thanks_done" if state.done and not state.pending else "thanks") if thanks else "greeting_again"
        return [_reask(state, cfg, _hint(key))]
    return [_reask(state, cfg, problem or _not_understood(q))]


def _where_change(state: State, place, cfg: FlowConfig) -> list[Message]:
    """A place of care named after the result: the where answer changes (confirmed when it replaces
    one), or the where question is asked again when the place alone does not tell (广西: which city)."""
    value = _where_from_place(state, place, cfg)
    current = _get(state, "where")
    if value is None:
        state.answered += 1
        state.done = False
        return [_ask("where", state, cfg, _which_city(place, cfg))]
    state.history.pop()
    if value == current:
        return [_reask(state, cfg, _hint("where_same", where=_show("where", value, state, cfg)))]
    state.confirm = {"slot": "where", "value": value,
                     "text": _hint("change", label=engine.FACT_LABELS.get("where", "就医地点"),
                                   old=_show("where", current, state, cfg), new=_show("where", value, state, cfg))}
    return [_confirm_message(state)]


def _ask_unsure_identity(state: State, ext, q: str | None) -> bool:
    """A probable identity in a message that answered another question: set up "您说的…是指…吗？"."""
    match = ext.identity
    if q in ("identities", "identity_unsure") or state.slots.get("identities") is not None \
            or match.codes or not match.unsure or state.confirm is not None:
        return False
    phrase, code = match.unsure[0]
    if code in MONITORED_BUTTONS.values():
        return False  # 贫困户 and the like: the identities question asks which kind
    state.confirm = {"slot": "identities", "value": [code], "unsure": True,
                     "text": _hint("unsure_identity", phrase=phrase, label=identity_label(code))}
    if state.pending == q:
        state.pending = None
    return True


def _outside(place, cfg: FlowConfig) -> Message:
    """Not covered yet: what is true everywhere, and the covered list. "重庆" → only 黔江 is covered there."""
    regions = _policies(cfg).regions
    covered = "、".join(r.name for r in regions.values())
    province = getattr(place, "province", None) or ""
    same = [code for code, r in regions.items() if province and r.name.startswith(province)]
    nearby = regions[same[0]].name if len(same) == 1 else ""
    button = next((lab for lab, code in _region_buttons(cfg).items() if nearby and code == same[0]), "")
    whole = place.level == "province"
    text = render.render("outside.j2", place=place.place, nearby=nearby if whole else "", button=button,
                         covered=covered)
    if nearby and not whole:
        text = f"{text}\n（{province}目前只覆盖{nearby}。）"
    return Message(text=text, kind="info")


def _with_merge(state, ext, q, cfg, lead_notes, direct=False) -> list[Message]:
    merged, conflict = _merge(state, ext, q, cfg)
    if conflict is not None:
        return [conflict]
    return [_ask(state.pending, state, cfg, "\n".join(lead_notes) or None)]


FIRST_PERSON = ("我", "俺", "本人", "患者", "病人", "家里", "家人", "老人", "孩子")


def _about_this_patient(text: str, ext) -> bool:
    """"我是拉萨的低保户，住院自付2万，能报多少？" asks for this estimate: fill the slots, don't look it up.
    "五保户住院能报多少？" (no one in particular) is a policy question for the FAQ."""
    slots = ext.slots
    if "self_pay" in slots:
        return True
    return bool(slots) and any(word in text for word in FIRST_PERSON)


def _faq_like(text: str, ext) -> bool:
    return bool(ext.question or looks_like_question(text) or text.endswith(("?", "？")))


def _not_understood(q: str | None) -> str:
    hints = {
        "region": "没认出这个地方。请打省、市或县的名字，或点下面的按钮。",
        "identities": "没认出身份。可以点按钮，或打“低保户”“五保户”“残疾”等；都没有就点“都不是”。",
        "care": "请点选看病的类型。",
        "self_pay": "没看懂金额。请打数字，比如“2万”或“35000”。",
    }
    return hints.get(q or "", "没太明白，请点按钮或换个说法。")


Outcome = tuple[bool, str | None, list[str]]  # (handled, problem message, notes)


def _answer_pending(state: State, q: str, text: str, ext, cfg: FlowConfig) -> Outcome:
    """Parse `text` as the answer to question `q`: its buttons first, then the parser named by
    questions.yaml's `parser:` (PARSERS)."""
    options = _options(q, state, cfg)
    if q == "identities":
        return _answer_identities(state, text, ext, options, cfg)
    if q == "identity_unsure":
        return _answer_identity_unsure(state, text, ext, options)
    if q == "self_pay" and _amount_range(text):
        state.slots["amount_range"] = _amount_range(text)
        state.pending = "self_pay_refine"
        return True, None, []
    if text in options:
        return _apply(state, q, options[text], cfg)
    if q == "self_pay_refine" and text in {normalize(label): v for label, v in options.items()}:
        return _apply(state, q, {normalize(label): v for label, v in options.items()}[text], cfg)
    parser = PARSERS.get(questions_data().get(q, {}).get("parser", "option"), _parse_fact)
    return parser(state, q, text, ext, cfg)


def _answer_identity_unsure(state: State, text: str, ext, options: dict) -> Outcome:
    kept = [c for c in state.picking if c not in MONITORED_BUTTONS.values()]
    if text in options:
        _commit_identities(state, kept + [options[text]])
        return True, None, []
    if text == "不清楚":
        _commit_identities(state, state.picking + ["unstable_lifted"])
        return True, None, [_hint("monitored_unknown")]
    if text == B_NONE or (ext.identity.none and not ext.identity.found):
        _commit_identities(state, kept)
        return True, None, []
    return False, _hint("pick_monitored"), []


def _parse_region(state: State, q: str, text: str, ext, cfg: FlowConfig) -> Outcome:
    if not ext.region:
        named = _region_named(text, cfg)
        if named is None:
            return False, None, []
        _set(state, "region", named)  # a region the place names do not know yet: named as its file does
        return True, None, []
    _set(state, "region", ext.region)
    _remember_home(state, ext)
    name = _policies(cfg).regions[ext.region].name
    note = [_hint("place_in_region", place=ext.place.place, region=name)] \
        if ext.place and ext.place.place not in name else []
    return True, None, note


def _region_named(text: str, cfg: FlowConfig) -> str | None:
    """The region whose file names it exactly so (name, short name, an alias)."""
    for code, region in _policies(cfg).regions.items():
        if text in (region.name, region.short_name, *region.aliases):
            return code
    return None


def _parse_care(state: State, q: str, text: str, ext, cfg: FlowConfig) -> Outcome:
    if ext.care == "outpatient_general" and "普通" not in text and len(text) <= 6:
        return False, _hint("which_outpatient"), []  # a bare "门诊": which kind matters a lot
    if not ext.care:
        return False, None, []
    _set(state, "care", ext.care)
    return True, None, []


def _parse_amount(state: State, q: str, text: str, ext, cfg: FlowConfig) -> Outcome:
    if q in BILL_SLOTS:
        from_bill = _self_pay_from_bill(state, q, ext, cfg)
        if from_bill is not None:
            return from_bill
    result = parse_amount(text)
    if result.error == "unknown":
        return _skip_inline(state, q) if not _is_essential(q) else (False, _hint("need_number"), [])
    if not result.ok:
        return False, result.message or _not_understood(q), []
    too_much = _more_than_bill(state, q, result.value)
    if too_much:
        return False, too_much, []
    handled, problem, notes = _apply(state, q, result.value, cfg)
    if result.approx or result.note:  # "两三万": say the figure used, in the usual form
        notes = notes + [_hint("figure_used", amount=yuan(result.value))]
    return handled, problem, notes


def _parse_grade(state: State, q: str, text: str, ext, cfg: FlowConfig) -> Outcome:
    value = parse_int(text, "grade")
    if value is None and ext.identity.facts.get("disability_grade"):
        value = ext.identity.facts["disability_grade"]
    if value not in (1, 2, 3, 4):
        return False, _hint("pick_grade"), []
    if ext.identity.facts.get("disability_kind"):
        _set(state, "disability_kind", ext.identity.facts["disability_kind"])
    return _apply(state, q, value, cfg)


def _parse_hospital_level(state: State, q: str, text: str, ext, cfg: FlowConfig) -> Outcome:
    value = parse_hospital_level(text)
    if value in (1, 2, 3):
        return _apply(state, q, value, cfg)
    return False, _hint("pick_hospital"), []


def _parse_yes_no(state: State, q: str, text: str, ext, cfg: FlowConfig) -> Outcome:
    value = read_choice(text, questions_data()[q].get("words") or {})  # "今年第一次住院", "没有转诊"
    if value is None and says_unknown(text):
        handled, problem, notes = _skip_inline(state, q)  # "是不是特殊病我不知道": never taken as yes
        return handled, problem, notes or ["好的，这一项先跳过。"]
    value = parse_yes_no(text) if value is None else value
    if value is None:
        return False, _hint("yes_or_no"), []
    handled, problem, notes = _apply(state, q, value, cfg)
    amount = parse_amount(text)
    if q == "year_to_date" and value and amount.ok and amount.value:
        return _apply(state, "ytd_self_pay", amount.value, cfg)  # "有，自付了5000": the next one too
    return handled, problem, notes


def _parse_where(state: State, q: str, text: str, ext, cfg: FlowConfig) -> Outcome:
    value = ext.facts.get("where") or (
        _where_from_place(state, ext.place, cfg) if ext.place and not _says_home(text) else None)
    if value:
        handled, problem, notes = _apply(state, q, value, cfg)
        return handled, problem, _where_by_home(state, ext, value, cfg) + notes
    if ext.place is not None and ext.place.region == state.slots.get("region"):
        return False, _which_city(ext.place, cfg), []
    return False, _hint("pick_where"), []


def _where_by_home(state: State, ext, value: str, cfg: FlowConfig) -> list[str]:
    """Said back when the home city named earlier decided 本市 or another city."""
    home, place = state.slots.get("home_city"), ext.place
    if ext.facts.get("where") or not home or place is None or place.region != state.slots.get("region") \
            or _policies(cfg).regions[place.region].city_pooling:
        return []
    return [_hint("where_by_home", place=place.place, home=home, same=value == "local",
                  label=_show("where", value, state, cfg))]


def _which_city(place, cfg: FlowConfig) -> str:
    labels = _policies(cfg).regions[place.region].where_labels
    return _hint("which_city", place=place.place, local=labels.local, other=labels.in_province)


def _parse_age(state: State, q: str, text: str, ext, cfg: FlowConfig) -> Outcome:
    value = parse_int(text, "age") or ext.facts.get("age")
    if isinstance(value, int) and 0 <= value <= 130:
        return _apply(state, q, value, cfg)
    return False, _hint("type_age"), []


def _parse_fact(state: State, q: str, text: str, ext, cfg: FlowConfig) -> Outcome:
    """`option` questions typed rather than pressed: what extract() found for the fact."""
    value = ext.facts.get(q)
    if value is not None:
        return _apply(state, q, value, cfg)
    return False, None, []


# questions.yaml `parser:` → how a typed answer is read
PARSERS: dict[str, Callable[..., Outcome]] = {
    "region": _parse_region, "care": _parse_care, "amount": _parse_amount, "grade": _parse_grade,
    "hospital_level": _parse_hospital_level, "yes_no": _parse_yes_no, "where": _parse_where,
    "age": _parse_age, "option": _parse_fact,
}


def _hint(key: str, **context) -> str:
    """A short sentence of the flow's own (bot/templates/hints.j2)."""
    return render.render("hints.j2", key=key, **context)


BILL_SLOTS = {"self_pay": "bill", "ytd_self_pay": "ytd_bill"}  # where a whole bill said for it is kept


def _self_pay_from_bill(state: State, q: str, ext, cfg: FlowConfig) -> Outcome | None:
    """A self-pay question (this one, or the year's earlier ones) answered with a whole bill or a
    reimbursement ("花了2万", "报了3万"): a whole bill alone is never priced as self-pay (more
    self-pay can only raise the estimate); bill − reimbursement is, said back."""
    bill = state.slots.get(BILL_SLOTS[q])
    if ext.self_pay is not None:
        too_much = _more_than_bill(state, q, ext.self_pay)
        if too_much:
            return False, too_much, []
        handled, problem, notes = _apply(state, q, ext.self_pay, cfg)
        return handled, problem, notes + _self_pay_notes(ext, ext.self_pay)
    if ext.reimbursed is not None and bill is not None and ext.total_cost is None:
        left = Decimal(bill) - ext.reimbursed
        if left < 0:
            return False, _hint("reimbursed_too_much", bill=yuan(Decimal(bill))), []
        handled, problem, notes = _apply(state, q, left, cfg)
        return handled, problem, notes + [
            _hint("bill_left", bill=yuan(Decimal(bill)), paid=yuan(ext.reimbursed), left=yuan(left))]
    if ext.total_cost is not None:
        state.slots[BILL_SLOTS[q]] = str(ext.total_cost)  # kept: "报了3万" next computes the rest
        return False, _bill_lead(ext.total_cost), []
    return None


def _bill_lead(bill: Decimal) -> str:
    return _hint("bill", bill=yuan(bill))


def _self_pay_notes(ext, value: Decimal) -> list[str]:
    """Say back how the self-pay was read: computed from the bill, or the figure used for "两万多"."""
    if ext.total_cost is not None and ext.reimbursed is not None:
        return [_hint("bill_left", bill=yuan(ext.total_cost), paid=yuan(ext.reimbursed), left=yuan(value))]
    result = ext.self_pay_result
    if result is not None and result.approx:
        return [_hint("approx_self_pay", amount=yuan(value))]
    return []


def _more_than_bill(state: State, q: str, value: Decimal) -> str | None:
    bill = state.slots.get(BILL_SLOTS.get(q, ""))
    if bill is not None and value is not None and value > Decimal(bill):
        return _hint("more_than_bill", bill=yuan(Decimal(bill)))
    return None


HOME_WORDS = ("我是", "户口", "户籍", "参保", "家在", "老家", "我们是")


def _says_home(text: str) -> bool:
    """"不对，我是拉萨的" corrects the home region; "去拉萨看的" names where the care was."""
    return any(word in (text or "") for word in HOME_WORDS)


def _remember_home(state: State, ext) -> None:
    """The place that told the region ("柳州的低保户"): care there later is 本市, not asked again."""
    if ext.place is not None and ext.place.region == state.slots.get("region") and ext.place.city:
        state.slots["home_city"] = ext.place.city


def _where_from_place(state: State, place, cfg: FlowConfig) -> str | None:
    """"去北京看的" answers 在哪里看的病 (it does not change where the patient is insured)."""
    region = state.slots.get("region")
    if not region or place is None:
        return None
    if place.region == region:
        # the pooling area is the city (district) itself: local; else (a province) 本市 or another
        # city? The home city, when the user named it ("柳州的低保户"), tells; otherwise ask
        if _policies(cfg).regions[region].city_pooling:
            return "local"
        home = state.slots.get("home_city")
        if not home or not place.city:
            return None
        return "local" if place.city == home else "in_province"
    province = getattr(place, "province", None) or ""
    if province and _policies(cfg).regions[region].name.startswith(province):
        return "in_province" if place.level != "province" else None
    return "out_of_province" if province or place.region else None


def _apply(state: State, q: str, value: Any, cfg: FlowConfig) -> tuple[bool, str | None, list[str]]:
    if q == "self_pay_refine":  # a figure of the range: the self-pay itself
        state.slots.pop("amount_range", None)
        _set(state, "self_pay", Decimal(str(value)))
        return True, None, []
    if q == "year_to_date":
        if value:
            state.slots["ytd_partial"] = {}
            state.pending = "ytd_self_pay"
        else:
            state.slots["year_to_date"] = {"self_pay": "0", "aid": "0", "tilt_aid": "0"}
            state.confirmed.append("year_to_date")
        return True, None, []
    if q in YTD_STEPS:
        partial = state.slots.setdefault("ytd_partial", {})
        partial[q.removeprefix("ytd_")] = str(value)
        following = [s for s in YTD_STEPS if s.removeprefix("ytd_") not in partial]
        if following == ["ytd_tilt_aid"] and _policies(cfg).regions[state.slots["region"]].tilt is None:
            following = []
        if following:
            state.pending = following[0]
        else:
            ytd = {"self_pay": "0", "aid": "0", "tilt_aid": "0", **partial}
            state.slots["year_to_date"] = ytd
            state.slots.pop("ytd_partial", None)
            state.slots.pop("ytd_bill", None)
            state.confirmed.append("year_to_date")
        return True, None, []
    _set(state, q, value)
    return True, None, []


def _answer_identities(state: State, text: str, ext, options: dict, cfg: FlowConfig):
    if text == B_DONE_PICK:
        _commit_identities(state, state.picking)
        return True, None, []
    if text == B_NONE or (ext.identity.none and not ext.identity.found):
        # "都不是" before picking = none; "没有了/不是" after picking = no more than those picked
        _commit_identities(state, list(state.picking))
        return True, None, []
    if text in options:
        state.picking.append(options[text])
        state.pending = "identities"
        return True, None, []
    match = ext.identity if ext.identity.found else find_identities(text)
    if not match.found:
        if state.picking and any(key in ext.slots for key in ("region", "care", "self_pay")):
            # moving on ("住院") after picking: keep what was picked, the rest is merged
            _commit_identities(state, list(state.picking))
            return True, None, []
        return False, None, []
    for key, value in match.facts.items():
        _set(state, key, value)
    codes = list(dict.fromkeys(state.picking + match.codes))
    notes = list(match.notes)
    if match.corrections:
        notes.append("我理解为：" + "、".join(f"“{typed}”=“{canon}”" for typed, canon in match.corrections) + "。")
    if match.monitored or any(code in MONITORED_BUTTONS.values() for _, code in match.unsure):
        state.picking = codes
        state.pending = "identity_unsure"
        # "贫困户"/"建档立卡户": say why we ask (the monitored type's own question says the rest)
        return True, None, [] if match.monitored else notes
    if match.unsure and not match.codes:
        phrase, code = match.unsure[0]
        state.confirm = {"slot": "identities", "value": list(dict.fromkeys(state.picking + [code])), "unsure": True,
                         "text": f"您说的“{phrase}”是指“{identity_label(code)}”吗？"}
        return True, None, notes
    _commit_identities(state, codes)
    return True, None, notes


def _commit_identities(state: State, codes: list[str]) -> None:
    _set(state, "identities", list(dict.fromkeys(codes)))
    state.picking = []
    if state.pending in ("identities", "identity_unsure"):
        state.pending = None


CORRECTION_WORDS = ("不是", "其实", "不对", "搞错", "说错", "改成", "改为", "应该是")


CHANGE_WORDS = ("其实", "不对", "搞错", "说错", "改成", "改为", "应该是", "改一下", "弄错")


def _corrects(text: str) -> bool:
    """The message asks to change something ("本市，其实自付是3万"), beyond answering."""
    return any(word in text for word in CHANGE_WORDS)


def _merge(state: State, ext, answered: str | None, cfg: FlowConfig,
           notes: list[str] | None = None, changes: bool = True) -> tuple[bool, Message | None]:
    """Fill the other slots a free-text message stated; confirm before replacing a confirmed answer
    (with changes=False, only fill what is still empty)."""
    merged = False
    found = ext.slots
    skip_money = state.pending in YTD_STEPS or answered in YTD_STEPS or answered in (
        "stay_policy_total", "family_income")
    for key in ESSENTIALS:
        if key == answered or key not in found:
            continue
        if key == "region" and "where" in (answered, state.pending) and not _says_home(ext.text):
            continue  # a place named for 在哪里看的病 is where the care was, not the patient's home
        if key == "self_pay" and skip_money:
            continue
        if key == "identities" and answered in ("identities", "identity_unsure"):
            continue
        value = found[key]
        if key == "region" and state.slots.get("region") and _about_care_place(ext.text):
            continue  # "其实在柳州看的": where the care was (see _where_change), not the home
        if key == "self_pay" and _more_than_bill(state, key, value):
            continue
        if isinstance(value, Decimal):
            value = str(value)
        current = state.slots.get(key)
        if current is None:
            _set(state, key, value)
            if key == "region":
                _remember_home(state, ext)
            merged = True
            if notes is not None:
                notes.extend(_merge_notes(key, ext, found[key]))
        elif changes and current != value and (key != "identities" or set(value) - set(current)):
            # "还有他是残疾人" adds an identity; "其实不是低保，是特困" replaces them (asked first)
            correcting = key == "identities" and any(word in (ext.text or "") for word in CORRECTION_WORDS)
            new = value if key != "identities" or correcting else list(dict.fromkeys(current + value))
            if key == "identities" and correcting and ext.identity.negated:
                # "是特困不是低保": only the denied identity goes, the others stay
                new = list(dict.fromkeys([c for c in current if c not in ext.identity.negated] + value))
            if key == "identities" and not correcting:
                _set(state, key, new)
                merged = True
                if notes is not None:  # "还有他是残疾人": added, and said so
                    added = [c for c in new if c not in current]
                    notes.append("已加上身份：" + "、".join(identity_label(c) for c in added) + "。")
                continue
            state.confirm = {"slot": key, "value": new,
                             "text": f"您之前说的{engine.FACT_LABELS.get(key, key)}是“{_show(key, current, state, cfg)}”，"
                                     f"现在改成“{_show(key, new, state, cfg)}”吗？"}
            return merged, _confirm_message(state)
    for key, value in found.get("facts", {}).items():
        if key == answered:
            continue
        if _get(state, key) is None:
            _set(state, key, value)
            merged = True
    if state.slots.get("identities") is None and answered not in ("identities", "identity_unsure") \
            and ext.identity.none and not ext.identity.found:
        _set(state, "identities", [])  # "不是低保也不是特困，普通人": none, not asked again
        merged = True
    if "self_pay" not in found and ext.total_cost is not None and state.slots.get("self_pay") is None \
            and not skip_money:
        state.slots["bill"] = str(ext.total_cost)  # asked for what is left (_ask says why)
        merged = True
    return merged, None


_CARE_PLACE_RE = re.compile(r"在.{1,8}(看的|看病|住的院|住院|治|做的|做手术|就医|开的药)|去.{1,8}(看|住院|治)")


def _about_care_place(text: str) -> bool:
    return bool(_CARE_PLACE_RE.search(text or "")) and not _says_home(text)


def _merge_notes(key: str, ext, value: Any) -> list[str]:
    """How a slot filled from free text was read, said back: the self-pay's figure, typo fixes."""
    if key == "self_pay":
        return _self_pay_notes(ext, value)
    if key == "identities" and ext.identity.corrections:
        return ["我理解为：" + "、".join(f"“{typed}”=“{canon}”" for typed, canon in ext.identity.corrections) + "。"]
    return []


def _confirm_message(state: State) -> Message:
    yes, no = ("是", "不是") if state.confirm.get("unsure") else (B_YES_CHANGE, B_NO_CHANGE)
    return Message(text=state.confirm["text"], buttons=[Button(label=yes, code=yes), Button(label=no, code=no)],
                   kind="question")


def _on_confirm(state: State, text: str, cfg: FlowConfig) -> list[Message]:
    yes = text == B_YES_CHANGE or (text != B_NO_CHANGE and parse_yes_no(text) is True)
    no = text == B_NO_CHANGE or parse_yes_no(text) is False
    if not (yes or no):
        return [_confirm_message(state)]
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
        lead = "好的。" if pending.get("unsure") else "好的，已改过来。"
        if state.pending and not _is_essential(state.pending) and state.pending not in YTD_STEPS:
            state.pending = None  # the change may make a different question matter (or none)
    elif pending.get("unsure"):
        lead = "好的，那请点选身份，或换个说法。"
    else:
        lead = "好的，保持原来的。"
    if state.done or not state.pending:
        state.done = False
        return _next(state, cfg, lead)
    return [_ask(state.pending, state, cfg, lead)]


def _skip(state: State, cfg: FlowConfig) -> list[Message]:
    q = state.pending
    if q == "identity_unsure":  # "不知道" which kind of 监测户: the 不清楚 button
        return _answer(state, "不清楚", cfg)
    if _is_essential(q):
        hint = "都没有就点“都不是”。" if q == "identities" else ""
        return [_ask(q, state, cfg, f"这一项必须知道才能估算，请回答。{hint}")]
    _snapshot(state)
    handled, _, notes = _skip_inline(state, q)
    state.answered += 1
    state.pending = None
    return _next(state, cfg, "好的，跳过。" + ("".join(notes)))


def _skip_inline(state: State, q: str) -> tuple[bool, str | None, list[str]]:
    if q in ("year_to_date",) + YTD_STEPS:
        partial = state.slots.pop("ytd_partial", {})
        state.slots["year_to_date"] = {"self_pay": "0", "aid": "0", "tilt_aid": "0", **partial}
        if "year_to_date" not in state.skipped:
            state.skipped.append("year_to_date")
        state.pending = None
        return True, None, ["今年之前的费用和救助按没有计算。"]
    if q not in state.skipped:
        state.skipped.append(q)
    state.pending = None
    return True, None, []


def _back(state: State, cfg: FlowConfig) -> list[Message]:
    if not state.history:
        return [_reask(state, cfg, "已经是第一个问题了。")]
    _restore(state, state.history.pop())
    state.confirm = None
    state.answered = max(0, state.answered - 1)
    if state.pending:
        return [_ask(state.pending, state, cfg, "好的，回到上一步。")]
    return _next(state, cfg, "好的，回到上一步。")


EDITABLE = ("region", "identities", "care", "self_pay")


def _edit_menu(state: State, cfg: FlowConfig) -> list[Message]:
    if state.pending == "edit" and state.history:  # 修改 again while the summary is shown: one snapshot
        _restore(state, state.history.pop())
    if not any(state.slots.get(k) is not None for k in EDITABLE) and state.pending != "edit":
        return [_reask(state, cfg, "还没有填写任何情况，先回答这个问题吧：")]
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
    if "year_to_date" in state.slots:
        ytd = state.slots["year_to_date"]
        rows.append(("今年此前", f"自付{yuan(Decimal(ytd['self_pay']))}，已获救助{yuan(Decimal(ytd['aid']))}"))
        buttons.append(Button(label="改今年此前的费用", code="改今年此前的费用"))
    state.history.append(_snap(state))
    state.pending = "edit"
    buttons.append(Button(label="不改了", code="不改了"))
    return [Message(text=render.render("summary.j2", rows=rows), buttons=buttons, kind="question")]


def _on_edit_choice(state: State, text: str, cfg: FlowConfig) -> list[Message]:
    snap = state.history.pop() if state.history else {}
    if text == "不改了":
        _restore(state, snap)
        if state.done:
            return _result(state, cfg)
        return [_reask(state, cfg, "好的。")]
    if text == "改今年此前的费用":
        if snap:
            state.history.append(snap)
        state.slots.pop("year_to_date", None)
        state.confirmed = [c for c in state.confirmed if c != "year_to_date"]
        state.done = False
        return [_ask("year_to_date", state, cfg)]
    for key in list(EDITABLE) + list(state.slots.get("facts", {})):
        if text == f"改{engine.FACT_LABELS.get(key, key)}"[:20]:
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
    menu = _edit_menu(state, cfg)[0]
    return [Message(text=f"请点要修改的那一项。\n{menu.text}", buttons=menu.buttons, kind="question")]


def _result_part(state: State, text: str, cfg: FlowConfig) -> list[Message]:
    est = _estimate(state, cfg)
    if text == B_DETAIL:
        body = render.detail(est)
    elif text == B_DOCS:
        body = render.documents(est)
    elif text == B_BENEFITS:
        body = render.benefits(est)
    else:
        body = render.printable(est, _case(state, cfg), cfg.today)
    return [Message(text=body, buttons=_result_buttons(state), kind="detail")]
