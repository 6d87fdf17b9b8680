"""Reading a typed answer to the pending question: its buttons first, then the parser named by
questions.yaml's `parser:` (PARSERS), and how an answer is stored (year-to-date steps, identities,
bills, where the care was)."""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any, Callable

from engine.context import facts_read
from engine.money import plain as plain_number, yuan

from ..understand import (
    find_care, find_identities, find_places, full_year, is_hedged, label as identity_label, normalize, parse_amount,
    named_in_order, parse_hospital_level, parse_int, parse_yes_no, read_choice, said_as_home, says_home, says_unknown,
)
from ..understand.extract import PER_TIME_RE
from ..understand.negation import denied_place_at
from ..understand.normalize import CLAUSE_RE
from .state import (
    B_DONE_PICK, B_NONE, FlowConfig, MONITORED_BUTTONS, State, YTD_STEPS, _amount_range, _hint,
    _care_day, _is_essential, _likely_unsure, _options, _policies, _set, _show, _today, close_ytd, questions_data,
    day_words, narrow_span, ytd_following,
)
from .ask import _bill_lead, unknown_side


def _not_understood(q: str | None) -> str:
    return _hint("not_understood", q=q or "")


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
    care = ext.care or find_care(text)  # find_care also reads a button's number ("1" 住院)
    if care == "outpatient_general" and "普通" not in text and len(text) <= 6:
        return False, _hint("which_outpatient"), []  # a bare "门诊": which kind matters a lot
    if not care:
        return False, None, []
    _set(state, "care", care)
    return True, None, []


def _parse_amount(state: State, q: str, text: str, ext, cfg: FlowConfig) -> Outcome:
    result = parse_amount(text)
    if result.ok and 0 < result.value < 10 and not result.money:  # "2", "2玩": 2元 or 2万?
        return False, _hint("tiny_amount", n=plain_number(result.value)), []
    if q in BILL_SLOTS:
        from_bill = _self_pay_from_bill(state, q, ext, cfg)
        if from_bill is not None:
            return from_bill
    said = {"ytd_aid": ext.aid, "ytd_tilt_aid": ext.tilt_aid}.get(q)
    if said is not None:  # "救助了1万，倾斜救助3000": the amount named for this question, the next one too
        handled, problem, notes = _apply(state, q, said, cfg)
        return handled, problem, notes + (_ytd_stated(state, ext, cfg, {q: said}) if q == "ytd_aid" else [])
    if result.value is None and any(word in text for word in questions_data()[q].get("zero_words", ())):
        return _apply(state, q, Decimal(0), cfg)  # "没收入" at 家里去年收入: 0, said in words
    if result.error == "unknown":
        return _skip_inline(state, q, cfg) if not _is_essential(q) else (False, _hint("need_number"), [])
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
    earlier = ext.earlier_self_pay if ext.earlier_self_pay is not None else ext.self_pay  # "住过一次，掏了八千"
    unknown = says_unknown(text)
    if value is None and unknown and q == "year_to_date":  # "有过，自付多少不记得了": a yes beside it
        value = _yes_beside_unknown(text, questions_data()[q].get("words") or {})
    if value is None and unknown and not (q == "year_to_date" and earlier):  # "自付5万，救助不知道": yes
        handled, problem, notes = _skip_inline(state, q, cfg)  # "是不是特殊病我不知道": never taken as yes
        return handled, problem, notes or [_hint("skipped")]
    if value is None and not _names_another_question(q, text):
        value = parse_yes_no(text)  # "没有转诊" at 是不是特殊疾病 answers another question: not a no
    if q == "year_to_date" and not value and earlier:
        value = True  # "没有救助，自付了5千": earlier bills there were, only no aid
    spec = questions_data()[q]
    labels = {answer: label for label, answer in spec["options"].items()}
    if any(word in text for word in spec.get("not_this", ())) and not any(w in text for w in spec.get("this", ())) \
            and _care_day(state, cfg).year == _today(cfg).year:
        return False, _hint(spec["not_this_hint"]), []  # "去年住过" at 今年之前: last year is not asked
    if value is not None and is_hedged(text):  # "好像办了": never taken as sure, it can raise the estimate
        return False, _hint("hedged", yes=labels[True], no=labels[False]), []
    if value is None:
        return False, _hint("yes_or_no", yes=labels[True], no=labels[False]), []
    handled, problem, notes = _apply(state, q, value, cfg)
    if q == "year_to_date" and value:  # "有，自付了5000，救助给了2000": the next ones too
        amount = parse_amount(text)
        first = earlier if earlier is not None else amount.value if amount.ok and not ext.aid else None
        if first:
            _apply(state, "ytd_self_pay", first, cfg)
            stated = _ytd_stated(state, ext, cfg, {"ytd_self_pay": first})
            if unknown and not stated:  # the result comes next, not the aid's question: say what was taken
                stated = [_noted_steps({"ytd_self_pay": first})]
            notes = notes + stated
        if unknown and state.pending in YTD_STEPS:  # "…救助多少不记得了": the rest not known, said so
            notes = notes + _skip_inline(state, state.pending, cfg)[2]
    return handled, problem, notes


def _yes_beside_unknown(text: str, words: dict) -> bool | None:
    """True when a clause of the message that says nothing unknown is a yes ("有过" in "有过，自付多少
    不记得了"); else None (a no beside it would answer nothing the unknown part did not take back)."""
    for clause in CLAUSE_RE.split(text):
        if clause and not says_unknown(clause) and (read_choice(clause, words) or parse_yes_no(clause)):
            return True
    return None


def _ytd_stated(state: State, ext, cfg: FlowConfig, own: dict) -> list[str]:
    """The year's earlier aid a message stated besides the question asked ("自己掏了八千，救助给了
    四千"): taken in the order the questions come, and said back with the answer (`own`: step → value)."""
    taken = dict(own)
    for step, value in (("ytd_aid", ext.aid), ("ytd_tilt_aid", ext.tilt_aid)):
        if state.pending == step and value is not None:
            _apply(state, step, value, cfg)
            taken[step] = value
    return [_noted_steps(taken)] if len(taken) > 1 else []


def _noted_steps(taken: dict) -> str:
    """"已记下（今年之前自付：5万元（50,000元））": the year's steps answered by one message."""
    return _hint("noted", pairs=[(questions_data()[step]["label"], yuan(value)) for step, value in taken.items()])


def _names_another_question(q: str, text: str) -> bool:
    """A word of another yes/no question's answers ("转诊" at 特殊疾病, "特殊病" at 转诊)."""
    return any(word in text for other, spec in questions_data().items()
               if other != q and isinstance(spec, dict) and spec.get("parser") == "yes_no"
               for words in (spec.get("words") or {}).values() for word in words)


def _parse_where(state: State, q: str, text: str, ext, cfg: FlowConfig) -> Outcome:
    label = _where_label(state, text, cfg)
    if label == DENIED:
        return False, _hint("pick_where"), []
    place = _care_place(text, ext)
    value = label or ext.facts.get("where") or (_where_from_place(state, place, cfg) if place else None)
    if value:
        handled, problem, notes = _apply(state, q, value, cfg)
        return handled, problem, _where_by_home(state, ext, place, value, cfg) + notes
    if place is not None and place.region == state.slots.get("region"):
        return False, _which_city(place, cfg), []
    return False, _hint("pick_where"), []


DENIED = ""  # _where_label: a button named to deny it ("不在黔江区内"): where is not known, so asked


def _where_label(state: State, text: str, cfg: FlowConfig) -> str | None:
    """A button of the region's 在哪里看的病 typed at another question ("黔江区内", "西藏区内本地（市）"):
    its own value, whatever its words would say alone (区内 is in_province elsewhere); DENIED, or
    None when no button is named."""
    text = text or ""
    for label, value in sorted(_options("where", state, cfg).items(), key=lambda item: -len(item[0])):
        label = normalize(label)
        at = text.find(label)
        if at >= 0:
            return DENIED if denied_place_at(text, at, at + len(label)) else value
    return None


def _typed_where(state: State, text: str, found: str | None, cfg: FlowConfig) -> str | None:
    """Where the care was, from a message that answered something else: a button's own words first;
    None when it names one only to deny it."""
    label = _where_label(state, text, cfg)
    return None if label == DENIED else label or found


def _care_place(text: str, ext):
    """The place named for the care, not the one said as home: "户口在汉滨区，在西安住的院" → 西安;
    "我其实是安康的" → None (a home region: the merge asks to change it)."""
    if ext.place is None or not says_home(text):
        return ext.place
    places = find_places(text)
    homes = said_as_home(text, places)
    return next((place for _, place in named_in_order(text, places) if place not in homes), None)


def _where_by_home(state: State, ext, place, value: str, cfg: FlowConfig) -> list[str]:
    """Said back when the home city named earlier decided 本市 or another city."""
    if ext.facts.get("where") or place is None or _by_home_city(state, place, cfg) != value:
        return []
    return [_hint("where_by_home", place=place.place, home=state.slots["home_city"], same=value == "local",
                  label=_show("where", value, state, cfg))]


def _which_city(place, cfg: FlowConfig) -> str:
    labels = _policies(cfg).regions[place.region].where_labels
    return _hint("which_city", place=place.place, local=labels.local, other=labels.in_province)


# "快60了", "大概65": an age said roughly
_ROUGH_AGE_RE = re.compile(r"快|将近|接近|差不多|大概|大约|左右|不到|估计|可能|好像|多|来岁|上下")


def _parse_age(state: State, q: str, text: str, ext, cfg: FlowConfig) -> Outcome:
    value = parse_int(text, "age") if ext.born is None else None  # "1950年出生" is no age of 1950
    value = ext.facts.get("age") if value is None else value  # 0: a baby under one
    if value is None and ext.born is not None:
        value, problem = age_of_birth(state, ext.born, cfg)
        if value is None:
            return False, problem, []
        handled, problem, notes = _apply(state, q, value, cfg)
        return handled, problem, [_hint("born_read", age=value)] + notes
    if isinstance(value, int) and 0 <= value <= 130:
        if _ROUGH_AGE_RE.search(text) and _near_a_threshold(state, "age", value, cfg):
            return False, _hint("exact_age", age=value), []  # "快60了" is 59: asked, not rounded up
        return _apply(state, q, value, cfg)
    return False, _hint("type_age"), []


def age_of_birth(state: State, born: int, cfg: FlowConfig) -> tuple[int | None, str | None]:
    """The age in the care's year of someone born in `born` (1950, or 50 for a year ending so), or
    None and what to ask: one less before this year's birthday, so when the two ages fall on two
    sides of a figure the region's rules compare the age with (年满60, 未满18), the age is asked."""
    year = _care_day(state, cfg).year
    born = full_year(born, year)  # "50年生的": 1950
    older = year - born
    if not 0 <= older <= 130:
        return None, _hint("type_age")
    younger = max(older - 1, 0)
    region = state.slots.get("region")
    bounds = facts_read(_policies(cfg).regions[region]).get("age") if region else None
    if any(younger < bound <= older for bound in bounds or ()):
        when = "今年" if year == _today(cfg).year else f"{year}年看病时"
        return None, _hint("born_age", born=born, when=when, older=older, younger=younger)
    return older, None


def _near_a_threshold(state: State, fact: str, value: int, cfg: FlowConfig) -> bool:
    """Within two of a figure the region's rules compare this fact with (年满60, 未满18)."""
    region = state.slots.get("region")
    bounds = facts_read(_policies(cfg).regions[region]).get(fact) if region else None
    return any(abs(value - bound) <= 2 for bound in bounds or ())


def _parse_fact(state: State, q: str, text: str, ext, cfg: FlowConfig) -> Outcome:
    """`option` questions typed rather than pressed: what extract() found for the fact."""
    value = ext.facts.get(q)
    if value is not None:
        return _apply(state, q, value, cfg)
    return False, None, []


_MONTH_DAY_RE = re.compile(r"(?:([0-9]{1,2})\s*月)?\s*(?:([0-9]{1,2})\s*[号日])?")


def _side_of_said_day(state: State, text: str, change: date) -> str | None:
    """"5号" (the month said before) / "8月" / "3月5号" (the year said before): which side of `change`."""
    said = next((m for m in _MONTH_DAY_RE.finditer(text) if m.group(0).strip()), None)
    if said is None:
        return None
    month = int(said.group(1)) if said.group(1) else _care_date_month(state)
    day = int(said.group(2)) if said.group(2) else None
    if month is None or not 1 <= month <= 12 or (day is not None and not 1 <= day <= 31):
        return None
    if month != change.month:
        return "before" if month < change.month else "after"
    if day is None:
        return "after" if change.day == 1 else None  # "10月" when the day is 10月12日: still not known
    return "before" if day < change.day else "after"


def _care_date_month(state: State) -> int | None:
    _, _, month = state.slots.get("care_date", "").partition("-")
    return int(month) if month else None


def _parse_care_side(state: State, q: str, text: str, ext, cfg: FlowConfig) -> Outcome:
    """Before the day asked about, or on it or after: "以前" / "之后", or a day ("5号", "8月")."""
    if says_unknown(text):
        return _skip_inline(state, q, cfg)
    side = _side_of_said_day(state, text, date.fromisoformat(state.slots["care_change"]))
    if side is not None:
        return _apply(state, q, side, cfg)
    value = read_choice(text, questions_data()[q]["words"])
    if value is None:
        labels = list(_options(q, state, cfg))
        return False, _hint("yes_or_no", yes=labels[0], no=labels[1]), []
    return _apply(state, q, value, cfg)


# questions.yaml `parser:` → how a typed answer is read
PARSERS: dict[str, Callable[..., Outcome]] = {
    "region": _parse_region, "care": _parse_care, "amount": _parse_amount, "grade": _parse_grade,
    "hospital_level": _parse_hospital_level, "yes_no": _parse_yes_no, "where": _parse_where,
    "age": _parse_age, "option": _parse_fact, "care_side": _parse_care_side,
}


BILL_SLOTS = {"self_pay": "bill", "ytd_self_pay": "ytd_bill"}  # where a whole bill said for it is kept


def _self_pay_from_bill(state: State, q: str, ext, cfg: FlowConfig) -> Outcome | None:
    """A self-pay question (this one, or the year's earlier ones) answered with a whole bill or a
    reimbursement ("花了2万", "报了3万"): a whole bill alone is never priced as self-pay (more
    self-pay can only raise the estimate); bill − reimbursement is, said back."""
    bill = state.slots.get(BILL_SLOTS[q])
    # at the earlier bills' question, what was said of them ("这次之前自付了8千", "住过一次，自己掏了八千")
    said = ext.earlier_self_pay if q == "ytd_self_pay" and ext.earlier_self_pay is not None else ext.self_pay
    if said is not None:
        too_much = _more_than_bill(state, q, said)
        if too_much:
            return False, too_much, []
        handled, problem, notes = _apply(state, q, said, cfg)
        more = _ytd_stated(state, ext, cfg, {q: said}) if q == "ytd_self_pay" else []
        return handled, problem, notes + (_self_pay_notes(ext, said) if said == ext.self_pay else []) + more
    if ext.reimbursed is not None and bill is not None and ext.total_cost is None:
        left = Decimal(bill) - ext.reimbursed
        if left < 0:
            return False, _hint("reimbursed_too_much", bill=yuan(Decimal(bill))), []
        handled, problem, notes = _apply(state, q, left, cfg)
        return handled, problem, notes + [
            _hint("bill_left", bill=yuan(Decimal(bill)), paid=yuan(ext.reimbursed), left=yuan(left), approx=False)]
    if ext.total_cost is not None:
        state.slots[BILL_SLOTS[q]] = str(ext.total_cost)  # kept: "报了3万" next computes the rest
        return False, _bill_lead(ext.total_cost), []
    return None


def _self_pay_notes(ext, value: Decimal) -> list[str]:
    """Say back how the self-pay was read: computed from the bill, or the figure used for "两万多";
    and, when it was called 自费 (often also what insurance never covers), that only the part within
    the policy counts: the estimate may be less, never more."""
    result = ext.self_pay_result
    if ext.out_of_policy or ext.out_of_policy_left:  # "其中自费药3000" taken out / "个人自费2000" left out
        out_of_policy = [_hint("out_of_policy_taken" if ext.out_of_policy else "out_of_policy_left",
                               outside=yuan(ext.out_of_policy or ext.out_of_policy_left), amount=yuan(value))]
    else:
        out_of_policy = [_hint("out_of_policy", amount=yuan(value))] if "自费" in (ext.text or "") else []
    if ext.year_summed:  # "每个月自己出500，一年6000": the year's sum
        out_of_policy.append(_hint("per_time_summed", amount=yuan(value)))
    elif PER_TIME_RE.search(ext.text or ""):  # "每次自付300": one session of many
        out_of_policy.append(_hint("per_time", amount=yuan(value)))
    if ext.total_cost is not None and ext.reimbursed is not None:
        return [_hint("bill_left", bill=yuan(ext.total_cost), paid=yuan(ext.reimbursed), left=yuan(value),
                      approx=result is not None and result.approx)] + out_of_policy
    if result is not None and result.approx and not ext.year_summed:  # (that one says the figure used)
        return [_hint("approx_self_pay", amount=yuan(value))] + out_of_policy
    return out_of_policy


def _more_than_bill(state: State, q: str, value: Decimal) -> str | None:
    bill = state.slots.get(BILL_SLOTS.get(q, ""))
    if bill is not None and value is not None and value > Decimal(bill):
        return _hint("more_than_bill", bill=yuan(Decimal(bill)))
    return None


def _remember_home(state: State, ext) -> None:
    """The place that told the region ("柳州的低保户"): care there later is 本市, not asked again."""
    if ext.place is not None and ext.place.region == state.slots.get("region") and ext.place.city:
        state.slots["home_city"] = ext.place.city


def _by_home_city(state: State, place, cfg: FlowConfig) -> str | None:
    """本市 or another city of a province-wide region, when the user named the home city
    ("柳州的低保户") and the place of care is a city of the same region; None otherwise."""
    home = state.slots.get("home_city")
    region = state.slots.get("region")
    if not home or not place.city or place.region != region or _policies(cfg).regions[region].city_pooling:
        return None
    return "local" if place.city == home else "in_province"


def _where_from_place(state: State, place, cfg: FlowConfig) -> str | None:
    """"去北京看的" answers 在哪里看的病 (it does not change where the patient is insured)."""
    region = state.slots.get("region")
    if not region or place is None:
        return None
    if place.region == region:
        # the pooling area is the city (district) itself: local; else (a province) 本市 or another
        # city? The home city, when the user named it, tells; otherwise ask
        if _policies(cfg).regions[region].city_pooling:
            return "local"
        return _by_home_city(state, place, cfg)
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
    if q == "care_side":
        narrow_span(state, cfg, value)
        return True, None, []
    if q in YTD_STEPS:
        state.slots.setdefault("ytd_partial", {})[q.removeprefix("ytd_")] = str(value)
        following = ytd_following(state, cfg)
        if following:
            state.pending = following[0]
        else:
            close_ytd(state)
            state.pending = None  # the last step may have been filled by an earlier step's message
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
        notes.append(_hint("read_as", pairs=match.corrections))
    if match.monitored or any(code in MONITORED_BUTTONS.values() for _, code in match.unsure):
        state.picking = codes
        state.pending = "identity_unsure"
        # "贫困户"/"建档立卡户": say why we ask (the monitored type's own question says the rest)
        return True, None, [] if match.monitored else notes
    if match.unsure and not match.codes:
        phrase, code = _likely_unsure(state, match)
        state.confirm = {"slot": "identities", "value": list(dict.fromkeys(state.picking + [code])), "unsure": True,
                         "text": _hint("unsure_identity", phrase=phrase, label=identity_label(code))}
        return True, None, notes
    _commit_identities(state, codes)
    return True, None, notes


def _commit_identities(state: State, codes: list[str]) -> None:
    _set(state, "identities", list(dict.fromkeys(codes)))
    state.picking = []
    if state.pending in ("identities", "identity_unsure"):
        state.pending = None


def _skip_inline(state: State, q: str, cfg: FlowConfig) -> tuple[bool, str | None, list[str]]:
    if q in ("year_to_date",) + YTD_STEPS:
        if "ytd_partial" in state.slots and "aid" not in state.slots["ytd_partial"]:
            state.slots["ytd_aid_unknown"] = True  # there were earlier bills, their aid is not known
        partial = state.slots.pop("ytd_partial", {})
        state.slots["year_to_date"] = {"self_pay": "0", "aid": "0", "tilt_aid": "0", **partial}
        if "year_to_date" not in state.skipped:
            state.skipped.append("year_to_date")
        state.pending = None
        return True, None, [_hint("no_ytd_aid" if partial.get("self_pay") else "no_ytd")]
    if q == "care_side":  # the day not known: the side that pays less, said so
        side, hint = unknown_side(state, cfg)
        day = day_words(date.fromisoformat(state.slots["care_change"]))
        narrow_span(state, cfg, side)
        state.pending = None
        return True, None, [_hint(hint, day=day, side=f"{day}{'以前' if side == 'before' else '或以后'}")]
    if q not in state.skipped:
        state.skipped.append(q)
    state.pending = None
    return True, None, []
