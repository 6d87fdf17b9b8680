"""The PDF page writer for the applicant's sheets (fpdf2 with the CJK font embedded).

Its own module because importing fpdf2 costs about a third of a second: `web.sheet` loads it on
the first sheet (the background warm-up after start does so too), not while the server starts.
"""
from __future__ import annotations

from fpdf import FPDF

from .sheetstyle import BODY, LINE, SC_INDEX, SIGN_SPACE, _TOKENS, font


class Sheets(FPDF):
    def __init__(self):
        super().__init__(format="A4", unit="mm")
        self.add_font("cjk", "", font(), collection_font_number=SC_INDEX)
        self._widths: dict[tuple[str, float], float] = {}
        self.set_margins(16, 14, 16)
        self.set_auto_page_break(False)
        self.set_title("医疗救助估算单")

    def wrap(self, text: str, width: float, size: float) -> list[str]:
        """Lines of `text` that fit `width` mm at `size` pt: any CJK character may end a line, a run
        of Latin letters and digits (an amount, a clause number) is kept whole. Done here because
        fpdf2's own line breaking measures every character again on every call (5x slower)."""
        self.set_font("cjk", "", size)
        lines, line, used = [], "", 0.0
        for token in _TOKENS.findall(text):
            w = sum(self._char_width(ch, size) for ch in token)
            if used + w > width and line:
                lines.append(line.rstrip())
                line, used = token.lstrip(), w
            else:
                line, used = line + token, used + w
        if line or not lines:
            lines.append(line)
        return lines

    def _char_width(self, ch: str, size: float) -> float:
        key = (ch, size)
        if key not in self._widths:
            self._widths[key] = self.get_string_width(ch)
        return self._widths[key]

    def text_block(self, text: str, size: float = BODY, h: float = LINE, indent: float = 0) -> None:
        for line in self.wrap(text, self.epw - indent, size):
            self.set_x(self.l_margin + indent)
            self.cell(self.epw - indent, h, line, new_x="LMARGIN", new_y="NEXT")

    def height(self, text: str, size: float = BODY, h: float = LINE, indent: float = 0) -> float:
        return len(self.wrap(text, self.epw - indent, size)) * h

    def room(self) -> float:
        return self.h - SIGN_SPACE - self.get_y()
