"""Knowledge-base loading and validation."""

from pathlib import Path

import pytest
import yaml

import faq
from faq.kb import KBError, data_files, load_entries, load_file
from faq.text import load_lexicon, normalize

GOOD = {
    "id": "gx-dibao-inpatient-rate",
    "question": "广西低保户住院医疗救助能报多少？",
    "answer": "不设起付线，按90%救助，一年最多3万元。",
    "detail": "经基本医保、大病保险报销后……",
    "regions": ["guangxi"],
    "cite": ["桂政办发〔2022〕5号 二（五）1（3）"],
    "variants": ["吃低保的住院给报多少", "底保住院救助比例多少", "低保户住院报销几成"],
    "tags": ["低保", "住院"],
}


def write(tmp_path: Path, name: str, entries) -> Path:
    p = tmp_path / name
    p.write_text(yaml.safe_dump(entries, allow_unicode=True), encoding="utf-8")
    return p


def bad(**changes):
    e = dict(GOOD)
    for k, v in changes.items():
        if v is None:
            e.pop(k, None)
        else:
            e[k] = v
    return e


def test_good_file_loads(tmp_path):
    write(tmp_path, "a.yaml", [GOOD, dict(GOOD, id="gx-other")])
    entries = load_entries(tmp_path)
    assert [e.id for e in entries] == ["gx-dibao-inpatient-rate", "gx-other"]
    assert entries[0].regions == ["guangxi"]
    assert entries[0].cite == ["桂政办发〔2022〕5号 二（五）1（3）"]


def test_underscore_and_synonyms_files_are_not_entries(tmp_path):
    write(tmp_path, "a.yaml", [GOOD])
    (tmp_path / "_draft.yaml").write_text("not: [a list", encoding="utf-8")
    (tmp_path / "synonyms.yaml").write_text("synonyms: {低保: [低保户]}\n", encoding="utf-8")
    assert [p.name for p in data_files(tmp_path)] == ["a.yaml"]
    assert len(load_entries(tmp_path)) == 1


@pytest.mark.parametrize(
    "entry, words",
    [
        (bad(cite=None), ["cite", "missing"]),
        (bad(cite=[]), ["cite"]),
        (bad(cite=["  "]), ["cite"]),
        (bad(regions=["guangdong"]), ["unknown region", "guangdong"]),
        (bad(regions=None), ["regions"]),
        (bad(regions=[]), ["region"]),
        (bad(regions=["all", "guangxi"]), ["all"]),
        (bad(variants=["只有一个", "两个"]), ["variants", "at least 3"]),
        (bad(variants=["一样", "一样", "一样"]), ["variants", "at least 3"]),
        (bad(question=""), ["question"]),
        (bad(answer=None), ["answer"]),
        (bad(id="GX Dibao"), ["id"]),
        (bad(id="xx-dibao"), ["id"]),
        (bad(id="cm-dibao"), ["cm-", "all"]),
        (bad(regions=["xizang"]), ["guangxi"]),
        (bad(cite=["藏政办发〔2022〕31号 二"]), ["cite", "guangxi"]),
        (bad(cite=["桂政办发〔2022〕5号"]), ["cite", "no clause"]),
        (bad(varaints=["a", "b", "c"]), ["varaints"]),
    ],
)
def test_bad_entry_is_refused_with_file_id_and_reason(tmp_path, entry, words):
    write(tmp_path, "bad.yaml", [GOOD | {"id": "gx-fine"}, entry])
    with pytest.raises(KBError) as err:
        load_entries(tmp_path)
    msg = str(err.value)
    assert "bad.yaml" in msg
    assert str(entry.get("id", "")) in msg
    for w in words:
        assert w in msg, msg


def test_duplicate_id_in_one_file(tmp_path):
    write(tmp_path, "dup.yaml", [GOOD, GOOD])
    with pytest.raises(KBError, match=r"dup\.yaml.*gx-dibao-inpatient-rate.*duplicate id"):
        load_entries(tmp_path)


def test_duplicate_id_across_files(tmp_path):
    write(tmp_path, "a.yaml", [GOOD])
    write(tmp_path, "b.yaml", [GOOD])
    with pytest.raises(KBError, match=r"b\.yaml.*duplicate id.*a\.yaml"):
        load_entries(tmp_path)


def test_not_a_list_and_broken_yaml(tmp_path):
    (tmp_path / "x.yaml").write_text("id: gx-a\n", encoding="utf-8")
    with pytest.raises(KBError, match="x.yaml.*list"):
        load_file(tmp_path / "x.yaml")
    (tmp_path / "y.yaml").write_text("- {id: gx-a, question: [\n", encoding="utf-8")
    with pytest.raises(KBError, match="y.yaml.*YAML"):
        load_file(tmp_path / "y.yaml")


def test_real_knowledge_base():
    entries = load_entries()
    assert len(entries) >= 200
    ids = [e.id for e in entries]
    assert len(ids) == len(set(ids))
    regions = {r for e in entries for r in e.regions}
    assert regions == {"all", "xizang", "ankang", "guangxi", "urumqi", "qianjiang"}


@pytest.mark.parametrize("name, minimum", [("common.yaml", 30), ("xizang.yaml", 35), ("ankang.yaml", 35)])
def test_our_files(name, minimum):
    entries = load_file(faq.kb.DATA_DIR / name)
    assert len(entries) >= minimum
    for e in entries:
        assert e.cite and e.regions and len(set(e.variants)) >= 3
        assert e.question not in e.variants
        # short answers: one or two sentences
        assert len(e.answer) <= 120, e.id


def test_our_files_together_at_least_110():
    n = sum(len(load_file(faq.kb.DATA_DIR / f)) for f in ("common.yaml", "xizang.yaml", "ankang.yaml"))
    assert n >= 110


def test_invalid_file_refuses_index(tmp_path):
    write(tmp_path, "bad.yaml", [bad(cite=None)])
    with pytest.raises(KBError):
        faq.load_index(tmp_path, refresh=True)


def test_lexicon_loads_and_refuses_conflicts(tmp_path):
    lex = load_lexicon()
    assert lex.apply_synonyms("吃低保的五保户") == "低保特困"
    assert lex.apply_synonyms("起付线") == "起付线"  # a variant inside its own canonical is left alone
    assert lex.regions_in("我在南宁，老家拉萨") == ["guangxi", "xizang"]
    p = tmp_path / "syn.yaml"
    p.write_text("synonyms:\n  低保: [底保]\n  特困: [底保]\n", encoding="utf-8")
    with pytest.raises(ValueError, match="底保"):
        load_lexicon(p)
    p.write_text("synonyms:\n  低保: [底保]\nregions:\n  beijing: [北京]\n", encoding="utf-8")
    with pytest.raises(ValueError, match="beijing"):
        load_lexicon(p)


def test_no_entry_asks_what_the_elsewhere_phrases_mark_as_another_benefit():
    # search() answers a question holding one of these phrases with "no answer"; that is only
    # true while no entry is about such a question
    lex = load_lexicon()
    assert lex.elsewhere, "synonyms.yaml lists the phrases"
    held = [(e.id, t) for e in load_entries() for t in (e.question, *e.variants)
            if lex.asks_elsewhere(normalize(t))]
    assert held == []


@pytest.mark.parametrize("q, region", [("低保一个月发多少钱", "ankang"), ("养老金每个月能领多少", None),
                                       ("特困供养金每月发多少", "guangxi")])
def test_a_monthly_payment_of_another_benefit_gets_no_answer(q, region):
    r = faq.search(q, region)
    assert not r.confident and r.no_answer
    assert "12393" in r.message


def test_a_medical_assistance_amount_is_still_answered():
    r = faq.search("低保户住院能报多少", "ankang")
    assert r.confident and r.hits[0].id == "ak-dibao-inpatient"


def test_an_entry_can_be_found_surely_by_its_own_question():
    """Entry.needs: the entry's own question holds one of the words it needs to be a sure answer."""
    needing = [entry for entry in load_entries() if entry.needs]
    assert len(needing) >= 5
    for entry in needing:
        assert any(word in entry.question for word in entry.needs), entry.id


def test_cites_for_keeps_the_regions_own_clauses():
    cites = ["安政办发〔2023〕2号 五（一）", "桂政办发〔2022〕5号 四（三）", "乌鲁木齐实施细则 第二十条"]
    assert faq.cites_for(cites, "guangxi") == ["桂政办发〔2022〕5号 四（三）"]
    assert faq.cites_for(cites, "urumqi") == ["乌鲁木齐实施细则 第二十条"]
    assert faq.cites_for(cites, None) == cites
    assert faq.cites_for(cites, "xizang") == cites  # none names 西藏's document: all are kept
