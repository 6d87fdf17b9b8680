"""Where a web chat left off: what a reloaded chat page shows instead of starting over.

Reloading `/` must never wipe the conversation (issue 13): the page reads the saved state through
the chat service (read only: nothing is stepped or saved here) and shows the question the user was
on, or the result when the conversation had reached one. The flow offers no "show the current
question" call, so this asks it the way a door would: `flow.step(state, "")` on the saved state
re-asks the pending question (the flow steps a copy; the state is not changed and not saved).
"""
from __future__ import annotations

import logging
from typing import Any

from bot import flow
from bot.messages import Message

log = logging.getLogger("jiuzhu.web")

WELCOME_BACK = "欢迎回来，我们接着来："
# the lead the flow puts before a re-asked question when the text was empty (flow.step)
_EMPTY_LEAD = "请回复文字或点按钮。"


async def saved_state(service: Any, session: str) -> flow.State | None:
    """The conversation's saved state, or None (none yet, or a service that cannot say)."""
    load, key = getattr(service, "load", None), getattr(service, "key", None)
    if load is None or key is None:
        return None
    try:
        state = await load(key(session))
    except Exception:  # noqa: BLE001 - an unreadable state means a fresh start, never a 500
        log.warning("could not read a saved conversation")
        return None
    return state if isinstance(state, flow.State) and state.started else None


def signature(state: flow.State | None) -> str:
    """A short mark of how far the conversation is; the page keeps its shown history only while
    the mark it saved equals the server's (another tab may have moved on)."""
    if state is None:
        return ""
    return f"{state.mode}:{state.answered}:{state.pending or ''}:{int(state.done)}:{len(state.history)}"


def resume(state: flow.State, cfg: flow.FlowConfig) -> list[Message]:
    """The messages that put the user back where they were."""
    asked = flow.step(state, "", cfg).messages
    if not asked:
        return []
    last = asked[-1]
    if state.done and not state.pending and state.confirm is None:
        result = _result_again(state, cfg)
        if result is not None:
            return [Message(text="欢迎回来。上次的估算结果：", kind="info"), result]
    text = last.text
    if text.startswith(_EMPTY_LEAD):
        text = text[len(_EMPTY_LEAD):].lstrip("\n")
    return [Message(text=f"{WELCOME_BACK}\n{text}".rstrip(), buttons=last.buttons, kind=last.kind)]


def _result_again(state: flow.State, cfg: flow.FlowConfig) -> Message | None:
    """The short result again. The flow's 打印版 begins with two heading lines, then the short
    result up to the first blank line; that part is shown, with the result buttons."""
    printed = flow.step(state, flow.B_PRINT, cfg).messages
    if not printed or printed[-1].kind == "error":
        return None
    lines = printed[-1].text.split("\n")
    body = lines[2:]
    if "" in body:
        body = body[:body.index("")]
    if not body:
        return None
    return Message(text="\n".join(body), buttons=printed[-1].buttons, kind="result")
