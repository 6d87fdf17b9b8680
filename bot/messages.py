"""What the conversation says: messages with buttons, independent of any chat platform."""
from __future__ import annotations

import re
from datetime import date

from pydantic import BaseModel, Field

CODE_BYTES = 64  # a button's code is Telegram's callback data: at most this many bytes
# in a result's case, beside the Case's fields: the care date as the person said it ("2025-12",
# "2025") when the day was not said, so a sheet shows that and not the stand-in day estimated for;
# "2025@2025-03-01/2025-12-31" when they also said which side of a rule change it was on
DATE_SAID = "date_said"
_DATE_SAID_RE = re.compile(r"(\d{4})(?:-(\d{2}))?(?:@(\d{4}-\d{2}-\d{2})/(\d{4}-\d{2}-\d{2}))?")


def date_said(said: str, span: tuple[date, date] | None = None) -> str:
    """The DATE_SAID value of a care date said as "2025-12" / "2025", with the days it was narrowed to."""
    return f"{said}@{span[0].isoformat()}/{span[1].isoformat()}" if span else said


def read_date_said(value: object) -> tuple[int, int | None, tuple[date, date] | None] | None:
    """DATE_SAID → (year, month or None, the narrowed days or None); None when it is not one."""
    m = _DATE_SAID_RE.fullmatch(value) if isinstance(value, str) else None
    if m is None:
        return None
    try:
        month = int(m[2]) if m[2] else None
        if month is not None and not 1 <= month <= 12:
            return None
        span = (date.fromisoformat(m[3]), date.fromisoformat(m[4])) if m[3] else None
    except ValueError:
        return None
    return int(m[1]), month, span


class Button(BaseModel):
    """A reply the user can tap. `label` is what is shown and what is sent back as text;
    `code` is a short id (≤ CODE_BYTES) for Telegram callback data."""

    label: str
    code: str | None = None


class Message(BaseModel):
    """One message from the assistant. `kind`: question | result | detail | info | error."""

    text: str
    buttons: list[Button] = Field(default_factory=list)
    kind: str = "info"
    # on a result: the Case it was estimated from (slots only, never typed text), so a door can
    # offer a link that reopens the same estimate or its printable sheet (and DATE_SAID)
    case: dict | None = None

    def public(self) -> dict:
        """The contract's shape: {"text", "buttons": [{"label"}]} plus `kind` (and `case` on a result)."""
        out = {"text": self.text, "buttons": [{"label": b.label} for b in self.buttons], "kind": self.kind}
        if self.case is not None:
            out["case"] = self.case
        return out
