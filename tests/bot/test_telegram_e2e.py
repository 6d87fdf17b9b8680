"""End to end: `jiuzhu bot` (a real subprocess, long polling) against a fake Telegram Bot API server
on 127.0.0.1. Real Update JSON in, real sendMessage calls out; a whole conversation to the result;
then `kill -9` in the middle of a conversation, a restart, and the conversation goes on.

Every wait is bounded, so a broken bot fails the test instead of hanging it."""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fake_telegram import FakeTelegramServer

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "123:TEST"
WAIT = 20.0          # per reply (the first one includes the process start-up)

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="uses kill -9")


class BotProcess:
    def __init__(self, server: FakeTelegramServer, workdir: Path):
        self.server, self.workdir = server, workdir
        self.proc: subprocess.Popen | None = None
        self.log = workdir / "bot.log"

    def start(self) -> "BotProcess":
        env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "WEBHOOK_URL", "HTTP_PROXY",
                                                                  "HTTPS_PROXY", "http_proxy", "https_proxy")}
        env.update(BOT_TOKEN=TOKEN, TELEGRAM_API_URL=self.server.url, JIUZHU_DB=str(self.workdir / "jiuzhu.db"),
                   NO_PROXY="127.0.0.1,localhost", PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1")
        self._fh = open(self.log, "ab")
        self.proc = subprocess.Popen([sys.executable, "-m", "jiuzhu.cli", "bot"], cwd=self.workdir, env=env,
                                     stdout=self._fh, stderr=subprocess.STDOUT, start_new_session=True)
        return self

    def kill9(self) -> None:
        assert self.proc is not None and self.proc.poll() is None, self.tail()
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)
        assert self.proc.returncode == -signal.SIGKILL

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if getattr(self, "_fh", None):
            self._fh.close()

    def tail(self) -> str:
        try:
            return self.log.read_text(encoding="utf-8", errors="replace")[-3000:]
        except OSError:
            return ""


class Phone:
    """One Telegram user talking to the bot through the fake server: pushes Update JSON, waits for
    the bot's answer (the next message carrying a keyboard), presses buttons by label."""

    def __init__(self, server: FakeTelegramServer, bot: BotProcess, chat_id: int):
        self.server, self.bot, self.chat_id = server, bot, chat_id
        self.keyboard: dict | None = None
        self.last: list[dict] = []

    def _keyed(self) -> list[dict]:
        return [m for m in self.server.sent(self.chat_id) if m.get("reply_markup")]

    def _await_reply(self, update_id: int, keyed_before: int, sent_before: int, timeout: float) -> list[dict]:
        try:
            self.server.wait_for(lambda: len(self._keyed()) > keyed_before, timeout)
        except TimeoutError as exc:
            raise AssertionError(f"no reply to update {update_id}: {exc}\n--- bot log ---\n{self.bot.tail()}")
        time.sleep(0.05)  # let a trailing message of the same reply land
        self.last = self.server.sent(self.chat_id)[sent_before:]
        self.keyboard = self._keyed()[-1]
        return self.last

    def say(self, text: str, timeout: float = WAIT) -> list[dict]:
        keyed, sent = len(self._keyed()), len(self.server.sent(self.chat_id))
        update_id = self.server.push_text(self.chat_id, text)
        return self._await_reply(update_id, keyed, sent, timeout)

    def buttons(self) -> dict[str, str]:
        markup = (self.keyboard or {}).get("reply_markup") or {}
        return {b["text"]: b["callback_data"] for row in markup.get("inline_keyboard", []) for b in row}

    def press(self, label: str, timeout: float = WAIT) -> list[dict]:
        data = self.buttons()
        assert label in data, f"no button {label!r}: {list(data)}"
        keyed, sent = len(self._keyed()), len(self.server.sent(self.chat_id))
        message = {"message_id": self.keyboard.get("message_id", 1) if self.keyboard else 1,
                   "date": int(time.time()), "text": self.keyboard.get("text", "") if self.keyboard else "",
                   "chat": {"id": self.chat_id, "type": "private", "first_name": "测试"},
                   "from": {"id": 123, "is_bot": True, "first_name": "救助助手"}}
        update_id = self.server.push_press(self.chat_id, data[label], message)
        return self._await_reply(update_id, keyed, sent, timeout)

    @property
    def text(self) -> str:
        return "\n".join(m["text"] for m in self.last)

    def prompt(self) -> str:
        return (self.keyboard or {}).get("text", "").strip().splitlines()[-1]


@pytest.fixture
def server():
    with FakeTelegramServer(TOKEN) as s:
        yield s


def test_jiuzhu_bot_whole_conversation_then_kill_9_and_resume(server, tmp_path):
    bot = BotProcess(server, tmp_path).start()
    try:
        # ---- a whole conversation to the result, pressing buttons like a user
        alice = Phone(server, bot, 5550001)
        alice.say("/start", timeout=60)  # includes the process start-up
        assert "您好" in alice.text and "户口或参保地" in alice.prompt()
        methods = server.methods()
        assert "setMyCommands" in methods and "deleteWebhook" in methods
        assert methods.index("setMyCommands") < methods.index("sendMessage")
        assert [c["command"] for c in server.commands] == ["start", "help", "restart", "faq", "cadre"]
        for label in ("广西", "低保户", "选好了", "住院"):
            alice.press(label)
        assert "自己还要付多少钱" in alice.prompt()
        alice.say("2万")
        alice.press("本市")
        alice.press("之前没有")
        assert "【估算结果】" in alice.text and "1.8万元（18,000元）" in alice.text
        # typing before replies; every button press answered
        assert methods.count("sendChatAction") >= 1 and server.methods().count("answerCallbackQuery") >= 6
        for m in server.sent():
            for row in (m.get("reply_markup") or {}).get("inline_keyboard", []):
                for b in row:
                    assert len(b["callback_data"].encode()) <= 64

        # ---- a second conversation, killed in the middle
        bob = Phone(server, bot, 5550002)
        bob.say("/start")
        for label in ("安康", "低保户", "选好了", "住院"):
            bob.press(label)
        assert "自己还要付多少钱" in bob.prompt()
        bot.kill9()
        time.sleep(0.2)

        bot = BotProcess(server, tmp_path).start()
        before_restart = len(server.sent(5550002))
        bob.say("2万", timeout=60)
        first_after = server.sent(5550002)[before_restart]["text"]
        assert "户口或参保地" not in first_after and "哪些身份" not in first_after, first_after
        assert "在哪里看的病" in bob.prompt(), bob.text
        bob.press("安康市内")
        bob.press("之前没有")
        assert "【估算结果】" in bob.text and "安康" in bob.text and "1.4万元（14,000元）" in bob.text

        # alice's finished conversation survived the kill as well
        alice.press("计算过程")
        assert "1.8万" in alice.text or "18,000" in alice.text
    finally:
        bot.stop()

    with sqlite3.connect(tmp_path / "jiuzhu.db") as db:
        keys = [k for (k,) in db.execute("SELECT key FROM conversations")]
    assert len(keys) >= 2 and all(len(k) == 64 and "5550001" not in k for k in keys)


def test_a_failed_send_is_fetched_again_and_handled_once(server, tmp_path):
    """The Bot API fails the first sendMessage of a turn: the update is not confirmed, `jiuzhu bot`
    fetches it again and answers it once — the answer to the question that was pending."""
    bot = BotProcess(server, tmp_path).start()
    try:
        carol = Phone(server, bot, 5550003)
        carol.say("/start", timeout=60)
        carol.press("广西")
        assert "哪些身份" in carol.prompt()
        server.fail_next("sendMessage")
        carol.press("低保户")
        failed = [p for m, p in server.failed if m == "sendMessage" and int(p["chat_id"]) == 5550003]
        assert len(failed) == 1 and "已选：低保对象" in failed[0]["text"]
        assert "已选：低保对象" in carol.text, carol.text  # delivered by the retry
        # the reply was sent twice (the failed attempt, then the retry), the turn taken once:
        # had it been taken twice, 低保户 would have been unselected again (a toggle) or skipped on
        assert carol.buttons().get("选好了"), carol.buttons()
        carol.press("选好了")
        assert "哪种看病" in carol.prompt()
    finally:
        bot.stop()


def test_kill_9_while_the_reply_is_being_sent_loses_nothing(server, tmp_path):
    """kill -9 while a turn's sendMessage is in flight: nothing was recorded, the update was never
    confirmed, so the restarted bot fetches it again and handles it once."""
    bot = BotProcess(server, tmp_path).start()
    try:
        dan = Phone(server, bot, 5550004)
        dan.say("/start", timeout=60)
        dan.press("安康")
        assert "哪些身份" in dan.prompt()
        release = server.hold_next("sendMessage")
        server.push_text(5550004, "低保户")
        server.wait_for(lambda: any(m == "sendMessage" and "已选" in p.get("text", "") for m, p in server.failed))
        bot.kill9()
        release.set()
        keyed = len(dan._keyed())
        sent = len(server.sent(5550004))
        bot = BotProcess(server, tmp_path).start()
        dan._await_reply(0, keyed, sent, 60)
        assert "已选：低保对象" in dan.text, dan.text
        dan.press("选好了")
        assert "哪种看病" in dan.prompt(), dan.text
    finally:
        bot.stop()


def test_jiuzhu_bot_without_token_refuses_to_start(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "BOT_TOKEN"}
    env["PYTHONPATH"] = str(ROOT)
    proc = subprocess.run([sys.executable, "-m", "jiuzhu.cli", "bot"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "BOT_TOKEN" in proc.stdout
