"""Redis down, frozen, back again: the chat answers 503 with Retry-After and a worded message (never
500), within seconds (short timeouts), /readyz says so while /healthz stays up, and the first
request after Redis returns is served (stale pooled connections replaced). A worker killed in the
middle of a turn frees the conversation within the lock's short lease, not after a minute."""
from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
from bot.doors.storage import ConversationKey
from redis.asyncio import Redis

from bot.redis_store import LEASE, LeasedRedisLocks

SECRET = "fault-test-secret-0123456789abcdef"
ROOT = Path(__file__).resolve().parents[2]


def post(url: str, session: str, text: str) -> httpx.Response:
    return httpx.post(url + "/api/v1/chat", json={"session": session, "text": text}, timeout=30)


def assert_unavailable(resp: httpx.Response) -> None:
    assert resp.status_code == 503, (resp.status_code, resp.text)
    assert int(resp.headers["retry-after"]) >= 1
    detail = resp.json()["detail"][0]
    assert detail["message_zh"] and "请" in detail["message_zh"]


def test_redis_killed_frozen_and_back(workers, redis_server):
    (w,) = workers(1, REDIS_URL=redis_server.url, JIUZHU_SECRET=SECRET)
    assert post(w.url, "f1", "/start").status_code == 200
    assert httpx.get(w.url + "/readyz").status_code == 200

    redis_server.kill()
    assert_unavailable(post(w.url, "f1", "南宁"))
    ready = httpx.get(w.url + "/readyz", timeout=30)
    assert ready.status_code == 503 and ready.headers["retry-after"]
    assert httpx.get(w.url + "/healthz").status_code == 200  # the process itself is alive

    redis_server.start()  # same port, its data gone
    first = post(w.url, "f1", "/start")
    assert first.status_code == 200, first.text  # the pooled connections were replaced cleanly
    assert httpx.get(w.url + "/readyz").status_code == 200

    redis_server.freeze()
    try:
        started = time.monotonic()
        assert_unavailable(post(w.url, "f2", "/start"))
        assert time.monotonic() - started < 7, "a hung Redis must not hold a request for long"
        started = time.monotonic()
        assert httpx.get(w.url + "/readyz", timeout=30).status_code == 503
        # bounded by its own PING_TIMEOUT (2.5 s), not by the client's retries (~8 s)
        assert time.monotonic() - started < 5, "a load balancer's probe must get its answer"
    finally:
        redis_server.thaw()
    assert post(w.url, "f2", "/start").status_code == 200
    text = "\n".join(m["text"] for m in post(w.url, "f1", "南宁").json()["messages"])
    assert "哪些身份" in text  # the conversation goes on where it was


HOLDER = """
import asyncio, sys
from bot.doors.storage import ConversationKey
from redis.asyncio import Redis
from bot.redis_store import LeasedRedisLocks

async def main():
    isolation = LeasedRedisLocks(Redis.from_url(sys.argv[1]))
    async with isolation.lock(ConversationKey(42)):
        print("held", flush=True)
        await asyncio.sleep(3600)   # a turn that never ends: the worker is killed in it

asyncio.run(main())
"""


def test_a_worker_killed_mid_turn_frees_the_conversation_within_the_lease(redis_server):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, redis_server.url], stdout=subprocess.PIPE, text=True,
                              env=env)
    try:
        assert holder.stdout.readline().strip() == "held"
        time.sleep(LEASE * 1.5)  # the lease is renewed while the turn runs: still held after it ran out once

        async def try_lock(wait: float) -> float | None:
            isolation = LeasedRedisLocks(Redis.from_url(redis_server.url), wait=wait)
            started = time.monotonic()
            try:
                async with isolation.lock(ConversationKey(42)):
                    return time.monotonic() - started
            except Exception:  # noqa: BLE001 - LockError: not acquired within `wait`
                return None

        assert asyncio.run(try_lock(0.5)) is None, "a running turn keeps its conversation"
        holder.send_signal(signal.SIGKILL)
        holder.wait(10)
        took = asyncio.run(try_lock(LEASE * 3))
        assert took is not None and took <= LEASE + 1, took
    finally:
        if holder.poll() is None:
            holder.kill()
