"""Scale-out: two worker processes share conversation state and locks in a real Redis.

One conversation moves back and forth between the workers without repeating a question; then 200
concurrent conversations (random worker per message) each reach their own correct result: no
cross-talk, no lost step.
"""
from __future__ import annotations

import asyncio
import random
from decimal import Decimal

import httpx

from engine.money import yuan

SECRET = "scale-test-secret-0123456789abcdef"


def script(amount: int) -> list[tuple[str, str]]:
    """(what the user sends, a phrase the reply must contain) for a 广西 低保 inpatient stay."""
    return [
        (f"我是南宁的低保户，住院自付{amount}元", "在哪里看的病"),
        ("本市", "之前还看过病"),
        ("之前没有", yuan(Decimal(amount) * Decimal("0.9"))),
    ]


def text_of(reply: dict) -> str:
    return "\n".join(m["text"] for m in reply["messages"])


def test_one_conversation_moves_between_workers(workers, redis_url):
    a, b = workers(2, REDIS_URL=redis_url, JIUZHU_SECRET=SECRET)
    with httpx.Client(timeout=10) as client:
        for i, (send, expect) in enumerate(script(20000)):
            worker = (a, b)[i % 2]
            reply = client.post(worker.url + "/api/v1/chat", json={"session": "move-1", "text": send}).json()
            assert expect in text_of(reply), (worker.url, send, text_of(reply))
        # the other worker now sees the finished conversation: a detail button works there
        reply = client.post(b.url + "/api/v1/chat", json={"session": "move-1", "text": "计算过程"}).json()
        assert "桂政办发〔2022〕5号" in text_of(reply)


def test_200_concurrent_conversations_no_cross_talk(workers, redis_url):
    pair = workers(2, REDIS_URL=redis_url, JIUZHU_SECRET=SECRET)
    rng = random.Random(7)

    async def converse(client: httpx.AsyncClient, n: int) -> list[str]:
        problems = []
        amount = 10000 + n * 7
        for send, expect in script(amount):
            worker = rng.choice(pair)
            resp = await client.post(worker.url + "/api/v1/chat", json={"session": f"c{n}", "text": send})
            if resp.status_code != 200:
                problems.append(f"c{n}: HTTP {resp.status_code}")
                return problems
            if expect not in text_of(resp.json()):
                problems.append(f"c{n}: sent {send!r}, wanted {expect!r}, got {text_of(resp.json())[:80]!r}")
                return problems
        return problems

    async def main():
        limits = httpx.Limits(max_connections=64)
        async with httpx.AsyncClient(timeout=30, limits=limits) as client:
            results = await asyncio.gather(*(converse(client, n) for n in range(200)))
        return [p for r in results for p in r]

    problems = asyncio.run(main())
    assert problems == []
