"""Two processes on one SQLite file lose no turn: a turn (load, step, save) holds
the conversation's lock across processes (bot/store.py SqliteTurnLocks).

A person taps two identities at once and the taps land on different processes: without a lock
across processes both load the same state, each adds its identity, and the later save drops the
other's (a lost turn)."""
from __future__ import annotations

import asyncio
import os
import subprocess
import sys

from bot.wiring import service_from_env

CHILD = """
import asyncio, os, sys, time
import bot.service as service_module
from bot.wiring import service_from_env

real_step = service_module.step

def slow_step(*args, **kwargs):  # a slow turn: the window in which another process could interfere
    time.sleep(0.05)
    return real_step(*args, **kwargs)

service_module.step = slow_step
db, text, go, sessions = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
service = service_from_env(db_path=db, redis_url="")
print("ready", flush=True)
while not os.path.exists(go):
    time.sleep(0.001)

async def main():
    for session in sessions:
        await service.handle(session, text)

asyncio.run(main())
print("done", flush=True)
"""


def test_slow_turns_of_two_processes_on_one_conversation_are_serialised(tmp_path, monkeypatch):
    """Two processes tap a different identity in the same conversations at the same moment, each
    turn slowed to 50 ms: every conversation ends up with both identities."""
    monkeypatch.delenv("JIUZHU_SECRET", raising=False)
    db, go = str(tmp_path / "jiuzhu.db"), tmp_path / "go"
    sessions = [f"web:slow-{n}" for n in range(6)]
    service = service_from_env(db_path=db, redis_url="")

    async def prepare():
        for session in sessions:
            for text in ("/start", "南宁"):
                await service.handle(session, text)

    asyncio.run(prepare())
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = {**{k: v for k, v in os.environ.items() if k != "JIUZHU_SECRET"}, "PYTHONPATH": root}
    procs = [subprocess.Popen([sys.executable, "-c", CHILD, db, text, str(go), *sessions], env=env,
                              stdout=subprocess.PIPE, text=True) for text in ("低保户", "重度残疾人")]
    for p in procs:
        assert p.stdout.readline().strip() == "ready"
    go.touch()
    for p in procs:
        assert p.communicate(timeout=120)[0].strip() == "done"

    async def identities() -> dict[str, list[str]]:
        return {s: (await service.load(service.key(s))).picking for s in sessions}

    found = asyncio.run(identities())
    assert all(sorted(ids or []) == ["dibao", "severe_disability"] for ids in found.values()), found
