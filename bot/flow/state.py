"""What the conversation remembers and the data it is made of: State, FlowConfig, Reply, the button
labels, questions.yaml and the buttons of each question, storing/reading/showing an answer, and the
snapshots 上一步 restores."""
from __future__ import annotations

import copy
import functools
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from importlib import resources
from typing import Any, Callable, Literal

import yaml
from pydantic import BaseModel, Field

from engine.money import yuan
from engine.policy import default as load_policies

from .. import render
from ..messages import Button, Message
from ..understand import day_for, full_year, month_span, normalize, span_words


ESSENTIALS = ("region", "identities", "care", "self_pay")
YTD_STEPS = ("ytd_self_pay", "ytd_aid", "ytd_tilt_aid")
YEAR_QUESTIONS = ("year_to_date",) + YTD_STEPS  # their 今年 is the year of the care, and so is the age's
CARE_YEAR_WORDS = YEAR_QUESTIONS + ("age",)  # the questions whose words say the care's year (_year_words)
MAX_HISTORY = 30


# Result buttons (labels are what the user sends back).
B_DETAIL, B_DOCS, B_BENEFITS, B_PRINT = "计算过程", "材料和去哪办", "其他待遇", "打印版"
# bot.understand.result_part_asked → the result's button that answers it
RESULT_PART_BUTTONS = {"detail": B_DETAIL, "documents": B_DOCS, "benefits": B_BENEFITS, "print": B_PRINT}
B_EDIT, B_RESTART, B_NEXT, B_DONE_PICK, B_NONE = "修改", "重新开始", "下一位", "选好了", "都不是"
B_SKIP, B_BACK, B_YES_CHANGE, B_NO_CHANGE = "跳过", "上一步", "是，改过来", "不改"
B_CADRE = "村干部帮办"
B_SAID_SELF_PAY = "自付{amount}元"  # an amount said without saying what it is, offered as the self-pay
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


@functools.lru_cache(maxsize=1)
def questions_data() -> dict:
    with resources.files("bot").joinpath("data/questions.yaml").open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def _policies(cfg: FlowConfig):
    return cfg.policies or load_policies()


def _likely_unsure(state: State, match) -> tuple[str, str]:
    """The (phrase, code) to ask about of an unsure identity word: the first reading that counts in
    the region when one does ("家里困难" of a student: 困难大学生 in 黔江, 低保边缘 elsewhere)."""
    region = state.slots.get("region")
    counts = set(_region_identities(region)) if region else set()
    return next((pair for pair in match.unsure if pair[1] in counts), match.unsure[0])


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
    if q == "care_side":  # the day asked about is the case's own
        words = day_words(date.fromisoformat(state.slots["care_change"]))
        return {label.format(day=words): value for label, value in questions_data()[q]["options"].items()}
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


def _region_button(code: str, cfg: FlowConfig) -> str:
    """The label of a region's button (重庆黔江 for qianjiang)."""
    return next(label for label, region in _region_buttons(cfg).items() if region == code)


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


def _explanation(q: str, state: State, cfg: FlowConfig) -> str:
    """The pending question in plainer words ("什么意思"); `where` names the region's own buttons."""
    if q == "identity_unsure":
        return _hint("explain_monitored")
    if q == "edit":
        return _hint("explain_edit")
    text = questions_data()[q]["explain"]
    if q in CARE_YEAR_WORDS:
        text = _year_words(text, state, cfg)
    if q != "where":
        return text
    region = state.slots.get("region")
    if not region:  # never asked before the region; said plainly if it were
        return _prompt(q)
    labels = _policies(cfg).regions[region].where_labels
    return text.format(local=labels.local, in_province=labels.in_province, out_of_province=labels.out_of_province)


def _about_question(q: str, term: str, state: State, cfg: FlowConfig) -> bool:
    """"特殊疾病是什么意思" while that question is asked: a word of its prompt or its buttons."""
    if len(term) < 2 or q == "edit":
        return False
    return term in _prompt(q) or any(term in label for label in _options(q, state, cfg))


@functools.lru_cache(maxsize=1024)
def _button(label: str) -> Button:
    """A button whose label is also its code. Made once per label and shared (never changed)."""
    return Button(label=label, code=label)


def _buttons(labels) -> list[Button]:
    return [_button(label) for label in labels]


def _is_essential(q: str) -> bool:
    return q in ESSENTIALS or q in ("identity_unsure", "self_pay_refine")


def _case(state: State, cfg: FlowConfig) -> dict:
    slots = state.slots
    case: dict[str, Any] = {k: slots[k] for k in ESSENTIALS if k in slots}
    if slots.get("facts"):
        case["facts"] = dict(slots["facts"])
    if "year_to_date" in slots:
        case["year_to_date"] = dict(slots["year_to_date"])
    if cfg.today or slots.get("care_date"):
        case["date"] = _care_day(state, cfg).isoformat()
    return case


def ytd_following(state: State, cfg: FlowConfig) -> list[str]:
    """The year's earlier-bill steps still to ask (ytd_partial holds those answered); 倾斜救助 only
    where the region has it (asked too while the region is not known)."""
    partial = state.slots.get("ytd_partial") or {}
    following = [s for s in YTD_STEPS if s.removeprefix("ytd_") not in partial]
    region = state.slots.get("region")
    if following == ["ytd_tilt_aid"] and region and _policies(cfg).regions[region].tilt is None:
        return []
    return following


def close_ytd(state: State) -> None:
    """The earlier bills all answered: what was not said is none."""
    state.slots["year_to_date"] = {"self_pay": "0", "aid": "0", "tilt_aid": "0", **state.slots.pop("ytd_partial", {})}
    state.slots.pop("ytd_bill", None)
    state.slots.pop("ytd_aid_unknown", None)
    state.confirmed.append("year_to_date")


def _today(cfg: FlowConfig) -> date:
    return cfg.today or date.today()


def care_date_of(when: tuple | None, today: date) -> str | None:
    """The care_date slot ("2025-12", or "2025" when only the year is known) of what a message said
    (bot.understand: (years back, month, the year when named)); None for this year without a month
    (today is used). A month later than this one, said without a year ("12月住的院" in March), is
    last year's; a month 0 or less is months back ("上个月" in January: last December)."""
    if when is None:
        return None
    back, month, named = when
    if month is not None and month <= 0:  # "上个月" (-1), "这个月" (0): months back from this one
        months = today.year * 12 + today.month - 1 + month
        return f"{months // 12}-{months % 12 + 1:02d}"
    if named is not None:  # "2025年12月住的院", "25年12月"; a year to come is no care date
        named = full_year(named, today.year)
        if named > today.year:
            return None
        return f"{named}-{month:02d}" if month else (None if named == today.year else str(named))
    year = today.year - back - (1 if back == 0 and month and month > today.month else 0)
    if month:
        return f"{year}-{month:02d}"
    return None if back == 0 else str(year)


def _care_day(state: State, cfg: FlowConfig) -> date:
    """The care date the estimate is for: the day used for the month or year said (understand.day_for)
    within the days it can have been (care_span), or today; never after today."""
    said = state.slots.get("care_date")
    if not said:
        return _today(cfg)
    first, last = care_span(state, cfg)
    return min(max(day_for(*_care_date_parts(said)), first), last)


def care_span(state: State, cfg: FlowConfig) -> tuple[date, date]:
    """The first and last day the care can have been on: the month or year said, narrowed by the
    answers to care_side ("2023年10月12日以前"), never after today."""
    if state.slots.get("care_span"):
        first, last = (date.fromisoformat(day) for day in state.slots["care_span"])
    else:
        first, last = _said_span(state.slots["care_date"])
    return first, max(first, min(last, _today(cfg)))


def _said_span(said: str) -> tuple[date, date]:
    """The first and last day of the care_date slot "2025-12" / "2025"."""
    return month_span(*_care_date_parts(said))


def one_day(state: State) -> date | None:
    """The day of the care when it was said itself ("10月5号住的院": a span of one day)."""
    span = state.slots.get("care_span")
    return date.fromisoformat(span[0]) if span and span[0] == span[1] else None


def _side_words(state: State) -> str:
    """"（3月1日或以后）": the side of a rule change the care was said to be on (care_span)."""
    if not state.slots.get("care_span") or not state.slots.get("care_date"):
        return ""
    first, last = (date.fromisoformat(day) for day in state.slots["care_span"])
    words = span_words(*_care_date_parts(state.slots["care_date"]), first, last)
    return f"（{words}）" if words else ""


def narrow_span(state: State, cfg: FlowConfig, side: str) -> None:
    """The care was before the day asked about (care_change) or on it or after."""
    first, last = care_span(state, cfg)
    change = date.fromisoformat(state.slots.pop("care_change"))
    span = (first, change - timedelta(days=1)) if side == "before" else (change, last)
    state.slots["care_span"] = [day.isoformat() for day in span]


def day_words(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _care_date_parts(said: str) -> tuple[int, int | None]:
    """The care_date slot "2025-12" / "2025" as (year, month or None)."""
    year, _, month = said.partition("-")
    return int(year), int(month) if month else None


def _year_words(text: str, state: State, cfg: FlowConfig) -> str:
    """"今年" in a question about the year's earlier bills, or the age, is the care's year when that was
    another ("患者2025年多大年纪？": the rules read the age at the care)."""
    year = _care_day(state, cfg).year
    return text if year == _today(cfg).year else text.replace("今年", f"{year}年")


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


def _set(state: State, key: str, value: Any) -> None:
    """Store an answer. Facts go under slots.facts; money as strings (exact Decimal in JSON)."""
    if isinstance(value, Decimal):
        value = str(value)
    if key == "region" and state.slots.get("region") != value:
        state.slots.pop("home_city", None)  # the home city named belongs to the old region
    if key == "self_pay":
        state.slots.pop("said_amount", None)
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
    if key in ("self_pay", "stay_policy_total", "family_income") + YTD_STEPS:
        return yuan(Decimal(str(value)))
    if key == "care_date":
        year, month = _care_date_parts(str(value))
        day = one_day(state)
        if day is not None and (day.year, day.month) == (year, month):
            return f"{year}年{month}月{day.day}日"
        return (f"{year}年{month}月" if month else f"{year}年") + _side_words(state)
    if key == "where" and state.slots.get("region"):
        return getattr(_policies(cfg).regions[state.slots["region"]].where_labels, value)
    if isinstance(value, bool):
        return "是" if value else "否"
    for lab, v in _options(key, state, cfg).items():
        if v == value:
            return lab
    return str(value)


def _hint(key: str, **context) -> str:
    """A short sentence of the flow's own (bot/templates/hints.j2)."""
    return render.render("hints.j2", key=key, **context)
