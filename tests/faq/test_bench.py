"""The benchmark runs, prints both searches' accuracy, and skips missing eval parts."""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def load_bench():
    spec = importlib.util.spec_from_file_location("faq_bench", ROOT / "benchmarks" / "faq_bench.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_bench_runs_without_part2(capsys, monkeypatch, tmp_path):
    bench = load_bench()
    monkeypatch.setattr(bench, "EVAL_PARTS", [bench.EVAL_PARTS[0], tmp_path / "faq_eval_part2.yaml"])
    assert bench.main(["--rounds", "1", "--entries", "300"]) == 0
    out = capsys.readouterr().out
    assert "[skip]" in out and "faq_eval_part2.yaml" in out
    assert "ours top1" in out and "base top1" in out
    assert "latency, 300 entries" in out and "p99" in out


def test_grow_reaches_target_with_unique_ids():
    bench = load_bench()
    import faq

    entries = [d.entry for d in faq.load_index().docs]
    grown = bench.grow(entries, 1000)
    assert len(grown) == 1000
    assert len({e.id for e in grown}) == 1000
