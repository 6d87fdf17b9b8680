"""The domain's words, declared once in policies/common.yaml and read here: identity codes (in the
contract's order) and their labels, care types, the facts a case may state with their kinds and
domains, and where the policies folder is. The conditions, the Case model and the questions read
these; no list of them is written in code.

Read at import (the Case model and the condition language need them to be built), from the same
folder the policies are loaded from.
"""
from __future__ import annotations

import os
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

# The policies folder to read instead of the installed one (a test, a trial of a new region's file).
POLICIES_ENV = "JIUZHU_POLICIES"
FACT_KINDS = ("int", "money", "bool", "choice")
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class VocabularyError(ValueError):
    """common.yaml's vocabulary cannot be used: names the file and the entry."""


def policy_dir() -> Path:
    """The policies folder: $JIUZHU_POLICIES when set, else the installed `policies` package."""
    override = os.environ.get(POLICIES_ENV)
    return Path(override) if override else Path(str(resources.files("policies")))


def _read(path: Path) -> dict:
    try:
        with open(path, encoding="utf-8") as fh:
            data = yaml.load(fh, Loader=_SAFE_LOADER)
    except (OSError, yaml.YAMLError) as exc:
        raise VocabularyError(f"{path}: cannot read the vocabulary: {exc}") from exc
    if not isinstance(data, dict):
        raise VocabularyError(f"{path}: not a mapping")
    return data


def _facts(path: Path, raw: Any) -> dict[str, dict]:
    if not isinstance(raw, dict) or not raw:
        raise VocabularyError(f"{path}: facts: must map each fact to its label, kind and domain")
    for name, spec in raw.items():
        if not isinstance(spec, dict) or not spec.get("label") or spec.get("kind") not in FACT_KINDS:
            raise VocabularyError(f"{path}: facts.{name}: needs label and kind (one of {FACT_KINDS})")
        if spec["kind"] == "choice" and not (isinstance(spec.get("values"), dict) and spec["values"]):
            raise VocabularyError(f"{path}: facts.{name}: a choice needs values (code: label)")
        if spec["kind"] == "int" and not (isinstance(spec.get("min"), int) and isinstance(spec.get("max"), int)):
            raise VocabularyError(f"{path}: facts.{name}: an int needs min and max")
    return raw


_PATH = policy_dir() / "common.yaml"
_DATA = _read(_PATH)
for _key in ("identities", "care", "facts", "monitored_identities"):
    if not _DATA.get(_key):
        raise VocabularyError(f"{_PATH}: {_key}: missing")

IDENTITY_LABELS: dict[str, str] = dict(_DATA["identities"])
IDENTITIES: tuple[str, ...] = tuple(IDENTITY_LABELS)  # the contract's order: it picks the giving identity
MONITORED: tuple[str, ...] = tuple(_DATA["monitored_identities"])
CARE_LABELS: dict[str, str] = dict(_DATA["care"])
CARE_TYPES: tuple[str, ...] = tuple(CARE_LABELS)
FACT_SPECS: dict[str, dict] = _facts(_PATH, _DATA["facts"])
FACTS: tuple[str, ...] = tuple(FACT_SPECS)
FACT_NAMES: dict[str, str] = {name: spec["label"] for name, spec in FACT_SPECS.items()}
# the values of each fact with a finite domain (a choice, a small int range, a yes/no)
FACT_VALUES: dict[str, tuple] = {
    name: (tuple(spec["values"]) if spec["kind"] == "choice" else (True, False) if spec["kind"] == "bool"
           else tuple(range(spec["min"], spec["max"] + 1)))
    for name, spec in FACT_SPECS.items()
    if spec["kind"] in ("choice", "bool") or (spec["kind"] == "int" and spec["max"] - spec["min"] < 10)
}
if set(MONITORED) - set(IDENTITIES):
    raise VocabularyError(f"{_PATH}: monitored_identities: unknown {sorted(set(MONITORED) - set(IDENTITIES))}")
