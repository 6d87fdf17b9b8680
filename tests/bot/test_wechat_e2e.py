"""End to end: `jiuzhu serve` as a subprocess with WECHAT_TOKEN set and the stand-in WeChat API as
WECHAT_API_URL, in plaintext and in safe mode (WECHAT_AES_KEY); signed XML in over HTTP, passive
replies and customer-service messages out. Then
`jiuzhu wechat-menu --create` against the same stand-in. Every wait is bounded."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from wechatpy.crypto import WeChatCrypto

from fake_wechat import AES_KEY, APPID, SECRET, TOKEN, FakeWeChatServer, Officer, free_port

ROOT = Path(__file__).resolve().parents[2]
START = 60.0  # seconds for the server to come up (imports, warm-up) on a busy 2-core machine


def _env(wx: FakeWeChatServer, workdir: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "BOT_TOKEN", "WEBHOOK_URL", "HTTP_PROXY",
                                                              "HTTPS_PROXY", "http_proxy", "https_proxy")}
    env.update(WECHAT_TOKEN=TOKEN, WECHAT_APPID=APPID, WECHAT_SECRET=SECRET, WECHAT_API_URL=wx.url,
               JIUZHU_DB=str(workdir / "jiuzhu.db"), NO_PROXY="127.0.0.1,localhost", PYTHONPATH=str(ROOT),
               PYTHONUNBUFFERED="1")
    return env


@pytest.fixture(params=["plaintext", "safe"])
def served(request, tmp_path, wx):
    port = free_port()
    env = _env(wx, tmp_path)
    if request.param == "safe":
        env["WECHAT_AES_KEY"] = AES_KEY
    log = open(tmp_path / "serve.log", "ab")
    proc = subprocess.Popen([sys.executable, "-m", "jiuzhu.cli", "serve", "--port", str(port)], cwd=tmp_path,
                            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START
    while True:
        assert proc.poll() is None, (tmp_path / "serve.log").read_text(errors="replace")[-3000:]
        try:
            if httpx.get(f"{base}/healthz", timeout=1, trust_env=False).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, "jiuzhu serve did not come up"
        time.sleep(0.2)
    yield base, tmp_path, request.param == "safe"
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)
    log.close()


def test_jiuzhu_serve_speaks_wechat(served, wx):
    base, workdir, safe = served
    officer = Officer(base, openid="oE2E-USER-42", crypto=WeChatCrypto(TOKEN, AES_KEY, APPID) if safe else None)
    q, _ = officer.query()
    assert httpx.get(f"{base}/wechat", params={**q, "echostr": "e2e"}, trust_env=False).text == "e2e"
    assert officer.post(officer.text("广西"), good=False).status_code == 403

    subscribed = officer.post(officer.event("subscribe"))
    assert ("<Encrypt>" in subscribed.text) == safe
    greeting = officer.reply_text(subscribed)
    assert "户口或参保地" in greeting
    reply = officer.say("我是南宁的低保户，住院自付2万")
    assert "在哪里看的病" in reply
    reply = officer.say("本市")
    number = re.search(r"^(\d+) 之前没有$", reply, re.M).group(1)
    xml = officer.text(number)
    result = officer.reply_text(officer.post(xml))
    assert "1.8万元（18,000元）" in result
    assert officer.reply_text(officer.post(xml)) == result  # WeChat's retry: same reply
    sheet_number = re.search(r"^(\d+) 打印版$", result, re.M).group(1)
    first = officer.say(sheet_number)
    sent = wx.wait_sent(1)
    assert sent and all(m["touser"] == officer.openid for m in sent)
    sheet = first + "\n" + "\n".join(wx.texts())
    for part in ("医疗救助估算单", "广西壮族自治区", "计算过程", "要带的材料"):
        assert part in sheet
    assert len(wx.token_requests) == 1

    # nothing of the user's at rest: no openid, no typed text in the database file
    raw = b"".join(p.read_bytes() for p in workdir.glob("jiuzhu.db*"))
    assert officer.openid.encode() not in raw
    assert "南宁的低保户".encode() not in raw
    assert officer.openid not in (workdir / "serve.log").read_text(errors="replace")


def test_wechat_menu_prints_and_creates(tmp_path, wx):
    run = lambda *args: subprocess.run([sys.executable, "-m", "jiuzhu.cli", "wechat-menu", *args], cwd=tmp_path,  # noqa: E731
                                       env=_env(wx, tmp_path), capture_output=True, text=True, timeout=60)
    printed = run()
    assert printed.returncode == 0
    menu = json.loads(printed.stdout)
    assert [b["name"] for b in menu["button"]] == ["估算", "政策问答", "人工"]
    created = run("--create")
    assert created.returncode == 0, created.stderr
    assert wx.menus == [menu]
    wx.fail_token = 1000
    failed = run("--create")
    assert failed.returncode == 1 and "not created" in failed.stderr
