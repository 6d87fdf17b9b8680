"""A short link that reopens one estimate: the case's fields (no names, no ID numbers — a Case has
none) packed into the URL itself, so nothing is stored on the server and the link works for as
long as the policy files do.

    token = encode_case({"region": "guangxi", "identities": ["dibao"], "care": "inpatient", "self_pay": "20000"})
    /cadre/case?c=<token>        the full explanation (the workbench's result)
    /cadre/sheet.pdf?c=<token>   the printable sheet

Not signed: whoever changes the token only changes the question asked, and the engine checks it
like any other input.
"""
from __future__ import annotations

import base64
import io
import json
import zlib
from typing import Any

import segno

from bot.messages import DATE_SAID, read_date_said
from bot.understand import month_span

MAX_TOKEN = 1200            # characters; a real case packs into about 100
_MAX_JSON = 4096            # bytes once unpacked: refuse a zip bomb before parsing
_KEYS = {"region", "identities", "care", "self_pay", "date", "year_to_date", "facts", DATE_SAID}


class ShareError(ValueError):
    """A token that is not one of ours; the message is for the user."""


# one letter per field keeps the link short (and the QR code small); the codes stay readable
_SHORT = {"region": "r", "identities": "i", "care": "c", "self_pay": "s", "date": "d", "year_to_date": "y",
          "facts": "f", DATE_SAID: "w"}
_LONG = {v: k for k, v in _SHORT.items()}
_BAD = "这个链接不完整或已损坏，请重新估算。"


def encode_case(case: dict[str, Any]) -> str:
    """The shorter of the compact JSON as is ("2…") and zlib-packed ("1…"), base64url."""
    kept = {_SHORT[k]: v for k, v in case.items() if k in _KEYS and v not in (None, "", [], {})}
    data = json.dumps(kept, ensure_ascii=False, separators=(",", ":"), sort_keys=True, default=str).encode("utf-8")
    plain = "2" + _b64(data)
    packed = "1" + _b64(zlib.compress(data, 9))
    return plain if len(plain) <= len(packed) else packed


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def decode_case(token: str) -> dict[str, Any]:
    if not token or len(token) > MAX_TOKEN or token[0] not in "12":
        raise ShareError(_BAD)
    body = token[1:]
    try:
        data = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        if token[0] == "1":
            inflater = zlib.decompressobj()
            data = inflater.decompress(data, _MAX_JSON)
            if inflater.unconsumed_tail:
                raise ShareError(_BAD)
        short = json.loads(data.decode("utf-8"))
    except (ValueError, zlib.error, UnicodeDecodeError):
        raise ShareError(_BAD) from None
    if not isinstance(short, dict) or not set(short) <= set(_LONG):
        raise ShareError(_BAD)
    case = {_LONG[k]: v for k, v in short.items()}
    if DATE_SAID in case and not _said_fits(case[DATE_SAID], str(case.get("date") or "")):
        case.pop(DATE_SAID)  # not what the date says: the page shows the date itself
    return case


def _said_fits(said: object, day: str) -> bool:
    """The care date as said holds the estimate's date, and so do the days it was narrowed to."""
    read = read_date_said(said)
    if read is None or not day.startswith(said.partition("@")[0]):
        return False
    year, month, span = read
    if span is None:
        return True
    whole = month_span(year, month)
    return whole[0] <= span[0] <= span[1] <= whole[1] and span[0].isoformat() <= day <= span[1].isoformat()


def split_said(case: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    """(the Case's own fields, the care date as said or None)."""
    if DATE_SAID not in case:
        return case, None
    rest = dict(case)
    return rest, rest.pop(DATE_SAID)


def case_path(case: dict[str, Any]) -> str:
    return "/cadre/case?c=" + encode_case(case)


def sheet_path(case: dict[str, Any]) -> str:
    return "/cadre/sheet.pdf?c=" + encode_case(case)


def qr_svg(url: str) -> str:
    """An inline <svg> of the link (segno: pure Python, no image files)."""
    return segno.make(url, error="m").svg_inline(scale=3, border=2, omitsize=False)


def qr_png(url: str) -> bytes:
    buf = io.BytesIO()
    # mask 0 rather than the best of eight: a quarter of the time, any reader copes
    segno.make(url, error="m", mask=0).save(buf, kind="png", scale=4, border=2)
    return buf.getvalue()
