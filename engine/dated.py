"""Dated rule values and the region files of a policy folder.

A rule value (a rate, a deductible, a limit …) may be written as one value or, like OpenFisca's
parameters, as values by date:

    rate:
      2022-03-01: {value: 0.7, cite: …, quote: …}
      2025-01-01: {value: 0.8, cite: …, quote: …}

Each value holds from its date until the day before the next one (or until its own `until:`).
The loader refuses a gap or an overlap, and a value that does not cover the whole of its
document's period, naming the file, the path and the problem. A region's file is then read as
one policy per stretch of dates in which no value changes; the care date picks the stretch.

A region is its files: `<code>.yaml`, and for a later document of the same region
`<code>.<anything>.yaml`, each with its own `document:` block; their periods must follow on from
each other without gap or overlap.
"""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any, Iterator

CODE_RE = re.compile(r"^[a-z][a-z0-9_]*$")
ENTRY_KEYS = {"value", "until", "cite", "quote"}


class DatedError(ValueError):
    """A dated value that leaves a date without a value, or gives it two: `path: problem`."""


def is_dated(node: Any) -> bool:
    return isinstance(node, dict) and bool(node) and all(type(k) is dt.date for k in node)


def dated_values(node: Any, path: str = "") -> Iterator[tuple[str, dict]]:
    """Every dated value in a file's data, with its path (tiers[0].claims[1].rate)."""
    if is_dated(node):
        yield path, node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from dated_values(value, f"{path}.{key}" if path else str(key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from dated_values(value, f"{path}[{i}]")


def check_dated(path: str, node: dict, start: dt.date, end: dt.date | None) -> list[dt.date]:
    """The dates a value changes on; DatedError when it leaves a gap, overlaps or does not cover
    the document's period start–end."""
    days = sorted(node)
    for day in days:
        entry = node[day]
        if not isinstance(entry, dict) or "value" not in entry:
            raise DatedError(f"{path}.{day}: a dated value needs `value:` (and cite, quote)")
        unknown = set(entry) - ENTRY_KEYS
        if unknown:
            raise DatedError(f"{path}.{day}: unknown keys {sorted(unknown)}")
        if not entry.get("cite") or not entry.get("quote"):
            raise DatedError(f"{path}.{day}: a dated value needs its own cite and quote")
        until = entry.get("until")
        if until is not None and (type(until) is not dt.date or until < day):
            raise DatedError(f"{path}.{day}: until must be a date on or after {day}")
    if days[0] > start:
        raise DatedError(f"{path}: gap: no value from {start} (the document's start) to {days[0]}")
    for a, b in zip(days, days[1:]):
        until = node[a].get("until")
        if until is not None and until >= b:
            raise DatedError(f"{path}: overlap: the value from {a} runs until {until}, past {b}")
        if until is not None and (b - until).days != 1:
            raise DatedError(f"{path}: gap between {until} and {b}")
    last_until = node[days[-1]].get("until")
    if last_until is not None and (end is None or last_until < end):
        raise DatedError(f"{path}: gap: no value after {last_until}"
                         + (f" (the document runs to {end})" if end else " (the document has no end date)"))
    return days


def value_on(node: dict, day: dt.date) -> Any:
    found = None
    for start in sorted(node):
        if start <= day:
            found = node[start]
    if found is None:  # before the first date: the document itself is not in force yet
        found = node[min(node)]
    return found["value"]


def resolve(node: Any, day: dt.date) -> Any:
    """The file's data with every dated value replaced by the one in force on `day`."""
    if is_dated(node):
        return value_on(node, day)
    if isinstance(node, dict):
        return {k: resolve(v, day) for k, v in node.items()}
    if isinstance(node, list):
        return [resolve(v, day) for v in node]
    return node


def changes(data: Any, start: dt.date, end: dt.date | None) -> list[dt.date]:
    """The days, after the document's start, on which some dated value of the file changes."""
    days: set[dt.date] = set()
    for path, node in dated_values(data):
        days.update(d for d in check_dated(path, node, start, end) if d > start)
    return sorted(days)


def region_files(directory: Path) -> dict[str, list[Path]]:
    """code -> its files, from the folder's listing (no list of names): every `*.yaml` but
    common.yaml; the code is the file name up to its first dot."""
    out: dict[str, list[Path]] = {}
    for path in sorted(directory.glob("*.yaml")):
        if path.name == "common.yaml":
            continue
        out.setdefault(path.name.split(".")[0], []).append(path)
    return out
