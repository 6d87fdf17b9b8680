"""`jiuzhu chat`: the conversation in a terminal. Buttons are numbered; type the number or any text."""
from __future__ import annotations

import asyncio
import getpass
import sys

from .wiring import service_from_env


def _show(messages, out) -> list[str]:
    labels: list[str] = []
    for message in messages:
        out.write(message.text + "\n")
        for button in message.buttons:
            labels.append(button.label)
            out.write(f"  [{len(labels)}] {button.label}\n")
    out.flush()
    return labels


async def _loop(inp, out) -> int:
    service = service_from_env()
    session = f"terminal:{getpass.getuser()}"
    labels = _show(await service.handle(session, "/start"), out)
    while True:
        out.write("> ")
        out.flush()
        line = inp.readline()
        if not line:
            break
        text = line.strip()
        if text in ("/quit", "退出", "exit"):
            break
        if text.isdigit() and 1 <= int(text) <= len(labels):
            text = labels[int(text) - 1]
        labels = _show(await service.handle(session, text), out)
    await service.close()
    out.write("\n再见。\n")
    return 0


def run_terminal(inp=None, out=None) -> int:
    return asyncio.run(_loop(inp or sys.stdin, out or sys.stdout))
