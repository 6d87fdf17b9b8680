"""Charts that read on a phone (issue 16): axes fitted to the data, identical lines merged, a sentence."""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from web.charts import MAX_TICKS, fit_axis, region_charts

DAY = dt.date(2024, 6, 1)
REGIONS = ("xizang", "ankang", "guangxi", "urumqi", "qianjiang")


@pytest.mark.parametrize(("value", "top", "step"), [
    (Decimal(200000), Decimal(200000), Decimal(50000)),   # a 20万 maximum: a 20万 axis, not 50万
    (Decimal(200001), Decimal(250000), Decimal(50000)),   # one yuan over: the next step
    (Decimal(210000), Decimal(250000), Decimal(50000)),
    (Decimal(525), Decimal(600), Decimal(200)),
    (Decimal(100), Decimal(100), Decimal(20)),
])
def test_fit_axis_by_hand(value, top, step):
    assert fit_axis(value) == (top, step)


@given(st.decimals(min_value=1, max_value=10**7, places=2))
def test_fit_axis_covers_the_data_and_no_more_than_a_step(value):
    top, step = fit_axis(value)
    assert top >= value
    assert top - step < value  # the axis ends at the first round number at or above the data
    assert top / step <= MAX_TICKS


@pytest.mark.parametrize("region", REGIONS)
def test_axes_fit_the_data(region):
    for c in region_charts(region, DAY):
        y_top = max(y for s in c.series for _, y in s.points)
        assert y_top <= c.y_max < y_top * Decimal("1.05") + c.y_step, (region, c.care, y_top, c.y_max)
        assert c.y_max <= 2 * y_top, (region, c.care)
        ends = [s.reaches_top for s in c.series if s.reaches_top is not None] + [s.start for s in c.series]
        assert max(ends) <= c.x_max


@pytest.mark.parametrize("region", REGIONS)
def test_identical_lines_are_one_line_with_every_label(region):
    for c in region_charts(region, DAY):
        shapes = [tuple(s.points) for s in c.series]
        assert len(shapes) == len(set(shapes)), (region, c.care)
        for s in c.series:
            assert len(s.tiers) >= 1 and s.tier == s.tiers[0]
            assert len(s.name.split(" / ")) == len(s.tiers)
        assert c.svg.count('<path class="series"') == len(c.series)


def test_xizang_merges_its_first_two_categories():
    """西藏's 第一类 and 第二类 have the same rules (no deductible, same rate and limit): one line."""
    inpatient = next(c for c in region_charts("xizang", DAY) if c.care == "inpatient")
    merged = next(s for s in inpatient.series if len(s.tiers) > 1)
    assert set(merged.tiers) == {"1", "2"}
    assert "第一类" in merged.name and "第二类" in merged.name


@pytest.mark.parametrize("region", REGIONS)
def test_a_plain_sentence_for_each_chart(region):
    for c in region_charts(region, DAY):
        assert c.summary.startswith(c.care_label) and c.summary.endswith("。")
        for s in c.series:
            assert s.name in c.summary
            if s.reaches_top is not None:
                assert "最多" in c.summary


def test_labels_are_large_enough_in_user_units():
    """The SVG is drawn about as wide as a phone's column: 14-unit labels in a 330-unit viewBox."""
    for c in region_charts("ankang", DAY):
        width = float(re.search(r'viewBox="0 0 ([\d.]+) ', c.svg).group(1))
        sizes = [float(x) for x in re.findall(r'font-size="([\d.]+)"', c.svg)]
        assert min(sizes) / width * 300 >= 12  # at a 300 px column
