"""What the conversation says: messages with buttons, independent of any chat platform."""
from __future__ import annotations

from pydantic import BaseModel, Field

CODE_BYTES = 64  # a button's code is Telegram's callback data: at most this many bytes
# in a result's case, beside the Case's fields: the care date as the person said it ("2025-12",
# "2025") when the day was not said, so a sheet shows that and not the stand-in day estimated for
DATE_SAID = "date_said"


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
