"""Shared by every test folder: how a test reacts to a tool the machine does not have."""
from __future__ import annotations

import os

import pytest


def _missing(what: str) -> None:
    """Skip, naming what is missing and how to install it, only off CI; on CI (CI=true, which
    .ci/run sets) fail instead, because CI must provide every tool (.ci/run installs them) and a
    skipped test is not a passing one."""
    if os.environ.get("CI") != "true":
        pytest.skip(what)
    pytest.fail(f"{what} — CI must provide it")


@pytest.fixture(scope="session")
def missing():
    return _missing


async def _continues_like_uninterrupted(resumed, key: str, reference, reference_key: str) -> None:
    """A conversation read back from a store (`resumed`, at `key`, left at the identities question
    of 广西) answers the next message exactly as one never interrupted (`reference`) does."""
    for text in ("/start", "广西"):
        await reference.handle(reference_key, text)
    expected = [m.public() for m in await reference.handle(reference_key, "低保户")]
    assert [m.public() for m in await resumed.handle(key, "低保户")] == expected


@pytest.fixture(scope="session")
def continues_like_uninterrupted():
    return _continues_like_uninterrupted
