"""Errors a door can meet from the chat service, in a module of their own so that a door (the
web) can name them without importing the service and its chat-platform libraries."""
from __future__ import annotations


class StorageUnavailable(RuntimeError):
    """The conversation's storage cannot be reached (Redis down or frozen, the SQLite file locked
    too long): nothing of the turn was saved. The web answers 503 with Retry-After."""
