"""Start-up of `jiuzhu serve` (issue 17): time to the first /healthz, peak RSS, the first chat reply.

Starts `jiuzhu serve` N times on a free port with a temporary database (no Telegram, WeChat or
Redis configured) and prints, over the runs: seconds from process start to the first 200 from
/healthz (median, max), the process's peak RSS (VmHWM) after the first chat reply and once the
background warm-up is over (no CPU used for half a second), the
latency of that first /api/v1/chat reply, sent as soon as /healthz answers (median, max), and the
seconds from process start until that reply is in (when the chat is usable). Beside each wall-clock
figure, the server process's own CPU seconds (utime + stime from /proc; children excluded): on a
shared, busy machine the wall clock says as much about the neighbours as about the server.

    .venv/bin/python benchmarks/startup_bench.py [--runs 5]
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOOR_VARS = ("BOT_TOKEN", "REDIS_URL", "WECHAT_TOKEN", "WECHAT_APPID", "WECHAT_SECRET", "WECHAT_AES_KEY",
             "WEBHOOK_URL")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """The process's user + system CPU time so far (fields 14 and 15 of /proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def settle(pid: int, timeout: float = 60.0) -> None:
    """Until the process has used no CPU for half a second: the background warm-up is over."""
    deadline = time.monotonic() + timeout
    last, quiet = cpu_seconds(pid), 0
    while time.monotonic() < deadline and quiet < 2:
        time.sleep(0.25)
        now = cpu_seconds(pid)
        quiet = quiet + 1 if now - last < 0.01 else 0
        last = now


def wait_healthz(port: int, proc: subprocess.Popen, deadline: float) -> None:
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"jiuzhu serve exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:
                if r.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, OSError):
            time.sleep(0.01)
    raise RuntimeError("no /healthz within the deadline")


def first_chat(port: int) -> float:
    body = json.dumps({"session": "bench-startup", "text": "我是南宁的低保户，住院自付2万"}).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/chat", data=body,
                                 headers={"Content-Type": "application/json"})
    t0 = time.perf_counter()
    with urllib.request.urlopen(req, timeout=30) as r:
        r.read()
        if r.status != 200:
            raise RuntimeError(f"chat answered {r.status}")
    return time.perf_counter() - t0


def one_run(exe: str) -> tuple[float, float, float, float, float, float]:
    with tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if k not in DOOR_VARS}
        env.update(JIUZHU_DB=str(Path(tmp) / "jiuzhu.db"), JIUZHU_SECRET="startup-bench-secret-" + "x" * 16)
        port = free_port()
        t0 = time.monotonic()
        proc = subprocess.Popen([exe, "serve", "--port", str(port)], env=env, cwd=tmp,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_healthz(port, proc, t0 + 60)
            ready = time.monotonic() - t0
            cpu_ready = cpu_seconds(proc.pid)
            chat = first_chat(port)
            cpu_chat = cpu_seconds(proc.pid) - cpu_ready
            rss = peak_rss_mb(proc.pid)
            settle(proc.pid)
            warmed = peak_rss_mb(proc.pid)
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    return ready, rss, chat, cpu_ready, cpu_chat, warmed


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--exe", default=str(Path(sys.executable).with_name("jiuzhu")))
    args = ap.parse_args()
    runs = [one_run(args.exe) for _ in range(args.runs)]
    ready = [r[0] for r in runs]
    rss = [r[1] for r in runs]
    chat = [r[2] * 1000 for r in runs]
    print(f"startup_bench: {args.runs} runs of `jiuzhu serve` (no Telegram/WeChat/Redis)")
    cpu_ready = [r[3] for r in runs]
    cpu_chat = [r[4] * 1000 for r in runs]
    print(f"  time to first /healthz: median {statistics.median(ready):.2f} s, max {max(ready):.2f} s"
          f" (server CPU until then: median {statistics.median(cpu_ready):.2f} s, max {max(cpu_ready):.2f} s)")
    warmed = [r[5] for r in runs]
    print(f"  peak RSS:               median {statistics.median(rss):.0f} MB, max {max(rss):.0f} MB"
          f" at the first reply; median {statistics.median(warmed):.0f} MB, max {max(warmed):.0f} MB"
          " once the background warm-up is over")
    print(f"  first /api/v1/chat:     median {statistics.median(chat):.0f} ms, max {max(chat):.0f} ms"
          " (sent as soon as /healthz answers)")
    print(f"  server CPU meanwhile:   median {statistics.median(cpu_chat):.0f} ms, max {max(cpu_chat):.0f} ms"
          " (the reply and whatever the background warm-up did in that time)")
    usable = [r[0] + r[2] for r in runs]
    print(f"  load average:           {' '.join(f'{x:.2f}' for x in os.getloadavg())} (after the runs)")
    print(f"  start to first reply:   median {statistics.median(usable):.2f} s, max {max(usable):.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
