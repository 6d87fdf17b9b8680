"""Load the YAML data files of bot/data once."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Any

import yaml


@lru_cache(maxsize=None)
def load_yaml(name: str) -> Any:
    """Read ``bot/data/<name>`` (package data, works when installed)."""
    text = resources.files("bot").joinpath("data", name).read_text(encoding="utf-8")
    return yaml.safe_load(text)
