"""One source for every number (issue 12 item 2, the engine's side): a Reading that states a
policy figure takes it from the rule (`{region:path|format}` in common.yaml, rendered at load with
the engine's amount format), so a changed rate changes the text that states it.
"""
from __future__ import annotations

import re
import shutil
from decimal import Decimal

import pytest
import yaml

import engine
from engine.figures import PLACEHOLDER, FigureError, render, short_yuan
from engine.policy import PolicyError, load, policy_dir

# a figure as the texts write them: 15万元, 3,000元, 70%, 0.5万 …
FIGURE = re.compile(r"\d[\d,.]*\s*(?:万元|万|元|%|％|倍|个百分点)")


def _raw_common() -> dict:
    return yaml.safe_load((policy_dir() / "common.yaml").read_text(encoding="utf-8"))


@pytest.fixture
def folder(tmp_path):
    path = tmp_path / "policies"
    shutil.copytree(policy_dir(), path, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    return path


@pytest.mark.parametrize("part", ["readings", "assumptions"])
def test_no_reading_holds_a_figure_not_taken_from_the_rules(part):
    for name, text in _raw_common()[part].items():
        left = PLACEHOLDER.sub("", text)
        assert not FIGURE.search(left), f"{part}.{name} states {FIGURE.search(left).group(0)!r} by hand"


def test_a_changed_share_changes_the_assumption_that_states_it(folder):
    data = yaml.safe_load((folder / "xizang.yaml").read_text(encoding="utf-8"))
    data["tiers"][4]["requires"]["share"] = 0.35
    (folder / "xizang.yaml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    text = load(folder).common.assumptions["family_income"]
    assert "家庭上年收入35%" in text and "40%" not in text
    assert "家庭上年收入40%" in engine.load_policies().common.assumptions["family_income"]


def test_no_engine_sentence_holds_a_figure():
    for name, text in _raw_common()["wording"].items():
        assert not FIGURE.search(re.sub(r"\{[^}]*\}", "", text)), f"wording.{name} states a figure"


def test_the_rendered_readings_state_the_rules_values():
    policies = engine.load_policies()
    xizang = policies.regions["xizang"]
    text = policies.common.readings["xizang_two_tiers"]
    assert short_yuan(xizang.major.ordinary_cap) in text and short_yuan(xizang.major.cap) in text
    assert "{" not in "".join(policies.common.readings.values())


def test_a_changed_limit_changes_the_reading_that_states_it(folder):
    data = yaml.safe_load((folder / "xizang.yaml").read_text(encoding="utf-8"))
    data["major"]["cap"] = 350000
    (folder / "xizang.yaml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    policies = load(folder)
    text = policies.common.readings["xizang_two_tiers"]
    assert "年度限额35万元" in text and "30万元" not in text
    # and the answer that relies on the Reading says the new figure
    est = engine.estimate({"region": "xizang", "identities": ["dibao"], "care": "inpatient", "self_pay": 600000,
                           "date": "2024-06-01"}, policies=policies)
    assert "xizang_two_tiers" in est.readings and any("年度限额35万元" in n for n in est.notes)


def test_a_placeholder_naming_no_rule_is_refused(folder):
    common = yaml.safe_load((folder / "common.yaml").read_text(encoding="utf-8"))
    common["readings"]["xizang_two_tiers"] = "限额{xizang:major.no_such|wan}"
    (folder / "common.yaml").write_text(yaml.safe_dump(common, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with pytest.raises(PolicyError, match=r"common\.yaml: readings\.xizang_two_tiers: .*no_such"):
        load(folder)


def test_render_formats_and_refuses():
    regions = engine.load_policies().regions
    assert render("{guangxi:tiers[5].claims[0].rate|percent}", regions) == "60%"
    assert short_yuan(Decimal("150000")) == "15万元" and short_yuan(Decimal("3000")) == "3,000元"
    for bad in ("{nowhere:major.cap|wan}", "{xizang:major.cap|nope}", "{xizang:name|wan}", "{xizang:tiers[99].rate|wan}",
                "a stray { brace"):
        with pytest.raises(FigureError):
            render(bad, regions)
