"""Charts drawn from engine estimates: one path per tier, the deductible as a flat start."""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from web.charts import region_charts, tier_scenarios

DAY = dt.date(2024, 6, 1)


def _points(d: str) -> list[tuple[float, float]]:
    return [(float(x), float(y)) for x, y in re.findall(r"[ML]([\d.]+) ([\d.]+)", d)]


def test_a_path_per_tier():
    charts = region_charts("guangxi", DAY)
    inpatient = next(c for c in charts if c.care == "inpatient")
    tiers = {t for s in inpatient.series for t in s.tiers}
    assert tiers == set(tier_scenarios("guangxi", DAY))
    paths = re.findall(r'<path class="series" d="([^"]+)"[^>]*data-tiers="([^"]+)"', inpatient.svg)
    assert {t for _, ts in paths for t in ts.split(",")} == tiers
    for d, _ in paths:
        assert len(_points(d)) > 20


def test_deductible_is_a_flat_start():
    inpatient = next(c for c in region_charts("guangxi", DAY) if c.care == "inpatient")
    edge = next(s for s in inpatient.series if s.tier == "3_edge")
    assert edge.start > 0
    assert all(y == 0 for x, y in edge.points if x <= edge.start)
    assert any(y > 0 for x, y in edge.points if x > edge.start)
    d = re.search(r'<path class="series" d="([^"]+)"[^>]*data-tier="3_edge"', inpatient.svg).group(1)
    pts = _points(d)
    base = pts[0][1]
    flat = [p for p in pts if p[1] == base]
    assert len(flat) >= 2 and flat[-1][0] > pts[0][0]  # horizontal at 0 before rising
    tekun = next(s for s in inpatient.series if s.tier == "1")
    assert tekun.start == 0  # no deductible


def test_limit_is_a_flat_top_and_matches_engine():
    import engine

    inpatient = next(c for c in region_charts("guangxi", DAY) if c.care == "inpatient")
    for s in inpatient.series:
        assert s.reaches_top is not None
        est = engine.estimate({"region": "guangxi", "identities": s.identities, "care": "inpatient",
                               "self_pay": s.reaches_top, "date": DAY})
        assert Decimal(est.assistance) == s.top
        assert s.points[-1][1] == s.top


def test_every_region_has_charts_and_axes_fit():
    for region in ("xizang", "ankang", "guangxi", "urumqi", "qianjiang"):
        charts = region_charts(region, DAY)
        assert charts, region
        for c in charts:
            assert c.svg.startswith("<svg") and "<script" not in c.svg
            for s in c.series:
                assert all(0 <= y <= c.y_max and 0 <= x <= c.x_max for x, y in s.points)
