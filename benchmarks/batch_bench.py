"""Cadre's desk benchmark: a 10,000-row .xlsx roster through `jiuzhu batch IN.xlsx -o OUT.xlsx`
(the same code, in process), the same roster as CSV, and 100 applicant sheets to PDF.

    python benchmarks/batch_bench.py            # 10,000 rows, 100 sheets
    python benchmarks/batch_bench.py --quick    # 1,000 rows, 20 sheets (smoke test)

Goals (issue 15): 10,000-row xlsx roster in under 5 s; 100 sheets to PDF in under 10 s. The peak
memory of the roster run is printed too (rows are read and written one at a time, issue 17).
This is a benchmark, not a timed test: it prints figures and whether the goals are met, and exits 0.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import os
import random
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import engine  # noqa: E402
import openpyxl  # noqa: E402

from web import batch, sheet  # noqa: E402
from web.render import estimate_view  # noqa: E402

HEAD = ["序号", "姓名", "地区", "身份", "就医类型", "自付金额", "就医日期", "本年已自付", "是否特殊疾病", "医院等级"]
REGIONS = ["广西", "西藏", "安康", "乌鲁木齐", "黔江", "紫阳县"]
IDENTITIES = ["低保", "特困人员", "低保边缘", "低保、重度残疾人", "五保户", "", "因病致贫", "地保户"]
CARES = ["住院", "门诊慢特病", "重特大门诊", "普通门诊", "透析"]


def roster_rows(n: int, seed: int = 15) -> list[list]:
    rnd = random.Random(seed)
    rows = []
    for i in range(1, n + 1):
        amount = rnd.choice([rnd.randint(200, 300000), f"{rnd.randint(1, 30)}万", "两万多"])
        bad = rnd.random() < 0.02
        rows.append([i, f"编号{i}", "火星" if bad else rnd.choice(REGIONS), rnd.choice(IDENTITIES),
                     rnd.choice(CARES), amount, f"2024-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}",
                     rnd.choice(["", "", 5000]), rnd.choice(["", "是", "否"]), rnd.choice(["", 1, 2, 3])])
    return rows


def write_xlsx(path: Path, rows: list[list]) -> None:
    book = openpyxl.Workbook(write_only=True)
    ws = book.create_sheet("花名册")
    ws.append(HEAD)
    for row in rows:
        ws.append(row)
    book.save(path)


def run_cli(src: Path, out: Path) -> tuple[float, float, str]:
    """(wall seconds, CPU seconds of this process, the CLI's summary line). The CPU time is what
    the run costs on a core of its own; on a shared, loaded machine the wall time is larger."""
    err = io.StringIO()
    start, cpu = time.perf_counter(), time.process_time()
    with contextlib.redirect_stderr(err):
        batch.run_batch_cli(str(src), str(out))
    return time.perf_counter() - start, time.process_time() - cpu, err.getvalue().splitlines()[0]


def load() -> str:
    return f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"


def bench_roster(n: int, tmp: Path) -> None:
    rows = roster_rows(n)
    src = tmp / "roster.xlsx"
    write_xlsx(src, rows)
    engine.load_policies()
    run_cli(src, tmp / "warm.xlsx")          # loads the policies, the chat's lexicon and gazetteer once
    took, cpu, summary = run_cli(src, tmp / "out.xlsx")
    got = sum(1 for _ in openpyxl.load_workbook(tmp / "out.xlsx", read_only=True).worksheets[0].iter_rows()) - 1
    print(f"xlsx → xlsx: {n:,} rows in {took:.2f} s wall, {cpu:.2f} s CPU ({n / took:,.0f} rows/s wall); "
          f"rows out {got:,}; goal < 5 s: {'met' if took < 5 else 'NOT met'} ({load()})")
    print(f"  {summary}")
    csv_src = tmp / "roster.csv"
    csv_src.write_bytes("\n".join(",".join(str(c) for c in r) for r in [HEAD] + rows).encode("gb18030"))
    took, cpu, _ = run_cli(csv_src, tmp / "out.csv")
    print(f"GBK csv → csv: {n:,} rows in {took:.2f} s wall, {cpu:.2f} s CPU")
    tracemalloc.start()
    run_cli(src, tmp / "out2.xlsx")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"  peak Python memory of the xlsx run: {peak / 2**20:.1f} MiB "
          f"(process max RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB)")


def bench_sheets(n: int) -> None:
    cases = []
    for row in roster_rows(n * 2, seed=16):
        values = dict(zip(["", "", "region", "identities", "care", "self_pay", "date", "ytd_self_pay",
                           "special_disease", "hospital_level"], [str(c) for c in row]))
        case, errors, _ = batch.read_case({k: v for k, v in values.items() if k})
        if not errors:
            cases.append(engine.parse_case(case))
        if len(cases) == n:
            break
    start, cpu = time.perf_counter(), time.process_time()
    pdf = sheet.new_document()
    for case in cases:
        sheet.add_sheet(pdf, estimate_view(engine.estimate(case), case), "http://127.0.0.1:8000/cadre/case?c=1" + "x" * 140)
    data = sheet.to_bytes(pdf)
    took, cpu = time.perf_counter() - start, time.process_time() - cpu
    print(f"PDF: {len(cases)} sheets ({pdf.pages_count} pages, {len(data) / 1024:.0f} KiB) in {took:.2f} s wall, "
          f"{cpu:.2f} s CPU; goal 100 in < 10 s: {'met' if took * 100 / len(cases) < 10 else 'NOT met'} ({load()})")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        bench_roster(1000 if args.quick else 10_000, Path(tmp))
    bench_sheets(20 if args.quick else 100)
    return 0


if __name__ == "__main__":
    sys.exit(main())
