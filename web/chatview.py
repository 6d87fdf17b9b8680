"""What the chat page shows of a bot message: its lines, and the result's amount as its own figure.

The chat API's message carries only text, buttons and `kind`. For a message of kind "result" the
amount line the flow writes ("这次预计能拿到医疗救助：4.75万元（47,500元）", "这次医疗救助：0元") is
found here, so the page can show the amount as the biggest thing on the screen. (Cleaner: the flow
would put the amount in the message as a field; see the report of the phone branch.)
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Any

from .share import case_path, sheet_path

# "…医疗救助：<amount>" where the amount is the project's yuan format: "1.8万元（18,000元）", "0元"
_AMOUNT_LINE = re.compile(r"^(?P<label>[^：]*医疗救助)：(?P<amount>(?P<main>[0-9][0-9,.]*万?元)(?P<exact>（[0-9,.]+元）)?)\s*$")


def split_amount(text: str) -> dict[str, Any] | None:
    """{"before": [...], "label", "amount", "after": [...]} for the first amount line, else None."""
    lines = text.split("\n")
    for n, line in enumerate(lines):
        m = _AMOUNT_LINE.match(line.strip())
        if m:
            return {"before": lines[:n], "label": m.group("label"), "amount": m.group("amount"),
                    "main": m.group("main"), "exact": m.group("exact") or "", "after": lines[n + 1:]}
    return None


def view(message: dict) -> dict:
    """One message (the contract's public dict) as the template shows it."""
    kind = message.get("kind") or "info"
    text = str(message.get("text") or "")
    case = message.get("case") if kind == "result" else None
    if case and "date" not in case:  # the estimate was for today: the link keeps that day
        case = {**case, "date": dt.date.today().isoformat()}
    return {"text": text, "kind": kind, "buttons": message.get("buttons") or [],
            "amount": split_amount(text) if kind == "result" else None,
            # the same estimate reopened from the case's fields (nothing stored), and its A4 sheet
            "share_url": case_path(case) if case else None, "sheet_url": sheet_path(case) if case else None}


def views(messages: list[dict]) -> list[dict]:
    return [view(m) for m in messages]
