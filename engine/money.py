"""Money: Decimal arithmetic, half-up rounding to the fen, and the way amounts are shown to people.

Amounts are shown as `1.8万元（18,000元）` from 10,000 yuan up and `4,481元` below, so a reader sees
both the size and the exact figure.
"""
from __future__ import annotations

import functools
from decimal import ROUND_HALF_UP, Decimal

FEN = Decimal("0.01")
YUAN = Decimal("1")
ZERO = Decimal("0")
WAN = Decimal("10000")
HUNDRED = Decimal("100")


def to_decimal(value) -> Decimal:
    """Convert a JSON number or numeric string to Decimal without float noise."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        raise TypeError("a boolean is not an amount")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, str):
        return Decimal(value.strip().replace(",", ""))
    raise TypeError(f"not a number: {value!r}")


# fen(value): round half-up to 0.01 yuan (contract: each part rounds half-up to the fen);
# whole_yuan(value): half-up to the yuan. Bound in C (Decimal.quantize with its arguments fixed)
# rather than a Python function around it: fen runs about seven times per estimate.
fen = functools.partial(Decimal.quantize, exp=FEN, rounding=ROUND_HALF_UP)
whole_yuan = functools.partial(Decimal.quantize, exp=YUAN, rounding=ROUND_HALF_UP)


def plain(value: Decimal) -> str:
    """`18000` → `18,000`; `1449.15` → `1,449.15` (no trailing .00)."""
    text = f"{fen(value) + ZERO:,.2f}"  # rounded half-up first (the format never rounds); + 0 drops a -0
    return text[:-3] if text.endswith(".00") else text


@functools.lru_cache(maxsize=4096)
def yuan(value: Decimal) -> str:
    """How an amount is shown to a person: `1.8万元（18,000元）`, `4,481元`, `0元`."""
    value = fen(value) + ZERO  # + 0 drops a -0
    text = plain(value)
    if -WAN < value < WAN:
        return text + "元"
    # 万 with at most two decimals, rounded half-up; "约" when that rounding hides something
    cents = int(value * HUNDRED)
    hundredths, rest = divmod(abs(cents), 10_000)
    if rest * 2 >= 10_000:
        hundredths += 1
    whole, frac = divmod(hundredths, 100)
    shown = str(whole) if frac == 0 else f"{whole}.{frac:02d}".rstrip("0")
    return f"{'' if rest == 0 else '约'}{'-' if cents < 0 else ''}{shown}万元（{text}元）"


@functools.lru_cache(maxsize=256)
def percent(rate: Decimal) -> str:
    """`0.95` → `95%`; `0.7` → `70%`; `1` → `100%`."""
    pct = (rate * 100).normalize()
    return f"{pct:f}%"
