"""The region vocabulary is read from the data (issue 12 item 1): the regions are the policy files
found in the policies folder — no list of names in the engine — and adding a region is adding its file.
"""
from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import engine
from engine.policy import POLICIES_ENV, PolicyError, load, policy_dir, region_codes

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def folder(tmp_path):
    path = tmp_path / "policies"
    shutil.copytree(policy_dir(), path, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    return path


def _new_region(folder: Path, code: str = "newtown", like: str = "guangxi") -> None:
    data = yaml.safe_load((folder / f"{like}.yaml").read_text(encoding="utf-8"))
    data.update(region=code, name="新城自治区（测试）", short_name="新城", order=6, aliases=["新城区"])
    (folder / f"{code}.yaml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def test_the_regions_are_the_files_found_in_their_order():
    policies = engine.load_policies()
    assert set(region_codes()) == set(policies.regions)
    orders = [r.order for r in policies.regions.values()]
    assert orders == sorted(orders)
    assert engine.REGIONS == tuple(policies.regions)


def _code_strings(tree: ast.AST) -> list[str]:
    """String constants of the code, docstrings left out (an example may name a region)."""
    docs = {id(node.body[0].value) for node in ast.walk(tree)
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef)) and node.body
            and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    return [node.value for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs]


def test_no_region_code_in_engine_code():
    """The engine names no region: the codes come from policies/ (file names)."""
    codes = {path.stem for path in policy_dir().glob("*.yaml") if path.stem != "common"}
    for path in (ROOT / "engine").glob("*.py"):
        named = codes & set(_code_strings(ast.parse(path.read_text(encoding="utf-8"))))
        assert not named, f"{path.name} names {sorted(named)}"


def test_a_copied_file_is_a_new_region(folder):
    _new_region(folder)
    policies = load(folder)
    assert list(policies.regions)[-1] == "newtown"
    assert policies.regions["newtown"].aliases == ["新城区"]


def test_removing_a_file_removes_the_region(folder):
    (folder / "ankang.yaml").unlink()
    assert "ankang" not in load(folder).regions


def test_a_file_whose_region_field_disagrees_with_its_name_is_refused(folder):
    _new_region(folder, code="newtown")
    (folder / "newtown.yaml").rename(folder / "othertown.yaml")
    with pytest.raises(PolicyError, match="othertown.yaml: region: says 'newtown'"):
        load(folder)


def test_a_bad_file_name_is_refused(folder):
    shutil.copy(folder / "guangxi.yaml", folder / "New-Town.yaml")
    with pytest.raises(PolicyError, match="not a region code"):
        load(folder)


def test_a_folder_without_regions_is_refused(tmp_path):
    (tmp_path / "common.yaml").write_bytes((policy_dir() / "common.yaml").read_bytes())
    with pytest.raises(PolicyError, match="no region files"):
        load(tmp_path)


def test_estimating_with_another_policies_object_refuses_a_region_it_lacks(folder):
    (folder / "ankang.yaml").unlink()
    with pytest.raises(engine.CaseError) as exc:
        engine.estimate({"region": "ankang", "identities": ["dibao"], "care": "inpatient", "self_pay": 100},
                        policies=load(folder))
    assert exc.value.errors[0]["field"] == "region"


def _elsewhere(folder: Path) -> Path:
    """A working directory without a `policies/` folder in it (one would shadow the package)."""
    path = folder.parent / "elsewhere"
    path.mkdir(exist_ok=True)
    return path


def _cli(folder: Path, lines: list[dict]) -> subprocess.CompletedProcess:
    env = {**os.environ, POLICIES_ENV: str(folder)}
    return subprocess.run([sys.executable, "-m", "jiuzhu.cli", "estimate", "--json"], cwd=_elsewhere(folder), env=env,
                          input="".join(json.dumps(c, ensure_ascii=False) + "\n" for c in lines),
                          capture_output=True, text=True, timeout=120)


def test_a_new_region_estimates_through_the_installed_package(folder):
    """The whole of adding a region: its policy file. The installed CLI, pointed at the folder by
    $JIUZHU_POLICIES, takes the new code and answers as the copied region does."""
    _new_region(folder)
    case = {"identities": ["dibao"], "care": "inpatient", "self_pay": 20000, "date": "2024-06-01"}
    done = _cli(folder, [{**case, "region": "newtown"}, {**case, "region": "guangxi"}, {**case, "region": "nowhere"}])
    assert done.returncode in (0, 1), done.stderr
    new, old, bad = (json.loads(line) for line in done.stdout.splitlines())
    assert new["region"] == "newtown" and new["assistance"] == old["assistance"] == 18000.0
    assert new["trace"] == old["trace"] and new["status"] == "paid"
    assert bad["error"]["field"] == "region" and "assistance" not in bad


def test_without_the_variable_the_installed_folder_is_used(folder):
    _new_region(folder)
    env = {k: v for k, v in os.environ.items() if k != POLICIES_ENV}
    done = subprocess.run([sys.executable, "-c", "import engine; print(','.join(engine.REGIONS))"],
                          cwd=_elsewhere(folder), env=env, capture_output=True, text=True, timeout=60)
    assert "newtown" not in done.stdout and "guangxi" in done.stdout


def test_the_facts_are_read_from_common_yaml(folder):
    """A fact's domain is declared once, in common.yaml: a value added there is accepted by the Case
    check of a process reading that folder, and refused by one reading the installed folder."""
    common = yaml.safe_load((folder / "common.yaml").read_text(encoding="utf-8"))
    common["facts"]["disability_kind"]["values"]["deafblind"] = "盲聋"
    (folder / "common.yaml").write_text(yaml.safe_dump(common, allow_unicode=True, sort_keys=False),
                                        encoding="utf-8")
    script = ("import engine, json; c = engine.parse_case({'region': 'guangxi', 'identities': ['dibao'], "
              "'care': 'inpatient', 'self_pay': 1, 'facts': {'disability_kind': 'deafblind'}}); "
              "print(c.facts.disability_kind, engine.case.FIELD_ZH['disability_kind'])")
    env = {**os.environ, POLICIES_ENV: str(folder)}
    done = subprocess.run([sys.executable, "-c", script], cwd=_elsewhere(folder), env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.stdout.split() == ["deafblind", "残疾类别"], done.stderr
    with pytest.raises(engine.CaseError, match="disability_kind"):
        engine.parse_case({"region": "guangxi", "identities": ["dibao"], "care": "inpatient", "self_pay": 1,
                           "facts": {"disability_kind": "deafblind"}})


def test_the_vocabulary_is_what_the_engine_checks_against():
    from engine import vocabulary
    from engine.case import Facts
    from engine.conditions import FACTS, IDENTITIES

    common = engine.load_policies().common
    assert tuple(common.identities) == IDENTITIES == vocabulary.IDENTITIES
    assert tuple(common.facts) == FACTS == tuple(Facts.model_fields)


# The web API and the chat, in a process reading the folder with the new region: its policy file is
# the whole change (no list of regions in web/ or bot/ to extend).
_DOORS_SCRIPT = r"""
import json, sys
from fastapi.testclient import TestClient
from bot import flow
from web.app import create_app
from web.settings import Settings

with TestClient(create_app(Settings(db_path=sys.argv[1], admin_token="t"))) as client:
    listed = [r["region"] for r in client.get("/api/v1/policies").json()["regions"]]
    case = {"identities": ["dibao"], "care": "inpatient", "self_pay": 20000, "date": "2024-06-01"}
    est = client.post("/api/v1/estimate", json={**case, "region": "newtown"}).json()
    missing = client.get("/api/v1/policies/nowhere").json()
reply = flow.start()
buttons = [b.label for b in reply.messages[-1].buttons]
pressed = flow.step(reply.state, "新城").state.slots.get("region")
typed = flow.step(flow.start().state, "新城区").state.slots.get("region")
print(json.dumps({"listed": listed, "assistance": est.get("assistance"), "est_region": est.get("region"),
                  "missing": missing, "buttons": buttons, "pressed": pressed, "typed": typed},
                 ensure_ascii=False))
"""


def test_a_new_region_is_offered_by_the_web_api_and_the_chat(folder, tmp_path):
    _new_region(folder)
    env = {**os.environ, POLICIES_ENV: str(folder)}
    done = subprocess.run([sys.executable, "-c", _DOORS_SCRIPT, str(tmp_path / "web.db")], cwd=_elsewhere(folder),
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout.splitlines()[-1])
    assert got["listed"][-1] == "newtown" and "guangxi" in got["listed"]
    assert got["est_region"] == "newtown" and got["assistance"] == 18000.0  # as the copied 广西 answers
    assert "新城" in json.dumps(got["missing"], ensure_ascii=False)  # the error lists it among the choices
    assert got["buttons"][:6] == ["西藏", "安康", "广西", "乌鲁木齐", "重庆黔江", "新城"]
    assert got["pressed"] == got["typed"] == "newtown"


# web/ and bot/ modules that may write a literal list of region codes, each with the reason it must
# stay (none needs to today: every list is read from the policies).
REGION_LITERALS_ALLOWED: dict[str, str] = {}


def region_lists(root: Path) -> list[str]:
    """Each literal list, tuple, set or dict of two or more region codes in root's web/ and bot/
    Python, outside the allowed modules (one code in a rule or an example is a different thing)."""
    codes = {path.stem for path in policy_dir().glob("*.yaml") if path.stem != "common"}
    found = []
    for path in sorted([*(root / "web").rglob("*.py"), *(root / "bot").rglob("*.py")]):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
                items = node.elts
            elif isinstance(node, ast.Dict):
                items = [*node.keys, *node.values]
            else:
                continue
            named = {i.value for i in items if isinstance(i, ast.Constant) and i.value in codes}
            module = str(path.relative_to(root))
            if len(named) >= 2 and module not in REGION_LITERALS_ALLOWED:
                found.append(f"{module}:{node.lineno} {sorted(named)}")
    return found


def test_no_list_of_region_codes_in_web_or_bot_code():
    """The doors read the regions from the policies (CITY_REGIONS and the alias table were such lists)."""
    assert region_lists(ROOT) == []


def test_the_region_list_check_finds_a_list(tmp_path):
    (tmp_path / "bot").mkdir()
    (tmp_path / "web").mkdir()
    (tmp_path / "bot" / "x.py").write_text('CITY = ("ankang", "urumqi")\nONE = ["guangxi"]\n', encoding="utf-8")
    assert region_lists(tmp_path) == ["bot/x.py:1 ['ankang', 'urumqi']"]
