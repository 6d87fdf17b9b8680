"""CLI benchmark: `jiuzhu estimate --json` streamed over a big input — wall, CPU and peak memory,
one process and with workers — against a parse-and-write floor, in the same run.

    python benchmarks/cli_bench.py                 # 200,000 lines (ratios)
    python benchmarks/cli_bench.py -n 1000000      # the 1M-line memory figure
    python benchmarks/cli_bench.py --quick         # 20,000 lines (smoke test)

Goals (issue 17): peak memory under 300 MB for 1,000,000 lines in every mode, the same bytes with
workers as one process, and the CLI's CPU time ≤ 2× the floor's. The floor reads each line with
json.loads and writes an answer of the median size with json.dumps: what any program that reads
these lines and writes these answers must spend, without the engine. "engine only" is the same
cases through engine.estimate + to_json in one process (no I/O, no start-up), so what the CLI adds
on top of the engine can be told apart from the engine's own cost.

Memory is sampled every 20 ms over the process and its workers: PSS (each shared page counted once,
split between the processes sharing it — what the tree really holds) and the sum of RSS (shared pages
counted in every process — an upper bound). This is a benchmark, not a timed test: it prints figures
and whether the goals are met, and exits 0.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import engine  # noqa: E402
from engine_bench import FLOOR_SCRIPT, make_cases  # noqa: E402  (the same cases and floor as engine_bench)

GOAL_RSS_MB = 300
GOAL_CPU_RATIO = 2.0
SAMPLE_S = 0.02


def _tree(pid: int) -> list[int]:
    """pid and its descendants, from /proc."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            with open(f"/proc/{p}/task/{p}/children") as f:
                todo.extend(int(c) for c in f.read().split())
        except OSError:
            pass
    return out


def _memory_kb(pid: int) -> tuple[int, int]:
    """(PSS, RSS) of one process in kB, 0 when it is gone."""
    pss = rss = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    pss = int(line.split()[1])
                elif line.startswith("Rss:"):
                    rss = int(line.split()[1])
    except OSError:
        pass
    return pss, rss


class Sampler(threading.Thread):
    """Peak PSS and summed RSS of a process tree while it runs."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak_pss, self.peak_rss, self.most_procs = pid, 0, 0, 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            procs = _tree(self.pid)
            pss = rss = 0
            for p in procs:
                a, b = _memory_kb(p)
                pss, rss = pss + a, rss + b
            self.peak_pss, self.peak_rss = max(self.peak_pss, pss), max(self.peak_rss, rss)
            self.most_procs = max(self.most_procs, len(procs))
            self.done.wait(SAMPLE_S)


def _children_cpu() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_once(cmd: list[str], stdin_path: Path, stdout_path: Path) -> dict:
    with open(stdin_path, "rb") as fin, open(stdout_path, "wb") as fout:
        cpu0 = _children_cpu()
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdin=fin, stdout=fout, stderr=subprocess.PIPE, cwd=tempfile.gettempdir())
        sampler = Sampler(proc.pid)
        sampler.start()
        _, err = proc.communicate()
        took = time.perf_counter() - t0
        sampler.done.set()
        sampler.join()
        cpu = _children_cpu() - cpu0
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{cmd} failed ({proc.returncode}): {err.decode()[-2000:]}")
    return {"wall": took, "cpu": cpu, "pss_mb": sampler.peak_pss / 1024, "rss_mb": sampler.peak_rss / 1024,
            "procs": sampler.most_procs, "status": proc.returncode}


def write_input(path: Path, n: int, distinct: int) -> None:
    """n lines: `distinct` seeded mixed cases repeated (making a million distinct cases would cost
    more than the run), with a bad line every 997th."""
    cases = [json.dumps(c, ensure_ascii=False) for c in make_cases(distinct)]
    with open(path, "w", encoding="utf-8") as f:
        for i in range(n):
            f.write('{"region": "guangxi", "self_pay": -1}\n' if i % 997 == 500 else cases[i % distinct] + "\n")


def engine_only(path: Path, limit: int) -> dict:
    """CPU seconds per line, in this process (no I/O, no start-up), of reading a Case from its JSON
    line, estimating it and writing the Estimate as JSON — what the CLI asks of the engine."""
    from engine.calc import estimate_case
    from engine.case import Estimate, parse_case_json

    policies = engine.load_policies()
    to_json = Estimate.__pydantic_serializer__.to_json
    with open(path, "rb") as f:
        lines = [line for _, line in zip(range(limit), f) if b'"self_pay": -1' not in line]
    for line in lines[: len(lines) // 10]:  # warm the memo as a long run would
        estimate_case(parse_case_json(line), policies)
    c0 = time.process_time()
    cases = [parse_case_json(line) for line in lines]
    c1 = time.process_time()
    answers = [estimate_case(case, policies) for case in cases]
    c2 = time.process_time()
    for answer in answers:
        to_json(answer)
    c3 = time.process_time()
    n = len(lines)
    return {"parse": (c1 - c0) / n, "estimate": (c2 - c1) / n, "to_json": (c3 - c2) / n}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=200_000, help="input lines")
    ap.add_argument("--quick", action="store_true", help="20,000 lines")
    ap.add_argument("--distinct", type=int, default=20_000, help="distinct cases in the input")
    ap.add_argument("--repeat", type=int, default=1, help="runs per command (best is kept)")
    args = ap.parse_args(argv)
    n = 20_000 if args.quick else args.n
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        data = tmp_path / "cases.jsonl"
        write_input(data, n, min(args.distinct, n))
        sample = [json.loads(engine.estimate(c).model_dump_json()) for c in make_cases(200)]
        sizes = sorted(len(json.dumps(s, ensure_ascii=False)) for s in sample)
        template = min(sample, key=lambda s: abs(len(json.dumps(s, ensure_ascii=False)) - sizes[len(sizes) // 2]))
        floor_py = tmp_path / "floor.py"
        floor_py.write_text(FLOOR_SCRIPT, encoding="utf-8")
        cli = [sys.executable, "-m", "jiuzhu.cli", "estimate", "--json"]
        commands = {
            "workers": (cli, "CLI, default (workers once big)"),
            "jobs1": (cli + ["--jobs", "1"], "CLI --jobs 1 (one process)"),
            "floor": ([sys.executable, str(floor_py), json.dumps(template, ensure_ascii=False)],
                      "floor: parse and write only"),
        }
        best: dict[str, dict] = {}
        for _ in range(args.repeat):  # interleaved, same run
            for name, (cmd, _) in commands.items():
                got = run_once(cmd, data, tmp_path / f"{name}.out")
                if name not in best or got["cpu"] < best[name]["cpu"]:
                    best[name] = got
        same = (tmp_path / "workers.out").read_bytes() == (tmp_path / "jobs1.out").read_bytes()
        out_bytes = (tmp_path / "jobs1.out").stat().st_size
        lines_out = sum(1 for _ in open(tmp_path / "jobs1.out", "rb"))
        per_line = engine_only(data, min(n, 20_000))
        in_mb = data.stat().st_size / 1e6
    floor = best["floor"]
    print(f"CLI benchmark — {n:,} lines ({in_mb:.0f} MB in, {out_bytes / 1e6:.0f} MB out, {lines_out:,} lines), "
          f"best of {args.repeat}, Python {sys.version.split()[0]}, {os.cpu_count()} cores")
    print(f"  {'':<34} {'wall':>7} {'CPU':>7} {'CPU ÷ floor':>12} {'peak PSS':>9} {'ΣRSS':>7} {'procs':>5}")
    for name, (_, label) in commands.items():
        r = best[name]
        print(f"  {label:<34} {r['wall']:>6.2f}s {r['cpu']:>6.2f}s {r['cpu'] / floor['cpu']:>11.2f}× "
              f"{r['pss_mb']:>6.0f} MB {r['rss_mb']:>4.0f} MB {r['procs']:>5}")
    engine_cpu = sum(per_line.values()) * n
    floor_line = floor["cpu"] / n
    print(f"  the engine's part, in process: parse_case_json {per_line['parse'] * 1e6:.1f} µs + estimate_case "
          f"{per_line['estimate'] * 1e6:.1f} µs + Estimate to JSON {per_line['to_json'] * 1e6:.1f} µs per line "
          f"(floor: {floor_line * 1e6:.1f} µs per line in all) → {engine_cpu:.2f} s CPU for {n:,} lines = "
          f"{engine_cpu / floor['cpu']:.2f}× the floor by itself (estimate_case alone "
          f"{per_line['estimate'] * n / floor['cpu']:.2f}×)")
    for name in ("jobs1", "workers"):
        r = best[name]
        print(f"  {commands[name][1]}: the CLI's own cost beyond the engine ≈ {r['cpu'] - engine_cpu:.2f} s CPU "
              f"({(r['cpu'] - engine_cpu) / floor['cpu']:.2f}× the floor)")
    peak = max(best[k]["pss_mb"] for k in ("jobs1", "workers"))
    ratio = min(best[k]["cpu"] for k in ("jobs1", "workers")) / floor["cpu"]
    print(f"  goal peak memory < {GOAL_RSS_MB} MB: {'MET' if peak < GOAL_RSS_MB else 'NOT MET'} ({peak:.0f} MB PSS)")
    print(f"  goal CPU ≤ {GOAL_CPU_RATIO:.0f}× floor: {'MET' if ratio <= GOAL_CPU_RATIO else 'NOT MET'} "
          f"({ratio:.2f}× best mode)")
    print(f"  workers and one process wrote the same bytes: {'yes' if same else 'NO'}; "
          f"exit status {best['jobs1']['status']} / {best['workers']['status']}")
    load = os.getloadavg()[0]
    if load > (os.cpu_count() or 1):
        print(f"  note: load average {load:.1f} — figures are pessimistic; rerun on an idle machine")
    return 0


if __name__ == "__main__":
    sys.exit(main())
