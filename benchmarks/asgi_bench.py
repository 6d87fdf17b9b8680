"""Server CPU per request, in process: /healthz, POST /api/v1/estimate and POST /api/v1/chat driven
straight through the ASGI app (no sockets, no HTTP parser), so the figures are what the app itself
spends — the framework, the middleware and the route's work — apart from uvicorn's.

    .venv/bin/python benchmarks/asgi_bench.py [--n 3000] [--profile chat|estimate|healthz]

The chat is the real conversation (bot/wiring.py on a temporary SQLite file), four-message
conversations as in load_bench.py; "conversation step alone" is `service.handle` called directly
with the same messages, the part of a chat turn that belongs to bot/. Figures are CPU seconds of
this process (time.process_time), best of three rounds, so a busy shared machine moves them less.
"""
from __future__ import annotations

import argparse
import asyncio
import cProfile
import itertools
import json
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ["JIUZHU_RATE_IP"] = os.environ["JIUZHU_RATE_SESSION"] = "off"  # as load_bench.py

from web.app import create_app  # noqa: E402
from web.server import warm_up  # noqa: E402
from web.settings import Settings  # noqa: E402

ESTIMATES = json.loads((Path(__file__).resolve().parents[1] / "benchmarks" / "data" / "sample_estimates.json")
    .read_text(encoding="utf-8"))  # one case of each region (shared by the bench and the test)
STEPS = ["我是南宁的低保户，住院自付2万元", "本市", "之前没有", "计算过程"]


def chat_messages(tag: str):
    """(session, text) of consecutive four-message conversations, as load_bench.py's script sends."""
    for n in itertools.count():
        yield f"bench-{tag}-{n // len(STEPS)}", STEPS[n % len(STEPS)]


async def call(app, method: str, path: str, body: bytes = b"") -> int:
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
             "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
             "headers": [(b"host", b"127.0.0.1"), (b"content-type", b"application/json"),
                         (b"content-length", str(len(body)).encode())],
             "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000), "state": {}}
    sent = False
    status = 0

    async def receive():
        nonlocal sent
        if sent:
            await asyncio.sleep(3600)  # a client that waits for the answer
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message):
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


def requests_for(kind: str, tag: str):
    if kind == "healthz":
        return itertools.repeat(("GET", "/healthz", b""))
    if kind == "estimate":
        return (("POST", "/api/v1/estimate", json.dumps(c).encode()) for c in itertools.cycle(ESTIMATES))
    return (("POST", "/api/v1/chat", json.dumps({"session": s, "text": t}, ensure_ascii=False).encode())
            for s, t in chat_messages(tag))


async def cpu_per_request(app, kind: str, n: int, tag: str) -> float:
    reqs = requests_for(kind, tag)
    start = time.process_time()
    for _ in range(n):
        method, path, body = next(reqs)
        status = await call(app, method, path, body)
        if status != 200:
            raise SystemExit(f"{kind}: status {status}")
    return (time.process_time() - start) / n


async def step_alone(service, n: int, tag: str) -> float:
    msgs = chat_messages(tag)
    start = time.process_time()
    for _ in range(n):
        session, text = next(msgs)
        await service.handle("web:" + session, text)
    return (time.process_time() - start) / n


async def measure(app, n: int) -> dict[str, float]:
    service = app.state.jz.chat()
    best: dict[str, float] = {}
    for r in range(3):
        for kind in ("healthz", "estimate", "chat"):
            best[kind] = min(best.get(kind, 1e9), await cpu_per_request(app, kind, n, f"{kind}{r}"))
        best["step"] = min(best.get("step", 1e9), await step_alone(service, n, f"step{r}"))
    return best


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=3000, help="requests per route per round")
    ap.add_argument("--profile", choices=["healthz", "estimate", "chat"], help="cProfile one route instead")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="jiuzhu-asgi-")
    app = create_app(Settings(db_path=os.path.join(tmp, "bench.db")))
    warm_up(app)
    loop = asyncio.new_event_loop()
    loop.run_until_complete(cpu_per_request(app, "chat", 200, "warm"))
    if args.profile:
        prof = cProfile.Profile()
        prof.enable()
        loop.run_until_complete(cpu_per_request(app, args.profile, args.n, "prof"))
        prof.disable()
        pstats.Stats(prof).sort_stats("cumulative").print_stats(45)
        return 0
    best = loop.run_until_complete(measure(app, args.n))
    print(f"in-process ASGI, {args.n} requests per route, best of 3 rounds; load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"{'route':28} {'CPU ms/request':>15} {'of healthz':>11}")
    for kind, label in (("healthz", "GET /healthz"), ("estimate", "POST /api/v1/estimate"),
                        ("chat", "POST /api/v1/chat"), ("step", "conversation step alone")):
        print(f"{label:28} {best[kind] * 1000:15.3f} {best[kind] / best['healthz']:10.2f}×")
    frame = best["chat"] - best["step"]
    print(f"a chat turn: {best['chat'] * 1000:.3f} ms, of which the conversation step (bot/) "
          f"{best['step'] * 1000:.3f} ms ({best['step'] / best['chat']:.0%}) and the web around it "
          f"{frame * 1000:.3f} ms ({frame / best['chat']:.0%})")
    print(json.dumps({k: round(v * 1000, 4) for k, v in best.items()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
