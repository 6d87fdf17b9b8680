"""The result: the estimate of the answers given, its message and buttons, and the parts behind them
(计算过程, 材料和去哪办, 其他待遇, 打印版)."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import engine
from engine.money import yuan

from .. import render
from ..messages import DATE_SAID, Button, Message, date_said
from .state import (
    B_BENEFITS, B_DETAIL, B_DOCS, B_EDIT, B_FILL, B_NEXT, B_PRINT, B_RESTART, FlowConfig, State,
    _buttons, _care_day, _case, _hint, _show, _today, one_day,
)


def _result_buttons(state: State) -> list[Button]:
    labels = [B_DETAIL, B_DOCS, B_BENEFITS, B_PRINT, B_EDIT]
    labels.append(B_NEXT if state.mode == "cadre" else B_RESTART)
    return _buttons(labels)


def _estimate(state: State, cfg: FlowConfig):
    return engine.estimate(_case(state, cfg), policies=cfg.policies)


def _skipped_note(state: State, est, cfg: FlowConfig) -> str:
    """What the result assumed for the skipped questions (those still missing are named by the result)."""
    labels = [engine.FACT_LABELS.get(s, s) for s in state.skipped
              if s != "year_to_date" and s not in est.missing_facts]
    parts = []
    if labels:
        parts.append(_hint("skipped_summary", labels="、".join(labels)))
    if "year_to_date" in state.skipped:  # the earlier self-pay may have been said, the aid not
        said = (state.slots.get("year_to_date") or {}).get("self_pay", "0") not in ("0", "0.00")
        parts.append(_hint("no_ytd_aid_before" if said else "no_ytd_before"))
    if state.slots.get("ytd_aid_unknown") and any(part.cap is not None for part in est.parts):
        parts.append(_aid_unknown_note(state, cfg, est))  # counted as none: the year's limit may be partly used
    return "".join(parts)


def _aid_unknown_note(state: State, cfg: FlowConfig, est) -> str:
    """The earlier aid not known was counted as none, which can only raise the estimate. When the
    earlier self-pay is known: what this bill gets if those bills had their aid by the same rules."""
    case = _case(state, cfg)
    year = case.get("year_to_date") or {}
    earlier = Decimal(str(year.get("self_pay") or 0))
    if earlier > 0:
        first = engine.estimate({**case, "self_pay": earlier, "year_to_date": {}}, policies=cfg.policies)
        if first.assistance > 0:
            then = engine.estimate({**case, "year_to_date": {**year, "aid": first.assistance}}, policies=cfg.policies)
            if then.assistance < est.assistance:
                return _hint("ytd_aid_unknown_then", aid=yuan(first.assistance),
                             amount=yuan(then.assistance) if then.assistance > 0 else None)
    return _hint("ytd_aid_unknown")


def _caveat(state: State, cfg: FlowConfig) -> str | None:
    """When one-stop may not have happened, how it is settled says what to do then: the care was said
    to be over ("去年12月住的院"), or it was outside the province (cross-province settlement of the
    assistance is not promised by the texts that set no area)."""
    if state.slots.get("care_date") and _care_day(state, cfg) < _today(cfg):
        return "past"
    return "away" if (state.slots.get("facts") or {}).get("where") == "out_of_province" else None


def _result(state: State, cfg: FlowConfig) -> list[Message]:
    state.pending = None
    state.done = True
    est = _estimate(state, cfg)
    text = render.short(est, skipped=_skipped_note(state, est, cfg), care=state.slots.get("care"),
                        caveat=_caveat(state, cfg))
    buttons = _result_buttons(state)
    # still undecided because a skipped fact is missing: one tap to answer it after all
    fill = [f"{B_FILL}{engine.FACT_LABELS.get(m, m)}" for m in est.missing_facts if m in state.skipped]
    return [Message(text=text, buttons=_buttons(fill) + buttons, kind="result", case=_shared_case(state, cfg))]


def _shared_case(state: State, cfg: FlowConfig) -> dict:
    """The result's case for its links (web.share): with the care date as said (DATE_SAID: "2025-12")
    when only a month or a year was, so the sheet does not print the stand-in day as the date."""
    case = _case(state, cfg)
    said = state.slots.get("care_date")
    if not said or one_day(state) is not None:
        return case
    span = state.slots.get("care_span")
    return {**case, DATE_SAID: date_said(said, span and tuple(date.fromisoformat(day) for day in span))}


def _result_part(state: State, text: str, cfg: FlowConfig) -> list[Message]:
    est = _estimate(state, cfg)
    if text == B_DETAIL:
        body = render.detail(est)
    elif text == B_DOCS:
        body = render.documents(est)
    elif text == B_BENEFITS:
        body = render.benefits(est)
    else:
        said = state.slots.get("care_date")
        when = _show("care_date", said, state, cfg) if said else None
        body = render.printable(est, _case(state, cfg), cfg.today, when, caveat=_caveat(state, cfg))
    return [Message(text=body, buttons=_result_buttons(state), kind="detail")]
