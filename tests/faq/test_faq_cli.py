"""`jiuzhu faq` per contract.md: a question, or JSON Lines {"q", "region"} on stdin with --json."""
from __future__ import annotations

import json
import subprocess
import sys

HIT_KEYS = {"id", "question", "answer", "score", "regions", "cite", "confident"}


def run(args, stdin="", cwd=None):
    return subprocess.run([sys.executable, "-m", "jiuzhu.cli", "faq", *args], input=stdin, capture_output=True,
                          text=True, timeout=120, cwd=cwd)


def test_json_lines_in_one_list_of_hits_per_line_out(tmp_path):
    stdin = "\n".join([json.dumps({"q": "底保住院报多少", "region": "guangxi"}, ensure_ascii=False),
                       "not json", json.dumps({"q": "五保户住院能报多少", "region": "xizang"}, ensure_ascii=False)]) + "\n"
    out = run(["--json", "--top", "2"], stdin, cwd=tmp_path)
    assert out.returncode == 1  # one bad line
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    assert len(lines) == 3
    first, bad, third = lines
    assert first and HIT_KEYS <= set(first[0]) and len(first) <= 2
    assert first[0]["id"].startswith("gx-") and "桂政办发〔2022〕5号" in first[0]["cite"][0]
    assert "error" in bad and bad["error"]["message_zh"]
    assert all(set(h["regions"]) & {"xizang", "all"} for h in third)


def test_question_prints_answer_and_clause(tmp_path):
    out = run(["低保户住院能报多少", "--region", "guangxi"], cwd=tmp_path)
    assert out.returncode == 0
    assert "依据：" in out.stdout and "桂政办发" in out.stdout


def test_json_for_one_question(tmp_path):
    out = run(["低保户住院能报多少", "--region", "ankang", "--json"], cwd=tmp_path)
    hits = json.loads(out.stdout)
    assert out.returncode == 0 and hits and HIT_KEYS <= set(hits[0])
    assert all(set(h["regions"]) & {"ankang", "all"} for h in hits)


def test_no_answer_is_said_plainly_without_cited_answers(tmp_path):
    out = run(["帮我写一份请假条", "--region", "qianjiang"], cwd=tmp_path)
    assert out.returncode == 0
    assert "没有这个问题的答案" in out.stdout and "12393" in out.stdout and "黔江当地的医保局" in out.stdout
    assert "依据" not in out.stdout


def test_not_sure_offers_questions_not_answers(tmp_path):
    out = run(["护照在哪里办理"], cwd=tmp_path)
    assert "依据" not in out.stdout and "12393" in out.stdout
