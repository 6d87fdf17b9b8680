"""Engine benchmark: in-process estimates per second, and `jiuzhu estimate --json` against a parse-and-write floor.

    python benchmarks/engine_bench.py            # 20,000 mixed cases
    python benchmarks/engine_bench.py --quick    # 2,000 cases (smoke test)
    python benchmarks/engine_bench.py --profile  # also print the top cProfile hotspots of engine.estimate

Goals (issue 17, per CPU second on one core): ≥ 60,000 estimates/s with the full explanation, the
first pass with an empty memo ≥ 40,000/s; amounts only (explain=False) within 4× of a plain-Python
floor of the same arithmetic (广西 inpatient, given the category); the CLI's CPU time ≤ 2× that of
merely parsing the same input and writing the same amount of output, measured in the same run.
(Issue "Speed" before it: ≥ 20,000/s, the CLI within 3× on the wall clock.)
This is a benchmark, not a timed test: it prints figures and whether the goals are met, and exits 0.
"""
from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import json
import os
import pstats
import random
import subprocess
import sys
import tempfile
import textwrap
import time
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import engine  # noqa: E402
from engine.calc import estimate_case  # noqa: E402
from engine.case import parse_case  # noqa: E402
from engine.vocabulary import FACT_SPECS  # noqa: E402

GOAL_PER_SECOND = 60_000  # per CPU second, full explanation
GOAL_FIRST_PASS = 40_000  # per CPU second, empty memo
GOAL_AMOUNTS_RATIO = 4.0  # explain=False ÷ the plain-Python floor, CPU
GOAL_RATIO = 2.0  # CLI CPU ÷ parse-and-write floor CPU

# ------------------------------------------------------------------------------------ realistic cases

# who turns up, roughly: mostly one identity, some with two or three, a few with none
IDENTITY_WEIGHTS = {
    "dibao": 30, "tekun": 10, "dibao_edge": 10, "unstable_lifted": 6, "edge_poverty": 5, "sudden_hardship": 3,
    "returned_poverty": 4, "severe_disability": 8, "illness_poverty": 8, "orphan": 2, "hardship_worker": 3,
    "key_veteran": 3, "poor_student": 2,
}
CARE_WEIGHTS = {"inpatient": 60, "outpatient_chronic": 20, "outpatient_major": 12, "outpatient_general": 8}
# each region's first document in force (the policy files found), in the regions' order
REGION_START = {code: engine.load_policies().first_day(code)
                for code in engine.REGIONS}
DISABILITY_KINDS = list(FACT_SPECS["disability_kind"]["values"])


def _amount(rnd: random.Random) -> str:
    """Self-pay after insurance: most bills are a few thousand yuan, a long tail up to ~1,000,000."""
    value = min(rnd.lognormvariate(8.6, 1.3), 1_200_000)
    if rnd.random() < 0.03:
        value = 0
    return f"{value:.2f}"


def make_case(rnd: random.Random) -> dict:
    region = rnd.choice(list(REGION_START))
    count = rnd.choices([0, 1, 2, 3], weights=[5, 65, 25, 5])[0]
    identities: list[str] = []
    while len(identities) < count:
        code = rnd.choices(list(IDENTITY_WEIGHTS), weights=list(IDENTITY_WEIGHTS.values()))[0]
        if code not in identities:
            identities.append(code)
    care = rnd.choices(list(CARE_WEIGHTS), weights=list(CARE_WEIGHTS.values()))[0]
    start = REGION_START[region] - dt.timedelta(days=60)  # a few dates before the document
    day = start + dt.timedelta(days=rnd.randrange(0, (dt.date(2027, 12, 31) - start).days))
    case: dict = {"region": region, "identities": identities, "care": care, "self_pay": float(_amount(rnd)),
                  "date": day.isoformat()}
    if rnd.random() < 0.35:
        ytd = {"self_pay": float(_amount(rnd))}
        if rnd.random() < 0.6:
            ytd["aid"] = round(rnd.uniform(0, 40_000), 2)
        if rnd.random() < 0.2:
            ytd["tilt_aid"] = round(rnd.uniform(0, 20_000), 2)
        case["year_to_date"] = ytd
    facts: dict = {}
    if "severe_disability" in identities and rnd.random() < 0.7:
        facts["disability_grade"] = rnd.randint(1, 4)
        if rnd.random() < 0.5:
            facts["disability_kind"] = rnd.choice(DISABILITY_KINDS)
    if region == "qianjiang" and rnd.random() < 0.7:
        facts["special_disease"] = rnd.random() < 0.3
        if care == "inpatient" and rnd.random() < 0.8:
            facts["hospital_level"] = rnd.randint(1, 3)
            facts["stay_policy_total"] = round(case["self_pay"] * rnd.uniform(1.5, 4), 2)
    if rnd.random() < 0.3:
        facts["where"] = rnd.choice(["local", "in_province", "out_of_province"])
        facts["referred"] = rnd.random() < 0.6
    if "illness_poverty" in identities and rnd.random() < 0.5:
        facts["family_income"] = round(rnd.uniform(10_000, 200_000), 2)
        facts["family_size"] = rnd.randint(1, 6)
    if "dibao_edge" in identities and rnd.random() < 0.5:
        facts["age"] = rnd.randint(1, 90)
    if "key_veteran" in identities and rnd.random() < 0.5:
        facts["insurance_tier"] = rnd.randint(1, 2)
        facts["veteran_kind"] = rnd.choice(["martyr_family", "demobilized", "other"])
    if facts:
        case["facts"] = facts
    return case


def make_cases(n: int, seed: int = 20240601) -> list[dict]:
    rnd = random.Random(seed)
    return [make_case(rnd) for _ in range(n)]


# ------------------------------------------------------------------------------------ measurements


def _one_core() -> str:
    try:
        cpu = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
        return f"pinned to CPU {cpu}"
    except (AttributeError, OSError):
        return "not pinned (no sched_setaffinity)"


def _best_rate(fn, runs: list[list]) -> tuple[float, float, float]:
    """Best items/s (wall) over the runs, the seconds of that run, and the best items per CPU second."""
    best = 0.0
    best_s = 0.0
    best_cpu = 0.0
    for items in runs:
        c0 = time.process_time()
        t0 = time.perf_counter()
        fn(items)
        took = time.perf_counter() - t0
        cpu = time.process_time() - c0
        rate = len(items) / took
        if rate > best:
            best, best_s = rate, took
        best_cpu = max(best_cpu, len(items) / cpu if cpu > 0 else 0.0)
    return best, best_s, best_cpu


def new_bills(cases: list[dict], seed: int) -> list[dict]:
    """The same people (region, identities, care, facts, date) with other bills: what a running
    service sees once it has met these kinds of people."""
    rnd = random.Random(seed)
    out = []
    for case in cases:
        case = {**case, "self_pay": float(_amount(rnd))}
        if "year_to_date" in case:
            case["year_to_date"] = {k: float(_amount(rnd)) if k == "self_pay" else round(rnd.uniform(0, 40_000), 2)
                                    for k in case["year_to_date"]}
        out.append(case)
    return out


def in_process(cases: list[dict], repeat: int) -> dict:
    """Each measurement is the best of `repeat` runs. "cold" starts every run with an empty memo;
    the others run over new bills of the same people each time (the memo knows the people, not
    the amounts, and no amount repeats from one run to the next)."""
    policies = engine.load_policies()

    def with_dicts(items):
        for case in items:
            engine.estimate(case, policies=policies)

    def with_cases(items):
        for case in items:
            estimate_case(case, policies)

    def with_json(items):
        for case in items:
            engine.estimate(case, policies=policies).model_dump_json()

    def without_words(items):
        for case in items:
            engine.estimate(case, policies=policies, explain=False)

    def parse_only(items):
        for case in items:
            parse_case(case)

    def first_pass(items):
        for region in policies.regions.values():
            region.clear_memo()  # nobody seen yet: every kind of person is decided afresh once
        with_dicts(items)

    cold = _best_rate(first_pass, [cases] * repeat)
    runs = iter(range(1, 1_000_000))

    def bills() -> list[list[dict]]:
        return [new_bills(cases, seed=next(runs)) for _ in range(repeat)]

    return {
        "cold": cold,
        "dict": _best_rate(with_dicts, bills()),
        "case": _best_rate(with_cases, [[parse_case(c) for c in run] for run in bills()]),
        "dict+json": _best_rate(with_json, bills()),
        "parse": _best_rate(parse_only, bills()),
    } | ({"bare": _best_rate(without_words, bills())} if _has_explain() else {})


def _has_explain() -> bool:
    import inspect

    return "explain" in inspect.signature(engine.estimate).parameters


def floor_cases(cases: list[dict], policies) -> list[tuple[dict, object]]:
    """广西 inpatient cases of one identity and no stated facts, in force, each with the claim rule of
    the category the engine chose (the floor is given the category, as the OpenFisca anchor is)."""
    region = policies.regions["guangxi"]
    tiers = {t.tier: t for t in region.tiers}
    out = []
    for case in cases:
        if case["region"] != "guangxi" or case["care"] != "inpatient" or len(case["identities"]) != 1 \
                or "facts" in case or dt.date.fromisoformat(case["date"]) < region.document.effective_from:
            continue
        est = engine.estimate(case, policies=policies, explain=False)
        if est.category is not None:
            claim = next(c for c in tiers[est.category.tier].claims if "inpatient" in c.care)
            out.append((case, claim))
    return out


FEN, ZERO = Decimal("0.01"), Decimal(0)


def _fen(value: Decimal) -> Decimal:
    return value.quantize(FEN, ROUND_HALF_UP)  # the floor's own rounding: it shares no code with the engine


def _money_of(value) -> Decimal:
    return _fen(Decimal(repr(value)) if isinstance(value, float) else Decimal(value))


def plain_amount(case: dict, claim) -> Decimal:
    """The plain-Python floor of an amounts-only answer: deductible left after the year's self-pay,
    the rate, the annual limit left after the year's aid, half-up to the fen (the claim's figures
    come from policies/guangxi.yaml through the loaded policies)."""
    ytd = case.get("year_to_date", {})
    self_pay, ytd_self_pay, ytd_aid = (_money_of(case["self_pay"]), _money_of(ytd.get("self_pay", 0)),
                                       _money_of(ytd.get("aid", 0)))
    to_meet = max(ZERO, claim.deductible - ytd_self_pay)
    base = max(ZERO, self_pay - to_meet)
    return _fen(min(claim.rate * base, max(ZERO, claim.cap - ytd_aid)))


def amounts_floor(cases: list[dict], repeat: int) -> dict:
    """estimate(dict, explain=False) against plain_amount over the same 广西 inpatient people, each
    round new bills of them (ten sets), measured in turns so a busy moment of the machine slows both
    alike; every amount of the first round is checked against the floor's."""
    policies = engine.load_policies()
    pairs = floor_cases(cases, policies)

    def bills(seed: int) -> list[tuple[dict, object]]:
        return [(case, claim) for k in range(10)
                for case, claim in zip(new_bills([c for c, _ in pairs], seed * 10 + k), (c for _, c in pairs))]

    rounds = [bills(seed) for seed in range(1, repeat + 1)]
    agree = sum(engine.estimate(c, policies=policies, explain=False).assistance == plain_amount(c, claim)
                for c, claim in rounds[0])

    def by_engine(items):
        for c, _ in items:  # answers are dropped as made, as the CLI does: a list of them would be the GC's work
            engine.estimate(c, policies=policies, explain=False)

    def by_floor(items):
        for c, claim in items:
            plain_amount(c, claim)

    rates = [(_best_rate(by_engine, [run]), _best_rate(by_floor, [run])) for run in rounds]
    engine_rate = max((r[0] for r in rates), key=lambda r: r[2])
    floor_rate = max((r[1] for r in rates), key=lambda r: r[2])
    return {"n": len(rounds[0]), "agree": agree, "engine": engine_rate, "floor": floor_rate}


FLOOR_SCRIPT = textwrap.dedent('''
    import json, sys
    template = json.loads(sys.argv[1])
    out = sys.stdout
    buf = []
    for line in sys.stdin:
        if not line.strip():
            continue
        case = json.loads(line)
        template["region"] = case.get("region")
        buf.append(json.dumps(template, ensure_ascii=False))
        if len(buf) >= 512:
            out.write("\\n".join(buf) + "\\n")
            buf.clear()
    if buf:
        out.write("\\n".join(buf) + "\\n")
''')


def _children_cpu() -> float:
    try:
        import resource

        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return usage.ru_utime + usage.ru_stime
    except ImportError:  # not on this platform: CPU time unknown
        return float("nan")


def _run_wall(cmd: list[str], stdin_path: Path, stdout_path: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one subprocess run."""
    with open(stdin_path, "rb") as fin, open(stdout_path, "wb") as fout:
        cpu0 = _children_cpu()
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, stdin=fin, stdout=fout, stderr=subprocess.PIPE, cwd=tempfile.gettempdir())
        took = time.perf_counter() - t0
        cpu = _children_cpu() - cpu0
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{cmd} failed ({proc.returncode}): {proc.stderr.decode()[-2000:]}")
    return took, cpu


def cli_vs_floor(cases: list[dict], repeat: int) -> dict:
    sample = [json.loads(engine.estimate(c).model_dump_json()) for c in cases[:200]]
    sizes = sorted(len(json.dumps(s, ensure_ascii=False)) for s in sample)
    median = sizes[len(sizes) // 2]
    template = min(sample, key=lambda s: abs(len(json.dumps(s, ensure_ascii=False)) - median))
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        data = tmp_path / "cases.jsonl"
        data.write_text("\n".join(json.dumps(c, ensure_ascii=False) for c in cases) + "\n", encoding="utf-8")
        floor_py = tmp_path / "floor.py"
        floor_py.write_text(FLOOR_SCRIPT, encoding="utf-8")
        commands = {
            "cli": [sys.executable, "-m", "jiuzhu.cli", "estimate", "--json"],
            "cli1": [sys.executable, "-m", "jiuzhu.cli", "estimate", "--json", "--jobs", "1"],
            "floor": [sys.executable, str(floor_py), json.dumps(template, ensure_ascii=False)],
        }
        times: dict[str, list] = {name: [] for name in commands}
        for _ in range(repeat):  # interleaved, same run
            for name, cmd in commands.items():
                times[name].append(_run_wall(cmd, data, tmp_path / f"{name}.out"))
        cli_out = (tmp_path / "cli.out").read_bytes()
        same = cli_out == (tmp_path / "cli1.out").read_bytes()
        floor_out = (tmp_path / "floor.out").read_bytes()
    from jiuzhu.jsonl import workers_for

    result = {name: (min(w for w, _ in runs), min(c for _, c in runs)) for name, runs in times.items()}
    return {
        **result, "workers": workers_for(len(cases)), "same_output": same,
        "cli_lines": cli_out.count(b"\n"), "errors": sum(1 for line in cli_out.splitlines() if line.startswith(b'{"error"')),
        "cli_bytes": len(cli_out), "floor_bytes": len(floor_out), "input_bytes": data_size(cases),
    }


def data_size(cases: list[dict]) -> int:
    return sum(len(json.dumps(c, ensure_ascii=False).encode()) + 1 for c in cases)


def profile(cases: list[dict], top: int = 25) -> str:
    policies = engine.load_policies()
    prof = cProfile.Profile()
    prof.enable()
    for case in cases:
        engine.estimate(case, policies=policies)
    prof.disable()
    out = io.StringIO()
    stats = pstats.Stats(prof, stream=out).strip_dirs().sort_stats("tottime")
    stats.print_stats(top)
    out.write("\n--- by cumulative time ---\n")
    stats.sort_stats("cumulative").print_stats(top)
    return out.getvalue()


# ------------------------------------------------------------------------------------ main


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="2,000 cases instead of 20,000")
    ap.add_argument("-n", type=int, default=None, help="number of cases")
    ap.add_argument("--repeat", type=int, default=None, help="runs per measurement (best is kept)")
    ap.add_argument("--profile", action="store_true", help="print cProfile hotspots of engine.estimate")
    args = ap.parse_args(argv)
    n = args.n or (2_000 if args.quick else 20_000)
    repeat = args.repeat or (1 if args.quick else 5)

    cases = make_cases(n)
    mix_regions = {r: sum(1 for c in cases if c["region"] == r) for r in REGION_START}
    statuses: dict[str, int] = {}
    for c in cases[:2000]:
        s = engine.estimate(c).status
        statuses[s] = statuses.get(s, 0) + 1
    print(f"engine benchmark — {n:,} seeded mixed cases, Python {sys.version.split()[0]}")
    print(f"  regions: {mix_regions}")
    print(f"  statuses (first 2,000): {statuses}")

    # the CLI and the floor first (subprocesses, before pinning this process)
    cli = cli_vs_floor(cases, repeat)
    pin = _one_core()
    rates = in_process(cases, repeat)
    print(f"\nin-process, one core ({pin}), best of {repeat}:")
    for key, label in (("dict", "engine.estimate(dict)"), ("cold", "engine.estimate(dict), first pass [memo empty]"),
                       ("case", "calc.estimate_case(Case)   [pre-parsed]"),
                       ("dict+json", "estimate(dict) + model_dump_json()"), ("parse", "parse_case(dict) only"),
                       ("bare", "estimate(dict, explain=False)  [no words]")):
        if key not in rates:
            continue
        rate, took, per_cpu = rates[key]
        print(f"  {label:<46} {rate:>10,.0f} /s   ({took:.2f} s wall; {per_cpu:,.0f} per CPU second)")
    per_cpu, first_cpu = rates["dict"][2], rates["cold"][2]
    print(f"  goal ≥ {GOAL_PER_SECOND:,} per CPU second: {'MET' if per_cpu >= GOAL_PER_SECOND else 'NOT MET'} "
          f"({per_cpu / GOAL_PER_SECOND:.2f}× of goal); first pass ≥ {GOAL_FIRST_PASS:,}: "
          f"{'MET' if first_cpu >= GOAL_FIRST_PASS else 'NOT MET'} ({first_cpu / GOAL_FIRST_PASS:.2f}×)")
    floor = amounts_floor(cases, repeat)
    times = floor["floor"][2] / floor["engine"][2]
    print(f"\namounts only vs a plain-Python floor (广西 inpatient, one identity, {floor['n']:,} bills a round, "
          f"{floor['agree']:,} agree):")
    print(f"  estimate(dict, explain=False) {floor['engine'][2]:>10,.0f} per CPU second "
          f"({1e6 / floor['engine'][2]:.1f} µs)")
    print(f"  plain_amount(dict)            {floor['floor'][2]:>10,.0f} per CPU second "
          f"({1e6 / floor['floor'][2]:.1f} µs)")
    print(f"  goal within {GOAL_AMOUNTS_RATIO:.0f}×: {'MET' if times <= GOAL_AMOUNTS_RATIO else 'NOT MET'} ({times:.1f}×)")

    floor_wall, floor_cpu = cli["floor"]
    print(f"\nCLI `python -m jiuzhu.cli estimate --json` vs parse-and-write floor, same run, best of {repeat}:")
    print(f"  input {cli['input_bytes'] / 1e6:.1f} MB; CLI wrote {cli['cli_lines']:,} lines "
          f"({cli['cli_bytes'] / 1e6:.1f} MB, {cli['errors']} errors); floor wrote {cli['floor_bytes'] / 1e6:.1f} MB")
    print(f"  {'':<34} {'wall':>7} {'CPU':>7} {'÷ floor (wall)':>15} {'÷ floor (CPU)':>14}")
    rows = (("cli", f"CLI, default ({cli['workers']} process{'es' if cli['workers'] > 1 else ''})"),
            ("cli1", "CLI --jobs 1 (one process)"), ("floor", "floor: parse and write only"))
    for key, label in rows:
        wall, cpu = cli[key]
        print(f"  {label:<34} {wall:>6.2f}s {cpu:>6.2f}s {wall / floor_wall:>14.2f}× {cpu / floor_cpu:>13.2f}×")
    ratio = min(cli["cli"][1], cli["cli1"][1]) / floor_cpu
    print(f"  goal ≤ {GOAL_RATIO:.0f}× the floor's CPU time: {'MET' if ratio <= GOAL_RATIO else 'NOT MET'} "
          f"({cli['cli'][1] / floor_cpu:.2f}× with workers, {cli['cli1'][1] / floor_cpu:.2f}× one process; "
          f"wall {cli['cli'][0] / floor_wall:.2f}× / {cli['cli1'][0] / floor_wall:.2f}×)")
    print(f"  workers and one process wrote the same bytes: {'yes' if cli['same_output'] else 'NO'}")
    try:
        load = os.getloadavg()[0]
        cores = os.cpu_count() or 1
        if load > cores:
            print(f"  note: load average {load:.1f} on {cores} cores — figures are pessimistic; rerun on an idle machine")
    except OSError:
        pass

    if args.profile:
        print("\ncProfile of engine.estimate over the same cases:")
        print(profile(cases[: min(n, 5000)]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
