"""What the routes share, kept apart from the app's assembly so no router imports web.app: the
app's state object (settings, the chat service made on first use, the FAQ miss log) and how a
request reaches it."""
from __future__ import annotations

import threading
from typing import Any

from fastapi import Request

from .settings import Settings


class ChatUnavailable(RuntimeError):
    pass


class AppState:
    """Settings, the chat service (made on first use) and the FAQ miss log."""

    def __init__(self, settings: Settings, chat_service: Any, faq_db: str | None):
        self.settings = settings
        self._chat = chat_service
        self.faq_db = faq_db or settings.db_path
        # the server's warm-up thread and a first request may ask at once: make one service only
        self._making = threading.Lock()

    def chat(self):
        if self._chat is not None:
            return self._chat
        with self._making:
            if self._chat is not None:
                return self._chat
            try:
                # here, not at the top: the stores and the flow's dictionaries take time that
                # `jiuzhu serve` spends in its warm-up thread after the port is open, and web.app
                # must not wait for
                from bot.wiring import service_from_env
            except ImportError as exc:  # the conversation is not installed yet
                raise ChatUnavailable(str(exc)) from None
            try:
                self._chat = service_from_env(db_path=self.settings.db_path)
            except TypeError:  # an older factory without arguments
                self._chat = service_from_env()
        return self._chat


def app_state(request: Request) -> AppState:
    return request.app.state.jz
