"""The answer's sentences (common.yaml `wording:`) compiled once into fill-in functions.

`str.format` parses its template on every call — about 2 µs for a sentence of the trace, several
times an estimate. Each template is therefore turned, at load, into the f-string it stands for
(`"年度限额{cap}"` → `lambda *, cap, **_: f"年度限额{cap}"`), which Python compiles once. The
template may only name plain fields with a format spec of the safe characters below (`{base:,}`,
`{until:%Y年%m月%d日}`); anything else — attribute or index access, conversions, nested fields — is
refused, so the compiled code can do nothing but format the values it is given.
"""
from __future__ import annotations

import keyword
import re
import string
from typing import Callable

_FIELD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SPEC = re.compile(r"[,.%0-9A-Za-z年月日 _-]*")


class WordingError(ValueError):
    """A template that is not a plain fill-in sentence: says what is wrong."""


def compile_template(text: str) -> Callable[..., str]:
    """The template as a function of its fields (keyword arguments; others are ignored)."""
    parts: list[str] = []
    names: list[str] = []
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError as exc:
        raise WordingError(f"{text!r}: {exc}") from exc
    for literal, field, spec, conversion in parsed:
        parts.append(literal.replace("{", "{{").replace("}", "}}"))
        if field is None:
            continue
        if not _FIELD.fullmatch(field) or keyword.iskeyword(field):
            raise WordingError(f"{text!r}: field {field!r} must be a plain name")
        if conversion is not None or not _SPEC.fullmatch(spec or ""):
            raise WordingError(f"{text!r}: field {field!r} has a format this engine does not allow")
        if field not in names:
            names.append(field)
        parts.append("{" + field + (":" + spec if spec else "") + "}")
    params = f"*, {', '.join(names)}, **_" if names else "**_"
    source = f"lambda {params}: f{''.join(parts)!r}"
    # the source names only its parameters; the one builtin is for date formats (strftime imports time)
    return eval(source, {"__builtins__": {"__import__": __import__}}, {})  # noqa: S307
