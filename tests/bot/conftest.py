"""Fixtures shared by the bot tests."""
from __future__ import annotations

import pytest

from fake_wechat import FakeWeChatServer


@pytest.fixture
def wx():
    """The stand-in WeChat API on 127.0.0.1, recording what it receives."""
    server = FakeWeChatServer().start()
    yield server
    server.stop()
