"""Every `quote` in policies/ occurs in its region's document, word for word.

The seed texts (tests/engine/seeds/, copies of ../shared/seeds/) were extracted from PDFs: stray
spaces, line breaks and page numbers sit inside sentences. Both sides are normalised the same way
(all whitespace removed, ASCII and full-width punctuation unified); "……" in a quote marks a cut, so
each piece between cuts must occur, in order.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from engine.policy import policy_dir

SEEDS = Path(__file__).parent / "seeds"
REGIONS = ("xizang", "ankang", "guangxi", "urumqi", "qianjiang")
_PAGE_NUMBER = re.compile(r"[—－-]\s*\d+\s*[—－-]")
_SAME = str.maketrans({",": "，", ";": "；", ":": "：", "(": "（", ")": "）", "“": "\"", "”": "\""})


def _normal(text: str) -> str:
    return re.sub(r"\s+", "", _PAGE_NUMBER.sub("", text)).translate(_SAME)


def _quotes(node, path=""):
    if isinstance(node, dict):
        for key, value in node.items():
            where = f"{path}.{key}" if path else str(key)
            if str(key).endswith("quote") and isinstance(value, str):
                yield where, value
            else:
                yield from _quotes(value, where)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _quotes(value, f"{path}[{i}]")


def _cases():
    for region in REGIONS:
        data = yaml.safe_load((policy_dir() / f"{region}.yaml").read_text(encoding="utf-8"))
        seen = set()
        for where, quote in _quotes(data):
            if quote not in seen:
                seen.add(quote)
                yield pytest.param(region, where, quote, id=f"{region}:{where}")


@pytest.mark.parametrize("region,where,quote", list(_cases()))
def test_quote_occurs_in_document(region, where, quote):
    text = _normal((SEEDS / f"{region}.txt").read_text(encoding="utf-8"))
    at = 0
    for piece in (p for p in _normal(quote).split("……") if p):
        found = text.find(piece, at)
        assert found >= 0, f"{region} {where}: not in the document (in order): {piece!r}"
        at = found + len(piece)


def test_every_region_has_quotes():
    counts = {}
    for param in _cases():
        counts[param.values[0]] = counts.get(param.values[0], 0) + 1
    assert set(counts) == set(REGIONS) and min(counts.values()) >= 10, counts
