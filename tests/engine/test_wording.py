"""The engine's sentences (common.yaml `wording:`) are compiled once into fill-in functions that can
only format the values they are given; a template that asks for more is refused at load."""
from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal

import pytest
import yaml

import engine
from engine.policy import PolicyError, load, policy_dir
from engine.wording import WordingError, compile_template


def test_a_compiled_template_says_what_str_format_says():
    for text, values in [
        ("年度限额{cap}，剩余{left}〔{cite}〕", {"cap": "3万元（30,000元）", "left": "0元", "cite": "某文件 一"}),
        ("{name}（{year}年）{base:,}元", {"name": "收入", "year": 2023, "base": Decimal("24950")}),
        ("有效期到{until:%Y年%m月%d日}", {"until": dt.date(2027, 7, 31)}),
        ("大括号{{不是字段}}和'引号'\\反斜杠", {}),
        ("没有字段。", {}),
    ]:
        assert compile_template(text)(**values) == text.format(**values)


def test_every_shipped_sentence_compiles_and_ignores_extra_values():
    common = engine.load_policies().common
    assert set(common.say) == set(common.wording)
    assert common.say["total"](amount="5元", unused="x") == common.wording["total"].format(amount="5元")


@pytest.mark.parametrize("text", ["{a.__class__}", "{a[0]}", "{a!r}", "{a:{b}}", "{import}", "{a:'}", "{"])
def test_a_template_that_asks_for_more_than_its_values_is_refused(text):
    with pytest.raises(WordingError):
        compile_template(text)


def test_the_loader_refuses_such_a_template(tmp_path):
    folder = tmp_path / "policies"
    shutil.copytree(policy_dir(), folder, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    common = yaml.safe_load((folder / "common.yaml").read_text(encoding="utf-8"))
    common["wording"]["total"] = "合计{amount.__class__}"
    (folder / "common.yaml").write_text(yaml.safe_dump(common, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with pytest.raises(PolicyError, match=r"common\.yaml: wording.*total"):
        load(folder)
