"""The hashing secret sits outside the data: JIUZHU_SECRET (required with REDIS_URL), else a key
file beside the SQLite database, made once atomically, readable by its owner only."""
from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from bot.store import SqliteStore, key_file, load_secret

ROOT = Path(__file__).resolve().parents[2]


def run_cli(args: list[str], tmp_path: Path, **extra: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("JIUZHU_SECRET", "BOT_TOKEN", "WEBHOOK_URL")}
    env.update(PYTHONPATH=str(ROOT), JIUZHU_DB=str(tmp_path / "jiuzhu.db"), **extra)
    return subprocess.run([sys.executable, "-m", "jiuzhu.cli", *args], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("command", [["serve", "--port", "1"], ["bot"]])
def test_redis_without_secret_refuses_to_start_with_a_clear_message(tmp_path, command):
    extra = {"REDIS_URL": "redis://127.0.0.1:1/0"}
    if command == ["bot"]:
        extra["BOT_TOKEN"] = "123:TEST"
    proc = run_cli(command, tmp_path, **extra)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "JIUZHU_SECRET" in proc.stdout and "REDIS_URL" in proc.stdout
    assert "Traceback" not in proc.stderr


def test_sqlite_secret_is_in_a_key_file_not_in_the_data(tmp_path, monkeypatch):
    monkeypatch.delenv("JIUZHU_SECRET", raising=False)
    db = tmp_path / "jiuzhu.db"
    storage = SqliteStore(str(db))
    secret = storage.secret
    storage.db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    storage.db.conn.close()
    key = Path(key_file(str(db)))
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert bytes.fromhex(key.read_text()) == secret
    for path in tmp_path.glob("jiuzhu.db*"):
        if path != key:
            assert secret.hex().encode() not in path.read_bytes(), path.name
    assert SqliteStore(str(db)).secret == secret  # the same key after a restart


def test_secret_from_environment_makes_no_key_file(tmp_path, monkeypatch):
    monkeypatch.setenv("JIUZHU_SECRET", "from-the-environment")
    db = tmp_path / "e.db"
    assert SqliteStore(str(db)).secret == b"from-the-environment"
    assert not Path(key_file(str(db))).exists()


def test_an_old_secret_in_the_database_is_moved_out(tmp_path, monkeypatch):
    monkeypatch.delenv("JIUZHU_SECRET", raising=False)
    db = tmp_path / "old.db"
    old = "ab" * 32
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT)")
    conn.execute("INSERT INTO meta VALUES ('key_secret', ?)", [old])
    conn.commit()
    conn.close()
    assert load_secret(str(db)) == bytes.fromhex(old)  # conversations hashed before keep their keys
    assert sqlite3.connect(db).execute("SELECT COUNT(*) FROM meta").fetchone()[0] == 0
    assert load_secret(str(db)) == bytes.fromhex(old)


def test_processes_starting_at_once_agree_on_one_key(tmp_path):
    """Four processes import first, then all ask for the key at the same moment (a start file)."""
    db, go = tmp_path / "race.db", tmp_path / "go"
    code = ("import os, sys, time\nfrom bot.store import load_secret\nprint('ready', flush=True)\n"
            f"while not os.path.exists({str(go)!r}): time.sleep(0.001)\n"
            f"print(load_secret({str(db)!r}).hex(), flush=True)")
    env = {k: v for k, v in os.environ.items() if k != "JIUZHU_SECRET"}
    env["PYTHONPATH"] = str(ROOT)
    procs = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=env)
             for _ in range(4)]
    for p in procs:
        assert p.stdout.readline().strip() == "ready"
    go.touch()
    keys = {p.communicate(timeout=120)[0].strip() for p in procs}
    assert len(keys) == 1 and len(keys.pop()) == 64
    assert not list(tmp_path.glob("*.tmp"))
