"""The policy loader refuses a bad file at load time, naming the file, the path inside it and the problem.

Issue: "Load them into pydantic models and refuse a bad file at load time with the file, the path
inside it and what is wrong (a missing citation, a rate outside 0–1, an unknown identity code, a
dated value with gaps or overlaps). No policy number may live in Python code."

Each test copies policies/ to a temporary folder, breaks one thing and expects engine.policy.PolicyError.
"""
from __future__ import annotations

import datetime as dt
import glob
import io
import re
import shutil
import tokenize
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
import yaml

import engine
from engine.conditions import CARE_TYPES, IDENTITIES
from engine.policy import REGIONS, PolicyError, load, policy_dir

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = policy_dir()


# ------------------------------------------------------------------------------------ helpers

def _plain(data):
    """A deep copy that breaks YAML aliases, so a change hits one place only."""
    if isinstance(data, dict):
        return {k: _plain(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_plain(v) for v in data]
    return data


@pytest.fixture
def pol(tmp_path):
    """A writable copy of the shipped policies: pol.read(name) → data; pol.write(name, data)."""
    folder = tmp_path / "policies"
    shutil.copytree(SHIPPED, folder, ignore=shutil.ignore_patterns("__pycache__", "*.py"))

    class Folder:
        path = folder

        @staticmethod
        def read(name: str):
            return _plain(yaml.safe_load((folder / f"{name}.yaml").read_text(encoding="utf-8")))

        @staticmethod
        def write(name: str, data) -> None:
            (folder / f"{name}.yaml").write_text(
                yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")

    return Folder


def broken(pol, name: str, *expected: str) -> str:
    """Load pol; expect PolicyError naming the file and every `expected` fragment."""
    with pytest.raises(PolicyError) as info:
        load(pol.path)
    message = str(info.value)
    assert f"{name}.yaml" in message, message
    for fragment in expected:
        assert fragment in message, f"{fragment!r} not in:\n{message}"
    return message


# ------------------------------------------------------------------------------------ the shipped files

def test_shipped_policies_load():
    policies = load()
    assert set(policies.regions) == set(REGIONS)
    for code, region in policies.regions.items():
        assert region.region == code and region.tiers


def test_roundtrip_of_the_copy_loads(pol):
    """The helpers themselves do not break anything: read + write every file, still loads."""
    for name in ("common", *REGIONS):
        pol.write(name, pol.read(name))
    assert set(load(pol.path).regions) == set(REGIONS)


def _cited_objects(node, path="$", parent_cited=False):
    """Every object in a loaded model that has a `cite` field: (path, object, whether its parent is cited)."""
    from pydantic import BaseModel

    if isinstance(node, BaseModel):
        fields = type(node).model_fields
        cited = "cite" in fields
        if cited:
            yield path, node, parent_cited
        for name in fields:
            yield from _cited_objects(getattr(node, name), f"{path}.{name}", cited or parent_cited)
    elif isinstance(node, (list, tuple)):
        for i, item in enumerate(node):
            yield from _cited_objects(item, f"{path}[{i}]", parent_cited)
    elif isinstance(node, dict):
        for key, item in node.items():
            yield from _cited_objects(item, f"{path}.{key}", parent_cited)


def test_an_amount_condition_outside_requires_is_refused(pol):
    """Only a tier's `requires:` may read the bill (self_pay_share_of): every other condition is
    decided once per kind of person and reused for all their bills."""
    data = pol.read("xizang")
    data["tiers"][0]["when"] = {"self_pay_share_of": "family_income", "share": 0.4}
    pol.write("xizang", data)
    broken(pol, "xizang", "tiers[0].when", "self_pay_share_of")


@pytest.mark.parametrize("region", REGIONS)
def test_every_rule_has_a_cite_and_a_quote(region):
    pol = engine.load_policies().regions[region]
    found = list(_cited_objects(pol, region))
    assert len(found) >= 20, f"{region}: only {len(found)} cited rules?"
    for path, obj, parent_cited in found:
        fields = type(obj).model_fields
        cite = obj.cite
        if cite is None and not fields["cite"].is_required():
            # an optional cite (a derived figure such as a threshold) falls back on its rule's cite
            assert parent_cited, f"{path}: no cite and no cited rule around it"
            continue
        assert isinstance(cite, str) and cite.strip(), f"{path}: empty cite"
        if "quote" in fields and fields["quote"].is_required():
            assert isinstance(obj.quote, str) and obj.quote.strip(), f"{path}: empty quote"
        # a cite names the document (number or its short name) so a reader can find it
        assert pol.cite_prefix in cite, f"{path}: cite {cite!r} does not name {pol.cite_prefix}"


@pytest.mark.parametrize("region", REGIONS)
def test_every_claim_and_tier_quotes_its_clause(region):
    pol = engine.load_policies().regions[region]
    for tier in pol.tiers:
        assert tier.cite and tier.quote
        for claim in tier.claims:
            assert claim.cite.strip() and claim.quote.strip(), f"{region} {tier.tier} claim"


def test_common_labels_every_identity_and_care_type():
    common = engine.load_policies().common
    assert set(common.identities) == set(IDENTITIES)
    assert set(common.care) == set(CARE_TYPES)


# ------------------------------------------------------------------------------------ broken files

def test_missing_cite(pol):
    data = pol.read("guangxi")
    del data["tiers"][1]["claims"][0]["cite"]
    pol.write("guangxi", data)
    broken(pol, "guangxi", "tiers[1].claims[0].cite", "Field required")


def test_empty_cite(pol):
    data = pol.read("ankang")
    data["tiers"][0]["cite"] = ""
    pol.write("ankang", data)
    broken(pol, "ankang", "tiers[0].cite", "at least 1 character")


def test_missing_quote(pol):
    data = pol.read("xizang")
    del data["major"]["quote"]
    pol.write("xizang", data)
    broken(pol, "xizang", "major.quote", "Field required")


def test_rate_above_one(pol):
    data = pol.read("guangxi")
    data["tiers"][0]["claims"][1]["rate"] = 1.5
    pol.write("guangxi", data)
    broken(pol, "guangxi", "tiers[0].claims[1].rate", "less than or equal to 1")


def test_rate_below_zero(pol):
    data = pol.read("urumqi")
    data["tiers"][1]["claims"][0]["rate"] = -0.1
    pol.write("urumqi", data)
    broken(pol, "urumqi", "tiers[1].claims[0].rate", "greater than or equal to 0")


def test_rate_written_as_percent(pol):
    data = pol.read("xizang")
    data["tiers"][2]["claims"][0]["rate"] = 95
    pol.write("xizang", data)
    broken(pol, "xizang", "tiers[2].claims[0].rate", "less than or equal to 1")


def test_tilt_rate_outside_0_1(pol):
    data = pol.read("qianjiang")
    data["tiers"][0]["tilt_rate"] = 7
    pol.write("qianjiang", data)
    broken(pol, "qianjiang", "tiers[0].tilt_rate", "less than or equal to 1")


def test_subsidy_share_outside_0_1(pol):
    data = pol.read("xizang")
    data["subsidy"][1]["share"] = 1.2
    pol.write("xizang", data)
    broken(pol, "xizang", "subsidy[1].share", "less than or equal to 1")


def test_negative_cap(pol):
    data = pol.read("guangxi")
    data["tiers"][2]["claims"][0]["cap"] = -30000
    pol.write("guangxi", data)
    broken(pol, "guangxi", "tiers[2].claims[0].cap")


def test_paying_claim_without_rate(pol):
    data = pol.read("guangxi")
    del data["tiers"][0]["claims"][0]["rate"]
    pol.write("guangxi", data)
    broken(pol, "guangxi", "tiers[0].claims[0]", "needs a rate")


def test_unknown_identity_code_in_a_when(pol):
    data = pol.read("xizang")
    data["tiers"][3]["when"]["any"][1] = {"identity": "edge_povrety"}
    pol.write("xizang", data)
    broken(pol, "xizang", "tiers[3].when", "unknown identity code 'edge_povrety'")


def test_unknown_identity_code_in_a_side_benefit(pol):
    data = pol.read("ankang")
    data["deposit_waiver"]["when"] = {"identity": "vip"}
    pol.write("ankang", data)
    broken(pol, "ankang", "deposit_waiver.when", "unknown identity code 'vip'")


def test_unknown_identity_in_unlisted(pol):
    data = pol.read("qianjiang")
    data["unlisted"][0]["identity"] = "orphans"
    pol.write("qianjiang", data)
    broken(pol, "qianjiang", "unlisted[0].identity", "unknown identity code 'orphans'")


def test_unknown_fact(pol):
    data = pol.read("qianjiang")
    data["tiers"][0]["claims"][1]["when"]["all"][0]["fact"] = "hospital_grade"
    pol.write("qianjiang", data)
    broken(pol, "qianjiang", "tiers[0].claims[1].when", "unknown fact 'hospital_grade'")


def test_unknown_care_type(pol):
    data = pol.read("guangxi")
    data["tiers"][0]["claims"][0]["care"] = ["inpatient", "dental"]
    pol.write("guangxi", data)
    broken(pol, "guangxi", "tiers[0].claims[0].care")


def test_unknown_key_in_a_condition(pol):
    data = pol.read("urumqi")
    data["tilt"]["when"] = {"fact": "where", "in": ["local"], "unless": "x"}
    pol.write("urumqi", data)
    broken(pol, "urumqi", "tilt.when", "unknown key")


def test_unknown_key_in_a_rule(pol):
    data = pol.read("ankang")
    data["tiers"][1]["claims"][0]["rates"] = 0.7
    pol.write("ankang", data)
    broken(pol, "ankang", "tiers[1].claims[0].rates", "Extra inputs are not permitted")


def test_question_about_an_unknown_fact(pol):
    data = pol.read("guangxi")
    data["questions"].append({"fact": "shoe_size"})
    pol.write("guangxi", data)
    broken(pol, "guangxi", f"questions[{len(data['questions']) - 1}].fact", "unknown fact 'shoe_size'")


def test_statistic_reference_to_a_missing_statistic(pol):
    data = pol.read("urumqi")
    data["tiers"][2]["claims"][0]["deductible"]["statistic"] = "income_rural"
    pol.write("urumqi", data)
    broken(pol, "urumqi", "tiers[2].claims[0].deductible", "unknown statistic 'income_rural'")


def test_major_threshold_to_a_missing_statistic(pol):
    data = pol.read("xizang")
    del data["statistics"]["income_all"]
    pol.write("xizang", data)
    broken(pol, "xizang", "unknown statistic 'income_all'")


def test_statistic_with_a_negative_value(pol):
    data = pol.read("xizang")
    data["statistics"]["income_all"]["values"][2023]["value"] = -28983
    pol.write("xizang", data)
    broken(pol, "xizang", "statistics.income_all.values[2023].value")


def test_statistic_without_a_source(pol):
    data = pol.read("urumqi")
    del data["statistics"]["income_all"]["values"][2022]["source"]
    pol.write("urumqi", data)
    broken(pol, "urumqi", "statistics.income_all.values[2022].source", "Field required")


def test_overlapping_transition_periods(pol):
    data = pol.read("common")
    data["transition_period"]["periods"][1]["from"] = dt.date(2025, 6, 1)
    pol.write("common", data)
    broken(pol, "common", "transition_period.periods", "overlap")


def test_gap_in_transition_periods(pol):
    data = pol.read("common")
    data["transition_period"]["periods"][1]["from"] = dt.date(2026, 3, 1)
    pol.write("common", data)
    broken(pol, "common", "transition_period.periods", "gap")


def test_open_ended_period_followed_by_another(pol):
    data = pol.read("common")
    data["transition_period"]["periods"][0]["until"] = None
    pol.write("common", data)
    broken(pol, "common", "transition_period.periods", "open-ended")


def test_no_transition_periods(pol):
    data = pol.read("common")
    data["transition_period"]["periods"] = []
    pol.write("common", data)
    broken(pol, "common", "transition_period.periods")


def test_document_ends_before_it_starts(pol):
    data = pol.read("urumqi")
    data["document"]["effective_until"] = dt.date(2023, 12, 31)
    pol.write("urumqi", data)
    broken(pol, "urumqi", "document", "effective_until is before effective_from")


def test_unknown_reading_id(pol):
    data = pol.read("xizang")
    data["major"]["reading"] = "xizang_three_tiers"
    pol.write("xizang", data)
    broken(pol, "xizang", "reading 'xizang_three_tiers'", "common.yaml")


def test_unknown_reading_id_on_a_claim(pol):
    data = pol.read("guangxi")
    data["tiers"][5]["claims"][0]["reading"] = "made_up"
    pol.write("guangxi", data)
    broken(pol, "guangxi", "reading 'made_up'")


def test_invalid_yaml(pol):
    (pol.path / "ankang.yaml").write_text("region: ankang\ntiers: [unclosed\n", encoding="utf-8")
    broken(pol, "ankang", "not valid YAML")


def test_yaml_that_is_not_a_mapping(pol):
    (pol.path / "qianjiang.yaml").write_text("- just\n- a list\n", encoding="utf-8")
    broken(pol, "qianjiang")


def test_missing_region_file(pol):
    """The regions are the files found (issue 12): without its file a region is simply not there."""
    (pol.path / "ankang.yaml").unlink()
    policies = load(pol.path)
    assert "ankang" not in policies.regions and len(policies.regions) == len(REGIONS) - 1


def test_missing_common_file(pol):
    (pol.path / "common.yaml").unlink()
    broken(pol, "common", "missing")


def test_region_field_mismatch(pol):
    data = pol.read("guangxi")
    data["region"] = "xizang"
    pol.write("guangxi", data)
    broken(pol, "guangxi", "region", "'xizang'", "'guangxi'")


def test_unknown_region_code(pol):
    data = pol.read("guangxi")
    data["region"] = "guangdong"
    pol.write("guangxi", data)
    broken(pol, "guangxi", "region")


def test_common_missing_an_identity_label(pol):
    data = pol.read("common")
    del data["identities"]["poor_student"]
    pol.write("common", data)
    broken(pol, "common", "identities must label exactly")


def test_duplicate_tier_ranks(pol):
    data = pol.read("ankang")
    data["tiers"][1]["rank"] = data["tiers"][0]["rank"]
    pol.write("ankang", data)
    broken(pol, "ankang", "distinct ranks")


def test_broken_file_is_refused_not_half_loaded(pol):
    """The default policies in this process are untouched by a failed load elsewhere."""
    data = pol.read("guangxi")
    data["tiers"][0]["claims"][0]["rate"] = 2
    pol.write("guangxi", data)
    with pytest.raises(PolicyError):
        load(pol.path)
    got = engine.estimate({"region": "guangxi", "identities": ["tekun"], "care": "inpatient",
                           "self_pay": 1000, "date": "2024-06-01"})
    assert got.assistance == Decimal("1000.00")


# ------------------------------------------------------------------------------------ no policy numbers in code

def _policy_figures() -> set[Decimal]:
    """Every number in the policy files, the figures derived from them, and the issue's list."""
    figures: set[Decimal] = set()

    def walk(node):
        if isinstance(node, bool):
            return
        if isinstance(node, (int, float)):
            figures.add(Decimal(str(node)).normalize())
        elif isinstance(node, dict):
            for key, value in node.items():
                # a count of months (figures.*_months: a look-back, a ban) is a duration; code's
                # 12 months a year and its column widths are no such figure
                if not str(key).endswith("_months"):
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for path in sorted(SHIPPED.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        # the facts' input domains (an age up to 130, a family up to 50 people) are checks of the
        # input, not policy figures
        walk({k: v for k, v in data.items() if k != "facts"} if path.name == "common.yaml" else data)
    # derived: share × statistic (deductibles, thresholds), to the yuan and to the fen
    stats = [v.value for r in engine.load_policies().regions.values()
             for s in r.statistics.values() for v in s.values.values()]
    for share in ("0.05", "0.1", "0.25", "0.5"):
        for value in stats:
            x = value * Decimal(share)
            figures.add(x.quantize(Decimal(1), rounding=ROUND_HALF_UP).normalize())
            figures.add(x.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP).normalize())
    listed = "0.95 0.9 0.7 150000 300000 60000 50000 30000 20000 4000 3000 2000 100000 40000 500 4481 11201 " \
             "44805 24950 28983 1247.5 0.85 0.8 0.75 0.6 0.5 0.4 0.05 0.1 0.25 10000 5000"
    figures |= {Decimal(x).normalize() for x in listed.split()}
    # small integers (grades, levels, tiers, counts, year offsets) say nothing on their own
    return figures - {Decimal(i) for i in range(-1, 11)}


# Genuinely unrelated uses of a number that happens to equal a policy figure:
# (path glob, regex the source line must match, why it is not a policy figure).
ALLOWED = [
    ("engine/money.py", r"WAN|wan|10_?000", "1万 = 10,000元: the unit for showing amounts as 万元"),
    ("bot/understand/numerals.py", r"BIG_UNITS|万", "1万 = 10,000: reading Chinese numerals"),
    ("web/cases.py", r"万|factor", "1万 = 10,000: reading amounts typed as 万"),
    ("web/charts.py", r"_wan|value / 10000|value >= 10000", "1万 = 10,000: chart axis labels in 万"),
    ("web/charts.py", r"want = max\(", "the smallest x axis of a chart, not a rule"),
    ("web/charts.py", r"_estimate\(region, care, list\(ids\), \{\}, Decimal\(100000\)",
     "a probe bill used only to discover which tiers a region has"),
    ("web/api.py", r'"region": "guangxi", "identities"', "the contract's example Case shown in the API docs"),
    ("web/batch.py", r'^\s*\["\d+", "', "sample rows of the roster template (inputs, not rules)"),
    ("web/*.py", r"max_length=|max_rows|\[:\d+\]|MAX_\w+ =", "input size limits"),
    ("web/*.py", r"status_code=|_html_error\(|\d{3}: \"|\"code\": \d{3}", "HTTP status codes"),
    ("web/ratelimit.py", r"max_keys", "size of the rate limiter's table"),
    ("bot/doors/ttl.py", r"max_keys", "size of the expiring store's table"),
    ("web/sheet.py", r"pdf\.ln\(", "gaps between lines of the printed sheet, in mm (1.5 is also 安康's 1.5倍 income test)"),
    ("bot/doors/*.py", r"status_code >= \d{3}", "HTTP status codes"),
    ("bot/*.py", r"MAX_\w+ =|_RAW_CAP|TEXT_LIMIT|max_length=|\[:\d+\]", "message / input size limits"),
    ("bot/store.py", r"_writes %", "housekeeping interval of the store"),
    ("jiuzhu/cli.py", r"gc\.set_threshold\(", "garbage-collector thresholds for a batch"),
    ("jiuzhu/jsonl.py", r"^(BLOCK_LINES|MIN_LINES_PER_WORKER) =", "how a batch is split between worker processes"),
    ("faq/search.py", r"^\s*(B|TYPE_WEIGHT|ANSWER_WEIGHT|W_COVER\b.*|MENTION_BOOST|CANDIDATES|NO_ANSWER_\w+)\s*=|idf|fuzz\.",
     "search ranking parameters (BM25 b, weights, fuzzy factors, the no-answer thresholds)"),
]
# The engine is held to every figure. Outside it, a few figures are also everyday numbers of unrelated
# code (seconds per minute, HTTP 400, BM25's b = 0.5, histogram buckets, ages are read from the data):
# those are only checked in the engine, the distinctive ones (rates such as 0.95, limits, thresholds,
# statistics, 500 and up) everywhere.
STRICT = ["engine/**/*.py", "jiuzhu/**/*.py"]
SCANNED = ["bot/**/*.py", "web/**/*.py", "faq/**/*.py"]
GENERIC = {Decimal(x).normalize() for x in ("18", "60", "400", "0.05", "0.1", "0.25", "0.5")}
_NUMERIC_STRING = re.compile(r"^\s*-?\d[\d_]*(?:\.\d+)?\s*$")


def _numbers(source: str):
    """(line, text, value) of every numeric literal, and of every string that is just a number
    (Decimal("0.95")); comments and docstrings are not code and are skipped by the tokenizer."""
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        value = None
        if tok.type == tokenize.NUMBER:
            try:
                value = Decimal(tok.string.replace("_", "").rstrip("jJ"))
            except Exception:  # noqa: BLE001 - hex, octal: not money
                continue
        elif tok.type == tokenize.STRING:
            body = re.sub(r"^[rbuRBU]*", "", tok.string)
            for q in ('"""', "'''", '"', "'"):
                if len(body) >= 2 * len(q) and body.startswith(q) and body.endswith(q):
                    body = body[len(q):-len(q)]
                    break
            if _NUMERIC_STRING.match(body):
                value = Decimal(body.strip().replace("_", ""))
        if value is not None:
            yield tok.start[0], tok.line, value.normalize()


def _allowed(rel: str, line: str) -> bool:
    from fnmatch import fnmatch

    return any(fnmatch(rel, pattern) and re.search(regex, line) for pattern, regex, _ in ALLOWED)


def test_scanner_finds_a_planted_policy_number(tmp_path):
    """The scanner itself works: a rate or a limit in code is found, the same in a comment is not."""
    figures = _policy_figures()
    source = 'RATE = 0.95  # 0.7 in a comment\nCAP = Decimal("150000")\n"""300000 in a docstring"""\n'
    hits = [(line, value) for line, _, value in _numbers(source) if value in figures]
    assert hits == [(1, Decimal("0.95")), (2, Decimal("1.5E+5"))]


def test_no_policy_number_lives_in_python_code():
    every = _policy_figures()
    offenders = []
    for pattern in STRICT + SCANNED:
        figures = every if pattern in STRICT else every - GENERIC
        for name in sorted(glob.glob(str(ROOT / pattern), recursive=True)):
            rel = Path(name).relative_to(ROOT).as_posix()
            source = Path(name).read_text(encoding="utf-8")
            for line_no, line, value in _numbers(source):
                if value in figures and not _allowed(rel, line):
                    offenders.append(f"{rel}:{line_no}: {value:f} in `{line.strip()[:90]}`")
    assert not offenders, (
        "policy figures belong in policies/*.yaml, with their clause; found in code:\n  " + "\n  ".join(offenders)
        + "\n(if a number is genuinely unrelated, add it to ALLOWED in this file with the reason)")
