"""Accuracy floor on the evaluation set (whatever parts exist) and eval-set hygiene."""

from pathlib import Path

import pytest
import yaml

import faq
from faq.text import compact, normalize

ROOT = Path(__file__).resolve().parents[2]
PARTS = sorted((ROOT / "benchmarks" / "data").glob("faq_eval_part*.yaml"))
# part 5 is held out (written before issue 13's second pass of tuning, reported on its own by
# benchmarks/faq_bench.py): it is checked for hygiene here and for confident wrong answers (a safety
# property, never an accuracy floor), so that nobody tunes the search to pass it. Part 4 was held out
# in the first pass and is tuned on since the second.
HELD_OUT = {"faq_eval_part5.yaml"}
NONE_PARTS = sorted((ROOT / "benchmarks" / "data").glob("faq_eval_none*.yaml"))


def items():
    out = []
    for p in PARTS:
        for it in yaml.safe_load(p.read_text(encoding="utf-8")) or []:
            # expect: an entry id, or the entries that answer the question equally (either is right)
            it = dict(it, expect=it["expect"] if isinstance(it["expect"], list) else [it["expect"]])
            out.append((p.name, it))
    return out


@pytest.fixture(scope="module")
def evalset():
    data = items()
    assert len(data) >= 150, "the evaluation set ships with the project; a missing one is a failure"
    return data


@pytest.fixture(scope="module")
def tuned(evalset):
    return [(name, it) for name, it in evalset if name not in HELD_OUT]


def test_held_out_part_exists():
    for name in HELD_OUT:
        data = yaml.safe_load((ROOT / "benchmarks" / "data" / name).read_text(encoding="utf-8"))
        assert len(data) >= 40


def test_part1_exists_and_is_big_enough():
    p = ROOT / "benchmarks" / "data" / "faq_eval_part1.yaml"
    data = yaml.safe_load(p.read_text(encoding="utf-8"))
    assert len(data) >= 90


def test_eval_expectations_exist_and_regions_valid(evalset, index):
    for name, it in evalset:
        assert all(e in index.by_id for e in it["expect"]), (name, it)
        assert it.get("region") in (None, "xizang", "ankang", "guangxi", "urumqi", "qianjiang"), (name, it)


def test_eval_phrased_differently_from_entries(evalset, index):
    for name, it in evalset:
        for expect in it["expect"]:
            e = index.docs[index.by_id[expect]].entry
            known = {compact(normalize(t)) for t in (e.question, *e.variants)}
            assert compact(normalize(it["q"])) not in known, (name, it)


def test_accuracy_floor(tuned, index):
    n = top1 = top3 = 0
    for _name, it in tuned:
        ids = [h.id for h in faq.search(it["q"], it.get("region"), top=3, index=index).hits]
        n += 1
        top1 += ids[:1] != [] and ids[0] in it["expect"]
        top3 += any(e in ids for e in it["expect"])
    # floors at today's figures (issue 13: 369/379 and 378/379 on parts 1-4; top-1 >= 97% is the goal)
    assert top1 / n >= 0.97, f"top-1 {top1}/{n}"
    assert top3 / n >= 0.997, f"top-3 {top3}/{n}"


def test_clearly_above_plain_rapidfuzz_baseline(tuned, index):
    from rapidfuzz import process

    entries = [d.entry for d in index.docs]
    ours = base = 0
    for _name, it in tuned:
        region = it.get("region")
        choices = {i: e.question for i, e in enumerate(entries)
                   if region is None or "all" in e.regions or region in e.regions}
        b = process.extractOne(it["q"], choices)
        base += entries[b[2]].id in it["expect"]
        ours += faq.search(it["q"], region, top=1, index=index).hits[0].id in it["expect"]
    assert ours >= base + 0.2 * len(tuned)


def test_every_out_of_scope_set_ships():
    assert [p.name for p in NONE_PARTS] == [
        "faq_eval_none.yaml", "faq_eval_none2.yaml", "faq_eval_none3.yaml", "faq_eval_none4.yaml"]


@pytest.mark.parametrize("part", [p.name for p in NONE_PARTS])
def test_questions_without_answer_are_not_confident(index, part):
    p = ROOT / "benchmarks" / "data" / part
    data = yaml.safe_load(p.read_text(encoding="utf-8"))
    assert len(data) >= 12
    sure = {it["q"] for it in data if faq.search(it["q"], it.get("region"), index=index).confident}
    assert sure == set(), sure


def test_no_confident_wrong_answer_on_any_part(evalset, index):
    wrong = []
    for name, it in evalset:
        r = faq.search(it["q"], it.get("region"), top=1, index=index)
        if r.confident and r.hits[0].id not in it["expect"]:
            wrong.append((name, it["q"], r.hits[0].id))
    assert wrong == []


def test_confident_answers_are_mostly_right(tuned, index):
    conf = right = 0
    for _name, it in tuned:
        r = faq.search(it["q"], it.get("region"), top=1, index=index)
        if r.confident:
            conf += 1
            right += r.hits[0].id in it["expect"]
    # confidence is strict (issue 13: no confident wrong answer): fewer confident answers, more
    # often right; the others get "您是不是想问" or the plain no-answer message
    assert conf >= 0.68 * len(tuned)  # 263/379 today (parts 1-4)
    assert right == conf
