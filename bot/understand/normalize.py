"""Text normalisation shared by every understanding function.

``normalize`` never raises: any object is turned into a short, clean string.
"""

from __future__ import annotations

import html
import re
import unicodedata
from functools import lru_cache

MAX_LEN = 500
_RAW_CAP = 4000  # cut raw input early so that huge messages stay fast

_TAG_RE = re.compile(r"<[^<>]{0,300}>")
_WS_RE = re.compile(r"\s+")

# Characters that NFKC leaves alone but people use as ASCII look-alikes.
_EXTRA = str.maketrans({
    "\u3000": " ",  # ideographic space
    "\u00a0": " ",
    "\u2014": "-",
    "\u2013": "-",
    "\u2212": "-",
    "\uff5e": "~",
    "\u301c": "~",
    "\u00b7": "·",
})


def normalize(text: object) -> str:
    """Full-width to half-width, drop HTML tags and control characters, collapse
    whitespace, lower-case ASCII, cap at 500 characters."""
    if text is None:
        return ""
    if not isinstance(text, str):
        try:
            text = str(text)
        except Exception:  # pragma: no cover - exotic __str__
            return ""
    return _normalize_str(text[:_RAW_CAP])


@lru_cache(maxsize=512)
def _normalize_str(text: str) -> str:
    try:
        text = unicodedata.normalize("NFKC", text)
    except Exception:  # pragma: no cover - lone surrogates are fine in NFKC, but be safe
        pass
    text = text.translate(_EXTRA)
    if "&" in text:  # entities first, so an escaped tag (&lt;b&gt;) is removed like a real one
        text = html.unescape(text)
        text = unicodedata.normalize("NFKC", text).translate(_EXTRA)
    for _ in range(8):  # removing a tag can expose another ("<<>>"): repeat until nothing changes
        if "<" not in text:
            break
        stripped = _TAG_RE.sub(" ", text)
        if stripped == text:
            break
        text = stripped
    out = []
    for ch in text:
        cat = unicodedata.category(ch)
        if cat in ("Cc", "Cf", "Cs", "Co", "Cn"):
            # control, format (zero-width), surrogate, private use, unassigned
            out.append(" " if ch in "\t\n\r\x0b\x0c" else "")
        elif cat == "Nd" and not ch.isascii():
            out.append(str(unicodedata.decimal(ch, 0)))  # Tibetan ༢, Arabic-Indic ٢ … -> 2
        else:
            out.append(ch)
    text = "".join(out)
    text = _WS_RE.sub(" ", text).strip().lower()
    return text[:MAX_LEN].rstrip()  # a cut may end in a space: strip again, so normalize is a fixed point


def compact(text: object) -> str:
    """``normalize`` and then remove every space (Chinese needs none)."""
    return normalize(text).replace(" ", "")


# where one clause of a compacted message ends: a where, a referral, a home or a date counts in its own
CLAUSE_RE = re.compile(r"[,;!?，。；！？]|(?<![0-9])\.|\.(?![0-9])")  # not the point of 2.5万 or 2025.12
_PUNCT_RE = re.compile(r"[\s,.!?;:，。！？；：、~～…·'\"“”‘’()（）\[\]【】<>《》/\\|_\-+=*&^%$#@`]+")


def strip_punct(text: str) -> str:
    """Remove punctuation and spaces (for whole-answer comparisons)."""
    return _PUNCT_RE.sub("", text)
