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

One module per job, each importing only those above it (no circle): state (the State, the data,
storing an answer) → results → ask (a question, the next one) → edits (上一步, 修改, a confirmation)
→ parsers (a typed answer, PARSERS) → answers (the pending question, the rest of the message
merged) → dispatch (start, step, the commands). This package exports what the doors and tests use.
"""
from __future__ import annotations

import engine

from .. import render
from ..understand import classify, extract, looks_like_question
from .answers import EXTRA_BUTTONS
from .parsers import PARSERS
from .state import (
    B_BACK, B_BENEFITS, B_CADRE, B_DETAIL, B_DOCS, B_DONE_PICK, B_EDIT, B_FILL, B_NEXT, B_NO_CHANGE, B_NONE,
    B_PRINT, B_RESTART, B_SKIP, B_YES_CHANGE, ESSENTIALS, MAX_HISTORY, MONITORED_BUTTONS, YTD_STEPS, FlowConfig,
    Reply, State, _prompt, _snapshot, questions_data,
)
from .dispatch import _copy, start, step

__all__ = [
    "B_BACK", "B_BENEFITS", "B_CADRE", "B_DETAIL", "B_DOCS", "B_DONE_PICK", "B_EDIT", "B_FILL", "B_NEXT",
    "B_NO_CHANGE", "B_NONE", "B_PRINT", "B_RESTART", "B_SKIP", "B_YES_CHANGE", "ESSENTIALS", "EXTRA_BUTTONS",
    "MAX_HISTORY", "MONITORED_BUTTONS", "PARSERS", "YTD_STEPS", "FlowConfig", "Reply", "State", "classify",
    "engine", "extract", "looks_like_question", "questions_data", "render", "start", "step",
]
