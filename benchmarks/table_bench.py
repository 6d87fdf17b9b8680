"""Population path benchmark: engine.table.estimate_table over a million cases, its agreement with
engine.estimate, and an OpenFisca encoding of 广西 inpatient side by side in the same run.

    python benchmarks/table_bench.py              # 1,000,000 rows each
    python benchmarks/table_bench.py -n 100000    # smaller
    python benchmarks/table_bench.py --no-openfisca

Goal (issue 17): ≥ 1,000,000 cases/s, agreeing with `estimate` case by case. Two populations:
  * 广西 inpatient: people with one identity, bills and year-to-date amounts drawn at random — the
    anchor, computed also by benchmarks/openfisca_anchor/guangxi_inpatient.py (needs the `bench`
    extra: pip install -e '.[bench]');
  * mixed: the kinds of person of benchmarks/engine_bench.py (all regions and care types) with new
    bills — where 西藏's two tiers, 倾斜救助 and the rest the table leaves to the engine show.
Agreement with engine.estimate is checked on a seeded sample (--check rows) of each population;
the anchor against the table on every row. Prints figures and exits 0.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import engine  # noqa: E402
from engine import table  # noqa: E402
from engine.money import HUNDRED  # noqa: E402
from engine_bench import make_cases  # noqa: E402

GOAL = 1_000_000


def _bills(rng: np.random.Generator, n: int) -> dict:
    """Self-pay (lognormal, a few thousand yuan, long tail) and year-to-date amounts in fen."""
    self_pay = np.minimum(np.round(rng.lognormal(8.6, 1.3, n) * 100), 120_000_000).astype(np.int64)
    has_ytd = rng.random(n) < 0.35
    return {
        "self_pay": self_pay,
        "ytd_self_pay": np.where(has_ytd, rng.integers(0, 5_000_000, n), 0).astype(np.int64),
        "ytd_aid": np.where(has_ytd & (rng.random(n) < 0.6), rng.integers(0, 4_000_000, n), 0).astype(np.int64),
        "ytd_tilt_aid": np.where(has_ytd & (rng.random(n) < 0.2), rng.integers(0, 2_000_000, n), 0).astype(np.int64),
    }


def mixed(n: int, seed: int, people: int = 5_000) -> dict:
    """n rows of `people` kinds of person (engine_bench's mix) with new bills."""
    kinds = table.table_from_cases(make_cases(people, seed=seed))
    rng = np.random.default_rng(seed)
    pick = rng.integers(0, people, n)
    cols = {name: kinds[name][pick] for name in ("region", "care", "identities", "date")}
    cols["facts"] = {name: values[pick] for name, values in kinds["facts"].items()}
    return cols | _bills(rng, n)


def guangxi_inpatient(n: int, seed: int) -> tuple[dict, list[str]]:
    from openfisca_anchor.guangxi_inpatient import TIER_OF_IDENTITY

    rng = np.random.default_rng(seed)
    names = sorted(TIER_OF_IDENTITY)
    identity = [names[i] for i in rng.integers(0, len(names), n)]
    masks = np.array([table.identity_mask([code]) for code in names], dtype=np.int64)
    cols = {"region": np.full(n, "guangxi"), "care": np.full(n, "inpatient"),
            "identities": masks[[names.index(i) for i in identity]],
            "date": np.full(n, np.datetime64("2024-06-01", "D")), "facts": {}}
    return cols | _bills(rng, n), identity


def _case(cols: dict, i: int) -> dict:
    return table._row_case(cols, i)


def agreement(cols: dict, got: table.Table, sample: np.ndarray, policies) -> tuple[int, int]:
    same = 0
    for i in sample.tolist():
        est = engine.estimate(_case(cols, i), policies=policies, explain=False)
        mine = (int(got.assistance_fen[i]), got.category_of(i), table.SETTLEMENTS[got.settlement[i]])
        same += mine == (int(est.assistance * HUNDRED), est.category, est.settlement)
    return same, len(sample)


def timed(fn):
    c0, t0 = time.process_time(), time.perf_counter()
    result = fn()
    return result, time.perf_counter() - t0, time.process_time() - c0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=1_000_000)
    ap.add_argument("--check", type=int, default=20_000, help="rows compared with engine.estimate")
    ap.add_argument("--no-openfisca", action="store_true")
    args = ap.parse_args(argv)
    policies = engine.load_policies()
    rng = np.random.default_rng(1)
    print(f"population path benchmark — {args.n:,} rows each, Python {sys.version.split()[0]}")

    gx, identity = guangxi_inpatient(args.n, seed=2)
    table.estimate_table({k: (v[:1000] if k != "facts" else v) for k, v in gx.items()}, policies)  # warm
    got, wall, cpu = timed(lambda: table.estimate_table(gx, policies))
    same, checked = agreement(gx, got, rng.choice(args.n, min(args.check, args.n), replace=False), policies)
    print(f"\n广西 inpatient: estimate_table {args.n / wall:,.0f} cases/s wall, {args.n / cpu:,.0f} per CPU second "
          f"({wall:.2f} s wall, {cpu:.2f} s CPU); by the engine one by one: {got.engine_rows:,}")
    print(f"  agrees with engine.estimate on {same:,} of {checked:,} sampled rows")
    print(f"  goal ≥ {GOAL:,}/s: {'MET' if args.n / wall >= GOAL else 'NOT MET'} on wall clock, "
          f"{'MET' if args.n / cpu >= GOAL else 'NOT MET'} per CPU second (wall > CPU: other load on the machine)")
    if not args.no_openfisca:
        _openfisca(gx, identity, got, wall, cpu)

    mx = mixed(args.n, seed=3)
    got, wall, cpu = timed(lambda: table.estimate_table(mx, policies))
    same, checked = agreement(mx, got, rng.choice(args.n, min(args.check, args.n), replace=False), policies)
    share = 1 - got.engine_rows / args.n
    print(f"\nmixed (all regions and care types): estimate_table {args.n / wall:,.0f} cases/s wall, "
          f"{args.n / cpu:,.0f} per CPU second ({wall:.2f} s wall); vectorised {share:.1%} of rows, "
          f"{got.engine_rows:,} by the engine one by one")
    print(f"  agrees with engine.estimate on {same:,} of {checked:,} sampled rows")
    fast = ~_engine_mask(mx, got)
    sub = _subset(mx, fast)
    got_fast, wall_fast, cpu_fast = timed(lambda: table.estimate_table(sub, policies))
    print(f"  the vectorised rows alone ({int(fast.sum()):,}): {fast.sum() / wall_fast:,.0f} cases/s wall, "
          f"{fast.sum() / cpu_fast:,.0f} per CPU second ({got_fast.engine_rows:,} of them by the engine when alone)")
    return 0


def _engine_mask(cols: dict, got: table.Table) -> np.ndarray:
    """Which rows the table left to the engine (recomputed the way estimate_table decides)."""
    policies = engine.load_policies()
    group, first, regions = table._groups(cols, policies)
    plans = [table._plan(engine.parse_case(table._row_case(cols, r)), policies) for r in first.tolist()]
    counts = np.bincount(group, minlength=len(first))
    slow = np.array([p is None for p in plans]) | (counts < table.SMALL_GROUP)
    return slow[group] | table._before_document(cols, regions, policies)


def _subset(cols: dict, mask: np.ndarray) -> dict:
    out = {k: v[mask] for k, v in cols.items() if k != "facts"}
    out["facts"] = {k: v[mask] for k, v in cols.get("facts", {}).items()}
    return out


def _openfisca(gx: dict, identity: list[str], got: table.Table, table_wall: float, table_cpu: float) -> None:
    try:
        from openfisca_anchor import guangxi_inpatient as anchor
    except ImportError as exc:
        print(f"  OpenFisca anchor: not run ({exc}; pip install -e '.[bench]')")
        return
    tbs, tiers = anchor.system()
    index = {t["id"]: k for k, t in enumerate(tiers)}
    tier = np.array([index[anchor.TIER_OF_IDENTITY[i]] for i in identity], dtype=np.int32)
    anchor.compute_indexed(tbs, tier[:1000], *(gx[k][:1000] for k in ("self_pay", "ytd_self_pay", "ytd_aid")))
    fisca, wall, cpu = timed(lambda: anchor.compute_indexed(tbs, tier, gx["self_pay"], gx["ytd_self_pay"], gx["ytd_aid"]))
    same = int((fisca.astype(np.int64) == got.assistance_fen).sum())
    print(f"  OpenFisca (openfisca-core, vectorised): {len(tier) / wall:,.0f} cases/s wall, {len(tier) / cpu:,.0f} per "
          f"CPU second ({wall:.2f} s wall, {cpu:.2f} s CPU); agrees with estimate_table on {same:,} of {len(tier):,} rows")
    print(f"  estimate_table ÷ OpenFisca: {table_wall / wall:.2f}× wall, {table_cpu / cpu:.2f}× CPU "
          f"(the table also finds each person's category and settlement; the anchor is given the category)")


if __name__ == "__main__":
    sys.exit(main())
