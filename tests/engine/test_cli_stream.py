"""`jiuzhu estimate --json` streamed: the same bytes in every mode, input order kept, answers written
while the input is still coming, memory bounded however long the input.

Issue 17: "read and write as they go, in any mode: peak RSS under 300 MB for 1,000,000 lines, output
in input order, workers used for big inputs, same bytes as one process." The 1M-line figure is
measured by benchmarks/cli_bench.py; here a smaller input shows the memory does not grow with it.
"""
from __future__ import annotations

import io
import json
import os
import random
import resource
import select
import subprocess
import sys
import time

import pytest

import engine
from jiuzhu import jsonl

NL = b"\n"
CLI = [sys.executable, "-m", "jiuzhu.cli", "estimate", "--json"]
PEOPLE = [
    {"region": "guangxi", "identities": ["dibao"], "care": "inpatient", "date": "2024-06-01"},
    {"region": "xizang", "identities": ["tekun"], "care": "inpatient", "date": "2024-06-01"},
    {"region": "qianjiang", "identities": ["dibao"], "care": "inpatient", "date": "2024-06-01",
     "facts": {"hospital_level": 2, "stay_policy_total": 40000}},
    {"region": "urumqi", "identities": ["dibao_edge"], "care": "outpatient_chronic", "date": "2024-06-01"},
    {"region": "ankang", "identities": ["tekun", "severe_disability"], "care": "inpatient", "date": "2024-06-01",
     "year_to_date": {"self_pay": 30000, "aid": 12000}},
]
BAD = [b"{broken", b'{"region": "guangxi", "care": "inpatient", "self_pay": -1}', b'{"region": "\xe5\xb9", "care": "inpatient"}',
       b'{"region": "nowhere", "care": "inpatient", "self_pay": 10}', b"[1, 2]"]


def _amount(i: int) -> str:
    return f"{(i * 7919) % 400_000 / 3:.2f}"


def mixed_input(count: int, seed: int = 17) -> tuple[bytes, list[int | None]]:
    """`count` lines: cases of the five people with other amounts, bad lines of five kinds, blank
    lines, CRLF line ends; and for each line the self_pay it asks about (None: bad or blank)."""
    rnd = random.Random(seed)
    lines, asked = [], []
    for i in range(count):
        roll = rnd.random()
        if roll < 0.03:
            lines.append(rnd.choice(BAD))
            asked.append(None)
        elif roll < 0.04:
            lines.append(rnd.choice([b"", b"   ", b"\t", "\u3000".encode()]))
            asked.append(None)
        else:
            case = {**PEOPLE[i % len(PEOPLE)], "self_pay": _amount(i)}
            text = json.dumps(case, ensure_ascii=False).encode()
            lines.append(text + b"\r" if roll > 0.98 else text)
            asked.append(i)
    return b"\n".join(lines) + b"\n", asked


def _run(args: list[str], data: bytes, tmp_path) -> subprocess.CompletedProcess:
    return subprocess.run(CLI + args, input=data, capture_output=True, cwd=tmp_path, timeout=300)


def test_same_bytes_in_every_mode_and_input_order_kept(tmp_path):
    """One process, two workers from the start, and the default (one process that fans out once
    the input proves big) write the same bytes, with the same exit status; each answer is for its
    own line, and each error names its line."""
    data, asked = mixed_input(3 * jsonl.MIN_LINES_PER_WORKER)
    runs = {
        "one": _run(["--jobs", "1"], data, tmp_path),
        "two": _run(["--jobs", "2"], data, tmp_path),
        "default": _run([], data, tmp_path),
    }
    for name, proc in runs.items():
        assert proc.returncode == 1, (name, proc.stderr[-2000:])
        assert proc.stderr == b"", (name, proc.stderr[-2000:])
    assert runs["two"].stdout == runs["one"].stdout
    assert runs["default"].stdout == runs["one"].stdout

    out = [json.loads(line) for line in runs["one"].stdout.splitlines()]
    raw = data.split(b"\n")[:-1]
    kept = [(n, line) for n, line in enumerate(raw, 1) if line.strip() and line.strip() != "\u3000".encode()]
    assert len(out) == len(kept)
    policies = engine.load_policies()
    for got, (number, line) in zip(out, kept):
        i = asked[number - 1]
        if i is None:
            assert set(got) == {"error"} and got["error"]["line"] == number, (number, line, got)
        else:
            case = {**PEOPLE[i % len(PEOPLE)], "self_pay": _amount(i)}
            assert got == json.loads(engine.estimate(case, policies=policies).model_dump_json()), number
    kinds = {got["error"]["message"].split(":")[0] for got in out if "error" in got}
    assert "not valid UTF-8 text" in kinds and "not valid JSON" in kinds


def test_a_big_input_is_fanned_out_to_workers(monkeypatch):
    """Without --jobs, the first MIN_LINES_PER_WORKER lines are answered in this process and the
    rest by one worker per core — decided while reading, not after reading everything."""
    data, _ = mixed_input(2 * jsonl.MIN_LINES_PER_WORKER)
    seen: list[tuple[int, int]] = []
    fan_out = jsonl._fan_out

    def spy(chunks, first, out, policies, strict, workers):
        seen.append((first, workers))
        return fan_out(chunks, first, out, policies, strict, workers)

    monkeypatch.setattr(jsonl, "_fan_out", spy)
    monkeypatch.setattr(jsonl, "cores", lambda: 2)
    small = io.BytesIO(data)
    chunks = jsonl.read_chunks(lambda n: small.read(min(n, 4096)))  # small reads: many chunks
    sink = _Sink()
    bad = jsonl.run(chunks, jsonl.Output(sink), engine.load_policies(), jobs=0)
    assert len(seen) == 1
    first, workers = seen[0]
    assert workers == 2 and jsonl.MIN_LINES_PER_WORKER < first < 2 * jsonl.MIN_LINES_PER_WORKER
    one = _Sink()
    small.seek(0)
    assert jsonl.run(jsonl.read_chunks(small.read), jsonl.Output(one), engine.load_policies(), jobs=1) == bad
    assert sink.buffer.getvalue() == one.buffer.getvalue() and bad > 0


class _Sink(io.StringIO):
    """A text stream with a byte buffer beneath, like sys.stdout."""

    def __init__(self) -> None:
        super().__init__()
        self.buffer = io.BytesIO()


def test_a_small_input_stays_in_one_process(monkeypatch):
    monkeypatch.setattr(jsonl, "_fan_out", lambda *a: pytest.fail("no workers for a small input"))
    monkeypatch.setattr(jsonl, "cores", lambda: 2)
    data, _ = mixed_input(jsonl.MIN_LINES_PER_WORKER // 2)
    src = io.BytesIO(data)
    sink = _Sink()
    assert jsonl.run(jsonl.read_chunks(src.read), jsonl.Output(sink), engine.load_policies()) > 0
    assert sink.buffer.getvalue().count(b"\n") > 0


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_answers_are_written_while_the_input_is_still_coming(tmp_path, jobs):
    """A producer that sends a few lines and waits gets their answers before it sends more."""
    proc = subprocess.Popen(CLI + ["--jobs", jobs], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, cwd=tmp_path)
    try:
        for round_ in range(3):
            batch = [{**PEOPLE[k], "self_pay": 1000 + round_ * 10 + k} for k in range(len(PEOPLE))]
            proc.stdin.write(b"".join(json.dumps(c).encode() + b"\n" for c in batch))
            proc.stdin.flush()
            got = _read_lines(proc.stdout, len(batch), timeout=60)
            assert [json.loads(g) for g in got] == [json.loads(engine.estimate(c).model_dump_json()) for c in batch]
        proc.stdin.close()
        assert proc.wait(timeout=60) == 0, proc.stderr.read()
    finally:
        proc.kill()
        proc.wait()


def _read_lines(stream, count: int, timeout: float) -> list[bytes]:
    fd = stream.fileno()
    buf = b""
    deadline = time.monotonic() + timeout
    while buf.count(b"\n") < count:
        left = deadline - time.monotonic()
        assert left > 0, f"only {buf.count(NL)} of {count} answers arrived while the input was open"
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            more = os.read(fd, 1 << 16)
            assert more, "the command ended early"
            buf += more
    return buf.splitlines()


def _peak_rss_mb(args: list[str], data_path, tmp_path) -> tuple[float, subprocess.CompletedProcess]:
    """Peak RSS (MB) of the biggest process the command ran (itself or a worker)."""
    script = ("import resource, subprocess, sys; "
              "p = subprocess.run(sys.argv[2:], stdin=open(sys.argv[1], 'rb'), stdout=subprocess.DEVNULL); "
              "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, p.returncode)")
    proc = subprocess.run([sys.executable, "-c", script, str(data_path), *CLI, *args], capture_output=True,
                          cwd=tmp_path, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    kb, status = proc.stdout.split()
    return int(kb) / 1024, status


LINES = 60_000
PAD = "x" * 3000


@pytest.mark.parametrize("jobs", [["--jobs", "1"], []])
def test_memory_does_not_grow_with_the_input(tmp_path, jobs):
    """60,000 lines make over 150 MB of input (each line padded with a field the engine ignores)
    and over 100 MB of answers: a command that read all its input first, or kept the answers until
    the end, would grow by that much. Streamed, its peak stays within a fixed margin of what it
    holds for a one-line input."""
    one_line = tmp_path / "one.jsonl"
    one_line.write_text(json.dumps({**PEOPLE[0], "self_pay": 5000}) + "\n")
    big = tmp_path / "big.jsonl"
    with open(big, "wb") as f:
        for i in range(LINES):
            f.write(json.dumps({**PEOPLE[i % len(PEOPLE)], "self_pay": _amount(i), "padding": PAD}).encode() + NL)
    sizes = [len(engine.estimate({**p, "self_pay": _amount(i)}).model_dump_json()) for i, p in enumerate(PEOPLE)]
    answers_mb = LINES * sum(sizes) / len(sizes) / 2**20
    assert answers_mb > 100 and big.stat().st_size > 150 * 2**20  # big enough for the test to tell
    base, _ = _peak_rss_mb(jobs, one_line, tmp_path)
    peak, status = _peak_rss_mb(jobs, big, tmp_path)
    assert status == b"0"
    assert peak < base + 80, f"peak {peak:.0f} MB vs {base:.0f} MB for one line ({answers_mb:.0f} MB of answers)"


def _run_in_process(data: bytes, read_size: int, jobs: int = 1) -> tuple[bytes, int]:
    src = io.BytesIO(data)
    sink = _Sink()
    bad = jsonl.run(jsonl.read_chunks(lambda n: src.read(min(n, read_size))), jsonl.Output(sink),
                    engine.load_policies(), jobs=jobs)
    return sink.buffer.getvalue(), bad


def test_how_the_input_is_cut_never_changes_the_answers():
    """Reads of 1, 7 or 4,096 bytes (a slow pipe, a fast one) cut the input anywhere, even inside a
    multi-byte character: the answers are the same bytes."""
    data, _ = mixed_input(300)
    data = data.replace(b'"inpatient"', '"inpatient", "看病": "住院"'.encode(), 5)  # multi-byte text in lines
    want = _run_in_process(data, 1 << 20)
    assert want[1] > 0 and want[0].count(NL) > 250
    for size in (1, 7, 4096):
        assert _run_in_process(data, size) == want, size


def test_a_line_longer_than_a_read_is_one_line():
    long = json.dumps({**PEOPLE[0], "self_pay": 1234, "padding": "x" * (3 * jsonl.CHUNK_BYTES)}).encode()
    data = b"\n".join([json.dumps({**PEOPLE[1], "self_pay": 99}).encode(), long, b"{broken"]) + NL
    out, bad = _run_in_process(data, jsonl.CHUNK_BYTES)
    got = [json.loads(line) for line in out.splitlines()]
    assert bad == 1 and len(got) == 3
    assert got[1] == json.loads(engine.estimate({**PEOPLE[0], "self_pay": 1234}).model_dump_json())
    assert got[2]["error"]["line"] == 3


def test_one_pretty_printed_case_after_blank_lines_and_one_that_is_not_alone():
    case = {**PEOPLE[2], "self_pay": 20000}
    pretty = json.dumps(case, indent=2, ensure_ascii=False).encode()
    out, bad = _run_in_process(b"\n\n" + pretty + b"\n\n", 5)
    assert bad == 0 and [json.loads(x) for x in out.splitlines()] == [
        json.loads(engine.estimate(case).model_dump_json())]
    # followed by another line it is not one document: each of its lines is read as a line
    out, bad = _run_in_process(pretty + NL + json.dumps(case).encode() + NL, 5)
    lines = [json.loads(x) for x in out.splitlines()]
    assert bad == len(lines) - 1 and "error" not in lines[-1] and lines[0]["error"]["line"] == 1
