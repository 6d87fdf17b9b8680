"""Shared by every test folder: how a test reacts to a tool the machine does not have."""
from __future__ import annotations

import os

import pytest


def _missing(what: str) -> None:
    """Skip, naming what is missing and how to install it; on CI (CI=true) fail instead, because
    CI must provide every tool (.ci/run installs them) and a skipped test is not a passing one."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} — CI must provide it")
    pytest.skip(what)


@pytest.fixture(scope="session")
def missing():
    return _missing
