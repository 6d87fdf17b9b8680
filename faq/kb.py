"""The FAQ knowledge base: entry model, loading and validation of ``faq/data/*.yaml``.

Every ``*.yaml`` file in the data directory is a list of entries, except files whose name starts
with ``_`` and the lexicon ``synonyms.yaml``.  A bad file is refused as a whole with a message that
names the file, the entry id and what is wrong (missing cite, unknown region, duplicate id, fewer
than three variants, …).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterable

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from engine import load_policies
from engine.figures import FigureError
from engine.policy import Policies

from .figures import render_item

from .text import DATA_DIR, REGIONS

NON_ENTRY_FILES = frozenset({"synonyms.yaml"})

# An entry id starts with its region's faq_prefix (policies/*.yaml), or cm- for all regions.
PREFIX_REGION = {"cm": "all"} | {
    r.faq_prefix: code for code, r in load_policies().regions.items() if r.faq_prefix
}
ID_RE = re.compile(rf"^({'|'.join(map(re.escape, PREFIX_REGION))})-[a-z0-9]+(?:-[a-z0-9]+)*$")
# How each region's document is named in a cite (its cite_names).
REGION_DOC = {code: tuple(r.cite_names) for code, r in load_policies().regions.items()}
MIN_VARIANTS = 3


class KBError(ValueError):
    """A data file that cannot be accepted."""


class Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    question: str
    answer: str
    detail: str = ""
    regions: list[str]
    cite: list[str]
    variants: list[str]
    tags: list[str] = []
    # words one of which a question must hold for this entry to be a sure answer ("什么时候能报" is
    # not asking when the document took effect: the effective-date entries need 政策/文件/施行 …)
    needs: list[str] = []

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not ID_RE.match(v):
            raise ValueError(
                f"id {v!r} must be ascii lower-case words joined by '-', "
                f"starting with {' '.join(p + '-' for p in PREFIX_REGION)}"
            )
        return v

    @field_validator("question", "answer")
    @classmethod
    def _nonempty(cls, v: str) -> str:
        v = (v or "").strip()
        if not v:
            raise ValueError("must not be empty")
        return v

    @field_validator("regions")
    @classmethod
    def _regions(cls, v: list[str]) -> list[str]:
        if not v:
            raise ValueError("missing region tag (use [all] or region codes)")
        for r in v:
            if r != "all" and r not in REGIONS:
                raise ValueError(f"unknown region {r!r} (allowed: all, {', '.join(REGIONS)})")
        if "all" in v and len(v) > 1:
            raise ValueError("'all' cannot be combined with other regions")
        if len(set(v)) != len(v):
            raise ValueError("region listed twice")
        return v

    @field_validator("cite")
    @classmethod
    def _cite(cls, v: list[str]) -> list[str]:
        v = [c.strip() for c in v if c and str(c).strip()]
        if not v:
            raise ValueError("missing cite (document number and clause)")
        return v

    @field_validator("variants")
    @classmethod
    def _variants(cls, v: list[str]) -> list[str]:
        v = [x.strip() for x in v if x and str(x).strip()]
        if len(set(v)) < MIN_VARIANTS:
            raise ValueError(f"needs at least {MIN_VARIANTS} different variants, has {len(set(v))}")
        return v

    @model_validator(mode="after")
    def _consistent(self) -> "Entry":
        prefix = self.id.split("-", 1)[0]
        want = PREFIX_REGION[prefix]
        if want == "all" and self.regions != ["all"]:
            raise ValueError("a cm- entry must have regions: [all]")
        if want != "all" and want not in self.regions:
            raise ValueError(f"a {prefix}- entry must include region {want!r}")
        if self.regions != ["all"]:
            for r in self.regions:
                if not any(doc in c for c in self.cite for doc in REGION_DOC[r]):
                    raise ValueError(
                        f"cite does not name the document of region {r!r} "
                        f"(expected {REGION_DOC[r][0]} + clause)"
                    )
        for c in self.cite:
            bare = c
            for docs in REGION_DOC.values():
                for doc in docs:
                    bare = bare.replace(doc, "")
            if not bare.strip(" 　，,;；") and self.regions != ["all"]:
                raise ValueError(f"cite {c!r} names the document but no clause")
        return self

    @property
    def region_label(self) -> str:
        return "all" if self.regions == ["all"] else ",".join(self.regions)


def cites_for(cites: list[str], region: str | None) -> list[str]:
    """The clauses of one region's document among an entry's cites (an entry for every region cites
    all five): all of them when the region is not known or none names its document."""
    names = REGION_DOC.get(region, ()) if region else ()
    own = [c for c in cites if any(name in c for name in names)]
    return own or list(cites)


def _format_error(path: Path, entry_id: str, err: ValidationError) -> str:
    parts = []
    for e in err.errors():
        loc = ".".join(str(x) for x in e["loc"]) or "entry"
        msg = e["msg"].removeprefix("Value error, ")
        if e["type"] == "missing":
            msg = f"missing field {loc!r}" + (" (document number and clause)" if loc == "cite" else "")
            parts.append(msg)
        else:
            parts.append(f"{loc}: {msg}")
    return f"{path.name}: entry {entry_id!r}: " + "; ".join(parts)


def load_file(path: Path, policies: Policies | None = None) -> list[Entry]:
    """Load and validate one data file (without the cross-file duplicate check).

    Policy figures in the texts are placeholders rendered from `policies` (default: the loaded ones).
    """
    path = Path(path)
    policies = policies or load_policies()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise KBError(f"{path.name}: not valid YAML: {exc}") from exc
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise KBError(f"{path.name}: must be a YAML list of entries, got {type(raw).__name__}")
    entries: list[Entry] = []
    seen: set[str] = set()
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            raise KBError(f"{path.name}: item #{i + 1} is not a mapping")
        entry_id = str(item.get("id", f"#{i + 1}"))
        try:
            item = render_item(item, policies)
        except FigureError as exc:
            raise KBError(f"{path.name}: entry {entry_id!r}: {exc}") from None
        try:
            entry = Entry.model_validate(item)
        except ValidationError as exc:
            raise KBError(_format_error(path, entry_id, exc)) from None
        if entry.id in seen:
            raise KBError(f"{path.name}: entry {entry.id!r}: duplicate id")
        seen.add(entry.id)
        entries.append(entry)
    return entries


def data_files(data_dir: Path = DATA_DIR) -> list[Path]:
    return sorted(
        p
        for p in Path(data_dir).glob("*.yaml")
        if not p.name.startswith("_") and p.name not in NON_ENTRY_FILES
    )


def load_entries(data_dir: Path | str = DATA_DIR, files: Iterable[Path] | None = None,
                 policies: Policies | None = None) -> list[Entry]:
    """Load every entry file; refuse duplicates across files."""
    paths = list(files) if files is not None else data_files(Path(data_dir))
    entries: list[Entry] = []
    where: dict[str, str] = {}
    for p in paths:
        for e in load_file(p, policies):
            if e.id in where:
                raise KBError(f"{p.name}: entry {e.id!r}: duplicate id (also in {where[e.id]})")
            where[e.id] = p.name
            entries.append(e)
    return entries
