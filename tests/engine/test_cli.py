"""`jiuzhu estimate`: JSON Lines in and out, flags for one case, errors per line.

Issue: "`jiuzhu estimate --json` JSON Lines in and out; flags for one case; without `--json`, the
explanation in Chinese as a person would read it. A bad line gets `{"error": {...}}` naming the field
in Chinese and English; the other lines go on; exit status 1."

Run as a separate process with the venv's interpreter from a temporary working directory, so the
policies must load as package data, not from the checkout's cwd.
"""
from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys


import engine

CJK = re.compile(r"[\u4e00-\u9fff]")
CASES = [
    {"region": "guangxi", "identities": ["dibao"], "care": "inpatient", "self_pay": 20000, "date": "2024-06-01"},
    {"region": "xizang", "identities": ["tekun"], "care": "inpatient", "self_pay": 200000, "date": "2024-06-01"},
    {"region": "qianjiang", "identities": ["dibao"], "care": "inpatient", "self_pay": 20000, "date": "2024-06-01",
     "facts": {"hospital_level": 2, "stay_policy_total": 40000}},
    {"region": "urumqi", "identities": ["dibao_edge"], "care": "outpatient_chronic", "self_pay": "8000.50",
     "date": "2024-06-01"},
    {"region": "ankang", "identities": [], "care": "inpatient", "self_pay": 1000, "date": "2024-06-01"},
]


def run(args, stdin: str, cwd) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "jiuzhu.cli", *args], input=stdin, capture_output=True,
                          text=True, encoding="utf-8", cwd=cwd, timeout=120)


def lines_of(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def expected(case: dict) -> dict:
    return json.loads(engine.estimate(case).model_dump_json())


def check_error(obj: dict, field: str, line: int | None = None) -> dict:
    assert set(obj) == {"error"}, obj
    err = obj["error"]
    assert err["field"] == field, err
    assert CJK.search(err["field_zh"]) and CJK.search(err["message_zh"]), err
    assert err["message"], err
    if line is not None:
        assert err["line"] == line, err
    return err


# ------------------------------------------------------------------------------------ --json


def test_json_lines_in_and_out_same_order(tmp_path):
    stdin = "\n".join(json.dumps(c, ensure_ascii=False) for c in CASES) + "\n"
    proc = run(["estimate", "--json"], stdin, tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = lines_of(proc.stdout)
    assert len(out) == len(CASES)
    for case, got in zip(CASES, out):
        assert got == expected(case)
        assert isinstance(got["assistance"], (int, float))  # JSON carries numbers
    assert out[0]["assistance"] == 18000.0 and out[0]["region"] == "guangxi"


def test_bad_lines_get_an_error_and_the_rest_go_on(tmp_path):
    good_a, good_b = CASES[0], CASES[2]
    lines = [
        json.dumps(good_a),
        json.dumps({**good_a, "self_pay": "abc"}),
        "{not json",
        json.dumps([1, 2]),
        json.dumps({**good_a, "region": "mars", "identities": ["x"]}),
        json.dumps({**good_a, "facts": {"disability_grade": 7}}),
        json.dumps(good_b),
    ]
    proc = run(["estimate", "--json"], "\n".join(lines) + "\n", tmp_path)
    assert proc.returncode == 1
    out = lines_of(proc.stdout)
    assert len(out) == len(lines)
    assert out[0] == expected(good_a)
    err = check_error(out[1], "self_pay", line=2)
    assert err["field_zh"] == "自付金额"
    check_error(out[2], "(line)", line=3)
    check_error(out[3], "(case)", line=4)
    err = check_error(out[4], "region", line=5)
    assert {e["field"] for e in err["errors"]} == {"region", "identities.0"}
    check_error(out[5], "facts.disability_grade", line=6)
    assert out[6] == expected(good_b)


def test_blank_lines_are_skipped(tmp_path):
    stdin = "\n" + json.dumps(CASES[0]) + "\n\n   \n" + json.dumps(CASES[1]) + "\n\n"
    proc = run(["estimate", "--json"], stdin, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert lines_of(proc.stdout) == [expected(CASES[0]), expected(CASES[1])]


def test_one_pretty_printed_case(tmp_path):
    proc = run(["estimate", "--json"], json.dumps(CASES[2], indent=2, ensure_ascii=False), tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout.splitlines()
    assert len(out) == 1
    assert json.loads(out[0]) == expected(CASES[2])


def test_one_case_without_a_trailing_newline(tmp_path):
    proc = run(["estimate", "--json"], json.dumps(CASES[1]), tmp_path)
    assert proc.returncode == 0
    assert lines_of(proc.stdout) == [expected(CASES[1])]


def test_empty_input(tmp_path):
    proc = run(["estimate", "--json"], "", tmp_path)
    assert proc.returncode == 0 and proc.stdout.strip() == ""


def test_many_lines_keep_their_order(tmp_path):
    cases = [{**CASES[0], "self_pay": 100 + i} for i in range(1300)]
    cases[700] = {**CASES[0], "self_pay": -1}
    proc = run(["estimate", "--json"], "\n".join(json.dumps(c) for c in cases), tmp_path)
    assert proc.returncode == 1
    out = lines_of(proc.stdout)
    assert len(out) == 1300
    for i, got in enumerate(out):
        if i == 700:
            check_error(got, "self_pay", line=701)
        else:
            assert got["parts"][0]["base"] == 100 + i


def _mixed_lines(count: int, bad_every: int = 97) -> list[str]:
    """`count` lines of the five CASES with other amounts, a bad line every `bad_every`, and a
    blank line here and there."""
    lines = []
    for i in range(count):
        if i % bad_every == 50:
            lines.append(json.dumps({**CASES[i % 5], "self_pay": -1}) if i % 2 else "{broken")
        elif i % 211 == 7:
            lines.append("")
        else:
            lines.append(json.dumps({**CASES[i % 5], "self_pay": 1000 + 37 * i}, ensure_ascii=False))
    return lines


def test_worker_processes_give_the_same_bytes_as_one_process(tmp_path):
    """--jobs 2 splits the input into blocks for two forked workers: same answers, same order, the
    same line numbers in errors, the same exit status as --jobs 1."""
    stdin = "\n".join(_mixed_lines(2600)) + "\n"
    one = subprocess.run([sys.executable, "-m", "jiuzhu.cli", "estimate", "--json", "--jobs", "1"],
                         input=stdin.encode(), capture_output=True, cwd=tmp_path, timeout=300)
    two = subprocess.run([sys.executable, "-m", "jiuzhu.cli", "estimate", "--json", "--jobs", "2"],
                         input=stdin.encode(), capture_output=True, cwd=tmp_path, timeout=300)
    assert one.returncode == two.returncode == 1, (one.stderr, two.stderr)
    assert two.stdout == one.stdout
    out = lines_of(one.stdout.decode())
    assert len(out) == 2600 - sum(1 for i in range(2600) if i % 211 == 7 and i % 97 != 50)
    errors = [o["error"]["line"] for o in out if "error" in o]
    assert errors == [i + 1 for i in range(2600) if i % 97 == 50]


def test_how_many_workers():
    from jiuzhu.jsonl import MIN_LINES_PER_WORKER, workers_for

    assert workers_for(10 * MIN_LINES_PER_WORKER, jobs=1) == 1
    assert workers_for(10, jobs=3) == 3  # asked for: given
    assert workers_for(MIN_LINES_PER_WORKER - 1) == 1  # small input: no workers
    assert 1 <= workers_for(100 * MIN_LINES_PER_WORKER) <= 100


def test_strict_refuses_unknown_fields(tmp_path):
    case = {**CASES[0], "colour": "blue", "facts": {"shoe_size": 42}}
    stdin = json.dumps(case) + "\n" + json.dumps(CASES[0]) + "\n"
    loose = run(["estimate", "--json"], stdin, tmp_path)
    assert loose.returncode == 0
    assert lines_of(loose.stdout) == [expected(CASES[0])] * 2
    strict = run(["estimate", "--json", "--strict"], stdin, tmp_path)
    assert strict.returncode == 1
    out = lines_of(strict.stdout)
    err = out[0]["error"]
    assert err["field"] == "colour" and err["line"] == 1 and CJK.search(err["message_zh"])
    assert {e["field"] for e in err["errors"]} == {"colour", "facts.shoe_size"}
    assert all(e["message_zh"] == "不认识的字段" for e in err["errors"])
    assert out[1] == expected(CASES[0])


# ------------------------------------------------------------------------------------ flags

HAS_RENDER = importlib.util.find_spec("bot.render") is not None


def test_flags_print_the_explanation_in_chinese(tmp_path):
    proc = run(["estimate", "--region", "guangxi", "--identity", "dibao", "--care", "inpatient",
                "--self-pay", "20000", "--date", "2024-06-01"], "", tmp_path)
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout
    assert "18,000" in text or "1.8万" in text  # the amount
    assert "桂政办发〔2022〕5号" in text  # the clause
    assert "二（五）1" in text
    assert len(CJK.findall(text)) > 50  # an explanation a person reads, not JSON
    assert not text.lstrip().startswith("{")


def test_flags_with_facts_and_year_to_date(tmp_path):
    proc = run(["estimate", "--region", "qianjiang", "--identity", "tekun", "--identity", "severe_disability",
                "--care", "inpatient", "--self-pay", "40000", "--date", "2024-06-01",
                "--fact", "hospital_level=2", "--fact", "stay_policy_total=45000", "--fact", "special_disease=否",
                "--ytd-aid", "0"], "", tmp_path)
    assert proc.returncode == 0, proc.stderr
    est = engine.estimate({"region": "qianjiang", "identities": ["tekun", "severe_disability"], "care": "inpatient",
                           "self_pay": 40000, "date": "2024-06-01", "year_to_date": {"aid": 0},
                           "facts": {"hospital_level": 2, "stay_policy_total": "45000", "special_disease": False}})
    assert est.status == "paid"
    assert f"{int(est.assistance):,}" in proc.stdout
    assert "黔江府办发〔2023〕53号" in proc.stdout


def test_flags_bad_value_names_the_field_in_chinese_and_english(tmp_path):
    proc = run(["estimate", "--region", "guangxi", "--identity", "dibao", "--care", "inpatient",
                "--self-pay", "abc"], "", tmp_path)
    assert proc.returncode == 1
    assert "自付金额" in proc.stderr and "self_pay" in proc.stderr
    proc = run(["estimate", "--region", "mars", "--care", "inpatient", "--self-pay", "1"], "", tmp_path)
    assert proc.returncode == 1
    assert "地区" in proc.stderr and "region" in proc.stderr


def test_flags_unknown_fact_is_refused(tmp_path):
    proc = run(["estimate", "--region", "guangxi", "--identity", "dibao", "--care", "inpatient",
                "--self-pay", "100", "--fact", "shoe_size=42"], "", tmp_path)
    assert proc.returncode == 1
    assert "facts.shoe_size" in proc.stderr


def test_flags_missing_required(tmp_path):
    proc = run(["estimate", "--region", "guangxi"], "", tmp_path)
    assert proc.returncode == 2
    assert "--care" in proc.stderr and "--self-pay" in proc.stderr
