"""Fixtures for the web app: an app on a temp SQLite file, a TestClient, a fake chat service."""
from __future__ import annotations

import warnings

import pytest

warnings.filterwarnings("ignore", message=".*httpx2.*")

from fastapi.testclient import TestClient  # noqa: E402

from web.app import create_app  # noqa: E402
from web.settings import Settings  # noqa: E402

ADMIN = "test-admin-token"


class FakeMessage:
    def __init__(self, text, buttons=(), kind="info"):
        self.text, self.buttons, self.kind = text, list(buttons), kind

    def public(self):
        return {"text": self.text, "buttons": [{"label": b} for b in self.buttons], "kind": self.kind}


class FakeChat:
    """Greets with region buttons and echoes; enough to test the plumbing without the real flow."""

    def __init__(self):
        self.calls: list[tuple[str, str]] = []

    async def handle(self, session, text):
        self.calls.append((session, text))
        if text in ("", "/start"):
            return [FakeMessage("您好！在哪里参保？", ["广西", "西藏"], "question")]
        return [FakeMessage(f"收到：{text}", [], "info")]


@pytest.fixture
def settings(tmp_path):
    return Settings(db_path=str(tmp_path / "jiuzhu.db"), admin_token=ADMIN)


@pytest.fixture
def app(settings):
    return create_app(settings)


@pytest.fixture
def client(app):
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def fake_chat():
    return FakeChat()


@pytest.fixture
def fake_client(settings, fake_chat):
    with TestClient(create_app(settings, chat_service=fake_chat), raise_server_exceptions=False) as c:
        yield c
