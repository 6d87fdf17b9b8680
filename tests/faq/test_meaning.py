"""Meaning over wording (issue 13): meaning classes, A不A questions, denied identities, kinds of
care, and two-part questions split where each side asks for another thing."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import faq
from faq.text import load_lexicon, strip_fillers

LEX = load_lexicon()


@pytest.mark.parametrize("text, cls", [
    ("救助比例", "amount"), ("能给多少", "amount"), ("报几成", "amount"),
    ("去哪办", "where"), ("找谁", "where"), ("哪个部门", "authority"), ("谁来认定", "authority"),
    ("要带什么", "documents"), ("准备哪些资料", "documents"),
    ("什么时候开始执行", "when"),
])
def test_meaning_class_of_words(text, cls):
    assert cls in LEX.classes_in(LEX.apply_synonyms(text))


def test_a_text_without_question_words_has_no_class():
    assert LEX.classes_in("低保户住院") == []


def test_words_of_one_class_find_the_same_entry(index):
    # 能报多少, 报几成, 救助比例 ask the same thing: the same entry answers them
    got = {faq.search(q, "guangxi", index=index).hits[0].id
           for q in ("低保户住院能报多少", "低保户住院报几成", "低保户住院救助比例是多少")}
    assert got == {"gx-dibao-inpatient"}


@pytest.mark.parametrize("text, word", [
    ("有没有起付线", "起付线"), ("算不算低保", "低保"), ("是不是特困", "特困"),
    ("属不属于低保边缘", "低保边缘"), ("要不要转诊", "转诊"),
])
def test_a_not_a_question_negates_nothing(text, word):
    assert LEX.negated(text) == []


@pytest.mark.parametrize("text, word", [
    ("没有起付线", "起付线"), ("不是低保", "低保"), ("也不是特困", "特困"), ("没办转诊", "转诊"),
    ("没评上低保", "低保"),
])
def test_a_plain_negation_still_negates(text, word):
    assert [w for _s, _e, w in LEX.negated(text)] == [word]


@settings(max_examples=60, deadline=None)
@given(word=st.sampled_from(["低保", "特困", "起付线", "转诊", "孤儿", "住院"]),
       frame=st.sampled_from(["有没有{}", "是不是{}", "算不算{}", "{}有没有", "属不属于{}"]),
       before=st.sampled_from(["", "我家", "请问 "]), after=st.sampled_from(["", "吗", "的"]))
def test_property_a_not_a_never_denies_the_word(word, frame, before, after):
    text = before + frame.format(word) + after
    assert word not in [w for _s, _e, w in LEX.negated(text)], text


def test_a_not_a_identity_still_names_the_identity():
    assert "特困" in LEX.identities_in("是不是特困")
    assert "低保" in LEX.identities_in("算不算低保")


def test_kind_of_care_is_read_and_negation_removes_it():
    assert LEX.care_in("低保住院报多少") == frozenset({"inpatient"})
    assert "chronic" in LEX.care_in("门诊慢性病能报吗")
    assert LEX.care_in("没住院 在门诊看的") == frozenset({"outpatient"})


@pytest.mark.parametrize("asked, entry, fits", [
    ({"inpatient"}, {"inpatient"}, True),
    ({"inpatient"}, {"outpatient", "chronic"}, False),
    ({"outpatient"}, {"chronic"}, True),  # plain 门诊 fits either kind of 门诊
    ({"outpatient"}, {"general"}, True),
    ({"outpatient", "chronic"}, {"general"}, False),  # 透析 门诊 is not 普通门诊
    ({"general"}, {"outpatient"}, True),
    ({"inpatient", "chronic"}, {"chronic"}, True),
])
def test_kinds_of_care_fit(asked, entry, fits):
    from faq.search import _care_fits

    assert _care_fits(frozenset(asked), frozenset(entry)) is fits


def test_an_entry_about_the_other_kind_of_care_ranks_lower(index):
    ids = [h.id for h in faq.search("低保户住院一年最多能报多少", "guangxi", top=5, index=index).hits]
    assert "gx-chronic-dibao" not in ids[:1]


def test_a_denied_identity_ranks_its_entries_lower(index):
    # "不是低保" and nothing else named: 低保's own entries do not come first
    r = faq.search("不是低保 也不是特困 家里穷 能不能救助", "guangxi", top=3, index=index)
    assert r.hits[0].id not in ("gx-dibao-inpatient", "gx-tekun-inpatient", "gx-chronic-dibao")


def test_two_part_question_split_by_meaning_classes(index):
    r = faq.search("申请救助上哪办 要带啥东西", "ankang", index=index)
    assert r.confident
    sure = [h.id for h in r.hits if h.confident]
    assert len(sure) == 2 and "ak-apply" in sure and "cm-documents-application" in sure
    assert r.message.count("依据") == 2


def test_order_question_reads_as_order(index):
    assert "谁先谁后" in LEX.apply_synonyms("先走医保还是先走救助")
    assert faq.search("先走医保还是先走救助", None, index=index).hits[0].id == "cm-insurance-first"


def test_the_regions_own_version_of_the_same_question_goes_first(index):
    # cm-fraud and wq-fraud-penalty ask the same thing; in 乌鲁木齐 its own entry is the answer
    r = faq.search("骗救助的钱会有什么后果", "urumqi", top=3, index=index)
    assert r.hits[0].id == "wq-fraud-penalty"
    a, b = index.by_id["cm-fraud"], index.by_id["wq-fraud-penalty"]
    assert index.alike(a, b) and not index.alike(a, index.by_id["wq-charity"])


def test_worked_examples_are_the_entries_about_a_bill(index):
    examples = {d.entry.id for d in index.docs if d.example}
    assert {"ak-example-dibao", "ak-example-edge", "xz-major-example"} <= examples
    assert "wq-tilt" not in examples  # "5万元用完了" is a limit, not a bill


def test_a_worked_example_answers_a_question_with_an_amount_only(index):
    # no amount given: the rate entry; an amount given: the worked example may come first
    assert faq.search("低保边缘户住院救助怎么算 能给多少", "ankang", index=index).hits[0].id == "ak-cat2-other-inpatient"
    ids = [h.id for h in faq.search("低保边缘户住院自付1万元 救助给多少", "ankang", top=3, index=index).hits]
    assert "ak-example-edge" in ids


@pytest.mark.parametrize("filler", ["这边", "那边", "的话", "我们这边"])
def test_where_the_asker_stands_is_not_part_of_the_question(index, filler):
    # "安康这边没参加医保的话还能救助吗" asks what "安康没参加医保还能救助吗" asks: the general
    # entry on 参保 answers it, whatever the filler around it
    plain = faq.search("安康没参加医保还能救助吗", None, top=3, index=index)
    said = faq.search(f"安康{filler}没参加医保还能救助吗", None, top=3, index=index)
    assert plain.hits[0].id == "cm-must-enroll"
    assert said.hits[0].id == plain.hits[0].id


def test_fillers_are_taken_out_before_matching():
    assert strip_fillers("安康这边没参加医保的话还能救助吗").split() == ["安康", "没参加医保", "还能救助吗"]


@pytest.mark.parametrize("said", ["政策变了", "政策有变化", "政策调整了"])
def test_the_policy_changed_is_asked_as_the_transition_period(index, said):
    # people say 政策变了 for the 5-year transition after 脱贫攻坚; the entry on it says 过渡期
    ids = [h.id for h in faq.search(f"脱贫户还能享受医疗救助吗 听说{said}", None, top=3, index=index).hits]
    assert "cm-transition-period" in ids
