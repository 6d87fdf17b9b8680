"""Answering the pending question and merging what else the message said: FAQ detours, contradictions
confirmed before they replace an answer, places outside the covered regions, a polite word back,
and 跳过 (skip: a non-essential question is answered as unknown)."""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any

import engine
from engine.context import facts_read
from engine.money import yuan

from .. import render
from ..messages import CODE_BYTES, Button, Message
from ..understand import (
    extract, is_opener, label as identity_label, looks_like_question, parse_amount, says_home, says_unknown,
)
from .state import (
    B_DONE_PICK, B_NONE, ESSENTIALS, YEAR_QUESTIONS, FlowConfig, MONITORED_BUTTONS, State, YTD_STEPS, _get, _hint,
    _care_day, _is_essential, _likely_unsure, _options, _policies, _region_button, _set, _show, _snapshot, _today,
    care_date_of, questions_data,
)
from .ask import _ask, _confirm_message, _next
from .edits import _reask
from .parsers import (
    _answer_pending, age_of_birth, _more_than_bill, _not_understood, _remember_home, _self_pay_notes,
    _skip_inline, _typed_where, _where_from_place, _where_label, _which_city,
)


def _opener(text: str) -> bool:
    return is_opener(text) and not extract(text).slots


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
    before = _given(state)
    lead_notes: list[str] = []
    handled = False
    problem: str | None = None
    if cfg.faq is not None and not button and (ext.question or looks_like_question(text)) \
            and not _about_this_patient(text, ext) and not _opener(text) \
            and not _not_known(q, text):  # "帮我算算能报多少": we start
        return _faq_detour(state, text, cfg, ext)
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
    if not handled and _faq_like(text, ext) and cfg.faq is not None and not _about_this_patient(text, ext) \
            and not _opener(text) and not _not_known(q, text):
        return _faq_detour(state, text, cfg, ext)
    if not q and state.done and state.slots.get("region"):
        where = _where_label(state, text, cfg)  # "广西区外" after the result: where the care was, not the region
        if where:  # (not None, nor DENIED: "不在广西区外" names none)
            return _where_to(state, where, cfg)
    if not q and state.slots.get("region") and ext.place is not None and _about_care_place(text):
        return _where_change(state, ext.place, cfg)  # "其实在柳州看的"
    if not q and state.done and not ext.slots and ext.earlier_self_pay is None:
        changed = _bare_amount_change(state, text, cfg)  # a bare "改成3万" after the result
        if changed:
            return changed
    return _after_answer(state, text, ext, q, (handled, problem, button, before), cfg, lead_notes)


def _faq_detour(state: State, text: str, cfg: FlowConfig, ext) -> list[Message]:
    """A policy question: answered from the FAQ, then back to the pending question (nothing filled
    from it: "五保户住院能报多少？" does not say the patient is 五保户; a button offers to)."""
    state.history.pop()
    answer = cfg.faq(text, state.slots.get("region"))
    finished = state.done and not state.pending and state.confirm is None
    back = _reask(state, cfg, _hint("after_help", finished=True) if finished else _hint("back_to_question"))
    said = None if finished else _said_words(state, ext, cfg)
    # "安康低保户住院能报多少？": the question's own case, one press away. A press sends the label, which
    # names the case; one too long for a button's code is not offered (a cut word could name another)
    label = _hint("estimate_this", words=said) if said else ""
    if said and len(label.encode("utf-8")) <= CODE_BYTES:
        back = back.model_copy(update={"buttons": [Button(label=label, code=label)] + back.buttons})
    return answer + [back]


def _said_words(state: State, ext, cfg: FlowConfig) -> str | None:
    """The region, identities and care a question named that are not answered yet, in the words of
    their buttons ("安康 低保户 住院"): what the 按“…”估算 button sends; None when nothing new."""
    slots = ext.slots
    words = []
    if slots.get("region") and not state.slots.get("region"):
        words.append(_region_button(slots["region"], cfg))
    if slots.get("identities") and state.slots.get("identities") is None:
        labels = {code: label for label, code in questions_data()["identity_buttons"].items()}
        words += [labels.get(code, identity_label(code)) for code in slots["identities"]]
    if slots.get("care") and not state.slots.get("care"):
        words.append(next(label for label, code in _options("care", state, cfg).items() if code == slots["care"]))
    return " ".join(words) or None


def _bare_amount_change(state: State, text: str, cfg: FlowConfig) -> list[Message] | None:
    amount = parse_amount(text)
    current = state.slots.get("self_pay")
    if not (amount.ok and amount.value is not None and current is not None and Decimal(str(current)) != amount.value):
        return None
    if amount.value == 0 and not any(ch.isdigit() or ch in "零〇" for ch in text):
        return None  # "没有" after the result answers nothing asked: not "改成0元吗？"
    state.history.pop()
    new = str(amount.value)
    state.confirm = {"slot": "self_pay", "value": new,
                     "text": _hint("change", label=engine.FACT_LABELS.get("self_pay"),
                                   old=_show("self_pay", current, state, cfg), new=_show("self_pay", new, state, cfg))}
    return [_confirm_message(state)]


def _after_answer(state: State, text: str, ext, q: str | None, outcome: tuple, cfg: FlowConfig,
                  lead_notes: list[str]) -> list[Message]:
    """The rest of a message merged, then the next question (or a confirmation, or a hint)."""
    handled, problem, button, before = outcome
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
        if state.pending and not handled and state.pending == q and problem:
            # something else was taken ("没有转诊" at 特殊疾病): said so; this question still wants its answer
            lead_notes += _noted(state, before, cfg, lead_notes, least=1) + [problem]
        elif not button:  # a sentence that said several things, or something besides the question: said back
            lead_notes += _noted(state, before, cfg, lead_notes, least=2 if q and handled else 1) \
                + _several_self_pays(state, ext, q)
        if _ask_monitored_kind(state, ext, q) and not ext.identity.monitored:
            lead_notes += ext.identity.notes[:1]  # why 建档立卡户 is asked about (the question says the rest)
        if state.pending:
            return [_ask(state.pending, state, cfg, "\n".join(lead_notes) or None)]
        state.done = False
        return _next(state, cfg, "\n".join(lead_notes) or None)
    state.history.pop()
    if _opener(text):  # "你好" / "谢谢" mid-way: a polite word back, then where we were
        thanks = any(word in text for word in ("谢", "感谢", "辛苦"))
        asks = any(word in text for word in ("多少", "算"))  # "帮我算算能报多少": the questions are the way
        key = ("thanks_done" if state.done and not state.pending else "thanks") if thanks else \
            "how_much" if asks and not state.done else "greeting_again"
        return [_reask(state, cfg, _hint(key))]
    return [_reask(state, cfg, _no_answer_lead(state, ext, text, problem, q, cfg))]


def _no_answer_lead(state: State, ext, text: str, problem: str | None, q: str | None, cfg: FlowConfig) -> str:
    """What to say before the question again when nothing was taken from the message: the same as
    given (after the result), the problem found, a kind word to a cry for help, or 没太明白."""
    same = _said_again(state, ext, cfg) if state.done and not problem else None
    if same or problem:
        return same or problem
    return _hint("hardship") if _HARDSHIP_RE.search(text) else _not_understood(q)


# "我们家穷 看病没钱": no answer to the question, but no place to say 没认出 either
_HARDSHIP_RE = re.compile(r"穷|没钱|没有钱|看不起病|付不起|出不起|拿不出|负担不起|欠了|借了|太贵|好贵|难啊|怎么办")


def _said_again(state: State, ext, cfg: FlowConfig) -> str | None:
    """After the result, a message that says again only what was given ("花了5万，报了3万" when the
    self-pay is 2万): said so, nothing changes (not "没太明白")."""
    found = {key: str(value) if isinstance(value, Decimal) else value for key, value in ext.slots.items()
             if key in ESSENTIALS}
    given = _given(state)
    if not found or any(given.get(key) != value for key, value in found.items()):
        return None
    labels = engine.FACT_LABELS
    return _hint("said_again", pairs=[(labels.get(key, key), _show(key, value, state, cfg)) for key, value in found.items()])


def _given(state: State) -> dict:
    """The case's answers so far (essential slots, the care date and facts by name), to tell what a
    message added."""
    given = {key: state.slots[key] for key in ESSENTIALS + ("care_date",) if state.slots.get(key) is not None}
    earlier = {f"ytd_{key}": value for key, value in (state.slots.get("ytd_partial") or {}).items()}
    return given | dict(state.slots.get("facts") or {}) | earlier


def _noted(state: State, before: dict, cfg: FlowConfig, said: list[str], least: int) -> list[str]:
    """What a message filled, said back in the words of its buttons, when it filled `least` answers
    or more. The region is said by the place note or the next question; a figure already said back
    ("自己付的按…算") is not said twice."""
    added = [(key, value) for key, value in _given(state).items() if key not in before]
    if len(added) < least:
        return []
    pairs = [(label, shown) for label, shown in said_pairs(state, added, cfg) if not any(shown in note for note in said)]
    return [_hint("noted", pairs=pairs)] if pairs else []


def said_pairs(state: State, items: list, cfg: FlowConfig) -> list[tuple[str, str]]:
    """(label, value) of answers, in the words of their buttons (the region is said otherwise)."""
    labels = engine.FACT_LABELS | questions_data()["said_labels"] | {s: questions_data()[s]["label"] for s in YTD_STEPS}
    return [(labels.get(key, key), _fact_label(key, value, state, cfg)) for key, value in items if key != "region"]


def _several_self_pays(state: State, ext, q: str | None) -> list[str]:
    """"我爸我妈都住院了，一个自付2万一个自付1万": none is taken; said so, asked for one later. So is
    "自付不到两万" (a bound: priced as that, it would over-promise)."""
    found = ext.self_pay_result
    if q == "self_pay" or state.slots.get("self_pay") is not None or found is None:
        return []
    if found.error == "upper_bound":
        return [found.message]
    if found.error != "ambiguous":
        return []
    return [_hint("several_self_pays", amounts="、".join(yuan(v) for v in found.candidates))]


def _monitored_unsure(ext) -> bool:
    """"建档立卡户"/"贫困户"/"监测户": a word that may mean one of the monitored kinds (asked which)."""
    match = ext.identity
    return match.monitored or any(code in MONITORED_BUTTONS.values() for _, code in match.unsure)


def _ask_monitored_kind(state: State, ext, q: str | None) -> bool:
    """Such a word said while answering something else ("黔江 建档立卡 住院"), before the identities
    are known: once the region is known, the monitored kind is the next question (what was named
    beside it kept as picked). True when it is."""
    if q in ("identities", "identity_unsure") or state.slots.get("identities") is not None \
            or not state.slots.get("region") or state.confirm is not None or not _monitored_unsure(ext):
        return False
    state.picking = list(ext.identity.codes)
    state.pending = "identity_unsure"
    return True


def _fact_label(key: str, value: Any, state: State, cfg: FlowConfig) -> str:
    labels = {v: label for label, v in (questions_data().get(key, {}).get("options") or {}).items()}
    return labels.get(value) if isinstance(value, bool) and value in labels else _show(key, value, state, cfg)


def _where_change(state: State, place, cfg: FlowConfig) -> list[Message]:
    """A place of care named after the result: the where answer changes (confirmed when it replaces
    one), or the where question is asked again when the place alone does not tell (广西: which city)."""
    value = _where_from_place(state, place, cfg)
    if value is None:
        state.answered += 1
        state.done = False
        return [_ask("where", state, cfg, _which_city(place, cfg))]
    return _where_to(state, value, cfg)


def _where_to(state: State, value: str, cfg: FlowConfig) -> list[Message]:
    """After the result, the place of care said: confirmed when it replaces the one given."""
    current = _get(state, "where")
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
    phrase, code = _likely_unsure(state, match)
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
    button = _region_button(same[0], cfg) if nearby else ""
    whole = place.level == "province"
    text = render.render("outside.j2", place=place.place, nearby=nearby if whole else "", button=button,
                         covered=covered)
    if nearby and not whole:
        text = f"{text}\n{_hint('only_covers', province=province, nearby=nearby)}"
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
    if "self_pay" in slots or ext.earlier_self_pay is not None:  # "之前住过一次，自付了5万，救助多少不记得了"
        return True
    return bool(slots) and any(word in text for word in FIRST_PERSON)


def _not_known(q: str | None, text: str) -> bool:
    """"自付多少不记得了" at a question: the answer is not known, no policy question ("多少")."""
    return bool(q) and says_unknown(text) and not any(mark in text for mark in "?？吗呢")


def _faq_like(text: str, ext) -> bool:
    return bool(ext.question or looks_like_question(text) or text.endswith(("?", "？")))


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
    skip_money = state.pending in YEAR_QUESTIONS or answered in YEAR_QUESTIONS or answered in (
        "stay_policy_total", "family_income")  # "有，前面两次自付了1万2": the earlier bills' money
    denied = _denied_identities(state, ext, answered) if changes else None
    if denied is not None:  # "其实没有低保": the identity goes, asked first
        return merged, _merge_change(state, ext, "identities", state.slots["identities"], denied, cfg, notes)
    for key in ESSENTIALS:
        if key == answered or key not in found:
            continue
        if _merge_skips(state, ext, key, found[key], answered, skip_money):
            continue
        value = found[key]
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
            ask = _merge_change(state, ext, key, current, value, cfg, notes)
            if ask is not None:
                return merged, ask
            merged = True
    merged = _merge_care_date(state, ext, answered, cfg, notes) or merged
    return _merge_rest(state, ext, answered, skip_money, cfg) or merged, None


def _merge_care_date(state: State, ext, answered: str | None, cfg: FlowConfig, notes: list[str] | None) -> bool:
    """"去年12月住的院": the estimate follows that year's rules. Said again otherwise ("其实是今年住的院")
    it changes, said so. At the year's earlier-bill questions a date is of those bills, not this one."""
    if ext.care_when is None or answered in YEAR_QUESTIONS or state.pending in YEAR_QUESTIONS:
        return False
    said, current = care_date_of(ext.care_when, _today(cfg)), state.slots.get("care_date")
    if said == current:
        return _merge_care_day(state, ext, cfg)
    year_before = _care_day(state, cfg).year
    for key in ("care_span", "care_change"):  # the days asked about were of the date said before
        state.slots.pop(key, None)
    if said is None:
        state.slots.pop("care_date")
    else:
        state.slots["care_date"] = said
        _merge_care_day(state, ext, cfg)
    if _care_day(state, cfg).year != year_before:  # the earlier bills asked of were another year's
        for key in ("year_to_date", "ytd_partial", "ytd_aid_unknown"):
            state.slots.pop(key, None)
        state.confirmed = [key for key in state.confirmed if key != "year_to_date"]
    if current is not None and notes is not None:  # a first date is said back with the rest (_noted)
        notes.append(_hint("care_date_changed", when=_show("care_date", said or str(_today(cfg).year), state, cfg)))
    return True


def _merge_care_day(state: State, ext, cfg: FlowConfig) -> bool:
    """"2023年10月5号住的院": the day itself, kept as a span of one day (care_span) so no side of a
    rule change inside the month is asked; a day that does not exist or is to come is left out."""
    said = state.slots.get("care_date")
    if ext.care_day is None or not said or "-" not in said:
        return False
    year, month = (int(part) for part in said.split("-"))
    try:
        day = date(year, month, ext.care_day)
    except ValueError:
        return False
    if day > _today(cfg) or state.slots.get("care_span") == [day.isoformat()] * 2:
        return False
    state.slots["care_span"] = [day.isoformat()] * 2
    state.slots.pop("care_change", None)
    return True


def _denied_identities(state: State, ext, answered: str | None) -> list[str] | None:
    """The identities left when a message only denies some of those given ("其实没有低保"), else None."""
    current = state.slots.get("identities") or []
    match = ext.identity
    if answered in ("identities", "identity_unsure") or match.codes or not set(match.negated) & set(current):
        return None
    return [code for code in current if code not in match.negated]


def _merge_skips(state: State, ext, key: str, value: Any, answered: str | None, skip_money: bool) -> bool:
    """An essential slot the message stated that is not merged from it."""
    if key == "region" and "where" in (answered, state.pending) and not says_home(ext.text):
        return True  # a place named for 在哪里看的病 is where the care was, not the patient's home
    if key == "self_pay" and skip_money:
        return True
    if key == "identities" and answered in ("identities", "identity_unsure"):
        return True
    if key == "identities" and state.slots.get("region") and _monitored_unsure(ext):
        return True  # "黔江 低保 建档立卡": 低保 is picked, the monitored kind asked (_ask_monitored_kind)
    if key == "region" and state.slots.get("region") and _about_care_place(ext.text):
        return True  # "其实在柳州看的": where the care was (see _where_change), not the home
    return bool(key == "self_pay" and _more_than_bill(state, key, value))


def _merge_change(state: State, ext, key: str, current: Any, value: Any, cfg: FlowConfig,
                  notes: list[str] | None) -> Message | None:
    """A stated slot that differs from the answer given: identities added (said so, None back), or
    the change asked first (the confirmation back)."""
    # "还有他是残疾人" adds an identity; "其实不是低保，是特困" replaces them (asked first)
    correcting = key == "identities" and any(word in (ext.text or "") for word in CORRECTION_WORDS)
    new = value if key != "identities" or correcting else list(dict.fromkeys(current + value))
    if key == "identities" and correcting and ext.identity.negated:
        # "是特困不是低保": only the denied identity goes, the others stay
        new = list(dict.fromkeys([c for c in current if c not in ext.identity.negated] + value))
    if key == "identities" and not correcting:
        _set(state, key, new)
        if notes is not None:  # "还有他是残疾人": added, and said so
            added = [c for c in new if c not in current]
            notes.append(_hint("identity_added", names="、".join(identity_label(c) for c in added)))
        return None
    state.confirm = {"slot": key, "value": new,
                     "text": _hint("change", label=engine.FACT_LABELS.get(key, key), old=_show(key, current, state, cfg),
                                   new=_show(key, new, state, cfg))}
    return _confirm_message(state)


def _stay_total_read(state: State, cfg: FlowConfig) -> bool:
    """The stay's total is still to be asked: an inpatient claim in a region whose rules read it."""
    region = state.slots.get("region")
    return state.slots.get("care") == "inpatient" and _get(state, "stay_policy_total") is None \
        and bool(region) and "stay_policy_total" in facts_read(_policies(cfg).regions[region])


def _merge_rest(state: State, ext, answered: str | None, skip_money: bool, cfg: FlowConfig) -> bool:
    """The facts, a stated "none of the identities" and a whole bill: filled where still empty."""
    merged = False
    found = ext.slots
    for key, value in found.get("facts", {}).items():
        if key == answered:
            continue
        if key == "where":
            value = _typed_where(state, ext.text, value, cfg)
        if value is not None and _get(state, key) is None:
            _set(state, key, value)
            merged = True
    if "where" not in found.get("facts", {}) and answered != "where" and _get(state, "where") is None \
            and state.slots.get("region"):
        where = _where_label(state, ext.text, cfg)  # "安康市内" (a where button) typed at another question
        if where:
            _set(state, "where", where)
            merged = True
    if ext.born is not None and answered != "age" and "age" not in found.get("facts", {}) \
            and _get(state, "age") is None and state.slots.get("region"):
        age, _ = age_of_birth(state, ext.born, cfg)  # near a figure the rules read: asked at its question
        if age is not None:
            _set(state, "age", age)
            merged = True
    merged = _merge_earlier_bills(state, ext, answered, skip_money) or merged
    if state.slots.get("identities") is None and answered not in ("identities", "identity_unsure") \
            and ext.identity.none and not ext.identity.found:
        _set(state, "identities", [])  # "不是低保也不是特困，普通人": none, not asked again
        merged = True
    if "self_pay" not in found and ext.total_cost is not None and state.slots.get("self_pay") is None \
            and not skip_money:
        state.slots["bill"] = str(ext.total_cost)  # asked for what is left (_ask says why)
        merged = True
    if "self_pay" in found and ext.total_cost is not None and not skip_money and _stay_total_read(state, cfg):
        _set(state, "stay_policy_total", ext.total_cost)  # "自付5万 总费用15万": the stay's total, said back
        merged = True
    numeric = answered is not None and questions_data().get(answered, {}).get("parser") in ("amount", "age")
    if ext.unnamed is not None and state.slots.get("self_pay") is None and not skip_money and not numeric:
        state.slots["said_amount"] = str(ext.unnamed)  # "住院 2万": offered at the self-pay question (_ask)
    return merged


def _merge_earlier_bills(state: State, ext, answered: str | None, skip_money: bool) -> bool:
    """The year's earlier bills said beside this one ("今年之前还住过一次，自付了5万，救助给了4万"):
    kept as those questions' answers, said back; the rest asked at year_to_date (see _next), whose
    yes/no is not asked again when they were said to exist ("之前还住过一次": ytd_partial empty)."""
    if not ext.earlier_bills or skip_money or answered in YEAR_QUESTIONS or state.pending in YEAR_QUESTIONS \
            or "ytd_partial" in state.slots:
        return False
    if "year_to_date" in state.slots:
        if not state.done or ext.earlier_self_pay is None:
            return False
        # after the result, "今年之前还住过一次，自付了5000": the earlier bills said again, asked anew
        state.slots.pop("year_to_date")
        state.slots.pop("ytd_aid_unknown", None)
        state.confirmed = [key for key in state.confirmed if key != "year_to_date"]
        state.skipped = [key for key in state.skipped if key != "year_to_date"]
    said = {"self_pay": ext.earlier_self_pay, "aid": ext.aid, "tilt_aid": ext.tilt_aid}
    state.slots["ytd_partial"] = {key: str(value) for key, value in said.items() if value is not None}
    return True


_CARE_PLACE_RE = re.compile(r"在.{1,8}(看的|看病|住的院|住院|治|做的|做手术|就医|开的药)|去.{1,8}(看|住院|治)")


def _about_care_place(text: str) -> bool:
    return bool(_CARE_PLACE_RE.search(text or "")) and not says_home(text)


def _merge_notes(key: str, ext, value: Any) -> list[str]:
    """How a slot filled from free text was read, said back: the self-pay's figure, typo fixes."""
    if key == "self_pay":
        return _self_pay_notes(ext, value)
    if key == "identities" and ext.identity.corrections:
        return [_hint("read_as", pairs=ext.identity.corrections)]
    return []


def _skip(state: State, cfg: FlowConfig) -> list[Message]:
    q = state.pending
    if q == "identity_unsure":  # "不知道" which kind of 监测户: the 不清楚 button
        return _answer(state, "不清楚", cfg)
    if _is_essential(q):
        return [_ask(q, state, cfg, _hint("essential", identities=q == "identities"))]
    _snapshot(state)
    handled, _, notes = _skip_inline(state, q, cfg)
    state.answered += 1
    state.pending = None
    return _next(state, cfg, "好的，跳过。" + ("".join(notes)))
