"""Load on loopback: /api/v1/estimate and /api/v1/chat against /healthz, at 1, 16 and 64 keep-alive clients.

Starts one `jiuzhu serve` worker on 127.0.0.1 (rate limits off, a temporary SQLite), drives it with
wrk (Debian package `wrk`) for a bounded time per endpoint and client count, and prints requests/s,
the ratio to /healthz at the same client count, p50/p99 latency, errors, and the server's CPU per
request (utime+stime of the server process from /proc, steadier than wall figures on a shared
machine). Goals (issue 17): estimate ≥ 75% and chat ≥ 60% of healthz throughput, p99 < 50 ms at 16
clients and < 120 ms at 64, zero errors.

    .venv/bin/python benchmarks/load_bench.py [--seconds 10] [--clients 1,16,64]
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


def server_cpu(pid: int) -> float:
    """CPU seconds (user + system) the server process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_wrk(url: str, seconds: int, connections: int, lua: str | None) -> dict:
    threads = 2 if connections > 1 else 1  # wrk needs a connection per thread
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "5s"]
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        if lua:
            fh.write(lua)
        script = fh.name
    if lua:
        cmd += ["-s", script]
    out = subprocess.run(cmd + [url], capture_output=True, text=True, timeout=seconds + 30).stdout
    os.unlink(script)
    return parse_wrk(out)


ENDPOINTS = (("healthz", "/healthz", None), ("estimate", "/api/v1/estimate", ESTIMATE_LUA),
             ("chat", "/api/v1/chat", CHAT_LUA))


def start_server(tmp: str, port: int) -> subprocess.Popen:
    env = {**os.environ, "JIUZHU_DB": os.path.join(tmp, "load.db"), "JIUZHU_RATE_IP": "off",
           "JIUZHU_RATE_SESSION": "off", "PYTHONPATH": str(ROOT)}
    env.pop("BOT_TOKEN", None)
    server = subprocess.Popen([sys.executable, "-m", "jiuzhu.cli", "serve", "--port", str(port)], env=env, cwd=tmp,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    # the chat, the dictionaries and the charts warm up in a background thread after the port
    # opens: wait until the idle server stops spending CPU, so none of it is counted below
    while time.monotonic() < deadline:
        cpu = server_cpu(server.pid)
        time.sleep(0.5)
        if server_cpu(server.pid) - cpu < 0.02:
            break
    return server


def measure(base: str, pid: int, seconds: int, clients: list[int]) -> dict:
    results: dict = {}
    for connections in clients:
        for name, path, lua in ENDPOINTS:
            run_wrk(base + path, 2, connections, lua)  # warm-up
            cpu = server_cpu(pid)
            r = run_wrk(base + path, seconds, connections, lua)
            r["cpu_ms"] = (server_cpu(pid) - cpu) * 1000 / max(1, r["requests"])
            results[f"{name}@{connections}"] = r
    return results


def report(results: dict, seconds: int, clients: list[int], load_before: str) -> dict:
    print(f"one worker, {seconds} s per run, loopback, {os.cpu_count()} cores; load average before/after "
          f"{load_before} / {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"{'endpoint':9} {'clients':>7} {'req/s':>8} {'of healthz':>10} {'p50 ms':>7} {'p99 ms':>7} "
          f"{'errors':>6} {'server CPU ms/req':>17} {'of healthz':>10}")
    for connections in clients:
        base = results[f"healthz@{connections}"]
        for name, _, _ in ENDPOINTS:
            r = results[f"{name}@{connections}"]
            r["of_healthz"] = r["rps"] / (base["rps"] or 1.0)
            r["cpu_of_healthz"] = base["cpu_ms"] / (r["cpu_ms"] or 1e-9)  # throughput per CPU second, as a ratio
            print(f"{name:9} {connections:7d} {r['rps']:8.0f} {r['of_healthz']:10.0%} {r['p50_ms'] or 0:7.1f} "
                  f"{r['p99_ms'] or 0:7.1f} {r['errors']:6d} {r['cpu_ms']:17.3f} {r['cpu_of_healthz']:10.0%}")
    goals = {}
    for connections in clients:
        if connections < 16:
            continue
        goals[f"estimate ≥ 75% of healthz at {connections}"] = results[f"estimate@{connections}"]["of_healthz"] >= 0.75
        goals[f"chat ≥ 60% of healthz at {connections}"] = results[f"chat@{connections}"]["of_healthz"] >= 0.60
    for connections, limit in ((16, 50), (64, 120)):
        if connections in clients:
            goals[f"p99 < {limit} ms at {connections} (every endpoint)"] = all(
                (results[f"{name}@{connections}"]["p99_ms"] or 1e9) < limit for name, _, _ in ENDPOINTS)
    goals["zero errors"] = all(r["errors"] == 0 for r in results.values())
    for goal, ok in goals.items():
        print(f"{'met ' if ok else 'MISSED'} {goal}")
    return goals


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--clients", default="1,16,64", help="comma-separated keep-alive connection counts")
    args = ap.parse_args()
    clients = [int(c) for c in args.clients.split(",")]
    if not shutil.which("wrk"):
        print("wrk is not installed (apt-get install wrk)")
        return 2
    tmp = tempfile.mkdtemp(prefix="jiuzhu-load-")
    port = free_port()
    load_before = " ".join(f"{x:.2f}" for x in os.getloadavg())
    server = start_server(tmp, port)
    try:
        results = measure(f"http://127.0.0.1:{port}", server.pid, args.seconds, clients)
    finally:
        server.terminate()
        server.wait(timeout=20)
    report(results, args.seconds, clients, load_before)
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
