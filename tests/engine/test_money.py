"""engine.money's display of amounts, held to Decimal's own formatting (hand-checked edges, and a
property over amounts of every size)."""
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given, strategies as st

from engine.money import fen, plain, whole_yuan, yuan


def _by_decimal_format(value: Decimal) -> str:
    """The definition: half-up to the fen, grouped by thousands, no trailing .00, never -0."""
    text = f"{value.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP) + Decimal(0):,.2f}"
    return text[:-3] if text.endswith(".00") else text


@pytest.mark.parametrize("value, shown", [
    ("0", "0元"), ("-0.00", "0元"), ("-0.004", "0元"), ("0.005", "0.01元"), ("4481", "4,481元"),
    ("1449.15", "1,449.15元"), ("9999.994", "9,999.99元"), ("9999.995", "1万元（10,000元）"),
    ("18000", "1.8万元（18,000元）"), ("12345.67", "约1.23万元（12,345.67元）"),
    ("99995", "约10万元（99,995元）"), ("-12345.678", "约-1.23万元（-12,345.68元）"),
])
def test_yuan_by_hand(value, shown):
    assert yuan(Decimal(value)) == shown


def test_fen_and_whole_yuan_round_half_up():
    assert fen(Decimal("2.675")) == Decimal("2.68") and str(fen(Decimal("3"))) == "3.00"
    assert fen(Decimal("-2.675")) == Decimal("-2.68")
    assert whole_yuan(Decimal("2.5")) == Decimal("3") and whole_yuan(Decimal("1.49")) == Decimal("1")


amounts = st.decimals(min_value=Decimal("-200000000"), max_value=Decimal("200000000"), allow_nan=False,
                      allow_infinity=False, places=3)


@given(amounts)
def test_plain_is_the_decimal_format(value):
    assert plain(value) == _by_decimal_format(value)


@given(amounts)
def test_yuan_shows_the_exact_figure(value):
    shown = yuan.__wrapped__(value)
    exact = _by_decimal_format(value)
    if abs(fen(value)) < 10000:
        assert shown == exact + "元"
    else:
        assert shown.endswith(f"万元（{exact}元）")
        wan = Decimal(shown.split("万元")[0].lstrip("约"))
        assert abs(wan * 10000 - fen(value)) <= 50  # 万 to two decimals: within half a hundredth of 万
        assert shown.startswith("约") == (wan * 10000 != fen(value))
