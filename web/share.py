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

VERSION = "1"
MAX_TOKEN = 1200            # characters; a real case packs into about 100
_MAX_JSON = 4096            # bytes once unpacked: refuse a zip bomb before parsing
_KEYS = {"region", "identities", "care", "self_pay", "date", "year_to_date", "facts"}


class ShareError(ValueError):
    """A token that is not one of ours; the message is for the user."""


def encode_case(case: dict[str, Any]) -> str:
    kept = {k: v for k, v in case.items() if k in _KEYS and v not in (None, "", [], {})}
    data = json.dumps(kept, ensure_ascii=False, separators=(",", ":"), sort_keys=True, default=str)
    packed = zlib.compress(data.encode("utf-8"), 9)
    return VERSION + base64.urlsafe_b64encode(packed).decode("ascii").rstrip("=")


def decode_case(token: str) -> dict[str, Any]:
    if not token or len(token) > MAX_TOKEN or not token.startswith(VERSION):
        raise ShareError("这个链接不完整或已损坏，请重新估算。")
    body = token[len(VERSION):]
    try:
        packed = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        inflater = zlib.decompressobj()
        data = inflater.decompress(packed, _MAX_JSON)
        if inflater.unconsumed_tail:
            raise ShareError("这个链接不完整或已损坏，请重新估算。")
        case = json.loads(data.decode("utf-8"))
    except (ValueError, zlib.error, UnicodeDecodeError):
        raise ShareError("这个链接不完整或已损坏，请重新估算。") from None
    if not isinstance(case, dict) or not set(case) <= _KEYS:
        raise ShareError("这个链接不完整或已损坏，请重新估算。")
    return case


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
