"""Load on loopback: /api/v1/estimate and /api/v1/chat against /healthz, 16 keep-alive clients.

Starts one `jiuzhu serve` worker on 127.0.0.1 (rate limits off, a temporary SQLite), drives it with
wrk (Debian package `wrk`) for a bounded time per endpoint, and prints requests/s, p50/p99 latency
and errors. Goals: estimate ≥ 50% of healthz throughput, chat ≥ 30%, p99 < 100 ms, zero errors.

    .venv/bin/python benchmarks/load_bench.py [--seconds 10] [--connections 16]
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]

ESTIMATE_LUA = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local bodies = {
  '{"region":"guangxi","identities":["dibao"],"care":"inpatient","self_pay":20000,"date":"2024-06-01"}',
  '{"region":"xizang","identities":["tekun"],"care":"inpatient","self_pay":200000,"date":"2024-06-01"}',
  '{"region":"urumqi","identities":["dibao_edge"],"care":"outpatient_chronic","self_pay":80000,"date":"2024-06-01"}',
  '{"region":"qianjiang","identities":["dibao"],"care":"inpatient","self_pay":35000,"date":"2024-06-01","facts":{"hospital_level":2,"stay_policy_total":50000}}',
  '{"region":"ankang","identities":["illness_poverty"],"care":"inpatient","self_pay":120000,"date":"2024-06-01"}'
}
local i = 0
request = function()
  i = i + 1
  return wrk.format(nil, nil, nil, bodies[(i % #bodies) + 1])
end
"""

CHAT_LUA = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local steps = {"我是南宁的低保户，住院自付2万元", "本市", "之前没有", "计算过程"}
local n = 0
local id = tostring(math.random(1, 1000000000))
request = function()
  n = n + 1
  local conv = math.floor((n - 1) / #steps)
  local text = steps[((n - 1) % #steps) + 1]
  local body = '{"session":"bench-' .. id .. '-' .. conv .. '","text":"' .. text .. '"}'
  return wrk.format(nil, nil, nil, body)
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def parse_wrk(out: str) -> dict:
    def num(pattern, text=out, default=0.0):
        m = re.search(pattern, text)
        return float(m.group(1)) if m else default

    def ms(label):
        m = re.search(rf"{label}%\s+([\d.]+)(us|ms|s)", out)
        if not m:
            return None
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    errors = int(num(r"Non-2xx or 3xx responses: (\d+)"))
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if sock:
        errors += sum(int(x) for x in sock.groups())
    return {"rps": num(r"Requests/sec:\s+([\d.]+)"), "p50_ms": ms("50"), "p99_ms": ms("99"),
            "requests": int(num(r"(\d+) requests in")), "errors": errors}


def run_wrk(url: str, seconds: int, connections: int, lua: str | None) -> dict:
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "5s"]
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        if lua:
            fh.write(lua)
        script = fh.name
    if lua:
        cmd += ["-s", script]
    out = subprocess.run(cmd + [url], capture_output=True, text=True, timeout=seconds + 30).stdout
    os.unlink(script)
    return parse_wrk(out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--connections", type=int, default=16)
    args = ap.parse_args()
    if not shutil.which("wrk"):
        print("wrk is not installed (apt-get install wrk)")
        return 2
    tmp = tempfile.mkdtemp(prefix="jiuzhu-load-")
    port = free_port()
    env = {**os.environ, "JIUZHU_DB": os.path.join(tmp, "load.db"), "JIUZHU_RATE_IP": "off",
           "JIUZHU_RATE_SESSION": "off", "PYTHONPATH": str(ROOT)}
    env.pop("BOT_TOKEN", None)
    server = subprocess.Popen([sys.executable, "-m", "jiuzhu.cli", "serve", "--port", str(port)], env=env, cwd=tmp,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        results = {}
        for name, path, lua in (("healthz", "/healthz", None), ("estimate", "/api/v1/estimate", ESTIMATE_LUA),
                                ("chat", "/api/v1/chat", CHAT_LUA)):
            run_wrk(base + path, 2, args.connections, lua)  # warm-up
            results[name] = run_wrk(base + path, args.seconds, args.connections, lua)
    finally:
        server.terminate()
        server.wait(timeout=20)
    base_rps = results["healthz"]["rps"] or 1.0
    print(f"one worker, {args.connections} keep-alive connections, {args.seconds} s each, loopback, {os.cpu_count()} cores")
    print(f"{'endpoint':10} {'req/s':>9} {'of healthz':>10} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
    for name, r in results.items():
        print(f"{name:10} {r['rps']:9.0f} {r['rps'] / base_rps:10.0%} {r['p50_ms'] or 0:8.1f} {r['p99_ms'] or 0:8.1f} {r['errors']:7d}")
    goals = {
        "estimate ≥ 50% of healthz": results["estimate"]["rps"] >= 0.5 * base_rps,
        "chat ≥ 30% of healthz": results["chat"]["rps"] >= 0.3 * base_rps,
        "p99 < 100 ms (estimate, chat)": all((results[k]["p99_ms"] or 1e9) < 100 for k in ("estimate", "chat")),
        "zero errors": all(r["errors"] == 0 for r in results.values()),
    }
    for goal, ok in goals.items():
        print(f"{'met ' if ok else 'MISSED'} {goal}")
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
