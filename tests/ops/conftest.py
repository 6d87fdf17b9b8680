"""Fixtures that start real processes on loopback: redis-server and `jiuzhu serve` workers."""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def need(binary: str, package: str, missing) -> str:
    """The binary's path; otherwise skipped with a reason (a failure on CI, see tests/conftest.py)."""
    path = shutil.which(binary)
    if not path:
        missing(f"{binary} not installed (apt-get install {package})")
    return path


def wait_http(url: str, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError as exc:
            last = exc
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up: {last}")


class RedisServer:
    """A real redis-server on loopback that a test can kill -9, start again on the same port (its
    data gone), or freeze (SIGSTOP) and thaw."""

    def __init__(self, binary: str, tmp_path: Path):
        self.binary, self.dir, self.port = binary, tmp_path, free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "RedisServer":
        self.proc = subprocess.Popen([self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                      "--appendonly", "no", "--dir", str(self.dir)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return self
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def freeze(self) -> None:
        self.proc.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        self.proc.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.terminate()
            self.proc.wait(timeout=10)


@pytest.fixture
def redis_server(tmp_path, missing):
    server = RedisServer(need("redis-server", "redis-server", missing), tmp_path).start()
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server):
    return redis_server.url


class Worker:
    """One `jiuzhu serve` process; `kill()` is kill -9, `start()` starts it again on the same port."""

    def __init__(self, env: dict, cwd: Path, log: Path):
        self.port = free_port()
        self.env = env
        self.cwd = cwd
        self.log = log
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "Worker":
        out = open(self.log, "ab")
        self.proc = subprocess.Popen([sys.executable, "-m", "jiuzhu.cli", "serve", "--port", str(self.port)],
                                     cwd=self.cwd, env=self.env, stdout=out, stderr=subprocess.STDOUT)
        wait_http(self.url + "/healthz")
        return self

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


@pytest.fixture
def worker_env(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("BOT_TOKEN", "REDIS_URL", "WEBHOOK_URL", "JIUZHU_SECRET")}
    env.update({"JIUZHU_DB": str(tmp_path / "jiuzhu.db"), "JIUZHU_RATE_IP": "off", "JIUZHU_RATE_SESSION": "off",
                "PYTHONPATH": str(ROOT)})
    return env


@pytest.fixture
def workers(tmp_path, worker_env):
    started: list[Worker] = []

    def make(n: int = 1, **extra) -> list[Worker]:
        env = {**worker_env, **extra}
        for _ in range(n):
            started.append(Worker(env, tmp_path, tmp_path / f"worker{len(started)}.log").start())
        return started[-n:]

    yield make
    for w in started:
        w.stop()
